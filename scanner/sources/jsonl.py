"""JSON Lines source: one GroupSnapshot object per line, streamed (the file is never loaded whole).

Every line is read with a bound (``MAX_RECORD_BYTES``): a file without newlines, or a device, never fills memory.
Decoding refuses what Python's ``json`` would let through or crash on: duplicate keys (the last one silently won,
even a second ``group_id``), nesting deeper than the recursion limit, integers beyond the digit limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from scanner.schema import Located, Rejected, excerpt, parse_snapshot
from scanner.sources.base import SourceRecord

# A record's bytes at most: far above any real one (names 4 KB, descriptions 64 KB), low enough to hold in memory.
MAX_RECORD_BYTES = 4 * 1024 * 1024


class DuplicateKeyError(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(f"duplicate key {key!r}")
            seen.add(key)
    return found


# One decoder, built once: ``json.loads`` with a hook builds a new decoder per call (a third of decoding).
_DECODER = json.JSONDecoder(object_pairs_hook=_refuse_duplicates)


def decode_json(text: str) -> object:
    """``json.loads`` for untrusted text: raises ``ValueError`` with a reason for anything it refuses, never
    ``RecursionError`` (deep nesting) or a bare digit-limit error."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error.msg} (column {error.colno})") from None
    except DuplicateKeyError as error:
        raise ValueError(f"invalid JSON: {error}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except ValueError as error:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise ValueError(f"invalid JSON: {error}") from None


def bounded_lines(handle: BinaryIO, limit: int = MAX_RECORD_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each physical line; ``None`` for a line over ``limit`` bytes, whose rest is
    skipped in chunks without being kept."""
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:
                rest = handle.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, raw


class JsonLinesSource:
    name = "jsonl"

    def handles(self, location: Path) -> bool:
        return location.suffix.lower() in {".jsonl", ".ndjson"}

    def read(self, location: Path) -> Iterator[SourceRecord]:
        root = location.parent
        dirs: dict[str, str] = {}  # folders' real paths, for this read only (icon path checks)
        with location.open("rb") as handle:
            for number, raw in bounded_lines(handle):
                if raw is None:
                    yield Rejected(str(location), number, f"record is over {MAX_RECORD_BYTES} bytes", "")
                    continue
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark from some exporters
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    yield Rejected(str(location), number, f"not UTF-8: {error.reason} at byte {error.start}",
                                   excerpt(repr(raw)))
                    continue
                if not line.strip():
                    continue
                try:
                    yield Located(parse_snapshot(decode_json(line), root, dirs), str(location), number)
                except ValueError as error:
                    yield Rejected(str(location), number, str(error), excerpt(line))
                except RecursionError:
                    yield Rejected(str(location), number, "record nested too deeply", excerpt(line))
