"""The append-only, hash-chained audit log.

Each row's ``sha256`` covers its own content and the previous row's hash, so editing, deleting or reordering a
row breaks every hash after it. Appends happen inside the caller's transaction: an action and its audit row
commit together or not at all. ``prev_sha256`` is unique, so two writers that read the same last row cannot
both commit; the loser's transaction is retried by ``scanner.store.tx.write``. On PostgreSQL appends also take a
transaction-scoped advisory lock first, so concurrent writers queue instead of losing that race repeatedly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from scanner.store.review_models import AuditEvent

GENESIS = "0" * 64
MAX_ACTOR, MAX_TARGET = 64, 256
APPEND_LOCK = 0x67736175646974  # PostgreSQL advisory lock key of the chain's tail ("gsaudit")


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def event_hash(at: datetime, actor: str, action: str, target: str, details: dict, prev: str) -> str:
    """The canonical hash of one row: JSON with sorted keys, the time in UTC to the microsecond."""
    body = {"at": _utc(at).isoformat(timespec="microseconds"), "actor": actor, "action": action,
            "target": target, "details": details, "prev": prev}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, actor: str, action: str, target: str = "", details: dict | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Add one audit row to ``session``'s transaction, chained to the newest row."""
    details = json.loads(json.dumps(details or {}, default=str, sort_keys=True))
    at = _utc(at or datetime.now(UTC))
    # Clipped to their columns before hashing (PostgreSQL refuses longer values; e.g. a typed sign-in name).
    actor, target = actor[:MAX_ACTOR], target[:MAX_TARGET]
    if session.get_bind().dialect.name == "postgresql":
        # Appends queue here until the transaction ahead commits, so they do not race for the same previous
        # row and fail over and over (the unique prev_sha256 stays the backstop).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})
    last = session.exec(select(AuditEvent.sha256).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    prev = last or GENESIS
    row = AuditEvent(at=at, actor=actor, action=action, target=target, details=details, prev_sha256=prev,
                     sha256=event_hash(at, actor, action, target, details, prev))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Verification:
    rows: int
    broken_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify(engine: Engine, batch: int = 5000) -> Verification:
    """Walk the chain in id order; report the first row whose content or link does not match."""
    prev, checked, last_id = GENESIS, 0, 0
    with Session(engine) as session:
        while True:
            rows = session.exec(select(AuditEvent).where(col(AuditEvent.id) > last_id)
                                .order_by(col(AuditEvent.id)).limit(batch)).all()
            if not rows:
                return Verification(checked)
            for row in rows:
                assert row.id is not None
                if row.prev_sha256 != prev:
                    return Verification(checked, row.id, "does not follow the previous row (a row was removed "
                                                         "or reordered before it)")
                expected = event_hash(row.at, row.actor, row.action, row.target, row.details, row.prev_sha256)
                if row.sha256 != expected:
                    return Verification(checked, row.id, "its content was changed after it was written")
                prev, last_id, checked = row.sha256, row.id, checked + 1


def events(engine: Engine, limit: int = 200, actor: str | None = None, action: str | None = None,
           target: str | None = None, actions: list[str] | None = None) -> list[dict]:
    """Newest first, for the auditor's page (the caller checks ``view_audit``)."""
    with Session(engine) as session:
        query = select(AuditEvent)
        if actor:
            query = query.where(AuditEvent.actor == actor)
        if action:
            query = query.where(AuditEvent.action == action)
        if target:
            query = query.where(AuditEvent.target == target)
        if actions:
            query = query.where(col(AuditEvent.action).in_(actions))
        rows = session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all()
        return [{"id": r.id, "at": _utc(r.at).isoformat(), "actor": r.actor, "action": r.action,
                 "target": r.target, "details": r.details, "sha256": r.sha256} for r in rows]
