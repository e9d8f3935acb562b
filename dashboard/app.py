"""groupscan dashboard: the entry point (``groupscan dashboard`` runs ``streamlit run`` on this file).

It is the router: every page load passes here, so session expiry, the demo banner and the role-based page list
are enforced in one place. Which pages a user sees follows their role; the services behind the pages check
permissions again, so a page reached by URL still refuses what the role does not allow.
"""

from __future__ import annotations

import streamlit as st

from dashboard import signin, state
from dashboard.i18n import _
from scanner.auth.users import PermissionDenied
from scanner.files.resources import package_path

HERE = package_path("dashboard")  # the pages are package data (views/*.py)

# A local favicon: a ":material/..." page icon makes the browser fetch an SVG from fonts.gstatic.com.
st.set_page_config(page_title="groupscan review", page_icon=str(HERE / "static" / "favicon.png"), layout="wide")
state.banner()
who = state.user()
if who is not None:
    st.session_state["language"] = state.prefs(who).language
if "flash" in st.session_state:
    st.warning(st.session_state.pop("flash"))

# A link from an alert (``/case?case=ID``) survives signing in: remember the case, open it afterwards.
# A new address (a pasted link, not the one this page wrote itself) wins over the case in the session.
param = st.query_params.get("case")
if param and param != st.session_state.get("case_param"):
    st.session_state["case_param"] = param
    st.session_state["case_id"] = param

PAGE_PATHS = ("queue", "case", "escalations", "metrics", "webhooks", "audit", "settings")
if who is None:
    # Every address shows the sign-in form (a deep link never meets "page not found"); once signed in, the
    # same address shows its own page.
    signed_out = [st.Page(signin.form, title="Sign in", url_path="login", default=True)]
    signed_out += [st.Page(signin.form, title="Sign in", url_path=path) for path in PAGE_PATHS]
    state.cookie_scripts()
    st.navigation(signed_out, position="hidden").run()
else:
    pages = []
    case_page = st.Page(HERE / "views" / "case.py", title=_("Case"), icon=":material/hub:", url_path="case")
    if who.can("view_queue"):
        pages.append(st.Page(HERE / "views" / "queue.py", title=_("Queue"), icon=":material/inbox:", url_path="queue"))
    if who.can("view_case"):
        pages.append(case_page)
    if who.can("approve_escalation"):
        pages.append(st.Page(HERE / "views" / "escalations.py", title=_("Escalations"),
                             icon=":material/verified_user:", url_path="escalations"))
    if who.can("view_metrics"):
        pages.append(st.Page(HERE / "views" / "metrics.py", title=_("Metrics"), icon=":material/monitoring:",
                             url_path="metrics"))
    if who.can("view_deliveries"):
        pages.append(st.Page(HERE / "views" / "deliveries.py", title=_("Webhooks"), icon=":material/webhook:",
                             url_path="webhooks"))
    if who.can("view_audit"):
        pages.append(st.Page(HERE / "views" / "audit.py", title=_("Audit log"), icon=":material/receipt_long:",
                             url_path="audit"))
    pages.append(st.Page(HERE / "views" / "settings.py", title=_("Settings"), icon=":material/tune:",
                         url_path="settings"))
    with st.sidebar:
        st.caption(_("Signed in as **{name}** ({role})", name=who.name, role=_(who.role)))
        if st.button(_("Sign out"), key="sign_out"):
            state.sign_out(_("Signed out."), who)
            st.rerun()
        state.undo_button(who)
    # Streamlit serves its default page at "/" and answers its own path with "page not found", so the default is
    # a hidden page that opens the first real one: then /queue, /case, ... each work as an address.
    home = st.Page(lambda: st.switch_page(pages[1]), title="Home", url_path="home", default=True,
                   visibility="hidden")
    pages.insert(0, home)
    current = st.navigation(pages)
    if st.session_state.pop("open_case_now", False) and who.can("view_case"):
        st.switch_page(case_page)
    if current.title != "Home":  # the home page switches at once, which would drop the script unsent
        state.cookie_scripts()
    try:
        current.run()
    except PermissionDenied as refused:
        st.error(_("Not allowed: {why}", why=refused))
