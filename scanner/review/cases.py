"""Cases: flagged clusters as moderators review them.

``sync_cases`` runs at the end of every scan: it opens a case for each newly flagged cluster, keeps the queue's
sort columns (severity, deadline, risk) in step with the cluster, and reopens a decided case when its evidence
changed. ``queue`` is what the dashboard lists, ``scanner.review.case_view`` what it shows of one case; both check
the user's permission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.policy import TIER_ORDER, Policy
from scanner.store import audit
from scanner.store.models import Cluster
from scanner.store.queries import members_of
from scanner.store.review_models import ReviewCase
from scanner.store.tx import write

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
        out.append({**case_row(r, now, str(item.get("sentence", ""))), "top_reason_item": item})
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


def case_row(case: ReviewCase, now: datetime, top_reason: str = "") -> dict:
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
