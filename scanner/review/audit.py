"""The audit log as auditors read it: the same rows as ``scanner.store.audit``, behind the ``view_audit``
permission. Kept apart from the log itself so that writing the log (which every service does, ``scanner.auth``
included) never depends on who may read it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from scanner.auth.users import User, require
from scanner.store.audit import Verification, events, verify
from scanner.store.review_models import AuditEvent


def read_events(engine: Engine, user: User, limit: int = 200, actor: str | None = None,
                action: str | None = None, target: str | None = None,
                actions: list[str] | None = None) -> list[dict]:
    """``events`` for a user whose role may read the audit log (auditors)."""
    require(user, "view_audit")
    return events(engine, limit, actor, action, target, actions)


def actors(engine: Engine, user: User) -> list[str]:
    """Everyone who appears in the audit log as an actor (the auditor's filter offers them by name)."""
    require(user, "view_audit")
    with Session(engine) as session:
        return sorted(session.exec(select(AuditEvent.actor).distinct()).all())


def verify_as(engine: Engine, user: User) -> Verification:
    require(user, "view_audit")
    return verify(engine)
