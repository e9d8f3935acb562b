"""Retention: ``groupscan purge --older-than DAYS`` deletes what has aged out, and nothing a case still needs.

What goes, when older than the cutoff:
- stored observations (snapshots) of groups, except each group's latest one (``escalation.retention_keep_latest``)
  and every observation of a group that an open case, a pending or approved escalation, or an escalation
  decision covers (evidence must survive until the case is closed and exported);
- quarantined input records (they hold excerpts of raw input);
- webhook deliveries already delivered;
- icon thumbnails no stored group uses any more (unless a protected group used them).
What never goes: the audit log (append-only), decisions, labels, cases. Every purge appends what it deleted.
Deleting is idempotent: a second run with the same cutoff deletes nothing more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.policy import Policy
from scanner.review.cases import OPEN_STATUSES
from scanner.store import audit
from scanner.store.models import Group, IconThumbnail, RejectedRecord, ScanRun, Snapshot
from scanner.store.queries import members_of
from scanner.store.review_models import ReviewCase, ReviewDecision, WebhookDelivery
from scanner.store.tx import write


@dataclass
class Purged:
    cutoff: str
    snapshots: int = 0
    rejected_records: int = 0
    webhook_deliveries: int = 0
    icon_thumbnails: int = 0
    protected_groups: int = 0


def protected_groups(session: Session) -> set[str]:
    """Groups whose evidence an open case or an escalation still needs."""
    live = [c for c in session.exec(select(ReviewCase.case_id).where(
        col(ReviewCase.status).in_((*OPEN_STATUSES, "escalated")))).all()]
    protected: set[str] = set()
    for members in members_of(session, live).values():
        protected |= members
    for group_ids in session.exec(select(ReviewDecision.group_ids).where(
            col(ReviewDecision.action) == "escalate", col(ReviewDecision.state).in_(("pending", "approved")))).all():
        protected.update(group_ids)
    return protected


def purge(engine: Engine, user: User, older_than_days: int, policy: Policy, now: datetime | None = None) -> Purged:
    require(user, "purge")
    if older_than_days < 1:
        raise ValueError("--older-than must be at least 1 day")
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=older_than_days)

    def act(session: Session) -> Purged:
        result = Purged(cutoff=cutoff.isoformat())
        keep = protected_groups(session)
        result.protected_groups = len(keep)
        latest = dict(session.exec(select(Snapshot.group_id, func.max(Snapshot.observed_at))
                                   .group_by(col(Snapshot.group_id))).all())
        old = session.exec(select(Snapshot.id, Snapshot.group_id, Snapshot.observed_at)
                           .where(col(Snapshot.observed_at) < cutoff)).all()
        doomed = [sid for sid, gid, observed in old
                  if gid not in keep and not (policy.escalation.retention_keep_latest and observed == latest.get(gid))]
        for start in range(0, len(doomed), 500):
            session.execute(delete(Snapshot).where(col(Snapshot.id).in_(doomed[start:start + 500])))
        result.snapshots = len(doomed)
        old_scans = session.exec(select(ScanRun.id).where(col(ScanRun.started_at) < cutoff)).all()
        if old_scans:
            gone = session.execute(delete(RejectedRecord).where(col(RejectedRecord.scan_id).in_(old_scans)))
            result.rejected_records = int(gone.rowcount)  # type: ignore[attr-defined]
        gone = session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.status) == "delivered",
                                                             col(WebhookDelivery.created_at) < cutoff))
        result.webhook_deliveries = int(gone.rowcount)  # type: ignore[attr-defined]
        used = set(session.exec(select(Group.icon_sha256).where(col(Group.icon_sha256).is_not(None))).all())
        orphans = [sha for sha, created in session.exec(
            select(IconThumbnail.icon_sha256, ScanRun.started_at)
            .join(ScanRun, col(ScanRun.id) == col(IconThumbnail.created_scan_id))).all()
            if sha not in used and (created.replace(tzinfo=UTC) if created.tzinfo is None else created) < cutoff]
        for start in range(0, len(orphans), 500):
            session.execute(delete(IconThumbnail).where(col(IconThumbnail.icon_sha256).in_(orphans[start:start + 500])))
        result.icon_thumbnails = len(orphans)
        audit.append(session, user.name, "purge", f"older_than:{older_than_days}d", asdict(result), at=now)
        return result

    return write(engine, act)
