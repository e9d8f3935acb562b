"""What every page needs: the database, the policy, the signed-in user, session expiry, the demo banner and the
break reminder. Pages never touch SQL; they call ``scanner`` services with ``user()``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine

from dashboard.i18n import _
from scanner.auth.users import User, current_user
from scanner.policy import Policy, default_policy, load_policy
from scanner.review import sessions
from scanner.review.prefs import Preferences, preferences
from scanner.store.db import database_url, open_database

DEMO_VARIABLE = "GROUPSCAN_DEMO"
POLICY_VARIABLE = "GROUPSCAN_POLICY"


@st.cache_resource
def _engine(url: str) -> Engine:
    return open_database(url)


def engine() -> Engine:
    return _engine(database_url(None))


@st.cache_resource
def _policy(path: str) -> Policy:
    return load_policy(Path(path)) if path else default_policy()


def policy() -> Policy:
    return _policy(os.environ.get(POLICY_VARIABLE, ""))


def demo() -> bool:
    return os.environ.get(DEMO_VARIABLE, "") == "1"


def sign_in_as(user: User, resumed: sessions.Resumed | None = None) -> None:
    """Remember the user in this browser tab; a fresh sign-in also opens a database session whose cookie the
    page fetches next (``cookie_scripts``), so a reload finds the user again."""
    now = time.time()
    st.session_state["user"] = {"name": user.name, "role": user.role}
    st.session_state["signed_in_at"] = resumed.created_at.timestamp() if resumed else now
    st.session_state["last_active"] = now
    st.session_state["queue_since"] = now
    if resumed:
        st.session_state["session_id"] = resumed.session_id
    else:
        st.session_state["session_id"], st.session_state["handoff"] = sessions.open_session(engine(), user)


def sign_out(message: str = "", who: User | None = None) -> None:
    """End the session (in the database: its cookie is worthless from now on) and forget everything; the next
    page asks the browser to drop the cookie too."""
    session_id = st.session_state.get("session_id")
    if session_id:
        sessions.end(engine(), session_id)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["clear_cookie"] = True
    if message:
        st.session_state["flash"] = message


def cookie_scripts() -> None:
    """Trade a fresh sign-in's handoff code for the HttpOnly session cookie, or drop the cookie after a sign-out
    (``dashboard/server.py`` answers both; same origin, so nothing leaves the machine)."""
    code = st.session_state.pop("handoff", None)
    if code:
        st.html("<script>fetch('/gs/session', {method: 'POST', credentials: 'same-origin', headers: "
                "{'Content-Type': 'application/json'}, body: JSON.stringify({code: " + json.dumps(code) + "})});"
                "</script>", unsafe_allow_javascript=True, width="content")
    if st.session_state.pop("clear_cookie", False):
        st.html("<script>fetch('/gs/signout', {method: 'POST', credentials: 'same-origin'});</script>",
                unsafe_allow_javascript=True, width="content")


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(sessions.COOKIE)
    except (AttributeError, RuntimeError):  # no browser request behind this run (AppTest)
        return None
    return value if isinstance(value, str) else None


def _expired(why: str) -> str:
    return {"idle": _("Your session expired after inactivity. Sign in again."),
            "too old": _("Your session reached its maximum length. Sign in again."),
            "disabled": _("Your account is no longer active.")}.get(why, _("You were signed out."))


def user() -> User | None:
    """The signed-in user, re-read from the database on every run; None (and signed out) if the session idled
    too long, grew too old, or the account was disabled. After a reload the session cookie brings the user
    back (``scanner.review.sessions.resume`` checks it and the same limits)."""
    data = st.session_state.get("user")
    if not data:
        cookie = _cookie()
        resumed = sessions.resume(engine(), cookie, policy()) if cookie else None
        if resumed is None:
            return None
        sign_in_as(resumed.user, resumed)
        return resumed.user
    review = policy().review
    now = time.time()
    if now - st.session_state.get("last_active", 0) > review.session_idle_minutes * 60:
        sign_out(_expired("idle"))
        return None
    if now - st.session_state.get("signed_in_at", 0) > review.session_max_hours * 3600:
        sign_out(_expired("too old"))
        return None
    session_id = st.session_state.get("session_id")
    if session_id:
        fresh, why = sessions.touch(engine(), session_id, policy())
    else:
        fresh, why = current_user(engine(), data["name"]), "disabled"
    if fresh is None:
        sign_out(_expired(why))
        return None
    st.session_state["user"] = {"name": fresh.name, "role": fresh.role}
    st.session_state["last_active"] = now
    return fresh


def prefs(who: User) -> Preferences:
    return preferences(engine(), who, policy())


def banner() -> None:
    if demo():
        st.error(_("DEMO MODE: throwaway accounts with passwords printed in the terminal. Do not review real "
                   "cases here."), icon=":material/warning:")


def break_reminder(who: User) -> None:
    """A gentle reminder after the user's chosen minutes in the review pages; dismissing restarts the clock."""
    minutes = prefs(who).break_minutes
    since = st.session_state.get("queue_since", time.time())
    spent = (time.time() - since) / 60
    if spent >= minutes:
        with st.container(border=True):
            st.info(_("You have been reviewing for {n} minutes. Step away from the screen for a while: the queue "
                      "will still be here.", n=int(spent)), icon=":material/self_improvement:")
            if st.button(_("I took a break"), key="break_done"):
                st.session_state["queue_since"] = time.time()
                st.rerun()


def undo_button(who: User) -> None:
    """While the policy's undo window lasts, the decider can withdraw their last decision from any page (the
    service checks the window and the author again, and audits the undo)."""
    from scanner.review.decisions import ReviewError, undo

    last = st.session_state.get("last_decision")
    if not last:
        return
    left = policy().review.undo_seconds - (time.time() - last["at"])
    if left <= 0:
        st.session_state.pop("last_decision", None)
        return
    from dashboard import plain

    label = _("Undo “{action}” on {case} ({n} s left)", action=plain.action(last["action"]), case=last["case_id"],
              n=int(left))
    if st.button(label, key="undo_decision", shortcut="Alt+Z"):
        st.session_state.pop("last_decision", None)
        try:
            case_id = undo(engine(), who, last["id"], policy())
            st.session_state["case_id"] = case_id
            st.session_state["flash_ok"] = _("Decision undone: the case is open again and still claimed by you.")
            st.session_state["open_case_now"] = True
        except ReviewError as error:
            st.session_state["flash"] = str(error)
        st.rerun()


def kick_webhooks() -> None:
    """Send queued webhook deliveries in the background, so a slow receiver never blocks a moderator; whatever
    fails is retried by the next kick, ``groupscan webhooks deliver`` or the next scan."""
    import threading

    from scanner.escalation.webhooks import deliver_due

    if policy().escalation.webhooks:
        threading.Thread(target=deliver_due, args=(engine(), policy()), daemon=True).start()
