"""The sign-in form. No default account exists: users are created with ``groupscan users add``.

Signed out, every page address (``/case?case=ID`` from an alert, ``/queue``, a reload of any page) shows this
form itself rather than Streamlit's "page not found", and after signing in the same address shows its page."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.i18n import _
from scanner.auth.users import UserError, finish_password_reset, sign_in


def form() -> None:
    st.title("groupscan review")
    st.caption(_("Metadata-only review of suspected abusive group networks. Every action you take is audited."))
    if st.session_state.get("case_id"):
        st.info(_("Sign in to open case {case}.", case=st.session_state["case_id"]))
    with st.form("login"):
        name = st.text_input(_("User name"), key="login_name")
        password = st.text_input(_("Password"), type="password", key="login_password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        found = sign_in(state.engine(), name, password)
        if found is None:
            st.error(_("Wrong user name or password (or too many attempts: wait 15 minutes)."))
        else:
            state.sign_in_as(found)
            st.session_state["open_case_now"] = bool(st.session_state.get("case_id"))
            st.rerun()
    with st.expander(_("Set a new password with a reset token from an admin")), st.form("reset"):
        user = st.text_input(_("User name"), key="reset_name")
        token = st.text_input(_("Reset token"), type="password", key="reset_token_input")
        new = st.text_input(_("New password (12+ characters)"), type="password", key="reset_password")
        if st.form_submit_button(_("Set password")):
            try:
                finish_password_reset(state.engine(), user, token, new)
                st.success(_("Password set. Sign in with it now."))
            except UserError as error:
                st.error(str(error))
