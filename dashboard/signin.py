"""The sign-in form. No default account exists: users are created with ``groupscan users add``.

Signed out, every page address (``/case?case=ID`` from an alert, ``/queue``, a reload of any page) shows this
form itself rather than Streamlit's "page not found", and after signing in the same address shows its page."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from scanner.users import sign_in


def form() -> None:
    st.title("groupscan review")
    st.caption("Metadata-only review of suspected abusive group networks. Every action you take is audited.")
    if st.session_state.get("case_id"):
        st.info(f"Sign in to open case {st.session_state['case_id']}.")
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        found = sign_in(state.engine(), name, password)
        if found is None:
            st.error("Wrong user name or password (or too many attempts: wait 15 minutes).")
        else:
            state.sign_in_as(found)
            st.session_state["open_case_now"] = bool(st.session_state.get("case_id"))
            st.rerun()
