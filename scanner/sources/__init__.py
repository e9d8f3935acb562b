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


#: Location URI schemes ``groupscan scan`` takes in place of a path: ``file:PATH`` and ``matrix-admin:URL``.
SCHEMES = ("file", "matrix-admin")


def parse_location(text: str) -> tuple[str, str]:
    """``(scheme, rest)`` of a source location: ``file:groups.jsonl`` -> ``("file", "groups.jsonl")``,
    ``matrix-admin:https://hs.example`` -> ``("matrix-admin", "https://hs.example")``; text with no scheme of
    ours is a file path (``C:\\data`` and ``./a:b.jsonl`` stay paths). Raises ``SourceError`` for a scheme with
    nothing after it."""
    scheme, sep, rest = text.partition(":")
    if not sep or scheme not in SCHEMES:
        return "file", text
    if scheme == "file" and rest.startswith("//"):
        rest = rest[2:]  # file:///abs/path -> /abs/path
    if not rest:
        raise SourceError(f"{text!r}: nothing after {scheme}:")
    return scheme, rest


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


__all__ = ["SCHEMES", "Source", "SourceError", "SourceRecord", "parse_location", "registered_sources", "resolve"]
