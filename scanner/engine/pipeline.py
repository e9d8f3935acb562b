"""One scan: read a source -> store new snapshots -> assess every group -> persist scores, in transactions.

Crash safety: snapshots are committed in batches and are unique by content hash, so a scan killed mid-read
resumes by re-reading (known snapshots are skipped). Scores, clusters and memberships are replaced in a single
transaction at the end: a reader sees the previous scan's results or this one's, never half of each. Re-scanning
the same input changes no row except the new ``scan_run`` record.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import pickle
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, bindparam, func, insert, update
from sqlalchemy.exc import OperationalError, StatementError
from sqlmodel import Session, col, select

from scanner.engine import scancache
from scanner.engine.assess import Assessment, Progress, assess, default_signals
from scanner.engine.packed import Packed, StateTable, keys_table, packed_values
from scanner.engine.runner import LocalRunner, SignalRunner
from scanner.engine.scancache import ScanCache
from scanner.engine.scope import Scope, bank_fingerprint, changed_decisions
from scanner.graph.groups import GroupState, fold, graph_keys
from scanner.images import icon_backlog
from scanner.images.hashbank import HashBank
from scanner.images.icon import IconSignal
from scanner.images.icon_classifier import classifier_model_id
from scanner.images.icon_pool import Budget, ClassifyPlan, Digests, HashLimits, IconFeed
from scanner.policy import Policy
from scanner.reasons import Reason
from scanner.review.cases import sync_cases
from scanner.review.decisions import confirmed_groups
from scanner.schema import GroupSnapshot, Located, Rejected, stored_snapshot, utc_iso
from scanner.signals.base import ScanContext, SignalResult
from scanner.sources import resolve
from scanner.store import audit
from scanner.store.models import (
    Cluster,
    ClusterMember,
    Group,
    HashHit,
    IconClassification,
    IconThumbnail,
    RejectedRecord,
    ScanRun,
    Snapshot,
)
from scanner.store.tx import write
from scanner.text.lexicon import Lexicon

# Records per ingest transaction: each commit checkpoints the WAL, and at 1,000 the commits were a third of
# reading a million records (5,000: 12 s less per 200,000). Also how much a crash makes a scan read again.
BATCH = 5000


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


def _sha(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _digest(obj: object) -> str:
    """Digest of a score row, to leave unchanged rows alone. A pickle, not JSON: six times faster (4 against
    23 µs a row), which is most of what an incremental rescan spends on unchanged groups. Stable for the same
    Python; after an upgrade at worst every row is written once more. The pickler's memo is off ("fast" mode):
    with it, whether two equal strings are one object (as after a cache load) changed the bytes."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(obj)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def policy_fingerprint(policy: Policy) -> str:
    return _sha(policy.model_dump(mode="json"))


def _store_batch(session: Session, batch: list[Located], scan_id: int) -> tuple[int, int]:
    """Insert the batch's snapshots that are not stored yet. A Core ``executemany`` of plain rows: ORM objects
    cost 120 µs a record, most of what reading a big export took."""
    found: dict[str, tuple[Located, dict]] = {}
    for item in batch:
        wire, digest = item.snapshot.wire_and_hash()
        found.setdefault(digest, (item, wire))
    known = set(session.exec(select(Snapshot.content_hash).where(col(Snapshot.content_hash).in_(list(found)))).all())
    rows = [dict(content_hash=digest, group_id=item.snapshot.group_id, platform=item.snapshot.platform,
                 observed_at=item.snapshot.observed_at, payload=wire, source=item.source, line=item.line,
                 scan_id=scan_id)
            for digest, (item, wire) in found.items() if digest not in known]
    if rows:
        session.connection().execute(Snapshot.__table__.insert(), rows)  # type: ignore[attr-defined]
    return len(rows), len(batch) - len(rows)


