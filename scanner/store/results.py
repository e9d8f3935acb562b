"""Scores as stored: a scan's groups, clusters and memberships written in one transaction (a reader sees the
previous scan's results or this one's, never half of each; re-scanning the same input changes no row), and the
reads a rescan needs from them (previous clusters, counts).

The rows are written from an ``Assessment`` (``scanner.engine.assess``), named here for type checking only: the
store never imports the engine at run time.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Engine, bindparam, func, update
from sqlmodel import Session, col, select

from scanner.reasons import Reason
from scanner.store.models import Cluster, ClusterMember, Group

if TYPE_CHECKING:
    from scanner.engine.assess import Assessment
    from scanner.graph.groups import GroupState


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


def stored_counts(engine: Engine) -> tuple[int, int, int]:
    """Active clusters, flagged active clusters and flagged groups, as stored (a scoped rescan holds only
    part of them in memory)."""
    with Session(engine) as session:
        clusters, flagged = session.exec(select(func.count(col(Cluster.cluster_id)),
                                                func.count(col(Cluster.cluster_id)).filter(col(Cluster.flagged)))
                                         .where(col(Cluster.active).is_(True))).one()
        groups = session.exec(select(func.count(col(Group.group_id))).where(col(Group.flagged).is_(True))).one()
    return int(clusters or 0), int(flagged or 0), int(groups or 0)


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
