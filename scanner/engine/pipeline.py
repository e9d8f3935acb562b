"""One scan: read a source -> store new snapshots -> assess every group -> persist scores, in transactions.

Crash safety: snapshots are committed in batches and are unique by content hash, so a scan killed mid-read
resumes by re-reading (known snapshots are skipped; ``scanner.store.snapshots``). Scores, clusters and
memberships are replaced in a single transaction at the end (``scanner.store.results``): a reader sees the
previous scan's results or this one's, never half of each. Re-scanning the same input changes no row except the
new ``scan_run`` record. This module orchestrates; the database code it calls lives in ``scanner.store``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from scanner.engine import scancache
from scanner.engine.assess import Progress, assess, default_signals
from scanner.engine.incremental import fold_incremental, save_cache
from scanner.engine.packed import Packed
from scanner.engine.runner import LocalRunner, SignalRunner, TakesIconFeed
from scanner.engine.scope import Scope, bank_fingerprint, changed_decisions
from scanner.graph.groups import GroupState, fold
from scanner.images.hashbank import HashBank
from scanner.images.icon_pool import HashLimits, IconFeed
from scanner.images.stored import (
    attach_classifications,
    backlog_to_rescore,
    classify_plan,
    store_backlog,
    store_classifications,
    store_thumbnails,
)
from scanner.policy import Policy, policy_fingerprint
from scanner.review.cases import sync_cases
from scanner.review.decisions import confirmed_groups
from scanner.schema import Located, Rejected
from scanner.signals.base import ScanContext, SignalResult
from scanner.sources import resolve
from scanner.store import audit
from scanner.store.models import ScanRun
from scanner.store.results import ActiveClusterIds, persist, previous_clusters, stored_counts
from scanner.store.runs import changes_since, flagged_state, last_scan, record_hash_hits
from scanner.store.snapshots import ingest, load_snapshots, snapshot_extent
from scanner.store.tx import write
from scanner.text.lexicon import Lexicon


@dataclass
class ScanSummary:
    scan_id: int
    source: str
    records_read: int = 0
    snapshots_new: int = 0
    snapshots_known: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    groups: int = 0
    clusters: int = 0
    flagged_groups: int = 0
    flagged_clusters: int = 0
    groups_changed: int = 0
    # Groups whose signal results came from the incremental-scan cache (not scored again); 0 on a full scan.
    groups_reused: int = 0
    # Groups scored in this scan: all of them, or on a scoped rescan only the networks a change reached.
    groups_scored: int = 0
    # How this scan left the cache for the next: "base" (the whole cache), "delta" (what changed), "" (untouched).
    cache_written: str = ""
    # New icons this scan hashed but left to `groupscan icons classify` (its classification budget ran out).
    icons_unclassified: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    # Signal name -> version (for models: the model version) used by this scan.
    models: dict[str, str] = field(default_factory=dict)
    # Review cases the scan opened for newly flagged clusters, and decided cases it reopened (evidence changed).
    cases_opened: int = 0
    cases_reopened: int = 0
    # (group_id, bank) pairs that matched a hash list for the first time in this scan.
    new_hash_hits: list[list[str]] = field(default_factory=list)
    # What changed since the previous scan (``changes_since``): the scheduled-scan summary.
    changes: dict = field(default_factory=dict)

    @property
    def needs_attention(self) -> bool:
        """New, reopened or more severe cases at P1 or above: exit code 10 for schedulers."""
        return bool(self.changes.get("attention"))


def _now() -> datetime:
    return datetime.now(UTC)


def run_scan(
    engine: Engine,
    location: Path,
    policy: Policy,
    banks: Sequence[HashBank] = (),
    lexicon: Lexicon | None = None,
    progress: Progress | None = None,
    on_started: Callable[[int], None] | None = None,
    runner: SignalRunner | None = None,
    cache_dir: Path | None = None,
) -> ScanSummary:
    """Scan ``location`` into the database behind ``engine``. Raises ``SourceError`` for an unreadable
    location (recorded as a failed run). With ``cache_dir``, a rescan reuses what the last scan computed
    (``scanner.engine.scancache``)."""
    source, path = resolve(location)
    return scan_records(engine, source.read(path), str(path), path.parent, policy, banks, lexicon, progress,
                        on_started, runner, cache_dir)


def scan_records(
    engine: Engine,
    records: Iterable[Located | Rejected],
    source_name: str,
    data_root: Path,
    policy: Policy,
    banks: Sequence[HashBank] = (),
    lexicon: Lexicon | None = None,
    progress: Progress | None = None,
    on_started: Callable[[int], None] | None = None,
    runner: SignalRunner | None = None,
    cache_dir: Path | None = None,
) -> ScanSummary:
    """Scan already-read records: what ``run_scan`` does after opening its file, and what the bots call with the
    snapshots they built from live events, so a group scores the same whichever way it arrived. Icon paths are
    relative to ``data_root``; ``source_name`` should be a path inside it (reveals and bundles find icons from
    the snapshot's source folder)."""
    with Session(engine) as session, session.begin():
        run = ScanRun(started_at=_now(), source=source_name, policy_sha256=policy_fingerprint(policy))
        session.add(run)
        session.flush()
        scan_id = int(run.id or 0)
    if on_started:
        on_started(scan_id)
    summary = ScanSummary(scan_id=scan_id, source=source_name)
    cache_file = scancache.cache_path(cache_dir, engine.url.render_as_string()) if cache_dir else None
    # A scan with nothing cached hashes every icon: start while the records are read (scanner.images.icon_pool).
    feed: IconFeed | None = None
    if (isinstance(runner, LocalRunner) and runner.workers > 1 and policy.signals.icon.enabled
            and (cache_file is None or not cache_file.exists())):
        feed = IconFeed(Path(data_root), HashLimits.of(policy.signals.icon), runner.workers, runner.min_pool_icons,
                        classify_plan(engine, policy))
        records = feed.tap(records)
    # No cyclic garbage collection during the scan: it allocates millions of long-lived objects (states, results,
    # scores), and the collector walked all of them again and again (at 100,000 groups it took half of the graph
    # stage and most of the cache's load and save). Reference counting still frees what a stage drops; the
    # collector runs again when the scan ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        ingest(engine, records, summary, progress)
        summary.timings["read"] = time.perf_counter() - started

        confirmed = confirmed_groups(engine)
        signals = default_signals(policy, lexicon, confirmed)
        started = time.perf_counter()
        if feed is not None and feed.prefetch is not None:
            for signal in signals:
                if isinstance(signal, TakesIconFeed):
                    signal.adopt(feed.prefetch)
        key = f"{policy_fingerprint(policy)}|{scancache.signal_key(signals)}"
        backlog_icons, backlog_groups = backlog_to_rescore(engine, signals)
        cache = scancache.load(cache_file, key) if cache_file else None
        extent = snapshot_extent(engine)
        folded = fold_incremental(engine, cache) if cache else None
        root = str(Path(data_root).resolve())
        refolded: set[str] = set()
        fingerprint = bank_fingerprint(banks)
        scope: Scope | None = None
        states: Mapping[str, GroupState]
        cached: Mapping[str, Sequence[SignalResult]]
        if cache is not None and folded is not None:
            states, refolded, old_states = folded
            # Groups whose icons the backlog job classified since: their icon results are computed again.
            refolded |= {g for g in backlog_groups if g in states.data and g not in refolded}
            # Unpickled only when read (scanner.engine.packed): a scoped rescan reads the groups it scores.
            known = states.data  # the plain dict: a Mapping's __contains__ per group cost 2 s at 1M
            cached = Packed({g: entry[1] for g, entry in cache.results.items()
                             if g in known and g not in refolded and entry[0] == root})
            summary.groups_reused = len(cached)
            # Scoped only while the database holds exactly what the cache's scan wrote (scanner.engine.scope).
            if (cache.scan_id and cache.scan_id == last_scan(engine, scan_id) and cache.banks == fingerprint
                    and len(cached) + len(refolded) == len(states)):
                scope = Scope(refolded, old_states, changed_decisions(cache.confirmed, confirmed), cache.icons,
                              cache.variants, cache.icon_pairs, lambda groups: previous_clusters(engine, groups),
                              ActiveClusterIds(engine))
        else:
            states, cached, cache = fold(load_snapshots(engine)), {}, None
        summary.timings["fold"] = time.perf_counter() - started

        attach_classifications(engine, signals, preload_all=runner is not None and not isinstance(runner, LocalRunner))
        summary.models = {s.name: s.version for s in signals}
        assessment = assess(states, policy, ScanContext(data_root), banks,
                            previous_clusters(engine) if scope is None else None, signals, progress,
                            runner=runner, cached=cached,
                            known_icons=(cache.icon_hashes, cache.icon_pairs) if cache else None, scope=scope)
        summary.timings.update(assessment.timings)
        summary.groups_scored = len(assessment.groups)

        started = time.perf_counter()
        before = flagged_state(engine)
        summary.groups_changed = persist(engine, assessment, states, scan_id)
        store_thumbnails(engine, signals, policy, scan_id)
        summary.new_hash_hits = record_hash_hits(engine, assessment, scan_id)
        store_classifications(engine, signals, scan_id)
        summary.icons_unclassified = store_backlog(engine, signals, scan_id, backlog_icons)
        summary.timings["persist"] = time.perf_counter() - started
        started = time.perf_counter()
        synced = sync_cases(engine, policy, scan_id=scan_id)
        summary.cases_opened, summary.cases_reopened = len(synced.opened), len(synced.reopened)
        summary.timings["cases"] = time.perf_counter() - started
        summary.groups = len(states)
        if scope is None:
            summary.clusters = len(assessment.clusters)
            summary.flagged_groups = sum(g.flagged for g in assessment.groups)
            summary.flagged_clusters = sum(c.flagged for c in assessment.clusters)
        else:
            summary.clusters, summary.flagged_clusters, summary.flagged_groups = stored_counts(engine)
        summary.changes = changes_since(engine, before, synced.opened, synced.reopened, summary.new_hash_hits)
        _finish(engine, summary, "done", None)
        # Nothing new since the cache (no snapshot, every group's results reused, the same decisions and hash
        # lists): it is still exact, and writing it again cost 5 s at 100,000 groups for nothing. New decisions
        # or lists are written (a small delta), or every later rescan would score them again.
        unchanged = (cache is not None and summary.groups_reused == len(states)
                     and extent[:2] == (cache.last_snapshot_id, cache.snapshot_count)
                     and cache.banks == fingerprint and cache.confirmed == confirmed)
        if cache_file is not None and not unchanged:
            started = time.perf_counter()
            kind = save_cache(engine, cache_file, key, extent, states, cache, refolded, assessment, signals, root,
                              confirmed, fingerprint, scan_id)
            summary.timings["cache_write"] = time.perf_counter() - started
            summary.cache_written = kind
        elif cache_file is not None and cache is not None:
            # Nothing to write, but the database now matches the cache as of this scan.
            scancache.mark(cache_file, cache, scan_id)
    except BaseException as error:
        _finish(engine, summary, "failed", f"{type(error).__name__}: {error}")
        raise
    finally:
        if feed is not None:
            feed.close()  # the runner has closed it after the signals; here too if the scan failed before them
        if collecting:
            gc.enable()
    return summary


def _finish(engine: Engine, summary: ScanSummary, status: str, error: str | None) -> None:
    # Retried like every audited write: a dashboard or bot may append to the audit chain at the same moment.
    write(engine, lambda session: _record_finish(session, summary, status, error))


def _record_finish(session: Session, summary: ScanSummary, status: str, error: str | None) -> None:
    run = session.get(ScanRun, summary.scan_id)
    if run is None:
        return
    run.finished_at = _now()
    run.status = status
    run.error = error[:4000] if error else error  # the column's size (PostgreSQL refuses longer)
    for key in ("records_read", "snapshots_new", "snapshots_known", "groups", "clusters", "flagged_groups",
                "flagged_clusters", "groups_changed"):
        setattr(run, key, getattr(summary, key))
    run.rejected = len(summary.rejected)
    run.timings = {k: round(v, 4) for k, v in summary.timings.items()}
    run.models = dict(summary.models)
    run.changes = dict(summary.changes)
    audit.append(session, "system", "scan", f"scan:{summary.scan_id}",
                 {"status": status, "source": summary.source, "records_read": summary.records_read,
                  "snapshots_new": summary.snapshots_new, "rejected": len(summary.rejected),
                  "flagged_clusters": summary.flagged_clusters, "cases_opened": summary.cases_opened,
                  "cases_reopened": summary.cases_reopened, "error": error})