def _utf8(text: str) -> str:
    """``text`` storable as UTF-8 text everywhere: a lone surrogate from a hostile record shown as ``\\udc80``,
    a NUL as ``\\x00`` (PostgreSQL refuses NUL in text)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _store_rejected(session: Session, rejected: Sequence[Rejected], scan_id: int) -> None:
    for item in rejected:
        item = Rejected(item.source, item.line, _utf8(item.reason), _utf8(item.excerpt))
        digest = hashlib.sha256(item.excerpt.encode("utf-8")).hexdigest()
        exists = session.exec(select(RejectedRecord.id).where(
            RejectedRecord.source == item.source, RejectedRecord.line == item.line,
            RejectedRecord.excerpt_sha256 == digest)).first()
        if exists is None:
            session.add(RejectedRecord(source=item.source, line=item.line, reason=item.reason[:2000],
                                       excerpt=item.excerpt[:400], excerpt_sha256=digest, scan_id=scan_id))


def _commit_batch(engine: Engine, batch: list[Located], bad: list[Rejected], summary: ScanSummary) -> tuple[int, int]:
    """One transaction: the batch's new snapshots, its rejected records, and the run's counts so far (a run
    killed later still shows what it committed)."""
    with Session(engine) as session, session.begin():
        new, known = _store_batch(session, batch, summary.scan_id) if batch else (0, 0)
        _store_rejected(session, bad, summary.scan_id)
        session.execute(update(ScanRun).where(col(ScanRun.id) == summary.scan_id).values(
            records_read=summary.records_read, snapshots_new=summary.snapshots_new + new,
            snapshots_known=summary.snapshots_known + known, rejected=len(summary.rejected) + len(bad)))
    return new, known


def ingest(engine: Engine, records: Iterable[Located | Rejected], summary: ScanSummary,
           progress: Progress | None = None) -> None:
    """Store valid snapshots (deduplicated) and quarantine rejected records, committing every ``BATCH``.
    A batch the database refuses is stored again one record at a time: the record it refuses is quarantined
    with the database's reason, and the rest of the batch is kept."""
    batch: list[Located] = []
    bad: list[Rejected] = []

    def flush() -> None:
        try:
            new, known = _commit_batch(engine, batch, bad, summary)
        except (StatementError, ValueError, OverflowError) as error:
            if isinstance(error, OperationalError):  # the database itself (locked, gone), not a record
                raise
            for item in batch:
                try:
                    one_new, one_known = _commit_batch(engine, [item], [], summary)
                except (StatementError, ValueError, OverflowError) as refused:
                    if isinstance(refused, OperationalError):
                        raise
                    reason = f"could not be stored: {type(refused).__name__}: {refused}".splitlines()[0]
                    bad.append(Rejected(item.source, item.line, reason, item.snapshot.group_id[:200]))
                    continue
                summary.snapshots_new += one_new
                summary.snapshots_known += one_known
            new = known = 0
            _commit_batch(engine, [], bad, summary)
        summary.snapshots_new += new
        summary.snapshots_known += known
        summary.rejected.extend(bad)
        batch.clear()
        bad.clear()

    for record in records:
        summary.records_read += 1
        if isinstance(record, Rejected):
            bad.append(record)
        else:
            batch.append(record)
        if len(batch) + len(bad) >= BATCH:
            flush()
            if progress:
                progress("read", summary.records_read, 0)
    flush()


def load_snapshots(engine: Engine) -> list[GroupSnapshot]:
    with Session(engine) as session:
        payloads = session.exec(select(Snapshot.payload).order_by(col(Snapshot.id))).all()
    return [stored_snapshot(p) for p in payloads]


def database_id(engine: Engine) -> str:
    """When this database's first scan started: tells a database from one made again under the same URL."""
    with Session(engine) as session:
        first = session.exec(select(ScanRun.started_at).order_by(col(ScanRun.id)).limit(1)).first()
    return utc_iso(first) if first else ""


def snapshot_extent(engine: Engine) -> tuple[int, int, str]:
    """(newest snapshot id, number of snapshots, the newest one's content hash)."""
    with Session(engine) as session:
        newest, count = session.exec(select(func.max(Snapshot.id), func.count(col(Snapshot.id)))).one()
        digest = session.exec(select(Snapshot.content_hash).where(Snapshot.id == newest)).first() if newest else ""
    return int(newest or 0), int(count or 0), digest or ""


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


