"""What every page needs: the database, the policy, the signed-in user, session expiry, the demo banner and the
break reminder. Pages never touch SQL; they call ``scanner`` services with ``user()``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine

from scanner.policy import Policy, default_policy, load_policy
from scanner.review.prefs import Preferences, preferences
from scanner.store.db import database_url, open_database
from scanner.users import User, current_user

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


def sign_in_as(user: User) -> None:
    now = time.time()
    st.session_state["user"] = {"name": user.name, "role": user.role}
    st.session_state["signed_in_at"] = now
    st.session_state["last_active"] = now
    st.session_state["queue_since"] = now


def sign_out(message: str = "", who: User | None = None) -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if message:
        st.session_state["flash"] = message


def user() -> User | None:
    """The signed-in user, re-read from the database on every run; None (and signed out) if the session idled
    too long, grew too old, or the account was disabled."""
    data = st.session_state.get("user")
    if not data:
        return None
    review = policy().review
    now = time.time()
    if now - st.session_state.get("last_active", 0) > review.session_idle_minutes * 60:
        sign_out("Your session expired after inactivity. Sign in again.")
        return None
    if now - st.session_state.get("signed_in_at", 0) > review.session_max_hours * 3600:
        sign_out("Your session reached its maximum length. Sign in again.")
        return None
    fresh = current_user(engine(), data["name"])
    if fresh is None:
        sign_out("Your account is no longer active.")
        return None
    st.session_state["user"] = {"name": fresh.name, "role": fresh.role}
    st.session_state["last_active"] = now
    return fresh


def prefs(who: User) -> Preferences:
    return preferences(engine(), who, policy())


def banner() -> None:
    if demo():
        st.error("DEMO MODE: throwaway accounts with passwords printed in the terminal. Do not review real "
                 "cases here.", icon=":material/warning:")


def break_reminder(who: User) -> None:
    """A gentle reminder after the user's chosen minutes in the review pages; dismissing restarts the clock."""
    minutes = prefs(who).break_minutes
    since = st.session_state.get("queue_since", time.time())
    spent = (time.time() - since) / 60
    if spent >= minutes:
        with st.container(border=True):
            st.info(f"You have been reviewing for {int(spent)} minutes. Step away from the screen for a while: "
                    "the queue will still be here.", icon=":material/self_improvement:")
            if st.button("I took a break", key="break_done"):
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
    if st.button(f"Undo {last['label'].lower()} on {last['case_id']} ({int(left)} s left)", key="undo_decision"):
        st.session_state.pop("last_decision", None)
        try:
            case_id = undo(engine(), who, last["id"], policy())
            st.session_state["case_id"] = case_id
            st.session_state["flash_ok"] = "Decision undone: the case is open again and still claimed by you."
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
