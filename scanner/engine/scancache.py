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
- ``icon_pairs``: the near-duplicate icon pairs among ``icon_hashes``, so a rescan searches only new icons;
- what a *scoped* rescan (``scanner.engine.scope``) needs to leave the other groups' rows alone: every group's icon hash
  (``icons``, ``variants``), the confirmed decisions and the hash lists' fingerprint the scan used, and the id of
  the scan whose results the database holds (``scan_id``; a scan that writes nothing else updates it in a small
  marker file, ``NAME.scan``).

A rescan that changed a few groups appends a *delta* (``NAME.delta-0001``, ...: the refolded states, the new
results and icon pairs) instead of writing the whole cache again, which cost 44 s at a million groups; loading
applies the deltas of the base's generation in order. When the deltas touch more than a quarter of the groups
(plus 1,000, so that a small database is not rewritten at every scan), or there are ``MAX_DELTAS`` of them, the
next save writes a fresh base (a new generation), which orphans the old deltas (they are deleted, and ignored if
a crash left them).

It is a cache, never the record: the database stays the source of truth, and a missing, unreadable or stale cache
(another policy, other signal versions or lexicon, a purge that deleted snapshots) means a full scan, which
writes a fresh one. It is written after the scan committed, atomically (temporary file, then rename), so a crash
leaves the previous cache, which is still correct for the snapshots it covers.

A base file holds each group's state and results as a pickle of its own, unpickled only when read
(``scanner.engine.packed``): a scoped rescan reads those of the groups it scores, and the graph keys of all.

The file is a pickle: only point ``--cache-dir`` at a folder as trusted as the database itself.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner.engine.packed import pack, packed_values
from scanner.graph.groups import GraphKeys, GroupState, graph_keys
from scanner.signals.base import CacheKeyed, Signal, SignalResult

FORMAT = 4
# A fresh base is written when the deltas would exceed this many files, or touch a quarter of the groups.
MAX_DELTAS = 32


def signal_key(signals: Sequence[Signal]) -> str:
    """What the cached results depend on besides the snapshot: each cacheable signal's own key."""
    return "|".join(f"{s.name}={key}" for s in signals if (key := cache_key(s)) is not None)


def cache_key(signal: Signal) -> str | None:
    """A signal's cache key, or None when its results must be computed at every scan."""
    return signal.cache_key() if isinstance(signal, CacheKeyed) else None


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
    # Each group's state, as its own pickle in a base file (``scanner.engine.packed``; a delta's are objects), and its
    # graph keys, so that a rescan builds the graph without unpickling the states.
    states: dict[str, GroupState | bytes] = field(default_factory=dict)
    keys: dict[str, GraphKeys] = field(default_factory=dict)
    # group id -> (data root, results of the cacheable signals, pickled in a base file). Valid while the group
    # has no newer snapshot.
    results: dict[str, tuple[str, list[SignalResult] | bytes]] = field(default_factory=dict)
    icon_hashes: set[str] = field(default_factory=set)
    icon_pairs: set[tuple[str, str]] = field(default_factory=set)
    icons: dict[str, str] = field(default_factory=dict)
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    confirmed: dict[str, dict] = field(default_factory=dict)
    banks: str = ""
    scan_id: int = 0
    format: int = FORMAT
    # Which base this is (deltas name it), how many deltas were applied on load and how many groups they held.
    generation: str = ""
    deltas: int = 0
    journal: int = 0


@dataclass
class CacheDelta:
    """What one rescan changed, appended to a base of the same ``generation``: the groups it refolded, the
    results it computed, the icon hashes and pairs it found, and the snapshot extent it covers."""

    key: str
    generation: str
    sequence: int
    last_snapshot_id: int
    snapshot_count: int
    last_snapshot_hash: str
    states: dict[str, GroupState] = field(default_factory=dict)
    results: dict[str, tuple[str, list[SignalResult]]] = field(default_factory=dict)
    icon_hashes: set[str] = field(default_factory=set)
    icon_pairs: set[tuple[str, str]] = field(default_factory=set)
    # The refolded groups' icon hashes (None: no icon now), new variants, and the scan's decisions and lists.
    icons: dict[str, str | None] = field(default_factory=dict)
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    confirmed: dict[str, dict] = field(default_factory=dict)
    banks: str = ""
    scan_id: int = 0
    format: int = FORMAT

    @property
    def size(self) -> int:
        """How many groups this delta touches."""
        return len(self.states.keys() | self.results.keys())