def stored_counts(engine: Engine) -> tuple[int, int, int]:
    """Active clusters, flagged active clusters and flagged groups, as stored (a scoped rescan holds only
    part of them in memory)."""
    with Session(engine) as session:
        clusters, flagged = session.exec(select(func.count(col(Cluster.cluster_id)),
                                                func.count(col(Cluster.cluster_id)).filter(col(Cluster.flagged)))
                                         .where(col(Cluster.active).is_(True))).one()
        groups = session.exec(select(func.count(col(Group.group_id))).where(col(Group.flagged).is_(True))).one()
    return int(clusters or 0), int(flagged or 0), int(groups or 0)


def last_scan(engine: Engine, before: int) -> int:
    """The id of the newest scan before ``before``, whatever its status, 0 if none: a scan that failed or was
    killed after it stored its scores also changed rows the cache knows nothing of."""
    with Session(engine) as session:
        found = session.exec(select(func.max(ScanRun.id)).where(col(ScanRun.id) < before)).one()
    return int(found or 0)


class ActiveClusterIds(Container[str]):
    """Whether an id belongs to an active cluster, asked of the database one id at a time: a scoped rescan
    checks the few fresh ids it makes, where reading all ids took 2.5 s at a million clusters."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __contains__(self, cluster_id: object) -> bool:
        with Session(self.engine) as session:
            return bool(session.exec(select(Cluster.active).where(Cluster.cluster_id == cluster_id)).first())


def previous_clusters(engine: Engine, groups: Iterable[str] | None = None) -> dict[str, frozenset[str]]:
    """Active clusters and their members; ``groups``: only the clusters holding any of these groups."""
    with Session(engine) as session:
        query = (select(ClusterMember.cluster_id, ClusterMember.group_id)
                 .join(Cluster, col(Cluster.cluster_id) == col(ClusterMember.cluster_id))
                 .where(col(Cluster.active).is_(True)))
        if groups is None:
            rows = list(session.exec(query).all())
        else:
            # By primary key and index only: joined to the cluster table, SQLite walked every active cluster
            # for each slice (11 s for 31,000 groups among a million).
            ids: set[str] = set()
            for chunk in _chunks(sorted(groups)):
                ids.update(session.exec(select(ClusterMember.cluster_id).where(
                    col(ClusterMember.group_id).in_(chunk))).all())
            active: list[str] = []
            for chunk in _chunks(sorted(ids)):
                # ``active`` is tested here, not in SQL: with it in the WHERE clause SQLite picks the index on
                # ``active`` (most clusters are active) over the primary key.
                active.extend(cid for cid, is_active in session.exec(select(Cluster.cluster_id, Cluster.active)
                                                                       .where(col(Cluster.cluster_id).in_(chunk)))
                              if is_active)
            rows = []
            for chunk in _chunks(sorted(active)):
                rows.extend(session.exec(select(ClusterMember.cluster_id, ClusterMember.group_id).where(
                    col(ClusterMember.cluster_id).in_(chunk))).all())
    out: dict[str, set[str]] = {}
    for cid, gid in rows:
        out.setdefault(cid, set()).add(gid)
    return {cid: frozenset(members) for cid, members in out.items()}


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    """Slices for ``IN (...)`` lists: SQLite allows a limited number of bound parameters per statement."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _reasons(reasons: Iterable[Reason]) -> list[dict]:
    return [r.to_dict() for r in reasons]


