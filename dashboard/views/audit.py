"""The audit log for auditors: newest first, filterable, with a check of the hash chain."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from scanner.review import audit

who = state.user()
assert who is not None
engine = state.engine()
st.title("Audit log")
cols = st.columns(4)
actor = cols[0].text_input("Actor", key="audit_actor")
action = cols[1].text_input("Action", key="audit_action")
target = cols[2].text_input("Target", key="audit_target")
if cols[3].button("Verify the chain", key="audit_verify"):
    result = audit.verify_as(engine, who)
    if result.intact:
        st.success(f"Intact: {result.rows} rows, each chained to the one before.")
    else:
        st.error(f"Broken at row {result.broken_id}: {result.problem}.")
rows = audit.read_events(engine, who, limit=500, actor=actor or None, action=action or None, target=target or None)
frame = pd.DataFrame(rows, columns=["id", "at", "actor", "action", "target", "details", "sha256"])
frame["details"] = frame["details"].astype(str)
st.dataframe(frame, hide_index=True, width="stretch")
