"""The source seam: anything that yields group snapshots (files today; Matrix and Telegram later).

A source never raises on a bad record: it yields a ``Rejected`` with the place and the reason and carries on, so
one bad line never costs the valid records around it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from scanner.schema import Located, Rejected

SourceRecord = Located | Rejected


@runtime_checkable
class Source(Protocol):
    """A plugin that reads snapshots from a location."""

    name: str

    def handles(self, location: Path) -> bool:
        """True if this source can read ``location`` (a file of its format)."""
        ...

    def read(self, location: Path) -> Iterator[SourceRecord]:
        """Yield every record in order, valid or rejected."""
        ...


class SourceError(Exception):
    """The location itself cannot be read (missing, unknown format): a configuration error, not a bad record."""