def persist(engine: Engine, assessment: Assessment, states: Mapping[str, GroupState], scan_id: int) -> int:
    """Write scores, clusters and memberships in one transaction; rows whose content is unchanged are left
    alone. Uses bulk statements on plain dicts: building 10,000 ORM objects cost more than the scan itself.
    Returns the number of groups whose score changed."""
    scope = assessment.scope
    with Session(engine) as session, session.begin():
        known_groups: dict[str, str] = {}
        if scope is None:
            known_groups.update(session.exec(select(Group.group_id, Group.score_sha256)).all())
        else:
            # A scoped rescan (scanner.engine.scope) reads and writes the rows of the groups it scored, no others.
            for chunk in _chunks(sorted(scope.groups)):
                known_groups.update(session.exec(select(Group.group_id, Group.score_sha256)
                                                 .where(col(Group.group_id).in_(chunk))).all())
        changed = 0
        inserts: list[dict] = []
        updates: list[dict] = []

        def flush() -> None:
            # In chunks: a million row dicts with their reasons held at once cost gigabytes.
            if inserts:
                # Core executemany, not the ORM's bulk insert: a third of the cost per row on a first scan.
                session.connection().execute(Group.__table__.insert(), inserts)  # type: ignore[attr-defined]
            if updates:
                session.execute(update(Group), updates)
            inserts.clear()
            updates.clear()

        for score in assessment.groups:
            state = states[score.group_id]
            snap = state.latest
            feats = assessment.features.get(score.group_id, {})
            family = assessment.families.get(score.group_id)
            # The digest covers everything the row holds, taken from the objects as they are: building the
            # row's dicts first (reasons, categories) cost more than the digest, for rows that are mostly unchanged.
            digest = _digest((
                snap.platform, snap.name, snap.description, snap.member_count, state.first_seen, snap.observed_at,
                state.snapshots, family, score.cluster_id, round(score.risk, 6), score.category, score.flagged,
                score.severity, score.deadline_hours, [(c, round(v, 6)) for c, v in sorted(score.categories.items())],
                [(r.signal, r.feature, r.value, r.category, round(r.weight, 4), r.sentence) for r in score.reasons],
                sorted(score.modifiers), feats, score.membership,
            ))
            if known_groups.get(score.group_id) == digest:
                continue
            row = dict(
                platform=snap.platform, name=snap.name, description=snap.description,
                member_count=snap.member_count, first_seen=state.first_seen, last_seen=snap.observed_at,
                snapshots=state.snapshots, icon_sha256=feats.get("icon_sha256"), pdq=feats.get("pdq"),
                icon_family=family, cluster_id=score.cluster_id,
                risk=round(score.risk, 6), category=score.category, flagged=score.flagged,
                severity=score.severity, deadline_hours=score.deadline_hours,
                categories={c: round(v, 6) for c, v in sorted(score.categories.items())},
                reasons=_reasons(score.reasons), modifiers=sorted(score.modifiers), membership=score.membership,
                # Signals that run a model report "<signal>_version" as a feature (see TextModelSignal).
                model_versions={k.removesuffix("_version"): str(v) for k, v in sorted(feats.items())
                                if k.endswith("_version")},
            )
            row["features"] = json.loads(json.dumps(feats, default=str))  # JSON-safe, for the rows written only
            row.update(group_id=score.group_id, score_sha256=digest, updated_scan_id=scan_id)
            (updates if score.group_id in known_groups else inserts).append(row)
            changed += 1
            if len(inserts) + len(updates) >= 5000:
                flush()
        flush()
        del known_groups

        cluster_rows = select(Cluster.cluster_id, Cluster.score_sha256, Cluster.active)
        member_rows = select(ClusterMember.cluster_id, ClusterMember.group_id)
        if scope is None:
            known_clusters = {cid: (digest, active) for cid, digest, active in session.exec(cluster_rows).all()}
            memberships = set(session.exec(member_rows).all())
        else:
            known_clusters, memberships = {}, set()
            for chunk in _chunks(sorted({c.cluster_id for c in assessment.clusters} | set(scope.before))):
                known_clusters.update((cid, (digest, active)) for cid, digest, active in session.exec(
                    cluster_rows.where(col(Cluster.cluster_id).in_(chunk))).all())
            for chunk in _chunks(sorted(scope.groups)):
                memberships.update(session.exec(member_rows.where(col(ClusterMember.group_id).in_(chunk))).all())
        wanted: set[tuple[str, str]] = set()
        cluster_inserts, cluster_updates = [], []
        for cluster in assessment.clusters:
            wanted.update((cluster.cluster_id, g) for g in cluster.members)
            digest = _digest((
                round(cluster.risk, 6), cluster.category, cluster.flagged, cluster.severity, cluster.deadline_hours,
                [(c, round(v, 6)) for c, v in sorted(cluster.categories.items())],
                [(r.signal, r.feature, r.value, r.category, round(r.weight, 4), r.sentence) for r in cluster.reasons],
                sorted(cluster.structure.items()), sorted(cluster.members),
            ))
            known = known_clusters.get(cluster.cluster_id)
            if known is not None and known == (digest, True):
                continue  # unchanged and still active (a cluster that comes back is made active again below)
            row = dict(
                size=len(cluster.members), risk=round(cluster.risk, 6), category=cluster.category,
                flagged=cluster.flagged, severity=cluster.severity, deadline_hours=cluster.deadline_hours,
                categories={c: round(v, 6) for c, v in sorted(cluster.categories.items())},
                reasons=_reasons(cluster.reasons), structure=dict(cluster.structure), active=True,
            )
            row.update(cluster_id=cluster.cluster_id, score_sha256=digest, updated_scan_id=scan_id)
            if known is None:
                cluster_inserts.append({**row, "first_scan_id": scan_id})
            else:
                cluster_updates.append(row)
        if cluster_inserts:
            session.connection().execute(Cluster.__table__.insert(), cluster_inserts)  # type: ignore[attr-defined]
        if cluster_updates:
            session.execute(update(Cluster), cluster_updates)
        live = {c.cluster_id for c in assessment.clusters}
        gone = sorted(cid for cid, (_, active) in known_clusters.items() if active and cid not in live
                      and (scope is None or cid in scope.before))
        for start in range(0, len(gone), 500):
            session.execute(update(Cluster).where(col(Cluster.cluster_id).in_(gone[start:start + 500]))
                            .values(active=False, updated_scan_id=scan_id))
        stale = sorted(memberships - wanted)
        if stale:
            # One executemany: a statement per row cost 8 s for a scoped rescan's 7,000 moves at 1M groups.
            table = ClusterMember.__table__  # type: ignore[attr-defined]
            session.connection().execute(
                table.delete().where(table.c.cluster_id == bindparam("c"), table.c.group_id == bindparam("g")),
                [{"c": c, "g": g} for c, g in stale])
        fresh = sorted(wanted - memberships)
        if fresh:
            session.connection().execute(ClusterMember.__table__.insert(),  # type: ignore[attr-defined]
                                         [{"cluster_id": c, "group_id": g} for c, g in fresh])
    return changed


