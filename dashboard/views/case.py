"""One case: summary, reasons in plain sentences (technical detail behind a toggle), the cluster graph, members
with blurred icons, the timeline, and the decision panel (claim, decide through a confirmation, escalate; leads
approve escalations of others). The graph and the thumbnails are computed only when their tab is open."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from dashboard import graphview, plain, state
from dashboard.i18n import _
from scanner.auth.users import PermissionDenied, User
from scanner.escalation.bundle import export_zip
from scanner.review.case_view import case_detail, case_graph, record_view
from scanner.review.cases import CaseNotFound, next_case
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

DECIDED = ("benign", "violating", "escalated")
# Keyboard shortcuts for the common path (shown on the buttons). Streamlit reserves C and R.
SHORTCUTS = {"claim": "Alt+K", "record": "Mod+Enter", "confirm": "Alt+Y", "confirm_next": "Alt+N",
             "cancel": "Alt+X"}


@st.cache_data(ttl=600, max_entries=50, show_spinner=False)
def _graph(_user: User, name: str, role: str, case_id: str, revision: str) -> dict:
    """The laid-out graph, cached per case revision and user: the layout is the slow part."""
    return case_graph(state.engine(), _user, case_id, state.policy())


def cached_graph(user: User, case_id: str, revision: str) -> dict:
    return _graph(user, user.name, user.role, case_id, revision)


def confirmation_text(pending: dict) -> str:
    """The sentence a moderator confirms: what, on how many groups, in which category."""
    what = {"benign": _("as benign"), "violating": _("as violating"),
            "more_info": _("as needing more information"), "escalate": _("for escalation to a lead")}
    scope = _("the whole cluster") if not pending["group_ids"] else _("the chosen members")
    category = _(" in the category **{category}**", category=plain.category(pending["category"])) \
        if pending["category"] and pending["action"] in ("violating", "escalate") else ""
    return _("Record **{n} group(s)** ({scope}) {what}{category}? Check before you confirm.", n=pending["groups"],
             scope=scope, what=what[pending["action"]], category=category)


who = state.user()
assert who is not None
engine, policy = state.engine(), state.policy()
prefs = state.prefs(who)
zone = prefs.timezone
state.break_reminder(who)

case_id = st.session_state.get("case_id") or st.query_params.get("case")
if not case_id:
    st.info(_("Open a case from the queue."))
    st.page_link("views/queue.py", label=_("Go to the queue"), icon=":material/inbox:")
    st.stop()
st.session_state["case_id"] = case_id
if st.query_params.get("case") != case_id:
    st.query_params["case"] = case_id  # a reload (or a copied address) comes back to this case
st.session_state["case_param"] = case_id
try:
    detail = case_detail(engine, who, case_id)
except CaseNotFound:
    st.error(_("There is no case {case}.", case=case_id))
    st.stop()
if st.session_state.get("viewed_case") != case_id:  # audited once per opening, not at every click inside it
    record_view(engine, who, case_id)
    st.session_state["viewed_case"] = case_id

st.page_link("views/queue.py", label=_("Back to the queue"), icon=":material/arrow_back:")
st.title(_("Case {case}", case=case_id))
top = st.columns([1, 2, 1, 1.3, 1.8, 1.5])
top[0].metric(_("Severity"), detail["severity"] or "–")
top[1].metric(_("Category"), plain.category(detail["category"]))
top[2].metric(_("Risk"), f"{detail['risk']:.2f}")
new_groups = detail["growth"]["new_last_7_days"]
top[3].metric(_("Groups"), detail["size"], delta=_("+{n} in 7 days", n=new_groups) if new_groups else None,
              delta_color="inverse")
top[4].markdown(f"**{_('Status')}**  \n{plain.status(detail['status'])}")
left = detail["hours_left"]
if detail["status"] in DECIDED:
    deadline = _("decided")
elif detail["overdue"] and left is not None:
    deadline = ":red[**" + _("overdue by {time}", time=plain.hours(left)) + "**]"
else:
    deadline = _("{time} left", time=plain.hours(left)) if left is not None else "–"
top[5].markdown(f"**{_('Deadline')}**  \n{deadline}")
structure = detail["structure"]
st.caption(_("First seen {when} · {pairs} linked pairs · {admins} shared admins · {icons} shared icon families · "
             "platforms {platforms}", when=plain.when(detail["growth"]["first_seen"], zone),
             pairs=structure.get("linked_pairs", 0), admins=structure.get("shared_admins", 0),
             icons=structure.get("icon_families", 0), platforms=", ".join(structure.get("platforms", []))))

# --- Decision panel -------------------------------------------------------------------------------------------
with st.container(border=True):
    holder = detail["assignee"]
    if holder:
        st.write(_("Claimed by **{holder}** until {when}.", holder=holder,
                   when=plain.when(detail["claim_expires_at"], zone)))
    buttons = st.columns([1, 1, 6])
    if who.can("claim") and detail["status"] in ("open", "needs_info") and holder in (None, who.name):
        mine = holder == who.name
        if buttons[0].button(_("Renew claim") if mine else _("Claim"), key="claim",
                             type="secondary" if mine else "primary", shortcut=SHORTCUTS["claim"]):
            try:
                claim(engine, who, case_id, policy)
                st.rerun()
            except (ClaimConflict, ReviewError) as error:
                st.error(str(error))
        if mine and buttons[1].button(_("Release"), key="release"):
            release(engine, who, case_id)
            st.rerun()
    if detail["status"] in DECIDED:
        st.caption(_("Decided ({status}). The case reopens by itself when its evidence changes.",
                     status=plain.status(detail["status"])))
    if detail["status"] == "escalation_pending":
        st.info(_("An escalation of this case waits for a lead's approval; nobody can decide it until then."))
    if holder == who.name and who.can("decide"):
        names = {m["group_id"]: m["name"] or m["group_id"] for m in detail["members"]}
        with st.form("decide"):
            action = st.radio(_("Decision"), list(plain.ACTIONS), format_func=plain.action, horizontal=True,
                              index=None, key="decision_action")
            category = st.selectbox(_("Category (for violating or escalate)"), list(policy.categories), index=None,
                                    format_func=plain.category, placeholder=_("Choose a category"),
                                    key="decision_category")
            chosen = st.multiselect(_("Only these members (leave empty for the whole cluster)"), list(names),
                                    format_func=lambda gid: f"{names[gid]} ({gid})", key="decision_members")
            required = _("required for benign and violating") if detail["severity"] in \
                policy.review.note_required_severities else _("required for escalate and more info")
            note = st.text_area(_("Note ({required})", required=required), key="decision_note", max_chars=4000)
            if st.form_submit_button(_("Record decision"), type="primary", shortcut=SHORTCUTS["record"]):
                problem = decision_problem(None if action is None else str(action), category, note,
                                           detail["severity"], policy)
                if problem:
                    st.error(_(problem))
                else:
                    st.session_state["pending_decision"] = {
                        "case_id": case_id, "action": str(action), "category": category,
                        "groups": len(chosen) if chosen else detail.get("decision_size", detail["size"]),
                        "group_ids": chosen, "note": note}
        pending = st.session_state.get("pending_decision")
        if pending and pending["case_id"] == case_id:
            with st.container(border=True):
                st.warning(confirmation_text(pending))
                yes, yes_next, cancel, _spare = st.columns([1, 1.4, 1, 3])
                confirmed = yes.button(_("Confirm"), key="decision_confirm", type="primary",
                                       shortcut=SHORTCUTS["confirm"])
                confirmed_next = yes_next.button(_("Confirm and open next case"), key="decision_confirm_next",
                                                 shortcut=SHORTCUTS["confirm_next"])
                if cancel.button(_("Cancel"), key="decision_cancel", shortcut=SHORTCUTS["cancel"]):
                    st.session_state.pop("pending_decision", None)
                    st.rerun()
                if confirmed or confirmed_next:
                    try:
                        decision_id = decide(engine, who, case_id, pending["action"], policy, note=pending["note"],
                                             category=pending["category"], group_ids=pending["group_ids"] or None,
                                             confirmed_groups=pending["groups"])
                        st.session_state.pop("pending_decision", None)
                        st.session_state["last_decision"] = {"id": decision_id, "case_id": case_id,
                                                             "action": pending["action"], "at": time.time()}
                        st.session_state["flash_ok"] = _("Decision recorded: {action}.",
                                                         action=plain.action(pending["action"]))
                        state.kick_webhooks()
                        following = next_case(engine, who, after=case_id) if confirmed_next else None
                        if following:
                            st.session_state["case_id"] = following
                        elif confirmed_next:
                            st.session_state["flash_ok"] += " " + _("Nothing else is waiting for you.")
                            st.switch_page("views/queue.py")
                        st.rerun()
                    except (ReviewError, PermissionDenied) as error:
                        st.session_state.pop("pending_decision", None)
                        st.error(str(error))
    elif not who.can("decide"):
        st.caption(_("Your role ({role}) can read this case but not decide it.", role=who.role))
    if "flash_ok" in st.session_state:
        st.success(st.session_state.pop("flash_ok"))
    if who.can("approve_escalation"):
        for waiting in [p for p in pending_escalations(engine, who) if p["case_id"] == case_id]:
            st.warning(_("Escalation #{id} by **{author}** ({category}): {note}", id=waiting["id"],
                         author=waiting["author"], category=plain.category(waiting["category"]),
                         note=waiting["note"]))
            if waiting["author"] == who.name:
                st.caption(_("Your own escalation: another lead must approve it."))
                continue
            review_note = st.text_input(_("Note to the moderator"), key=f"esc_note_{waiting['id']}")
            approve_col, reject_col, _spare = st.columns([1, 1, 6])
            for column, approve, label, key in ((approve_col, True, _("Approve"), "approve"),
                                                (reject_col, False, _("Reject"), "reject")):
                if column.button(label, key=f"esc_{key}_{waiting['id']}"):
                    try:
                        review_escalation(engine, who, waiting["id"], approve, review_note, policy=policy)
                        state.kick_webhooks()
                        st.rerun()
                    except ReviewError as error:
                        st.error(str(error))

    if detail["status"] == "escalated" and who.can("export_evidence"):
        if st.button(_("Prepare evidence bundle"), key="prepare_bundle"):
            archive, digest = export_zip(engine, who, case_id, policy)
            st.session_state["bundle"] = (case_id, archive, digest)
        prepared = st.session_state.get("bundle")
        if prepared and prepared[0] == case_id:
            st.download_button(_("Download bundle (zip)"), prepared[1], file_name=f"evidence-{case_id}.zip",
                               mime="application/zip", key="download_bundle")
            st.caption(_("Bundle SHA-256 (of its manifest, recorded in the audit log): `{digest}`",
                         digest=prepared[2]))

# --- Evidence -------------------------------------------------------------------------------------------------
# Tabs run lazily: the graph layout and the thumbnails are computed only when their tab is open.
TABS = {"reasons": _("Why flagged"), "graph": _("Graph"), "members": _("Members"), "timeline": _("Timeline"),
        "decisions": _("Decisions")}
reasons_tab, graph_tab, members_tab, timeline_tab, decisions_tab = st.tabs(
    list(TABS.values()), key="case_tab", on_change="rerun")

with reasons_tab:
    technical = st.toggle(_("Show technical detail"), key="reasons_technical")
    seen: set[str] = set()
    for item in detail["reasons"]:
        sentence = plain.reason(item)
        if sentence in seen:
            continue
        seen.add(sentence)
        st.markdown(f"- {sentence} · _{plain.category(item.get('category'))}_")
        if technical:
            st.caption(plain.technical(item))
    if detail["category_counts"]:
        st.caption(_("Flagged members by category: {counts}", counts=", ".join(
            f"{plain.category(c)} {n}" for c, n in sorted(detail["category_counts"].items()))))


def graph_panel() -> None:
    assert who is not None and case_id
    graph = cached_graph(who, case_id, str(detail.get("revision") or f"{detail['risk']}:{detail['size']}"))
    if graph["truncated"]:
        st.caption(_("Large cluster: showing the riskiest groups and their nearest neighbours."))
    names = {m["group_id"]: m["name"] or m["group_id"] for m in detail["members"]}
    evidence = {m["group_id"]: graphview.evidence_of(m["reasons"]) for m in detail["members"]}
    focus = st.selectbox(_("Focus on one group and its neighbours"), list(names), index=None,
                         format_func=lambda gid: names[gid], placeholder=_("the whole cluster"), key="graph_focus")
    as_table = st.toggle(_("Show the ties as a table"), key="graph_table")
    view = graphview.focused(graph, focus)
    if as_table:
        st.dataframe(graphview.ties(view, names), hide_index=True, width="stretch")
        return
    event = st.plotly_chart(graphview.figure(view, evidence, names), on_select="rerun", selection_mode="points",
                            key="case_graph", width="stretch")
    picked = graphview.selected_group(event)
    if picked:
        st.session_state["picked_group"] = picked
    picked = st.session_state.get("picked_group")
    member = next((m for m in detail["members"] if m["group_id"] == picked), None)
    if member:
        with st.container(border=True):
            st.markdown(f"**{member['name'] or _('(no name)')}** · `{member['group_id']}` · "
                        f"{_('risk')} {member['risk']:.2f}")
            if member["description"]:
                st.write(member["description"])
            shown: set[str] = set()
            for item in member["reasons"]:
                sentence = plain.reason(item)
                if sentence not in shown and len(shown) < 6:
                    shown.add(sentence)
                    st.markdown(f"- {sentence}")
    else:
        st.caption(_("Click a group in the graph to see it here."))


with graph_tab:
    if graph_tab.open:
        graph_panel()


def icon_grid(members: list[dict], extra_blur: float) -> None:
    """Blurred greyscale icons labelled by group name, hash-list matches marked; a reveal (leads) asks why, is
    audited with that reason, and shows the original for ``review.reveal_seconds`` before blurring it again."""
    assert who is not None and case_id
    seconds = policy.review.reveal_seconds
    now = time.time()
    revealed = {k: v for k, v in st.session_state.get("revealed", {}).items() if now - v[1] < seconds}
    expired = len(revealed) < len(st.session_state.get("revealed", {}))
    st.session_state["revealed"] = revealed
    if expired:
        st.rerun()  # blurred again: a full run also stops this fragment's timer
    shown = members[:60]
    pictures = thumbnails(engine, who, [m["icon_sha256"] for m in shown], extra_blur)
    names = {m["group_id"]: m["name"] or m["group_id"] for m in shown}
    if who.can("reveal_icon"):
        with st.container(border=True):
            st.caption(_("Revealing shows one original in colour for {seconds} s, then blurs it again. Say why "
                         "you need it: the reason is audited.", seconds=seconds))
            pick, why, go = st.columns([2, 3, 1])
            target = pick.selectbox(_("Group"), list(names), format_func=lambda gid: names[gid], index=None,
                                    placeholder=_("Choose a group"), key="reveal_group")
            reason = why.text_input(_("Reason"), key="reveal_reason",
                                    placeholder=_("e.g. compare with the report"))
            if go.button(_("Reveal original"), key="reveal_go", disabled=target is None):
                try:
                    png = reveal(engine, who, case_id, str(target), policy, reason=reason)
                    revealed[f"{case_id}:{target}"] = (png, time.time())
                    st.rerun()
                except RevealError as error:
                    st.error(_(str(error)))
    grid = st.columns(6)
    for index, member in enumerate(shown):
        with grid[index % 6]:
            label = names[member["group_id"]][:40]
            held = revealed.get(f"{case_id}:{member['group_id']}")
            if held:
                remaining = max(0, int(seconds - (now - held[1])))
                st.image(held[0], caption=_("{name} (original, blurred again in {n} s)", name=label, n=remaining),
                         width=120)
            elif member["icon_sha256"] in pictures:
                st.image(pictures[member["icon_sha256"]], caption=label, width=96)
            lists = plain.hash_lists(member)
            if lists:
                st.markdown(":red-badge[" + _("hash list") + "]", help=", ".join(lists))


with members_tab:
    table = pd.DataFrame([{
        _("name"): m["name"], _("reads as"): m["reads_as"], _("members"): m["member_count"],
        _("first seen"): plain.when(m["first_seen"], zone), _("risk"): round(m["risk"], 2),
        _("category"): plain.category(m["category"]) if m["category"] else "",
        # Connected groups have no evidence of their own (say, their link was posted by the ring): a decision on
        # the whole cluster leaves them out.
        _("in the case as"): _("connected only") if m.get("membership") == "connected" else _("member"),
        _("hash list"): ", ".join(plain.hash_lists(m)),
        _("posts links of (groups here)"): m.get("posts_links_of", 0),
        _("admins"): ", ".join(m.get("admins", []))[:120],
        _("own links"): " ".join(str(u) for u in m.get("own_invite_links", [])),
        _("description"): m["description"], _("platform"): m["platform"], _("group"): m["group_id"]}
        for m in detail["members"]])
    st.dataframe(table, hide_index=True, width="stretch")
    with_icons = [m for m in detail["members"] if m["icon_sha256"]]
    if with_icons and prefs.hide_icons:
        st.caption(_("Icons hidden by your preference (Settings)."))
    elif with_icons and members_tab.open:
        st.caption(_("Icons are blurred and greyscale."))
        timer = 1 if st.session_state.get("revealed") else None
        st.fragment(icon_grid, run_every=timer)(with_icons, prefs.extra_blur)

with timeline_tab:
    events = [e for e in detail["timeline"] if e["event"] != "first seen"] or detail["timeline"]
    st.dataframe(pd.DataFrame([{_("when"): plain.when(e["at"], zone), _("group"): e["name"] or e["group_id"],
                                _("what"): plain.event(e["event"]), _("detail"): e["detail"]} for e in events]),
                 hide_index=True, width="stretch")

with decisions_tab:
    if not detail["decisions"]:
        st.caption(_("No decisions yet."))
    for d in reversed(detail["decisions"]):
        scope = _("whole cluster") if d["scope"] == "cluster" else _("{n} member(s)", n=len(d["group_ids"]))
        state_text = "" if d["state"] == "final" else f" · {plain.decision_state(d['state'])}" + (
            " " + _("by {name}", name=d["reviewer"]) if d["reviewer"] else "")
        st.markdown(f"**{plain.action(d['action'])}** {plain.category(d['category']) if d['category'] else ''} · "
                    f"{scope} · {d['author']} · {plain.when(d['created_at'], zone)}{state_text}")
        if d["note"]:
            st.caption(d["note"])
