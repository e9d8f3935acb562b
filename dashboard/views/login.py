"""Sign in. No default account exists: users are created with ``groupscan users add``."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from scanner.users import sign_in

st.title("groupscan review")
st.caption("Metadata-only review of suspected abusive group networks. Every action you take is audited.")
with st.form("login"):
    name = st.text_input("User name", key="login_name")
    password = st.text_input("Password", type="password", key="login_password")
    submitted = st.form_submit_button("Sign in")
if submitted:
    found = sign_in(state.engine(), name, password)
    if found is None:
        st.error("Wrong user name or password (or too many attempts: wait 15 minutes).")
    else:
        state.sign_in_as(found)
        st.session_state["open_case_now"] = bool(st.session_state.get("case_id"))
        st.rerun()
