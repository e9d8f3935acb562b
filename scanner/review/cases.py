"""Cases: flagged clusters as moderators review them.

``sync_cases`` runs at the end of every scan: it opens a case for each newly flagged cluster, keeps the queue's
sort columns (severity, deadline, risk) in step with the cluster, and reopens a decided case when its evidence
changed. ``queue`` and ``case_detail`` are what the dashboard shows; both check the user's permission.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.policy import TIER_ORDER, Policy
from scanner.store import audit
from scanner.store.models import Cluster, Group, ReviewCase, ReviewDecision, Snapshot
from scanner.store.queries import members_of
from scanner.store.tx import write
from scanner.text.normalize import normalize

OPEN_STATUSES = ("open", "needs_info", "escalation_pending")
DECIDED_STATUSES = ("benign", "violating", "escalated")
STATUSES = OPEN_STATUSES + DECIDED_STATUSES
SYSTEM = "system"


class CaseNotFound(LookupError):
    pass


def severity_rank(severity: str | None) -> int:
    return TIER_ORDER.index(severity) if severity in TIER_ORDER else 9


def utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _platforms(structure: dict) -> str:
    names = structure.get("platforms") or []
    return "," + ",".join(sorted(str(p) for p in names)) + "," if names else ""


def reopen_reason(case_status: str, evidence: dict, members: set[str], severity: str | None, risk: float,
                  margin: float) -> str | None:
    """Why a decided case must be looked at again, or None. Pure, so the rule is testable on its own.

    A benign decision holds until new groups join the cluster, its severity rises, or its risk rises by at least
    ``margin``. A violating or escalated case reopens only for new groups: its risk rises by design, because the
    decision itself becomes evidence at the next scan.
    """
    if not evidence:
        return None
    new = sorted(members - set(evidence.get("members", [])))
    if new:
        shown = ", ".join(new[:3]) + (f" and {len(new) - 3} more" if len(new) > 3 else "")
        return f"{len(new)} new group(s) joined: {shown}"
    if case_status != "benign":
        return None
    if severity_rank(severity) < int(evidence.get("severity_rank", 9)):
        return f"severity rose from {evidence.get('severity') or 'none'} to {severity}"
    if risk >= float(evidence.get("risk", 0.0)) + margin:
        return f"risk rose from {float(evidence.get('risk', 0.0)):.2f} to {risk:.2f}"
    return None


@dataclass
class SyncResult:
    opened: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    updated: int = 0


def sync_cases(engine: Engine, policy: Policy, now: datetime | None = None, scan_id: int | None = None) -> SyncResult:
    """Bring cases in line with the clusters the last scan stored (one transaction, audited when it opens or
    reopens anything). Idempotent: a second call with nothing new changes no row."""
    now = now or datetime.now(UTC)
    result = SyncResult()

    def action(session: Session) -> SyncResult:
        # Only clusters whose stored score or activity changed since the last sync need work (cluster_key), so
        # a rescan with little new costs little however many cases exist.
        known = dict(session.exec(select(ReviewCase.case_id, ReviewCase.cluster_key)).all())
        changed = []
        # Only flagged clusters and clusters with a case can need work: read those, not every cluster (most of
        # a million clusters are neither; reading them all took 3 s a scan).
        columns = select(Cluster.cluster_id, Cluster.score_sha256, Cluster.active, Cluster.flagged)
        rows = {row[0]: row for row in session.exec(columns.where(col(Cluster.flagged).is_(True))).all()}
        cased = sorted(set(known) - set(rows))
        for start in range(0, len(cased), 500):
            rows.update((row[0], row) for row in session.exec(
                columns.where(col(Cluster.cluster_id).in_(cased[start:start + 500]))).all())
        for cid, digest, active, flagged in sorted(rows.values()):
            key = f"{digest}:{int(active)}"
            if (cid in known and known[cid] != key) or (cid not in known and flagged and active):
                changed.append((cid, key))
        inserts: list[dict] = []
        for start in range(0, len(changed), 500):
            chunk = dict(changed[start:start + 500])
            _sync_chunk(session, policy, chunk, now, scan_id, inserts, result)
        for start in range(0, len(inserts), 1000):
            session.execute(insert(ReviewCase), inserts[start:start + 1000])
        if inserts:
            audit.append(session, SYSTEM, "cases_opened", "",
                         {"count": len(inserts), "case_ids": sorted(result.opened)[:50], "scan_id": scan_id},
                         at=now)
        return result

    return write(engine, action)

def _sync_chunk(session: Session, policy: Policy, keys: dict[str, str], now: datetime, scan_id: int | None,
                inserts: list[dict], result: SyncResult) -> None:
    ids = list(keys)
    rows: list[Any] = list(session.execute(sa_select(
        col(Cluster.cluster_id), col(Cluster.size), col(Cluster.risk), col(Cluster.category),
        col(Cluster.severity), col(Cluster.deadline_hours), col(Cluster.flagged), col(Cluster.active),
        col(Cluster.structure)).where(col(Cluster.cluster_id).in_(ids))).all())
    cases = {c.case_id: c for c in session.exec(select(ReviewCase).where(col(ReviewCase.case_id).in_(ids))).all()}
    members = members_of(session, [cid for cid, case in cases.items() if case.status in DECIDED_STATUSES])
    updates: list[dict] = []
    for cid, size, risk, category, severity, deadline_hours, flagged, active, structure in rows:
        case = cases.get(cid)
        if case is None:
            inserts.append(dict(
                case_id=cid, status="open", active=True, severity=severity,
                severity_rank=severity_rank(severity), category=category, platforms=_platforms(structure),
                risk=risk, size=size, opened_at=now, deadline_at=now + timedelta(hours=deadline_hours or 72),
                evidence={}, reopened=0, cluster_key=keys[cid], updated_at=now))
            result.opened.append(cid)
            continue
        values: dict[str, Any] = dict(severity=severity, severity_rank=severity_rank(severity), category=category,
                                      platforms=_platforms(structure), risk=risk, size=size, cluster_key=keys[cid])
        status = case.status
        if status in DECIDED_STATUSES and flagged and active:
            why = reopen_reason(status, case.evidence, members.get(cid, set()), severity, risk,
                                policy.review.reopen_risk_margin)
            if why:
                values.update(status="open", opened_at=now, first_action_at=None, decided_at=None,
                              assignee=None, claim_expires_at=None, reopened=case.reopened + 1)
                status = "open"
                audit.append(session, SYSTEM, "case_reopened", cid,
                             {"why": why, "previous_status": case.status, "scan_id": scan_id}, at=now)
                result.reopened.append(cid)
        opened_at = utc(values.get("opened_at", case.opened_at))
        assert opened_at is not None
        values["deadline_at"] = opened_at + timedelta(hours=deadline_hours or 72)
        values["active"] = bool(active and (flagged or status in ("needs_info", "escalation_pending")
                                            or status in DECIDED_STATUSES))
        updates.append({**values, "case_id": cid, "updated_at": now})
    if updates:
        session.execute(update(ReviewCase), updates)  # bulk UPDATE by primary key
        result.updated += len(updates)


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    platform: str | None = None
    status: str | None = None  # None: every open status
    assignee: str | None = None  # a user name, or "-" for unclaimed


@dataclass
class QueuePage:
    rows: list[dict]
    total: int
    breached: int
    page: int
    pages: int


def _claim_live(case: ReviewCase, now: datetime) -> bool:
    expires = utc(case.claim_expires_at)
    return bool(case.assignee and expires and expires > now)


def queue(engine: Engine, user: User, filters: QueueFilter = QueueFilter(), page: int = 1, page_size: int = 25,
          now: datetime | None = None) -> QueuePage:
    """One page of cases, most severe first, then the nearest deadline, then the riskiest. Without a status
    filter, a user who cannot approve escalations does not see the cases waiting for a lead's approval: nobody
    but a lead can act on them, and at the top of a moderator's queue they hid the cases she can work on (a
    status filter still shows them)."""
    require(user, "view_queue")
    now = now or datetime.now(UTC)
    statuses = (filters.status,) if filters.status else \
        OPEN_STATUSES if user.can("approve_escalation") else tuple(s for s in OPEN_STATUSES
                                                                   if s != "escalation_pending")
    conditions: list[ColumnElement[bool]] = [col(ReviewCase.active).is_(True), col(ReviewCase.status).in_(statuses)]
    if filters.category:
        conditions.append(col(ReviewCase.category) == filters.category)
    if filters.platform:
        conditions.append(col(ReviewCase.platforms).contains(f",{filters.platform},"))
    if filters.assignee == "-":
        conditions.append(or_(col(ReviewCase.assignee).is_(None), col(ReviewCase.claim_expires_at) <= now))
    elif filters.assignee:
        conditions.append(col(ReviewCase.assignee) == filters.assignee)
        conditions.append(col(ReviewCase.claim_expires_at) > now)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(ReviewCase).where(*conditions)).one()
        breached = session.exec(select(func.count()).select_from(ReviewCase)
                                .where(*conditions, col(ReviewCase.deadline_at) < now)).one()
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        rows = session.exec(select(ReviewCase).where(*conditions)
                            .order_by(col(ReviewCase.severity_rank), col(ReviewCase.deadline_at),
                                      col(ReviewCase.risk).desc(), col(ReviewCase.case_id))
                            .offset((page - 1) * page_size).limit(page_size)).all()
        ids = [r.case_id for r in rows]
        first_reason = {cid: (reasons[0] if reasons else {})
                        for cid, reasons in session.exec(select(Cluster.cluster_id, Cluster.reasons)
                                                         .where(col(Cluster.cluster_id).in_(ids))).all()}
    out = []
    for r in rows:
        item = first_reason.get(r.case_id) or {}
        out.append({**_case_row(r, now, str(item.get("sentence", ""))), "top_reason_item": item})
    return QueuePage(out, total, breached, page, pages)


def next_case(engine: Engine, user: User, after: str | None = None, now: datetime | None = None) -> str | None:
    """The case "save and next" opens: the first in queue order that the user can act on now (open or needing
    information, not held by someone else), other than ``after``. Escalations waiting for a lead are skipped:
    a moderator cannot act on them."""
    require(user, "view_queue")
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        rows = session.exec(select(ReviewCase.case_id).where(
            col(ReviewCase.active).is_(True), col(ReviewCase.status).in_(("open", "needs_info")),
            col(ReviewCase.case_id) != (after or ""),
            or_(col(ReviewCase.assignee).is_(None), col(ReviewCase.assignee) == user.name,
                col(ReviewCase.claim_expires_at) <= now))
            .order_by(col(ReviewCase.severity_rank), col(ReviewCase.deadline_at), col(ReviewCase.risk).desc(),
                      col(ReviewCase.case_id)).limit(1)).first()
    return rows


def _case_row(case: ReviewCase, now: datetime, top_reason: str = "") -> dict:
    deadline = utc(case.deadline_at)
    live = _claim_live(case, now)
    return {
        "case_id": case.case_id, "status": case.status, "severity": case.severity, "category": case.category,
        "risk": case.risk, "size": case.size, "platforms": [p for p in case.platforms.split(",") if p],
        "opened_at": utc(case.opened_at).isoformat(),  # type: ignore[union-attr]
        "deadline_at": deadline.isoformat() if deadline else None,
        "overdue": bool(deadline and deadline < now and case.status in OPEN_STATUSES),
        "hours_left": round((deadline - now).total_seconds() / 3600, 2) if deadline else None,
        "assignee": case.assignee if live else None,
        "claim_expires_at": utc(case.claim_expires_at).isoformat() if live else None,  # type: ignore[union-attr]
        "reopened": case.reopened, "top_reason": top_reason,
        # Changes whenever the scan changed the cluster's score or activity: a cache key for the case view.
        "revision": case.cluster_key,
    }


def _growth(first_seen: list[datetime], now: datetime) -> dict:
    seen = sorted(s.replace(tzinfo=UTC) if s.tzinfo is None else s for s in first_seen)
    return {
        "first_seen": seen[0].isoformat() if seen else None,
        "new_last_7_days": len([s for s in seen if s >= now - timedelta(days=7)]),
        "new_last_30_days": len([s for s in seen if s >= now - timedelta(days=30)]),
    }


def _clip(text: object, width: int = 120) -> str:
    text = str(text or "")
    return text if len(text) <= width else text[:width - 1] + "…"


def _icon_change(before: object, after: object) -> str:
    """Which icon replaced which: by file name, or the first characters of a SHA-256 the record carried."""
    def short(icon: object) -> str:
        if not isinstance(icon, dict):
            return "none"
        if icon.get("sha256"):
            return f"{str(icon['sha256'])[:10]}…"
        return str(icon.get("path") or "none").rsplit("/", 1)[-1]
    return f"{short(before)} → {short(after)}"


def member_timeline(payloads: Sequence[Mapping], names: dict[str, str]) -> list[dict]:
    """Renames, icon changes and new links across a cluster's groups, oldest first (pure)."""
    previous: dict[str, Mapping] = {}
    events: list[dict] = []
    for payload in sorted(payloads, key=lambda p: (p["observed_at"], p["group_id"])):
        gid = payload["group_id"]
        before = previous.get(gid)
        if before is None:
            events.append({"at": payload["observed_at"], "group_id": gid, "event": "first seen",
                           "detail": payload.get("name", "")})
        else:
            if before.get("name") != payload.get("name"):
                events.append({"at": payload["observed_at"], "group_id": gid, "event": "renamed",
                               "detail": f"{before.get('name', '')!r} → {payload.get('name', '')!r}"})
            if before.get("icon") != payload.get("icon"):
                events.append({"at": payload["observed_at"], "group_id": gid, "event": "icon changed",
                               "detail": _icon_change(before.get("icon"), payload.get("icon"))})
            if before.get("description") != payload.get("description"):
                events.append({"at": payload["observed_at"], "group_id": gid, "event": "description changed",
                               "detail": f"{_clip(before.get('description'))!r} → "
                                         f"{_clip(payload.get('description'))!r}"})
            if before.get("own_invite_links") != payload.get("own_invite_links"):
                old, new = set(before.get("own_invite_links") or []), set(payload.get("own_invite_links") or [])
                events.append({"at": payload["observed_at"], "group_id": gid, "event": "invite link changed",
                               "detail": "; ".join([f"+ {u}" for u in sorted(new - old)[:3]]
                                                   + [f"− {u}" for u in sorted(old - new)[:3]])})
        previous[gid] = payload
    for event in events:
        event["name"] = names.get(event["group_id"], "")
    return events


