"""Scan runs as stored: abandoned runs closed, the newest run before another, and what changed since the
previous scan (new, grown and more severe clusters, new hash-list hits) for the scheduled-scan summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select

from scanner.store.models import Cluster, ClusterMember, Group, HashHit, ScanRun

if TYPE_CHECKING:
    from scanner.engine.assess import Assessment


def _now() -> datetime:
    return datetime.now(UTC)


def last_scan(engine: Engine, before: int) -> int:
    """The id of the newest scan before ``before``, whatever its status, 0 if none: a scan that failed or was
    killed after it stored its scores also changed rows the cache knows nothing of."""
    with Session(engine) as session:
        found = session.exec(select(func.max(ScanRun.id)).where(col(ScanRun.id) < before)).one()
    return int(found or 0)


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
