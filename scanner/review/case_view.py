"""One case as a moderator sees it: the cluster's members with their reasons and timelines (renames, icon changes),
its growth, its graph, and the audited record that someone looked at it. Every function checks the user's
permission (``scanner.auth.users.require``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.policy import Policy
from scanner.review.cases import CaseNotFound, case_row, utc
from scanner.store import audit
from scanner.store.models import Cluster, Group, Snapshot
from scanner.store.queries import members_of
from scanner.store.review_models import ReviewCase, ReviewDecision
from scanner.store.tx import write
from scanner.text.normalize import normalize


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
            **case_row(case, now),
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