def _link_key(link: object) -> str | None:
    """The join key of an invite link as a record carries it (a URL, or a posted link's ``{"url": ...}``)."""
    from scanner.graph.links import canonicalize

    url = link.get("url") if isinstance(link, dict) else link
    found = canonicalize(url) if isinstance(url, str) else None
    return found.canonical if found else None


def whole_cluster_groups(session: Session, members: list[str]) -> list[str]:
    """The groups a decision on the whole cluster covers: its members proper, not the groups only *connected*
    to it (``Group.membership == "connected"``: no evidence of their own, tied by edges they may not have made,
    such as their invite link posted by the ring). A violating decision makes its groups confirmed seeds of the
    next scan, so covering a ring's link-spam victims would turn them into evidence against their neighbours.
    A moderator may still choose connected groups one by one. A cluster of connected groups only (it cannot
    be flagged as such, but may hold an old case) is covered whole."""
    if not members:
        return []
    connected: set[str] = set()
    for start in range(0, len(members), 500):
        chunk = members[start:start + 500]
        connected.update(session.exec(select(Group.group_id).where(col(Group.group_id).in_(chunk))
                                      .where(Group.membership == "connected")).all())
    proper = [g for g in members if g not in connected]
    return proper or list(members)


def case_detail(engine: Engine, user: User, case_id: str, now: datetime | None = None) -> dict:
    """Everything the case view shows except the graph: summary, reasons, members, decisions, timeline."""
    require(user, "view_case")
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        case = session.get(ReviewCase, case_id)
        cluster = session.get(Cluster, case_id)
        if case is None or cluster is None:
            raise CaseNotFound(f"no case {case_id!r}")
        member_ids = sorted(members_of(session, [case_id]).get(case_id, set()))
        groups = session.exec(select(Group).where(col(Group.group_id).in_(member_ids))
                              .order_by(col(Group.risk).desc(), col(Group.group_id))).all()
        payloads = list(session.exec(select(Snapshot.payload).where(col(Snapshot.group_id).in_(member_ids))).all())
        decisions = session.exec(select(ReviewDecision).where(ReviewDecision.case_id == case_id)
                                 .order_by(col(ReviewDecision.id))).all()
        latest: dict[str, Mapping] = {}
        for payload in sorted(payloads, key=lambda p: p["observed_at"]):
            latest[payload["group_id"]] = payload
        owner = {key: gid for gid, p in latest.items() for link in p.get("own_invite_links") or []
                 if (key := _link_key(link))}
        members = [{
            "group_id": g.group_id, "name": g.name, "description": g.description, "platform": g.platform,
            "admins": list(latest.get(g.group_id, {}).get("admins") or []),
            "own_invite_links": list(latest.get(g.group_id, {}).get("own_invite_links") or []),
            "posted_invite_links": list(latest.get(g.group_id, {}).get("posted_invite_links") or []),
            # How many other groups of this case it advertises (posts their invite links).
            "posts_links_of": len({owner[key] for link in latest.get(g.group_id, {}).get("posted_invite_links")
                                   or [] if (key := _link_key(link)) in owner and owner[key] != g.group_id}),
            # What the scanner read: fancy letters, emoji-as-words and homoglyphs undone (a font may lack them).
            "reads_as": normalize(g.name).text if g.name else "",
            "risk": g.risk, "category": g.category, "flagged": g.flagged, "member_count": g.member_count,
            "membership": g.membership,
            "icon_sha256": g.icon_sha256, "first_seen": utc(g.first_seen).isoformat(),  # type: ignore[union-attr]
            "reasons": g.reasons,
        } for g in groups]
        detail = {
            **_case_row(case, now),
            "categories": cluster.categories, "reasons": cluster.reasons, "structure": cluster.structure,
            "members": members,
            # How many groups a decision on the whole cluster covers (members proper; connected groups only
            # when chosen), the number the confirmation names.
            "decision_size": len(whole_cluster_groups(session, member_ids)),
            "growth": _growth([g.first_seen for g in groups], now),
            "category_counts": dict(Counter(g.category for g in groups if g.flagged and g.category)),
            "decisions": [{
                "id": d.id, "action": d.action, "category": d.category, "scope": d.scope,
                "group_ids": d.group_ids, "note": d.note, "author": d.author,
                "created_at": utc(d.created_at).isoformat(),  # type: ignore[union-attr]
                "state": d.state, "reviewer": d.reviewer, "review_note": d.review_note,
                "reviewed_at": utc(d.reviewed_at).isoformat() if d.reviewed_at else None,  # type: ignore[union-attr]
            } for d in decisions],
            "timeline": member_timeline(payloads, {g.group_id: g.name for g in groups}),
        }
    return detail


