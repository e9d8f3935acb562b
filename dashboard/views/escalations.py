"""Escalations awaiting a lead's approval (four eyes: never one's own; one's own are listed, without buttons)."""

from __future__ import annotations

import streamlit as st

from dashboard import plain, state
from dashboard.i18n import _
from scanner.review.decisions import ReviewError, pending_escalations, review_escalation

who = state.user()
assert who is not None
engine = state.engine()
zone = state.prefs(who).timezone
st.title(_("Escalations awaiting approval"))
pending = pending_escalations(engine, who)
if not pending:
    st.success(_("No escalation is waiting."))
for item in pending:
    with st.container(border=True):
        st.markdown(_("**#{id}** · case `{case}` · {category} · {n} group(s) · by **{author}** at {when}",
                      id=item["id"], case=item["case_id"], category=plain.category(item["category"]),
                      n=item["groups"], author=item["author"], when=plain.when(item["created_at"], zone)))
        st.write(item["note"])
        if item["author"] == who.name:
            st.caption(_("Your own escalation: another lead must approve it."))
            continue
        note = st.text_input(_("Note"), key=f"note_{item['id']}")
        cols = st.columns([1, 1, 1, 5])
        if cols[0].button(_("Open case"), key=f"case_{item['id']}"):
            st.session_state["case_id"] = item["case_id"]
            st.switch_page("views/case.py")
        for column, approve, label, key in ((cols[1], True, _("Approve"), "approve"),
                                            (cols[2], False, _("Reject"), "reject")):
            if column.button(label, key=f"{key}_{item['id']}"):
                try:
                    review_escalation(engine, who, item["id"], approve, note, policy=state.policy())
                    state.kick_webhooks()
                    st.rerun()
                except ReviewError as error:
                    st.error(str(error))
