"""The audit log for auditors: newest first, each row a sentence, filterable by person and by what they did
(human names, not internal action ids), with the raw details behind a toggle and a check of the hash chain."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import plain, state
from dashboard.i18n import _
from scanner.review import audit

who = state.user()
assert who is not None
engine = state.engine()
zone = state.prefs(who).timezone
st.title(_("Audit log"))
cols = st.columns([2, 3, 2, 1.3])
people = cols[0].multiselect(_("People"), audit.actors(engine, who), key="audit_actor",
                             placeholder=_("everyone"))
kinds = cols[1].multiselect(_("What they did"), sorted(plain.AUDIT_ACTIONS, key=plain.audit_action),
                            format_func=plain.audit_action, key="audit_action", placeholder=_("everything"))
target = cols[2].text_input(_("Case or user"), key="audit_target")
if cols[3].button(_("Verify the chain"), key="audit_verify"):
    result = audit.verify_as(engine, who)
    if result.intact:
        st.success(_("Intact: {rows} rows, each chained to the one before.", rows=result.rows))
    else:
        st.error(_("Broken at row {id}: {problem}.", id=result.broken_id, problem=result.problem))
raw = st.toggle(_("Show technical detail"), key="audit_raw")
rows = []
chosen: list[str | None] = list(people) or [None]
for person in chosen:
    rows += audit.read_events(engine, who, limit=500, actor=person, target=target or None, actions=kinds or None)
rows.sort(key=lambda r: -int(r["id"]))
table = [{_("when"): plain.when(r["at"], zone), _("what happened"): plain.audit_sentence(r)}
         | ({"id": r["id"], "action": r["action"], "details": json.dumps(r["details"], ensure_ascii=False),
             "sha256": r["sha256"]} if raw else {}) for r in rows[:500]]
st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
