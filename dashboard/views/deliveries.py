"""Webhook deliveries: the dead-letter list (deliveries that failed every attempt), with a resend for leads and
admins, and the queue of pending ones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.i18n import _
from scanner.escalation.webhooks import deliveries, retry

who = state.user()
assert who is not None
engine = state.engine()
st.title(_("Webhook deliveries"))
LABELS = {"dead": _("failed every attempt"), "pending": _("waiting"), "sending": _("sending"),
          "delivered": _("delivered")}
status = st.selectbox(_("Status"), list(LABELS), format_func=lambda s: LABELS[s], key="deliveries_status")
rows = deliveries(engine, who, status)
if not rows:
    st.success(_("No deliveries: {status}.", status=LABELS[status]) if status != "dead" else _("No dead deliveries."))
else:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
if status == "dead" and rows and who.can("manage_webhooks"):
    for row in rows[:50]:
        if st.button(_("Resend #{id} ({event}, case {case})", id=row["id"], event=row["event"], case=row["case_id"]),
                     key=f"resend_{row['id']}"):
            retry(engine, who, int(row["id"]))
            state.kick_webhooks()
            st.rerun()
