"""Escalations waiting for a lead's approval (four eyes: never one's own)."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from scanner.review.decisions import ReviewError, pending_escalations, review_escalation

who = state.user()
assert who is not None
engine = state.engine()
st.title("Escalations awaiting approval")
pending = pending_escalations(engine, who)
if not pending:
    st.success("No escalation is waiting.")
for item in pending:
    with st.container(border=True):
        st.markdown(f"**#{item['id']}** · case `{item['case_id']}` · {item['category']} · {item['groups']} group(s) "
                    f"· by **{item['author']}** at {item['created_at'][:16]}")
        st.write(item["note"])
        if item["author"] == who.name:
            st.caption("Your own escalation: another lead must approve it.")
            continue
        note = st.text_input("Note", key=f"note_{item['id']}")
        cols = st.columns([1, 1, 1, 5])
        if cols[0].button("Open case", key=f"case_{item['id']}"):
            st.session_state["case_id"] = item["case_id"]
            st.switch_page("views/case.py")
        for column, approve, label in ((cols[1], True, "Approve"), (cols[2], False, "Reject")):
            if column.button(label, key=f"{label.lower()}_{item['id']}"):
                try:
                    review_escalation(engine, who, item["id"], approve, note, policy=state.policy())
                    state.kick_webhooks()
                    st.rerun()
                except ReviewError as error:
                    st.error(str(error))
