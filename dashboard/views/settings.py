"""Your preferences (wellness, language, time zone); for admins, the users: add, disable and re-enable, change a
role, start a password reset (a one-time token shown here once, never a password in a URL). All audited."""

from __future__ import annotations

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.i18n import LANGUAGES, _
from scanner.auth.users import (
    ROLES,
    UserError,
    change_role,
    create_user,
    list_users_as,
    set_disabled,
    start_password_reset,
)
from scanner.review.prefs import MAX_EXTRA_BLUR, Preferences, save_preferences

who = state.user()
assert who is not None
engine = state.engine()
st.title(_("Settings"))
current = state.prefs(who)
zones = sorted(available_timezones())
with st.form("prefs"):
    st.caption(_("Icons are always blurred and greyscale at least as much as the policy sets; you can blur them "
                 "more or hide them. Colour is shown only on an audited reveal."))
    extra = st.slider(_("Extra blur"), 0.0, MAX_EXTRA_BLUR, float(current.extra_blur), 0.5, key="pref_blur")
    hide = st.checkbox(_("Hide icons entirely"), value=current.hide_icons, key="pref_hide")
    minutes = st.number_input(_("Break reminder after (minutes)"), 5, 240, int(current.break_minutes),
                              key="pref_break")
    language = st.selectbox(_("Language"), list(LANGUAGES), index=list(LANGUAGES).index(current.language),
                            format_func=lambda code: LANGUAGES[code], key="pref_language")
    zone = st.selectbox(_("Time zone"), zones, index=zones.index(current.timezone) if current.timezone in zones
                        else 0, key="pref_timezone")
    if st.form_submit_button(_("Save")):
        save_preferences(engine, who, Preferences(extra, hide, int(minutes), str(language), str(zone)))
        st.session_state["language"] = str(language)
        st.session_state["flash_ok"] = _("Saved.")
        st.rerun()
if "flash_ok" in st.session_state:
    st.success(st.session_state.pop("flash_ok"))

if who.can("manage_users"):
    st.subheader(_("Users"))
    users = list_users_as(engine, who)
    st.dataframe(pd.DataFrame([{_("name"): u["name"], _("role"): _(u["role"]),
                                _("state"): _("disabled") if u["disabled"] else _("active"),
                                _("created"): u["created_at"][:10]} for u in users]),
                 hide_index=True, width="stretch")
    others = [u["name"] for u in users if u["name"] != who.name]
    with st.container(border=True):
        st.markdown("**" + _("Change a user") + "**")
        target = st.selectbox(_("User"), others, index=None, placeholder=_("Choose a user"), key="admin_user")
        row = next((u for u in users if u["name"] == target), None)
        if row:
            cols = st.columns(3)
            if row["disabled"]:
                if cols[0].button(_("Re-enable"), key="admin_enable"):
                    set_disabled(engine, who, row["name"], False)
                    st.rerun()
            elif cols[0].button(_("Disable"), key="admin_disable"):
                set_disabled(engine, who, row["name"], True)
                st.rerun()
            role = cols[1].selectbox(_("Role"), ROLES, index=ROLES.index(row["role"]), format_func=_,
                                     key="admin_role")
            if cols[1].button(_("Change role"), key="admin_change_role", disabled=role == row["role"]):
                change_role(engine, who, row["name"], str(role))
                st.rerun()
            if cols[2].button(_("Start a password reset"), key="admin_reset"):
                st.session_state["reset_token"] = (row["name"], start_password_reset(engine, who, row["name"]))
        shown = st.session_state.get("reset_token")
        if shown:
            st.warning(_("One-time reset token for {name} (shown once, valid 24 h; hand it over in person or by "
                         "phone; they enter it on the sign-in page):", name=shown[0]))
            st.code(shown[1])
            if st.button(_("I have passed it on"), key="admin_reset_done"):
                st.session_state.pop("reset_token", None)
                st.rerun()
    with st.form("add_user"):
        name = st.text_input(_("Name"), key="new_user_name")
        new_role = st.selectbox(_("Role"), ROLES, key="new_user_role", format_func=_)
        password = st.text_input(_("Initial password (12+ characters)"), type="password", key="new_user_password")
        if st.form_submit_button(_("Add user")):
            try:
                create_user(engine, who, name, str(new_role), password)
                st.success(_("Added {name} ({role}).", name=name, role=_(str(new_role))))
            except UserError as error:
                st.error(str(error))