ATTENTION_TIERS = ("P0", "P1")


def close_abandoned_runs(engine: Engine) -> list[int]:
    """Mark runs still "running" as abandoned. Call it only while holding the scan lock: then no other scan can
    be running, so such a run was killed (its stored snapshots stay; the next scan completes the work)."""
    with Session(engine) as session, session.begin():
        runs = session.exec(select(ScanRun).where(ScanRun.status == "running")).all()
        for run in runs:
            run.status = "abandoned"
            run.error = "the process stopped before the scan finished; a later scan resumed from the stored data"
            session.add(run)
        return [int(r.id or 0) for r in runs]


def flagged_state(engine: Engine) -> dict[str, tuple[int, str | None]]:
    """Flagged active clusters before a scan stores its results: id -> (size, severity)."""
    with Session(engine) as session:
        rows = session.exec(select(Cluster.cluster_id, Cluster.size, Cluster.severity)
                            .where(col(Cluster.flagged).is_(True), col(Cluster.active).is_(True))).all()
    return {cid: (size, severity) for cid, size, severity in rows}


def changes_since(engine: Engine, before: dict[str, tuple[int, str | None]], opened: Sequence[str],
                  reopened: Sequence[str], new_hits: Sequence[Sequence[str]]) -> dict:
    """New clusters (cases opened or reopened), grown clusters, clusters whose severity rose, and new hash-list
    hits, each with what a person needs to act; ``attention`` when any of it is at P1 or above."""
    rank = {t: i for i, t in enumerate(("P0", "P1", "P2", "P3"))}
    after = flagged_state(engine)
    wanted = sorted(set(after) | set(opened) | set(reopened))
    with Session(engine) as session:
        rows = {c.cluster_id: c for c in session.exec(select(Cluster).where(col(Cluster.cluster_id).in_(wanted)))}
        names: dict[str, list[str]] = {}
        for cid, name in session.exec(select(ClusterMember.cluster_id, Group.name)
                                      .join(Group, col(Group.group_id) == col(ClusterMember.group_id))
                                      .where(col(ClusterMember.cluster_id).in_(wanted))
                                      .order_by(col(Group.risk).desc())).all():
            names.setdefault(cid, []).append(name)

    def describe(cid: str) -> dict:
        c = rows[cid]
        return {"cluster_id": cid, "severity": c.severity, "category": c.category, "size": c.size,
                "risk": c.risk, "top_reason": c.reasons[0]["sentence"] if c.reasons else "",
                "names": names.get(cid, [])[:5]}

    new = [{**describe(cid), "reopened": cid in reopened} for cid in [*opened, *reopened] if cid in rows]
    grown = [{**describe(cid), "size_before": before[cid][0]} for cid, (size, _) in sorted(after.items())
             if cid in before and size > before[cid][0]]
    rose = [{**describe(cid), "severity_before": before[cid][1]} for cid, (_, severity) in sorted(after.items())
            if cid in before and rank.get(severity or "", 9) < rank.get(before[cid][1] or "", 9)]
    attention = [c["cluster_id"] for c in [*new, *rose] if c["severity"] in ATTENTION_TIERS]
    return {"new_clusters": new, "grown_clusters": grown, "severity_rose": rose,
            "new_hash_hits": [{"group_id": g, "bank": b} for g, b in new_hits],
            "attention": sorted(set(attention))}


