"""Dashboard sign-ins that survive a reload: a signed, expiring, HttpOnly session cookie checked here.

Signing in (``open_session``) stores a session row holding only hashes, and returns a one-time handoff code
(valid a minute). The page sends that code to the dashboard's ``/gs/session`` route, which trades it
(``exchange``) for the cookie value: a random token plus an HMAC of it, set ``HttpOnly; SameSite=Strict``, so
the token itself never appears in the page or in JavaScript. On a reload the dashboard passes the cookie to
``resume``, which checks the signature, the row, the policy's idle and absolute limits and that the account is
still enabled. ``touch`` keeps the idle clock of a live session; ``end`` signs out. The signing key is
``$GROUPSCAN_SESSION_SECRET`` or, without it, a random key per server process (a restart signs everyone out).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scanner.auth.users import User, current_user
from scanner.policy import Policy
from scanner.review.cases import utc
from scanner.store import audit
from scanner.store.review_models import AppSession
from scanner.store.tx import write

COOKIE = "groupscan_session"
SECRET_VARIABLE = "GROUPSCAN_SESSION_SECRET"
HANDOFF_SECONDS = 60
TOUCH_EVERY_SECONDS = 20  # the idle clock is written at most this often
_PROCESS_SECRET = secrets.token_bytes(32)


def _secret() -> bytes:
    configured = os.environ.get(SECRET_VARIABLE, "")
    return configured.encode("utf-8") if configured else _PROCESS_SECRET


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sign(token: str) -> str:
    return f"{token}.{hmac.new(_secret(), token.encode('utf-8'), hashlib.sha256).hexdigest()}"


def unsign(value: str) -> str | None:
    """The token of a cookie value whose signature is right, else None."""
    if not isinstance(value, str):
        return None
    token = value.rpartition(".")[0]
    if not token or not hmac.compare_digest(sign(token), value):
        return None
    return token


@dataclass(frozen=True)
class Resumed:
    user: User
    session_id: str
    created_at: datetime


def open_session(engine: Engine, user: User, now: datetime | None = None) -> tuple[str, str]:
    """A new session for a user who just signed in: (its id, kept by the server for ``touch``; the one-time
    handoff code the page trades for the cookie)."""
    now = now or datetime.now(UTC)
    code = secrets.token_urlsafe(24)
    row = AppSession(id=secrets.token_hex(16), name=user.name, created_at=now, last_seen_at=now,
                     handoff_sha256=_sha(code), handoff_expires_at=now + timedelta(seconds=HANDOFF_SECONDS))
    write(engine, lambda session: session.add(row))
    return row.id, code


def exchange(engine: Engine, code: str, now: datetime | None = None) -> str | None:
    """The signed cookie value for a handoff code, once; None for an unknown, used or expired code."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)

    def act(session: Session) -> str | None:
        row = session.exec(select(AppSession).where(AppSession.handoff_sha256 == _sha(code))).first()
        expires = utc(row.handoff_expires_at) if row else None
        if row is None or row.ended_at is not None or expires is None or expires < now:
            return None
        # The token is made here, so the page never sees it; the handoff is spent.
        done = session.execute(update(AppSession).where(col(AppSession.id) == row.id,
                                                        col(AppSession.handoff_sha256) == _sha(code))
                               .values(token_sha256=_sha(token), handoff_sha256=None, handoff_expires_at=None))
        return sign(token) if done.rowcount == 1 else None  # type: ignore[attr-defined]

    return write(engine, act)


def _live(row: AppSession | None, policy: Policy, now: datetime) -> str:
    """Why a session row cannot be used now ('' if it can)."""
    if row is None:
        return "unknown"
    if row.ended_at is not None:
        return "ended"
    review = policy.review
    if now - utc(row.last_seen_at) > timedelta(minutes=review.session_idle_minutes):  # type: ignore[operator]
        return "idle"
    if now - utc(row.created_at) > timedelta(hours=review.session_max_hours):  # type: ignore[operator]
        return "too old"
    return ""


def touch(engine: Engine, session_id: str, policy: Policy, now: datetime | None = None) -> tuple[User | None, str]:
    """The session's user if it may go on (and its idle clock restarted), else (None, why): 'idle', 'too old',
    'ended', 'unknown' or 'disabled'. An expired session is ended and audited once."""
    now = now or datetime.now(UTC)

    def act(session: Session) -> tuple[User | None, str]:
        row = session.get(AppSession, session_id)
        why = _live(row, policy, now)
        if why:
            if row is not None and row.ended_at is None:
                row.ended_at = now
                session.add(row)
                audit.append(session, row.name, "session_expired", row.name, {"why": why}, at=now)
            return None, why
        assert row is not None
        user = current_user(engine, row.name)
        if user is None:
            return None, "disabled"
        if (now - utc(row.last_seen_at)).total_seconds() >= TOUCH_EVERY_SECONDS:  # type: ignore[operator]
            row.last_seen_at = now
            session.add(row)
        return user, ""

    return write(engine, act)


def resume(engine: Engine, cookie: str, policy: Policy, now: datetime | None = None) -> Resumed | None:
    """The signed-in user of a session cookie (after a reload), or None."""
    token = unsign(cookie or "")
    if token is None:
        return None
    with Session(engine) as session:
        row = session.exec(select(AppSession).where(AppSession.token_sha256 == _sha(token))).first()
    if row is None:
        return None
    user, _why = touch(engine, row.id, policy, now)
    if user is None:
        return None
    return Resumed(user, row.id, utc(row.created_at))  # type: ignore[arg-type]


def end(engine: Engine, session_id: str | None = None, cookie: str | None = None,
        now: datetime | None = None) -> None:
    """Sign out: the session can no longer be resumed (by its id, or by the cookie value). Audited."""
    now = now or datetime.now(UTC)
    token = unsign(cookie) if cookie else None
    if session_id is None and token is None:
        return

    def act(session: Session) -> None:
        row = (session.get(AppSession, session_id) if session_id else
               session.exec(select(AppSession).where(AppSession.token_sha256 == _sha(str(token)))).first())
        if row is not None and row.ended_at is None:
            row.ended_at = now
            session.add(row)
            audit.append(session, row.name, "logout", row.name, {}, at=now)

    write(engine, act)
