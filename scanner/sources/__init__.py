"""Source plugins (``groupscan.sources`` entry points; ``scanner.plugins.registry``) and the one function that
picks one for a path."""

from __future__ import annotations

from pathlib import Path

from scanner.plugins.registry import registered
from scanner.sources.base import Source, SourceError, SourceRecord

DEFAULT_FILES = ("groups.jsonl", "groups.ndjson", "groups.csv")


def registered_sources() -> tuple[Source, ...]:
    """One of every registered source, groupscan's own first."""
    return tuple(factory() for factory in registered("sources").values())


def resolve(location: Path) -> tuple[Source, Path]:
    """Pick the source and the file for ``location``: a file of a format a registered source reads, or a folder
    holding ``groups.jsonl`` (or ``groups.csv``)."""
    if location.is_dir():
        for name in DEFAULT_FILES:
            if (location / name).is_file():
                location = location / name
                break
        else:
            raise SourceError(f"{location} is a folder without {' or '.join(DEFAULT_FILES)}")
    if not location.exists():
        raise SourceError(f"{location} does not exist")
    if not location.is_file():  # a FIFO would block the read forever, a device never end
        raise SourceError(f"{location} is not a regular file")
    for source in registered_sources():
        if source.handles(location):
            return source, location
    raise SourceError(f"{location}: unknown format (expected .jsonl, .ndjson or .csv)")


__all__ = ["Source", "SourceError", "SourceRecord", "registered_sources", "resolve"]
