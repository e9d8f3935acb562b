"""The queue: cases most severe first, then nearest deadline; filters; breached deadlines; pages."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import plain, state
from dashboard.i18n import _
from scanner.review.cases import STATUSES, QueueFilter, queue

SEVERITY_COLOUR = {"P0": "red", "P1": "orange", "P2": "blue", "P3": "gray"}
PLATFORMS = ["whatsapp", "telegram", "matrix", "discord", "signal", "other"]

who = state.user()
assert who is not None
policy = state.policy()
zone = state.prefs(who).timezone
state.break_reminder(who)
st.title(_("Queue"))
if "flash_ok" in st.session_state:
    st.success(st.session_state.pop("flash_ok"))

columns = st.columns(5)
category = columns[0].selectbox(_("Category"), ["all", *policy.categories], key="q_category",
                                format_func=lambda c: _("all") if c == "all" else plain.category(c))
platform = columns[1].selectbox(_("Platform"), ["all", *PLATFORMS], key="q_platform",
                                format_func=lambda p: _("all") if p == "all" else p)
status = columns[2].selectbox(_("Status"), ["open (all)", *STATUSES], key="q_status",
                              format_func=lambda s: _("open (all)") if s == "open (all)" else plain.status(s))
assignee = columns[3].selectbox(_("Assignee"), ["anyone", "me", "unclaimed"], key="q_assignee",
                                format_func=lambda a: {"anyone": _("anyone"), "me": _("me"),
                                                       "unclaimed": _("unclaimed")}[a])
filters = QueueFilter(
    category=None if category == "all" else category,
    platform=None if platform == "all" else platform,
    status=None if status == "open (all)" else status,
    assignee={"anyone": None, "me": who.name, "unclaimed": "-"}[assignee],
)
if st.session_state.get("q_filters") != filters:
    st.session_state["q_filters"] = filters
    st.session_state["q_page"] = 1
page_number = int(st.session_state.get("q_page", 1))
result = queue(state.engine(), who, filters, page=page_number, page_size=policy.review.queue_page_size)
columns[4].metric(_("Past deadline"), result.breached, help=_("cases in this view whose review deadline has passed"))

st.caption(_("{total} case(s) · page {page} of {pages}", total=result.total, page=result.page, pages=result.pages))
if not result.rows:
    st.success(_("Nothing waiting in this view."))
for row in result.rows:
    with st.container(border=True):
        left, middle, right = st.columns([2, 6, 1])
        colour = SEVERITY_COLOUR.get(row["severity"] or "", "gray")
        left.markdown(f":{colour}-badge[{row['severity'] or '–'}] **{plain.category(row['category'])}**")
        left.caption(_("risk {risk} · {n} group(s) · {platforms}", risk=f"{row['risk']:.2f}", n=row["size"],
                       platforms=", ".join(row["platforms"])))
        hours = row["hours_left"]
        if row["status"] == "escalation_pending":
            due = _("waiting for a lead's approval")
        elif row["overdue"]:
            due = ":red[**" + _("overdue by {time}", time=plain.hours(hours)) + "**]"
        elif hours is not None:
            due = _("due in {time}", time=plain.hours(hours))
        else:
            due = ""
        holder = " · " + _("claimed by **{name}**", name=row["assignee"]) if row["assignee"] else ""
        reopened = " · " + _("reopened ×{n}", n=row["reopened"]) if row["reopened"] else ""
        middle.markdown(f"`{row['case_id']}` · {plain.status(row['status'])}{reopened} · {due}{holder}")
        middle.write(plain.reason(row["top_reason_item"]) if row["top_reason_item"] else row["top_reason"])
        if right.button(_("Open case"), key=f"open_{row['case_id']}"):
            st.session_state["case_id"] = row["case_id"]
            st.switch_page("views/case.py")

previous, _spare, following = st.columns([1, 6, 1])
if previous.button(_("Previous"), disabled=result.page <= 1, key="q_prev"):
    st.session_state["q_page"] = result.page - 1
    st.rerun()
if following.button(_("Next"), disabled=result.page >= result.pages, key="q_next"):
    st.session_state["q_page"] = result.page + 1
    st.rerun()
st.caption(_("Updated {when}", when=plain.when(datetime.now(UTC), zone)))
