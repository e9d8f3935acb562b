"""Dashboard sessions in the service layer: a handoff code is traded once for a signed cookie; the cookie brings
the user back until the idle or absolute limit, a sign-out, or the account is disabled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from scanner.auth.users import User, add_user
from scanner.policy import default_policy
from scanner.review import sessions
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.review_models import AppUser


def engine_with_user(tmp_path):
    engine = open_database(str(tmp_path / "s.db"))
    add_user(engine, "mia", "moderator", "correct horse battery")
    return engine


def test_a_handoff_code_is_traded_once_for_a_signed_cookie(tmp_path):
    engine = engine_with_user(tmp_path)
    policy = default_policy()
    session_id, code = sessions.open_session(engine, User("mia", "moderator"))
    cookie = sessions.exchange(engine, code)
    assert cookie and code not in cookie and session_id not in cookie
    assert sessions.exchange(engine, code) is None  # spent
    resumed = sessions.resume(engine, cookie, policy)
    assert resumed is not None and resumed.user == User("mia", "moderator") and resumed.session_id == session_id
    token, _, mac = cookie.rpartition(".")
    assert sessions.resume(engine, f"{token}.{'0' * len(mac)}", policy) is None  # a forged signature
    assert sessions.resume(engine, "not a cookie", policy) is None


def test_a_stale_handoff_code_is_refused(tmp_path):
    engine = engine_with_user(tmp_path)
    _, code = sessions.open_session(engine, User("mia", "moderator"))
    later = datetime.now(UTC) + timedelta(seconds=sessions.HANDOFF_SECONDS + 1)
    assert sessions.exchange(engine, code, now=later) is None


def test_idle_absolute_sign_out_and_disabled_end_the_session(tmp_path):
    engine = engine_with_user(tmp_path)
    policy = default_policy()
    mia = User("mia", "moderator")
    now = datetime.now(UTC)
    _, code = sessions.open_session(engine, mia, now=now)
    cookie = sessions.exchange(engine, code, now=now)
    idle = now + timedelta(minutes=policy.review.session_idle_minutes + 1)
    assert sessions.resume(engine, cookie, policy, now=idle) is None
    assert audit.events(engine, action="session_expired")[0]["details"] == {"why": "idle"}

    session_id, code = sessions.open_session(engine, mia, now=now)
    cookie = sessions.exchange(engine, code, now=now)
    step = now
    while step < now + timedelta(hours=policy.review.session_max_hours):  # active all along
        step += timedelta(minutes=policy.review.session_idle_minutes - 1)
        user, why = sessions.touch(engine, session_id, policy, now=step)
    assert (user, why) == (None, "too old")

    session_id, code = sessions.open_session(engine, mia)
    cookie = sessions.exchange(engine, code)
    sessions.end(engine, session_id)
    assert sessions.resume(engine, cookie, policy) is None
    assert audit.events(engine, action="logout")[0]["actor"] == "mia"

    session_id, code = sessions.open_session(engine, mia)
    cookie = sessions.exchange(engine, code)
    with Session(engine) as session, session.begin():
        session.get(AppUser, "mia").disabled = True
    assert sessions.touch(engine, session_id, policy) == (None, "disabled")
