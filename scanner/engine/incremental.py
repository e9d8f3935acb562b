"""A rescan from the incremental-scan cache (``scanner.engine.scancache``): group states folded again only for
the groups with new snapshots, and the cache written back for the next scan (a delta, or a fresh base)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scanner.engine import scancache
from scanner.engine.assess import Assessment
from scanner.engine.packed import StateTable, keys_table, packed_values
from scanner.engine.scancache import ScanCache
from scanner.graph.groups import GroupState, fold, graph_keys
from scanner.schema import stored_snapshot
from scanner.store.models import Snapshot
from scanner.store.snapshots import database_id


def fold_incremental(engine: Engine, cache: ScanCache
                     ) -> tuple[StateTable, set[str], dict[str, GroupState]] | None:
    """Group states from the cache, with every group that has a snapshot newer than the cache folded again from
    all its snapshots (the same state a full fold gives). None when the cache cannot be trusted: snapshots it
    covered were deleted since (a purge), or the database is not the one it was made from. Returns the states,
    the refolded group ids, and the refolded groups' states before (for a scoped rescan)."""
    if cache.database_id != database_id(engine):
        return None
    with Session(engine) as session:
        covered = session.exec(select(func.count(col(Snapshot.id)))
                               .where(col(Snapshot.id) <= cache.last_snapshot_id)).one()
        last = session.exec(select(Snapshot.content_hash).where(Snapshot.id == cache.last_snapshot_id)).first()
        if int(covered or 0) != cache.snapshot_count or (last or "") != cache.last_snapshot_hash:
            return None
        touched = sorted(set(session.exec(select(Snapshot.group_id)
                                          .where(col(Snapshot.id) > cache.last_snapshot_id)).all()))
        payloads: list[Mapping] = []
        for start in range(0, len(touched), 500):
            payloads.extend(session.exec(select(Snapshot.payload)
                                         .where(col(Snapshot.group_id).in_(touched[start:start + 500]))
                                         .order_by(col(Snapshot.id))).all())
    table = StateTable(cache.states, cache.keys)
    before = {g: table[g] for g in touched if g in table}
    refolded = fold(stored_snapshot(p) for p in payloads)
    data: dict[str, GroupState | bytes] = dict(cache.states)
    keys = dict(cache.keys)
    data.update(refolded)
    keys.update((gid, graph_keys(state)) for gid, state in refolded.items())
    if len(data) != len(cache.states):
        data, keys = dict(sorted(data.items())), dict(sorted(keys.items()))
    return StateTable(data, keys), set(touched), before


def save_cache(engine: Engine, path: Path, key: str, extent: tuple[int, int, str], states: Mapping[str, GroupState],
               previous: ScanCache | None, refolded: set[str], assessment: Assessment, signals: Sequence[object],
               root: str, confirmed: dict[str, dict], banks: str, scan_id: int) -> str:
    """Write the cache for the next scan, after this one committed: a delta on top of ``previous`` (the cache
    this scan started from) holding the ``refolded`` groups and what was computed, or a fresh base. ``extent``
    was read before the states were folded, so a snapshot a concurrent writer (a bot) stored meanwhile is newer
    than the cache and refolded next time. ``confirmed``, ``banks`` and ``scan_id``: the decisions and hash
    lists this scan used, and its id (``scanner.engine.scope``). Returns "delta" or "base"."""
    results = scancache.cacheable_results(assessment.fresh, signals, root)  # type: ignore[arg-type]
    hashes = set(assessment.icons.values())
    if previous is not None:
        delta = scancache.CacheDelta(key, previous.generation, 0, extent[0], extent[1], extent[2],
                                     {g: states[g] for g in refolded if g in states}, results,
                                     hashes - previous.icon_hashes, assessment.icon_pairs - previous.icon_pairs,
                                     {g: assessment.icons.get(g) for g in refolded},
                                     {h: v for h, v in assessment.variants.items() if h not in previous.variants},
                                     confirmed, banks, scan_id)
        if not scancache.wants_base(previous, delta):
            scancache.save_delta(path, previous, delta)
            return "delta"
    cache = ScanCache(key, extent[0], extent[1], extent[2], database_id(engine), dict(packed_values(states)),
                      keys_table(states))
    if previous is not None:
        # Results of groups that left the data are dropped.
        cache.results = {g: entry for g, entry in previous.results.items() if g in states}
    cache.results.update(results)
    cache.icon_hashes = hashes
    cache.icon_pairs = set(assessment.icon_pairs)
    cache.icons = dict(assessment.icons)
    cache.variants = {h: v for h, v in ({**(previous.variants if previous else {}), **assessment.variants}).items()
                      if h in hashes}
    cache.confirmed, cache.banks, cache.scan_id = confirmed, banks, scan_id
    scancache.save(path, cache)
    return "base"
