"""The incremental-scan cache: what the last scan computed that a rescan need not compute again.

A scheduled scan of a big platform sees a few percent of its groups change between runs. Without a cache every
run re-reads and re-folds every stored snapshot and runs the text and icon models on every group (at a million
groups: minutes of model time for nothing new). The cache keeps, per database:

- ``states``: every group's folded state, and ``last_snapshot_id``, the newest snapshot folded in. A rescan folds
  again only the groups that have a snapshot newer than that (all of their snapshots, so the state is exactly the
  one a full fold gives);
- ``results``: per group, the results of the signals that are a pure function of the latest snapshot (those with
  a ``cache_key``: lexicon, text model, icon). A group with no new snapshot keeps them; a group with one is
  scored again; signals that depend on other state (moderators' decisions) run every time;
- ``icon_pairs``: the near-duplicate icon pairs among ``icon_hashes``, so a rescan searches only new icons.

It is a cache, never the record: the database stays the source of truth, and a missing, unreadable or stale cache
(another policy, other signal versions or lexicon, a purge that deleted snapshots) means a full scan, which
writes a fresh one. It is written after the scan committed, atomically (temporary file, then rename), so a crash
leaves the previous cache, which is still correct for the snapshots it covers.

The file is a pickle: only point ``--cache-dir`` at a folder as trusted as the database itself.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner.groups import GroupState
from scanner.signals.base import Signal, SignalResult

FORMAT = 1


def signal_key(signals: Sequence[Signal]) -> str:
    """What the cached results depend on besides the snapshot: each cacheable signal's own key."""
    return "|".join(f"{s.name}={key}" for s in signals if (key := cache_key(s)) is not None)


def cache_key(signal: Signal) -> str | None:
    """A signal's cache key, or None when its results must be computed at every scan."""
    method = getattr(signal, "cache_key", None)
    return method() if callable(method) else None


@dataclass
class ScanCache:
    key: str
    last_snapshot_id: int = 0
    snapshot_count: int = 0
    # Content hash of the snapshot ``last_snapshot_id``: a database dropped and made again under the same URL
    # has other snapshots under the same ids, and its cache must not be taken for this one.
    last_snapshot_hash: str = ""
    # When the database's first scan started: the same URL over a database made again is another database.
    database_id: str = ""
    states: dict[str, GroupState] = field(default_factory=dict)
    # group id -> (data root, results of the cacheable signals). Valid while the group has no newer snapshot.
    results: dict[str, tuple[str, list[SignalResult]]] = field(default_factory=dict)
    icon_hashes: set[str] = field(default_factory=set)
    icon_pairs: set[tuple[str, str]] = field(default_factory=set)
    format: int = FORMAT


def cache_path(folder: Path, database_url: str) -> Path:
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return Path(folder) / f"scan-cache-{digest}.pickle"


def default_folder(database_url: str) -> Path:
    """Beside a SQLite file (``groupscan.db`` -> ``groupscan.db.cache/``); else the user's cache folder."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        return Path(database_url.removeprefix("sqlite:///") + ".cache")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "groupscan"


def load(path: Path, key: str) -> ScanCache | None:
    """The cache at ``path`` if it exists, reads, and was made under ``key``; otherwise None (a full scan)."""
    try:
        with open(path, "rb") as handle:
            cache = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(cache, ScanCache) or cache.format != FORMAT or cache.key != key:
        return None
    return cache


def save(path: Path, cache: ScanCache) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(cache, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remember_results(cache: ScanCache, results: Iterable[SignalResult], signals: Sequence[Signal],
                     data_root: str) -> None:
    """Store the cacheable signals' results of the groups scored this time (replacing older entries)."""
    cacheable = {s.name for s in signals if cache_key(s) is not None}
    fresh: dict[str, list[SignalResult]] = {}
    for result in results:
        if result.signal in cacheable:
            fresh.setdefault(result.group_id, []).append(result)
    for gid, found in fresh.items():
        cache.results[gid] = (data_root, found)
