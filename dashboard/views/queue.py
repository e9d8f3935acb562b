"""The queue: cases most severe first, then nearest deadline; filters; breached deadlines; pages."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import state
from scanner.review.cases import STATUSES, QueueFilter, queue

SEVERITY_COLOUR = {"P0": "red", "P1": "orange", "P2": "blue", "P3": "gray"}

who = state.user()
assert who is not None
policy = state.policy()
state.break_reminder(who)
st.title("Queue")
if "flash_ok" in st.session_state:
    st.success(st.session_state.pop("flash_ok"))

columns = st.columns(5)
category = columns[0].selectbox("Category", ["all", *policy.categories], key="q_category")
platform = columns[1].selectbox("Platform", ["all", "whatsapp", "telegram", "matrix", "discord", "signal", "other"],
                                key="q_platform")
status = columns[2].selectbox("Status", ["open (all)", *STATUSES], key="q_status")
assignee = columns[3].selectbox("Assignee", ["anyone", "me", "unclaimed"], key="q_assignee")
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
columns[4].metric("Past deadline", result.breached, help="cases in this view whose review deadline has passed")

st.caption(f"{result.total} case(s) · page {result.page} of {result.pages}")
if not result.rows:
    st.success("Nothing waiting in this view.")
for row in result.rows:
    with st.container(border=True):
        left, middle, right = st.columns([2, 6, 1])
        colour = SEVERITY_COLOUR.get(row["severity"] or "", "gray")
        left.markdown(f":{colour}-badge[{row['severity'] or '–'}] **{(row['category'] or '').replace('_', ' ')}**")
        left.caption(f"risk {row['risk']:.2f} · {row['size']} group(s) · {', '.join(row['platforms'])}")
        hours = row["hours_left"]
        if row["overdue"]:
            due = f":red[**overdue by {abs(hours):.1f} h**]"
        elif hours is not None:
            due = f"due in {hours:.1f} h"
        else:
            due = ""
        holder = f" · claimed by **{row['assignee']}**" if row["assignee"] else ""
        state_text = row["status"].replace("_", " ")
        reopened = f" · reopened ×{row['reopened']}" if row["reopened"] else ""
        middle.markdown(f"`{row['case_id']}` · {state_text}{reopened} · {due}{holder}")
        middle.write(row["top_reason"])
        if right.button("Open case", key=f"open_{row['case_id']}"):
            st.session_state["case_id"] = row["case_id"]
            st.switch_page("views/case.py")

previous, _, following = st.columns([1, 6, 1])
if previous.button("Previous", disabled=result.page <= 1, key="q_prev"):
    st.session_state["q_page"] = result.page - 1
    st.rerun()
if following.button("Next", disabled=result.page >= result.pages, key="q_next"):
    st.session_state["q_page"] = result.page + 1
    st.rerun()
st.caption(f"Updated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