def delta_path(path: Path, sequence: int) -> Path:
    return path.with_name(f"{path.name}.delta-{sequence:04d}")


def marker_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.scan")


def cache_path(folder: Path, database_url: str) -> Path:
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return Path(folder) / f"scan-cache-{digest}.pickle"


def default_folder(database_url: str) -> Path:
    """Beside a SQLite file (``groupscan.db`` -> ``groupscan.db.cache/``); else the user's cache folder."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        return Path(database_url.removeprefix("sqlite:///") + ".cache")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "groupscan"


def _read(path: Path) -> object:
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def load(path: Path, key: str) -> ScanCache | None:
    """The cache at ``path`` if it exists, reads, and was made under ``key``, with its deltas applied in order
    (up to the first one missing, unreadable or of another base); otherwise None (a full scan)."""
    cache = _read(path)
    if not isinstance(cache, ScanCache) or cache.format != FORMAT or cache.key != key:
        return None
    while True:
        delta = _read(delta_path(path, cache.deltas + 1))
        if not (isinstance(delta, CacheDelta) and delta.format == FORMAT and delta.key == key
                and delta.generation == cache.generation and delta.sequence == cache.deltas + 1):
            break
        cache.states.update(delta.states)
        cache.keys.update((gid, graph_keys(state)) for gid, state in delta.states.items())
        cache.results.update(delta.results)
        cache.icon_hashes |= delta.icon_hashes
        cache.icon_pairs |= delta.icon_pairs
        for gid, pdq in delta.icons.items():
            if pdq:
                cache.icons[gid] = pdq
            else:
                cache.icons.pop(gid, None)
        cache.variants.update(delta.variants)
        cache.confirmed, cache.banks, cache.scan_id = delta.confirmed, delta.banks, delta.scan_id
        cache.last_snapshot_id, cache.snapshot_count = delta.last_snapshot_id, delta.snapshot_count
        cache.last_snapshot_hash = delta.last_snapshot_hash
        cache.deltas += 1
        cache.journal += delta.size
    marker = _read(marker_path(path))
    if isinstance(marker, dict) and (marker.get("generation"), marker.get("deltas")) == (cache.generation,
                                                                                         cache.deltas):
        cache.scan_id = int(marker.get("scan_id") or 0)
    return cache


def mark(path: Path, cache: ScanCache, scan_id: int) -> None:
    """Record that the scan ``scan_id`` left the database matching ``cache`` as it is (base and deltas) without
    writing any of it: the next rescan may then be scoped."""
    _write(marker_path(path), {"generation": cache.generation, "deltas": cache.deltas, "scan_id": scan_id})


def wants_base(cache: ScanCache, delta: CacheDelta) -> bool:
    """Whether to write a fresh base rather than one more delta (too many deltas, or too much in them)."""
    return cache.deltas + 1 > MAX_DELTAS or cache.journal + delta.size > len(cache.states) // 4 + 1000


def save(path: Path, cache: ScanCache) -> None:
    """Write ``cache`` as a fresh base (a new generation) and delete the deltas of the one it replaces."""
    cache.generation, cache.deltas, cache.journal = uuid.uuid4().hex, 0, 0
    cache.states = packed_values(cache.states)  # type: ignore[assignment]
    cache.results = {gid: (root, found if isinstance(found, bytes) else pack(found))
                     for gid, (root, found) in cache.results.items()}
    _write(path, cache)
    marker_path(path).unlink(missing_ok=True)
    for old in path.parent.glob(f"{path.name}.delta-*"):
        old.unlink(missing_ok=True)


def save_delta(path: Path, cache: ScanCache, delta: CacheDelta) -> None:
    """Append ``delta`` to the base ``cache`` was loaded from."""
    delta.generation, delta.sequence = cache.generation, cache.deltas + 1
    _write(delta_path(path, delta.sequence), delta)


def _write(path: Path, cache: object) -> None:
    """Atomically: a temporary file, flushed to disk, then renamed over ``path``."""
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


def cacheable_results(results: Iterable[SignalResult], signals: Sequence[Signal],
                      data_root: str) -> dict[str, tuple[str, list[SignalResult]]]:
    """The cacheable signals' results of the groups scored this time, as cache entries."""
    cacheable = {s.name for s in signals if cache_key(s) is not None}
    fresh: dict[str, list[SignalResult]] = {}
    for result in results:
        if result.signal in cacheable:
            fresh.setdefault(result.group_id, []).append(result)
    return {gid: (data_root, found) for gid, found in fresh.items()}
