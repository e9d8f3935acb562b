"""JSON Lines source: one GroupSnapshot object per line, streamed (the file is never loaded whole)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from scanner.schema import Located, Rejected, excerpt, parse_snapshot
from scanner.sources.base import SourceRecord


class JsonLinesSource:
    name = "jsonl"

    def handles(self, location: Path) -> bool:
        return location.suffix.lower() in {".jsonl", ".ndjson"}

    def read(self, location: Path) -> Iterator[SourceRecord]:
        root = location.parent
        dirs: dict[str, str] = {}  # folders' real paths, for this read only (icon path checks)
        with location.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark from some exporters
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    yield Rejected(str(location), number, f"not UTF-8: {error.reason}", excerpt(repr(raw)))
                    continue
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as error:
                    yield Rejected(str(location), number, f"invalid JSON: {error.msg}", excerpt(line))
                    continue
                try:
                    yield Located(parse_snapshot(obj, root, dirs), str(location), number)
                except ValueError as error:
                    yield Rejected(str(location), number, str(error), excerpt(line))
