"""Your wellness preferences; for admins, the user list and new accounts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from scanner.review.prefs import MAX_EXTRA_BLUR, Preferences, save_preferences
from scanner.users import ROLES, UserError, create_user, list_users_as

who = state.user()
assert who is not None
engine = state.engine()
st.title("Settings")
current = state.prefs(who)
with st.form("prefs"):
    st.caption("Icons are always blurred and greyscale at least as much as the policy sets; you can blur them "
               "more or hide them. Colour is shown only on an audited reveal.")
    extra = st.slider("Extra blur", 0.0, MAX_EXTRA_BLUR, float(current.extra_blur), 0.5, key="pref_blur")
    hide = st.checkbox("Hide icons entirely", value=current.hide_icons, key="pref_hide")
    minutes = st.number_input("Break reminder after (minutes)", 5, 240, int(current.break_minutes),
                              key="pref_break")
    if st.form_submit_button("Save"):
        save_preferences(engine, who, Preferences(extra, hide, int(minutes)))
        st.success("Saved.")

if who.can("manage_users"):
    st.subheader("Users")
    st.dataframe(pd.DataFrame(list_users_as(engine, who)), hide_index=True, width="stretch")
    with st.form("add_user"):
        name = st.text_input("Name", key="new_user_name")
        role = st.selectbox("Role", ROLES, key="new_user_role")
        password = st.text_input("Initial password (12+ characters)", type="password", key="new_user_password")
        if st.form_submit_button("Add user"):
            try:
                create_user(engine, who, name, role, password)
                st.success(f"Added {name} ({role}).")
            except UserError as error:
                st.error(str(error))
