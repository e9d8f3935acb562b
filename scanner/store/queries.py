"""Read-side service functions: what the CLI, the dashboard and the bots show. They return plain dicts in the
documented ``--json`` shapes (a contract scripts rely on: add fields, never rename them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scanner.store.models import Cluster, ClusterMember, Group, IconThumbnail, RejectedRecord, ScanRun, Snapshot

_SEVERITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, None: 9}


def cluster_dicts(
    engine: Engine, limit: int | None = None, min_size: int = 1, flagged_only: bool = False
) -> list[dict]:
    """Active clusters, most severe and riskiest first, each in the ``groupscan clusters --json`` shape."""
    with Session(engine) as session:
        query = select(Cluster).where(col(Cluster.active).is_(True), col(Cluster.size) >= min_size)
        if flagged_only:
            query = query.where(col(Cluster.flagged).is_(True))
        rows = list(session.exec(query).all())
        rows = sorted(rows, key=lambda c: (_SEVERITY_RANK.get(c.severity, 9), -c.risk, -c.size, c.cluster_id))
        if limit is not None:
            rows = rows[:limit]
        members = members_of(session, [c.cluster_id for c in rows])
        return [
            {
                "cluster_id": c.cluster_id,
                "size": c.size,
                "members": sorted(members.get(c.cluster_id, ())),
                "risk": c.risk,
                "category": c.category,
                "severity": c.severity,
                "deadline_hours": c.deadline_hours,
                "flagged": c.flagged,
                "categories": c.categories,
                "reasons": c.reasons,
                "structure": c.structure,
                # Members only connected to the case (one weak tie, no evidence of their own: scanner.graph.ties).
                "connected": list(c.structure.get("connected", [])),
            }
            for c in rows
        ]


def members_of(session: Session, cluster_ids: list[str]) -> dict[str, set[str]]:
    """Cluster id -> its member group ids, read in chunks (SQL parameter limits)."""
    members: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(cluster_ids), 500):
        chunk = cluster_ids[start:start + 500]
        for cid, gid in session.exec(select(ClusterMember.cluster_id, ClusterMember.group_id)
                                     .where(col(ClusterMember.cluster_id).in_(chunk))).all():
            members[cid].add(gid)
    return members


def group_dicts(engine: Engine, limit: int | None = None, flagged_only: bool = False) -> list[dict]:
    """Groups, riskiest first, each in the ``groupscan groups --json`` shape."""
    with Session(engine) as session:
        query = select(Group)
        if flagged_only:
            query = query.where(col(Group.flagged).is_(True))
        query = query.order_by(col(Group.risk).desc(), col(Group.group_id))
        if limit is not None:
            query = query.limit(limit)
        return group_dicts_from(session.exec(query).all())


def group_dicts_from(rows) -> list[dict]:
    """Group rows in the ``groupscan groups --json`` shape."""
    return [
            {
                "group_id": g.group_id,
                "platform": g.platform,
                "name": g.name,
                "risk": g.risk,
                "categories": g.categories,
                "category": g.category,
                "flagged": g.flagged,
                "severity": g.severity,
                "deadline_hours": g.deadline_hours,
                "cluster_id": g.cluster_id,
                "reasons": g.reasons,
                "modifiers": g.modifiers,
                "icon_sha256": g.icon_sha256,
                "pdq": g.pdq,
                "first_seen": g.first_seen.isoformat(),
                "last_seen": g.last_seen.isoformat(),
                "membership": g.membership,
            }
            for g in rows
        ]


def rejected_dicts(engine: Engine) -> list[dict]:
    with Session(engine) as session:
        rows = session.exec(select(RejectedRecord).order_by(col(RejectedRecord.source), col(RejectedRecord.line))).all()
        return [{"source": r.source, "line": r.line, "reason": r.reason, "excerpt": r.excerpt,
                 "scan_id": r.scan_id} for r in rows]


def run_dicts(engine: Engine, limit: int = 20) -> list[dict]:
    with Session(engine) as session:
        rows = session.exec(select(ScanRun).order_by(col(ScanRun.id).desc()).limit(limit)).all()
        return [r.model_dump(mode="json") for r in rows]


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            "groups": session.exec(select(func.count()).select_from(Group)).one(),
            "clusters": session.exec(
                select(func.count()).select_from(Cluster).where(col(Cluster.active).is_(True))
            ).one(),
        }


def _changes(previous: Mapping | None, current: Mapping) -> list[str]:
    if previous is None:
        return ["first seen"]
    changed = []
    for key, label in (("name", "renamed"), ("description", "description changed"), ("icon", "icon changed"),
                       ("admins", "admins changed"), ("own_invite_links", "invite link changed")):
        if previous.get(key) != current.get(key):
            changed.append(label)
    return changed


def group_detail(engine: Engine, group_id: str) -> dict | None:
    """One group: its current score with every reason, its cluster, and its timeline (one entry per stored
    observation, saying what changed). None if the group is unknown."""
    with Session(engine) as session:
        group = session.get(Group, group_id)
        if group is None:
            return None
        payloads = session.exec(select(Snapshot.payload).where(Snapshot.group_id == group_id)
                                .order_by(col(Snapshot.observed_at), col(Snapshot.id))).all()
        cluster = session.get(Cluster, group.cluster_id)
    detail = group_dicts_from([group])[0]
    detail["description"] = group.description
    detail["member_count"] = group.member_count
    detail["features"] = group.features
    detail["cluster"] = None if cluster is None else {
        "cluster_id": cluster.cluster_id, "size": cluster.size, "risk": cluster.risk, "category": cluster.category,
        "severity": cluster.severity, "flagged": cluster.flagged}
    timeline, previous = [], None
    for payload in payloads:
        timeline.append({"observed_at": payload["observed_at"], "name": payload.get("name", ""),
                         "member_count": payload.get("member_count"), "changes": _changes(previous, payload)})
        previous = payload
    detail["timeline"] = timeline
    ties = ties_of(group.reasons)
    if ties:
        with Session(engine) as session:
            names = dict(session.exec(select(Group.group_id, Group.name).where(
                col(Group.group_id).in_(sorted({t["group_id"] for t in ties})))).all())
        for tie in ties:
            tie["name"] = names.get(tie["group_id"])
    detail["ties"] = ties
    return detail


def ties_of(reasons: list) -> list[dict]:
    """The graph ties that moved a group's score (or connect it to its case), from its ``tie`` reasons: kind,
    direction seen from the group, the group at the other end, strength, and the category they moved.

    A respawn's predecessor (its ``successor_of`` reason) is always a tie: a group whose own text is already
    strong evidence inherits nothing, so no ``tie`` reason names the group it replaced, yet the moderator must
    see which banned group it continues."""
    out = []
    for reason in reasons:
        if reason.get("signal") == "graph" and reason.get("feature") == "successor_of":
            out.append({"kind": "successor_of", "direction": "respawn", "group_id": str(reason["value"]),
                        "strength": float(reason.get("weight") or 0), "category": reason.get("category")})
        if reason.get("signal") == "graph" and reason.get("feature") == "tie":
            # value: kind|direction|group_id|strength (scanner.scoring.risk.tie_reasons); a group id may hold "|".
            kind, direction, rest = (str(reason["value"]).split("|", 2) + ["", ""])[:3]
            other, _, strength = rest.rpartition("|")
            out.append({"kind": kind, "direction": direction, "group_id": other, "strength": float(strength or 0),
                        "category": reason.get("category")})
    unique = {(t["kind"], t["direction"], t["group_id"]): t for t in sorted(out, key=lambda t: t["strength"])}
    return sorted(unique.values(), key=lambda t: (-t["strength"], t["kind"], t["group_id"]))


def icon_thumbnail(engine: Engine, icon_sha256: str) -> bytes | None:
    """The moderator-safe (blurred, greyscale) PNG of an icon, or None if none was made."""
    with Session(engine) as session:
        row = session.get(IconThumbnail, icon_sha256)
        return bytes(row.png) if row else None
