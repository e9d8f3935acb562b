"""A source plugin: ``.groups.tsv`` files, one ``group_id<TAB>name`` per line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from scanner.schema import GroupSnapshot, Located, Rejected
from scanner.sources.base import SourceRecord


class TsvSource:
    name = "tsv"

    def handles(self, location: Path) -> bool:
        return location.name.endswith(".groups.tsv")

    def read(self, location: Path) -> Iterator[SourceRecord]:
        with open(location, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                group_id, _, name = line.rstrip("\n").partition("\t")
                try:
                    snapshot = GroupSnapshot.model_validate({
                        "schema": 1, "platform": "telegram", "group_id": group_id, "name": name,
                        "observed_at": "2026-01-01T00:00:00Z"})
                except ValidationError as error:
                    yield Rejected(str(location), number, str(error).splitlines()[0], line[:200])
                    continue
                yield Located(snapshot, str(location), number)
