"""Dashboard users and roles: who may do what. The dashboard and the bots call these checks; they never decide
permissions themselves.

Roles (DESIGN.md): ``moderator`` reviews and decides; ``lead`` also approves escalations (four eyes) and may
reveal original icons; ``admin`` manages users and settings; ``auditor`` reads everything, including the audit
log, and changes nothing. Passwords are hashed with argon2id (argon2-cffi); there is no default password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.store.review_models import AppUser

ROLES = ("moderator", "lead", "admin", "auditor")
PERMISSIONS: dict[str, frozenset[str]] = {
    "moderator": frozenset({"view_queue", "view_case", "claim", "decide"}),
    "lead": frozenset({"view_queue", "view_case", "claim", "decide", "approve_escalation", "reveal_icon",
                       "view_metrics", "export_evidence", "view_deliveries", "manage_webhooks"}),
    "admin": frozenset({"view_queue", "view_case", "view_metrics", "manage_users", "manage_settings",
                        "view_deliveries", "manage_webhooks", "purge"}),
    "auditor": frozenset({"view_queue", "view_case", "view_metrics", "view_audit", "view_deliveries"}),
}
MIN_PASSWORD_LENGTH = 12
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()


class UserError(ValueError):
    """A user request that cannot be carried out (bad name, weak password, unknown role, duplicate)."""


class PermissionDenied(PermissionError):
    """The user's role does not allow the action."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())


def require(user: User, action: str) -> None:
    """Raise ``PermissionDenied`` unless ``user``'s role allows ``action``."""
    if not user.can(action):
        raise PermissionDenied(f"{user.name} ({user.role}) may not {action.replace('_', ' ')}")


def add_user(engine: Engine, name: str, role: str, password: str) -> User:
    if not _NAME.match(name):
        raise UserError(f"user name {name!r}: use 2-64 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    with Session(engine) as session, session.begin():
        if session.get(AppUser, name) is not None:
            raise UserError(f"user {name!r} exists")
        session.add(AppUser(name=name, role=role, password_hash=_hasher.hash(password),
                            created_at=datetime.now(UTC)))
    return User(name, role)


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The user if the password is right and the account enabled; None otherwise (never says which)."""
    with Session(engine) as session:
        row = session.get(AppUser, name)
        if row is None:
            _hasher.hash(password)  # spend the same time as a real check: no user-name oracle by timing
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if row.disabled:
            return None
        return User(row.name, row.role)


def list_users(engine: Engine) -> list[dict]:
    with Session(engine) as session:
        rows = session.exec(select(AppUser).order_by(col(AppUser.name))).all()
        return [{"name": r.name, "role": r.role, "disabled": r.disabled, "created_at": r.created_at.isoformat()}
                for r in rows]


LOGIN_FAILURES_ALLOWED = 5
LOGIN_LOCKOUT_MINUTES = 15


def sign_in(engine: Engine, name: str, password: str, now: datetime | None = None) -> User | None:
    """``authenticate`` for the dashboard: every attempt is audited, and after five failures in fifteen
    minutes a name is refused (without checking the password) until the window passes."""
    from datetime import timedelta

    from scanner.store import audit
    from scanner.store.review_models import AuditEvent
    from scanner.store.tx import write

    now = now or datetime.now(UTC)
    name = name.strip().lower()
    with Session(engine) as session:
        recent = session.exec(select(AuditEvent.action).where(
            col(AuditEvent.target) == name, col(AuditEvent.action).in_(("login", "login_failed")),
            col(AuditEvent.at) >= now - timedelta(minutes=LOGIN_LOCKOUT_MINUTES))
            .order_by(col(AuditEvent.id).desc()).limit(LOGIN_FAILURES_ALLOWED)).all()
    locked = len(recent) == LOGIN_FAILURES_ALLOWED and all(a == "login_failed" for a in recent)
    user = None if locked else authenticate(engine, name, password)
    action = "login" if user else "login_failed"
    write(engine, lambda session: audit.append(session, user.name if user else "anonymous", action, name,
                                               {"locked": locked}, at=now))
    return user


def current_user(engine: Engine, name: str) -> User | None:
    """The user as the database says now (role changes and disabling take effect on the next page load)."""
    with Session(engine) as session:
        row = session.get(AppUser, name)
    return None if row is None or row.disabled else User(row.name, row.role)


def create_user(engine: Engine, actor: User, name: str, role: str, password: str) -> User:
    """``add_user`` for an admin in the dashboard: checked and audited."""
    from scanner.store import audit
    from scanner.store.tx import write

    require(actor, "manage_users")
    user = add_user(engine, name, role, password)
    write(engine, lambda session: audit.append(session, actor.name, "user_added", name, {"role": role}))
    return user


def set_password(engine: Engine, name: str, password: str) -> None:
    """Replace a user's password (the demo mode's throwaway accounts get a new one at every start)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    with Session(engine) as session, session.begin():
        row = session.get(AppUser, name)
        if row is None:
            raise UserError(f"no user {name!r}")
        row.password_hash = _hasher.hash(password)
        session.add(row)