def record_hash_hits(engine: Engine, assessment: Assessment, scan_id: int) -> list[list[str]]:
    """Remember the first scan in which each group matched each hash list; returns the new pairs."""
    found = sorted({(g.group_id, r.feature) for g in assessment.groups for r in g.reasons if r.signal == "hash_bank"})
    if not found:
        return []
    now = _now()
    with Session(engine) as session, session.begin():
        known = set(session.exec(select(HashHit.group_id, HashHit.bank)).all())
        new = [pair for pair in found if pair not in known]
        if new:
            session.execute(insert(HashHit), [{"group_id": g, "bank": b, "first_scan_id": scan_id,
                                               "first_seen_at": now} for g, b in new])
    return [list(pair) for pair in new]


def _icon_signals(signals: Sequence[object]) -> list[IconSignal]:
    return [s for s in signals if isinstance(s, IconSignal) and s.classifier is not None]


def classify_plan(engine: Engine, policy: Policy) -> ClassifyPlan | None:
    """What icon workers started before the signals exist classify: the policy's classifier, minus the icons
    it has classified in earlier scans, within the scan's budget."""
    icon = policy.signals.icon
    model_id = classifier_model_id(icon.classifier)
    if model_id is None:
        return None
    with Session(engine) as session:
        known = session.exec(select(IconClassification.icon_sha256).where(
            col(IconClassification.model_id) == model_id)).all()
    return ClassifyPlan(icon.classifier, Digests(known), Budget(icon.classify_budget))


def backlog_to_rescore(engine: Engine, signals: Sequence[object]) -> tuple[set[str], set[str]]:
    """Icons ``groupscan icons classify`` has classified since they were left unclassified, and their groups:
    this scan scores those groups again (``scanner.images.icon_backlog``)."""
    shas: set[str] = set()
    groups: set[str] = set()
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        found, showing = icon_backlog.to_rescore(engine, signal.classifier.model_id)
        shas |= found
        groups |= showing
    return shas, groups


