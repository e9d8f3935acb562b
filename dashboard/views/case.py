"""One case: summary, reasons in plain sentences, the cluster graph, members with blurred icons, the timeline,
and the decision panel (claim, decide, escalate; leads approve escalations of others)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from dashboard import graphview, state
from scanner.escalation.bundle import export_zip
from scanner.review.cases import CaseNotFound, case_detail, case_graph, next_case
from scanner.review.decisions import (
    ClaimConflict,
    ReviewError,
    claim,
    decide,
    decision_problem,
    pending_escalations,
    release,
    review_escalation,
)
from scanner.review.icons import RevealError, reveal, thumbnails
from scanner.users import PermissionDenied, User


@st.cache_data(ttl=600, max_entries=50, show_spinner=False)
def _graph(_user: User, name: str, role: str, case_id: str, risk: float, size: int) -> dict:
    """The laid-out graph, cached per case state (risk, size) and user: the layout is the slow part."""
    return case_graph(state.engine(), _user, case_id, state.policy())


def cached_graph(user: User, case_id: str, risk: float, size: int) -> dict:
    return _graph(user, user.name, user.role, case_id, risk, size)


ACTION_LABELS = {"benign": "Benign", "violating": "Violating", "more_info": "Needs more info",
                 "escalate": "Escalate (needs a lead's approval)"}


def category_label(category: str | None) -> str:
    return (category or "").replace("_", " ")


def confirmation_text(pending: dict) -> str:
    """The sentence a moderator confirms: what, on how many groups, in which category."""
    what = {"benign": "as benign", "violating": "as violating", "more_info": "as needing more information",
            "escalate": "for escalation to a lead"}[pending["action"]]
    scope = "the whole cluster" if not pending["group_ids"] else "the chosen members"
    category = f" in the category **{category_label(pending['category'])}**" if pending["category"] and \
        pending["action"] in ("violating", "escalate") else ""
    return f"Record **{pending['groups']} group(s)** ({scope}) {what}{category}? Check before you confirm."

who = state.user()
assert who is not None
engine, policy = state.engine(), state.policy()
state.break_reminder(who)

case_id = st.session_state.get("case_id") or st.query_params.get("case")
if not case_id:
    st.info("Open a case from the queue.")
    st.page_link("views/queue.py", label="Go to the queue", icon=":material/inbox:")
    st.stop()
st.session_state["case_id"] = case_id
if st.query_params.get("case") != case_id:
    st.query_params["case"] = case_id  # a reload (or a copied address) comes back to this case
st.session_state["case_param"] = case_id
try:
    detail = case_detail(engine, who, case_id)
except CaseNotFound:
    st.error(f"There is no case {case_id}.")
    st.stop()

st.page_link("views/queue.py", label="Back to the queue", icon=":material/arrow_back:")
st.title(f"Case {case_id}")
top = st.columns([1, 2, 1, 1.3, 1.6, 1.3])
top[0].metric("Severity", detail["severity"] or "–")
top[1].metric("Category", (detail["category"] or "–").replace("_", " "))
top[2].metric("Risk", f"{detail['risk']:.2f}")
new_groups = detail["growth"]["new_last_7_days"]
top[3].metric("Groups", detail["size"], delta=f"+{new_groups} in 7 days" if new_groups else None,
              delta_color="inverse")
top[4].metric("Status", detail["status"].replace("_", " "))
hours = detail["hours_left"]
if detail["status"] in ("benign", "violating", "escalated"):
    top[5].metric("Deadline", "decided")
elif detail["overdue"] and hours is not None:
    top[5].metric("Deadline", "overdue", delta=f"{hours:.1f} h")
else:
    top[5].metric("Deadline", f"{hours:.1f} h left" if hours is not None else "–")
structure = detail["structure"]
st.caption(f"First seen {detail['growth']['first_seen'] or '–'} · {structure.get('linked_pairs', 0)} linked pairs · "
           f"{structure.get('shared_admins', 0)} shared admins · {structure.get('icon_families', 0)} shared icon "
           f"families · platforms {', '.join(structure.get('platforms', []))}")

# --- Decision panel -------------------------------------------------------------------------------------------
with st.container(border=True):
    holder = detail["assignee"]
    if holder:
        st.write(f"Claimed by **{holder}** until {detail['claim_expires_at'][11:16]} UTC.")
    buttons = st.columns([1, 1, 6])
    if who.can("claim") and detail["status"] in ("open", "needs_info") and holder in (None, who.name):
        mine = holder == who.name
        if buttons[0].button("Renew claim" if mine else "Claim", key="claim",
                             type="secondary" if mine else "primary"):
            try:
                claim(engine, who, case_id, policy)
                st.rerun()
            except (ClaimConflict, ReviewError) as error:
                st.error(str(error))
        if holder == who.name and buttons[1].button("Release", key="release"):
            release(engine, who, case_id)
            st.rerun()
    if holder == who.name and who.can("decide"):
        names = {m["group_id"]: m["name"] or m["group_id"] for m in detail["members"]}
        with st.form("decide"):
            action = st.radio("Decision", list(ACTION_LABELS), format_func=ACTION_LABELS.get, horizontal=True,
                              index=None, key="decision_action")
            category = st.selectbox("Category (for violating or escalate)", list(policy.categories), index=None,
                                    format_func=category_label, placeholder="Choose a category",
                                    key="decision_category")
            chosen = st.multiselect("Only these members (leave empty for the whole cluster)", list(names),
                                    format_func=lambda gid: f"{names[gid]} ({gid})", key="decision_members")
            required = "required for benign and violating" if detail["severity"] in \
                policy.review.note_required_severities else "required for escalate and more info"
            note = st.text_area(f"Note ({required})", key="decision_note", max_chars=4000)
            if st.form_submit_button("Record decision", type="primary"):
                problem = decision_problem(None if action is None else str(action), category, note,
                                           detail["severity"], policy)
                if problem:
                    st.error(problem)
                else:
                    st.session_state["pending_decision"] = {
                        "case_id": case_id, "action": str(action), "category": category,
                        "groups": len(chosen) if chosen else detail["size"], "group_ids": chosen, "note": note}
        pending = st.session_state.get("pending_decision")
        if pending and pending["case_id"] == case_id:
            with st.container(border=True):
                st.warning(confirmation_text(pending))
                yes, yes_next, cancel, _ = st.columns([1, 1.4, 1, 3])
                confirmed = yes.button("Confirm", key="decision_confirm", type="primary")
                confirmed_next = yes_next.button("Confirm and open next case", key="decision_confirm_next")
                if cancel.button("Cancel", key="decision_cancel"):
                    st.session_state.pop("pending_decision", None)
                    st.rerun()
                if confirmed or confirmed_next:
                    try:
                        decision_id = decide(engine, who, case_id, pending["action"], policy, note=pending["note"],
                                             category=pending["category"], group_ids=pending["group_ids"] or None,
                                             confirmed_groups=pending["groups"])
                        st.session_state.pop("pending_decision", None)
                        st.session_state["last_decision"] = {"id": decision_id, "case_id": case_id,
                                                             "label": ACTION_LABELS[pending["action"]],
                                                             "at": time.time()}
                        st.session_state["flash_ok"] = f"Decision recorded: {ACTION_LABELS[pending['action']]}."
                        state.kick_webhooks()
                        following = next_case(engine, who, after=case_id) if confirmed_next else None
                        if following:
                            st.session_state["case_id"] = following
                        elif confirmed_next:
                            st.session_state["flash_ok"] += " Nothing else is waiting for you."
                            st.switch_page("views/queue.py")
                        st.rerun()
                    except (ReviewError, PermissionDenied) as error:
                        st.session_state.pop("pending_decision", None)
                        st.error(str(error))
    elif not who.can("decide"):
        st.caption(f"Your role ({who.role}) can read this case but not decide it.")
    if "flash_ok" in st.session_state:
        st.success(st.session_state.pop("flash_ok"))
    if who.can("approve_escalation"):
        for pending in [p for p in pending_escalations(engine, who) if p["case_id"] == case_id]:
            st.warning(f"Escalation #{pending['id']} by **{pending['author']}** ({pending['category']}): "
                       f"{pending['note']}")
            review_note = st.text_input("Note to the moderator", key=f"esc_note_{pending['id']}")
            approve_col, reject_col, _ = st.columns([1, 1, 6])
            for column, approve, label in ((approve_col, True, "Approve"), (reject_col, False, "Reject")):
                if column.button(label, key=f"esc_{label.lower()}_{pending['id']}"):
                    try:
                        review_escalation(engine, who, pending["id"], approve, review_note, policy=policy)
                        state.kick_webhooks()
                        st.rerun()
                    except ReviewError as error:
                        st.error(str(error))

    if detail["status"] == "escalated" and who.can("export_evidence"):
        if st.button("Prepare evidence bundle", key="prepare_bundle"):
            archive, digest = export_zip(engine, who, case_id, policy)
            st.session_state["bundle"] = (case_id, archive, digest)
        prepared = st.session_state.get("bundle")
        if prepared and prepared[0] == case_id:
            st.download_button("Download bundle (zip)", prepared[1], file_name=f"evidence-{case_id}.zip",
                               mime="application/zip", key="download_bundle")
            st.caption(f"Bundle SHA-256 (of its manifest, recorded in the audit log): `{prepared[2]}`")

# --- Evidence -------------------------------------------------------------------------------------------------
reasons_tab, graph_tab, members_tab, timeline_tab, decisions_tab = st.tabs(
    ["Why flagged", "Graph", "Members", "Timeline", "Decisions"])

with reasons_tab:
    seen: set[str] = set()
    for reason in detail["reasons"]:
        if reason["sentence"] not in seen:
            seen.add(reason["sentence"])
            st.markdown(f"- {reason['sentence']} _({reason['signal']}, {reason['category'].replace('_', ' ')}, "
                        f"weight {reason['weight']:.2f})_")
    if detail["category_counts"]:
        st.caption("Flagged members by category: " + ", ".join(
            f"{c.replace('_', ' ')} {n}" for c, n in sorted(detail["category_counts"].items())))

with graph_tab:
    graph = cached_graph(who, case_id, detail["risk"], detail["size"])
    if graph["truncated"]:
        st.caption("Large cluster: showing the riskiest groups and their nearest neighbours.")
    event = st.plotly_chart(graphview.figure(graph), on_select="rerun", selection_mode="points",
                            key="case_graph", width="stretch")
    picked = graphview.selected_group(event)
    if picked:
        st.session_state["picked_group"] = picked
    picked = st.session_state.get("picked_group")
    member = next((m for m in detail["members"] if m["group_id"] == picked), None)
    if member:
        with st.container(border=True):
            st.markdown(f"**{member['name'] or '(no name)'}** · `{member['group_id']}` · risk {member['risk']:.2f}")
            if member["description"]:
                st.write(member["description"])
            for reason in member["reasons"][:6]:
                st.markdown(f"- {reason['sentence']}")
    else:
        st.caption("Click a group in the graph to see it here.")

with members_tab:
    prefs = state.prefs(who)
    table = pd.DataFrame([{"group": m["group_id"], "name": m["name"], "reads as": m["reads_as"],
                           "risk": round(m["risk"], 3),
                           "category": m["category"] or "", "flagged": m["flagged"], "members": m["member_count"],
                           "first seen": m["first_seen"][:10], "platform": m["platform"]}
                          for m in detail["members"]])
    st.dataframe(table, hide_index=True, width="stretch")
    with_icons = [m for m in detail["members"] if m["icon_sha256"]]
    if with_icons and prefs.hide_icons:
        st.caption("Icons hidden by your preference (Settings).")
    elif with_icons:
        st.caption("Icons are blurred and greyscale. " + ("Reveal shows one original and is audited."
                                                          if who.can("reveal_icon") else ""))
        revealed = st.session_state.setdefault("revealed", {})
        shown = with_icons[:60]
        pictures = thumbnails(engine, who, [m["icon_sha256"] for m in shown], prefs.extra_blur)
        grid = st.columns(6)
        for index, member in enumerate(shown):
            with grid[index % 6]:
                key = f"{case_id}:{member['group_id']}"
                if key in revealed:
                    st.image(revealed[key], caption=f"{member['group_id']} (revealed)", width=120)
                else:
                    png = pictures.get(member["icon_sha256"])
                    if png:
                        st.image(png, caption=member["group_id"], width=96)
                    if who.can("reveal_icon") and st.button("Reveal", key=f"reveal_{member['group_id']}"):
                        try:
                            revealed[key] = reveal(engine, who, case_id, member["group_id"], policy)
                            st.rerun()
                        except RevealError as error:
                            st.error(str(error))

with timeline_tab:
    events = [e for e in detail["timeline"] if e["event"] != "first seen"] or detail["timeline"]
    st.dataframe(pd.DataFrame(events, columns=["at", "group_id", "name", "event", "detail"]), hide_index=True,
                 width="stretch")

with decisions_tab:
    if not detail["decisions"]:
        st.caption("No decisions yet.")
    for d in reversed(detail["decisions"]):
        scope = "whole cluster" if d["scope"] == "cluster" else f"{len(d['group_ids'])} member(s)"
        state_text = "" if d["state"] == "final" else f" · {d['state']}" + (
            f" by {d['reviewer']}" if d["reviewer"] else "")
        st.markdown(f"**{ACTION_LABELS[d['action']]}** {d['category'] or ''} · {scope} · {d['author']} · "
                    f"{d['created_at'][:16]}{state_text}")
        if d["note"]:
            st.caption(d["note"])