def list_users_as(engine: Engine, actor: User) -> list[dict]:
    """``list_users`` for an admin in the dashboard."""
    require(actor, "manage_users")
    return list_users(engine)


RESET_HOURS = 24


def _admin_change(engine: Engine, actor: User, name: str, action: str, details: dict, change) -> None:
    """One audited change to another user's account by an admin (never to their own: no self-lockout)."""
    from scanner.store import audit
    from scanner.store.tx import write

    require(actor, "manage_users")
    if name == actor.name:
        raise UserError("an admin cannot change their own account here (ask another admin)")

    def act(session: Session) -> None:
        row = session.get(AppUser, name)
        if row is None:
            raise UserError(f"no user {name!r}")
        change(row)
        session.add(row)
        audit.append(session, actor.name, action, name, details)

    write(engine, act)


def set_disabled(engine: Engine, actor: User, name: str, disabled: bool) -> None:
    """Disable a user (their sessions stop at the next page load; they cannot sign in) or enable them again."""
    def change(row: AppUser) -> None:
        row.disabled = disabled
    _admin_change(engine, actor, name, "user_disabled" if disabled else "user_enabled", {}, change)


def change_role(engine: Engine, actor: User, name: str, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    with Session(engine) as session:
        row = session.get(AppUser, name)
        before = row.role if row else None

    def change(row: AppUser) -> None:
        row.role = role
    _admin_change(engine, actor, name, "role_changed", {"from": before, "to": role}, change)


def start_password_reset(engine: Engine, actor: User, name: str, now: datetime | None = None) -> str:
    """A one-time reset token for ``name``, valid ``RESET_HOURS``: shown once to the admin, who hands it over
    (never in a URL); only its SHA-256 is stored. The old password keeps working until the token is used."""
    import hashlib
    import secrets
    from datetime import timedelta

    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(18)

    def change(row: AppUser) -> None:
        row.reset_sha256 = hashlib.sha256(token.encode("utf-8")).hexdigest()
        row.reset_expires_at = now + timedelta(hours=RESET_HOURS)
    _admin_change(engine, actor, name, "password_reset", {"expires_hours": RESET_HOURS}, change)
    return token


def finish_password_reset(engine: Engine, name: str, token: str, password: str,
                          now: datetime | None = None) -> None:
    """Set a new password with a reset token (once, before it expires). Audited."""
    import hashlib

    from scanner.store import audit
    from scanner.store.tx import write

    now = now or datetime.now(UTC)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    digest = hashlib.sha256(token.strip().encode("utf-8")).hexdigest()

    def act(session: Session) -> None:
        row = session.get(AppUser, name.strip().lower())
        expires = row.reset_expires_at if row else None
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if (row is None or not row.reset_sha256 or expires is None or expires < now
                or not __import__("hmac").compare_digest(row.reset_sha256, digest)):
            raise UserError("this reset token is wrong, used or expired: ask an admin for a new one")
        row.password_hash = _hasher.hash(password)
        row.reset_sha256, row.reset_expires_at = None, None
        session.add(row)
        audit.append(session, row.name, "password_reset_done", row.name, {}, at=now)

    write(engine, act)