def store_backlog(engine: Engine, signals: Sequence[object], scan_id: int, rescored: set[str]) -> int:
    """After the scan stored its scores: the icons it could not classify join the backlog, those it classified
    leave it, and the classified ones whose groups it scored again are done. Returns the backlog's new icons."""
    added = 0
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        model_id = signal.classifier.model_id
        icon_backlog.rescored(engine, model_id, rescored)
        icon_backlog.settle(engine, model_id, set(signal.new_classifications))
        added += icon_backlog.record(engine, model_id, signal.unclassified, scan_id)
    return added


def attach_classifications(engine: Engine, signals: Sequence[object], runner: SignalRunner | None) -> None:
    """Let icon signals read stored classifications as they need them (a rescan reads those of the icons it
    hashes, not a million rows); a runner whose signals live elsewhere (Ray) gets them all, as before."""
    if runner is not None and not isinstance(runner, LocalRunner):
        preload_classifications(engine, signals)
        return
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        model_id = signal.classifier.model_id

        def stored(model_id: str = model_id) -> Digests:
            with Session(engine) as session:
                return Digests(session.exec(select(IconClassification.icon_sha256).where(
                    col(IconClassification.model_id) == model_id)).all())

        def fetch(shas: Sequence[str], model_id: str = model_id) -> dict[str, dict[str, float]]:
            found: dict[str, dict[str, float]] = {}
            with Session(engine) as session:
                for start in range(0, len(shas), 500):
                    found.update((sha, dict(scores)) for sha, scores in session.exec(
                        select(IconClassification.icon_sha256, IconClassification.scores).where(
                            col(IconClassification.model_id) == model_id,
                            col(IconClassification.icon_sha256).in_(shas[start:start + 500]))).all())
            return found

        signal.attach(stored, fetch)


def preload_classifications(engine: Engine, signals: Sequence[object]) -> None:
    """Give icon signals the scores earlier scans stored for their classifier model, so no icon is classified
    twice."""
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        with Session(engine) as session:
            rows = session.exec(select(IconClassification).where(
                col(IconClassification.model_id) == signal.classifier.model_id)).all()
        signal.preload({row.icon_sha256: dict(row.scores) for row in rows})


def store_classifications(engine: Engine, signals: Sequence[object], scan_id: int) -> None:
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        if not signal.new_classifications:
            continue
        with Session(engine) as session, session.begin():
            known = set(session.exec(select(IconClassification.icon_sha256).where(
                col(IconClassification.model_id) == signal.classifier.model_id)).all())
            rows = [dict(icon_sha256=sha, model_id=signal.classifier.model_id, scores=scores,
                         created_scan_id=scan_id)
                    for sha, scores in sorted(signal.new_classifications.items()) if sha not in known]
            if rows:
                session.execute(insert(IconClassification), rows)
        signal.new_classifications.clear()


def store_thumbnails(engine: Engine, signals: Sequence[object], policy: Policy, scan_id: int) -> int:
    """Store the moderator-safe thumbnails of icons seen for the first time (one transaction). Returns how many."""
    made: dict[str, bytes] = {}
    for signal in signals:
        made.update(getattr(signal, "thumbnails", {}))
    made = {sha: png for sha, png in made.items() if png}
    if not made:
        return 0
    with Session(engine) as session, session.begin():
        known = set(session.exec(select(IconThumbnail.icon_sha256)).all())
        rows = [dict(icon_sha256=sha, png=png, size=policy.signals.icon.thumbnail_size,
                     blur=policy.signals.icon.thumbnail_blur, created_scan_id=scan_id)
                for sha, png in sorted(made.items()) if sha not in known]
        if rows:
            session.execute(insert(IconThumbnail), rows)
    return len(rows)


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
                if isinstance(signal, IconSignal):
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

        attach_classifications(engine, signals, runner)
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