def case_graph(engine: Engine, user: User, case_id: str, policy: Policy, max_nodes: int = 400) -> dict:
    """The cluster's typed graph as nodes and edges for drawing: groups (with risk), admins, icons, invite
    links. Laid out here (seeded, so the picture is the same on every visit)."""
    import networkx as nx

    from scanner.graph.export import cluster_graph

    require(user, "view_case")
    graph = cluster_graph(engine, case_id, policy)
    truncated = graph.number_of_nodes() > max_nodes
    if truncated:
        groups = sorted((n for n, d in graph.nodes(data=True) if d.get("kind") == "group"),
                        key=lambda n: -float(graph.nodes[n].get("risk", 0.0)))[:max_nodes // 2]
        keep = set(groups)
        for node in groups:
            keep.update(list(graph.successors(node))[:3])
            keep.update(list(graph.predecessors(node))[:3])
        graph = graph.subgraph(list(keep)[:max_nodes]).copy()
    simple = nx.Graph(graph)
    layout = nx.spring_layout(simple, seed=7, k=None, iterations=60) if simple.number_of_nodes() else {}
    nodes = []
    for node, data in graph.nodes(data=True):
        x, y = layout.get(node, (0.0, 0.0))
        nodes.append({"id": node, "kind": data.get("kind", "invite_link"), "label": data.get("name") or node,
                      "risk": float(data.get("risk", 0.0) or 0.0), "category": data.get("category", ""),
                      "x": float(x), "y": float(y)})
    edges = [{"source": u, "target": v, "kind": data.get("kind", "")} for u, v, data in graph.edges(data=True)]
    return {"nodes": nodes, "edges": edges, "truncated": truncated}


def record_view(engine: Engine, user: User, case_id: str, now: datetime | None = None) -> None:
    """Audit that a user opened a case (the dashboard calls this once per case per sitting, not per click)."""
    require(user, "view_case")
    write(engine, lambda session: audit.append(session, user.name, "case_viewed", case_id, {}, at=now))
