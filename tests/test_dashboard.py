"""Dashboard pages under Streamlit's AppTest: sign-in, queue, case, decisions, escalations, metrics, audit,
settings, and refusals by role. The database is a real scan of the planted-ring world (tests.test_review)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from scanner.auth.users import User, add_user
from scanner.engine.pipeline import run_scan
from scanner.policy import default_policy
from scanner.review.cases import queue
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.review_models import ReviewCase, ReviewDecision, UserPreference
from tests.support.databases import copy_database
from tests.support.factories import with_icons, write_jsonl

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PASSWORD = "correct horse battery"
USERS = {"mia": "moderator", "noor": "moderator", "lee": "lead", "lou": "lead", "ada": "auditor", "adm": "admin"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash")
    data = root / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", with_icons(data))
    engine = open_database(str(root / "template.db"))
    run_scan(engine, data, default_policy())
    for name, role in USERS.items():
        add_user(engine, name, role, PASSWORD)
    engine.dispose()
    return root / "template.db"


@pytest.fixture
def db(template, tmp_path, monkeypatch):
    path = tmp_path / "dash.db"
    copy_database(template, path)
    monkeypatch.setenv("GROUPSCAN_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("GROUPSCAN_DEMO", raising=False)
    return open_database(str(path))


def signed_in(name: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button]


def open_top_case(at: AppTest) -> str:
    (first,) = [k for k in keys(at) if k.startswith("open_")][:1]
    at.button(key=first).click().run()
    assert not at.exception
    return first.removeprefix("open_")


def record(at: AppTest, action: str, note: str = "", category: str | None = None, then_next: bool = False) -> None:
    """Fill the decision form, submit it, and confirm (the confirmation names the groups and category)."""
    at.radio(key="decision_action").set_value(action)
    if category:
        at.selectbox(key="decision_category").set_value(category)
    at.text_area(key="decision_note").input(note)
    next(b for b in at.button if b.label == "Record decision").click().run()
    assert not at.exception
    at.button(key="decision_confirm_next" if then_next else "decision_confirm").click().run()
    assert not at.exception


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [e.value for e in at.error] + [s.value for s in at.success] + [w.value for w in at.warning]
    parts += [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_sign_in_refuses_a_wrong_password_and_shows_nothing_else(db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert [t.value for t in at.title] == ["groupscan review"]
    at.text_input(key="login_name").input("mia")
    at.text_input(key="login_password").input("wrong password here")
    at.button[0].click().run()
    assert "Wrong user name or password" in at.error[0].value
    assert not any(k and k.startswith("open_") for k in keys(at))
    assert [e["action"] for e in audit.events(db, target="mia")] == ["login_failed"]


def test_queue_lists_cases_most_severe_first_and_counts_breaches(db):
    at = signed_in("mia")
    assert at.title[0].value == "Queue"
    assert ":red-badge[P0]" in at.markdown[0].value
    assert at.metric[0].label == "Past deadline"
    total = queue(db, User("mia", "moderator")).total
    assert f"{total} case(s)" in texts(at)
    at.selectbox(key="q_category").set_value("scam").run()
    assert "Nothing waiting" in texts(at)


def test_a_moderator_claims_and_decides_from_the_case_view(db):
    at = signed_in("mia")
    case_id = open_top_case(at)
    assert at.title[0].value == f"Case {case_id}"
    assert "Why flagged" in [t.label for t in at.tabs]
    at.button(key="claim").click().run()
    assert "Claimed by **mia**" in texts(at)
    record(at, "violating", "admins shared with a known ring", "child_safety")
    assert "Decision recorded: Violating." in texts(at)
    with Session(db) as session:
        decision = session.exec(select(ReviewDecision)).one()
        assert session.get(ReviewCase, case_id).status == "violating"
    assert (decision.author, decision.action, decision.category) == ("mia", "violating", "child_safety")
    assert audit.verify(db).intact


def test_a_moderator_cannot_approve_an_escalation(db):
    at = signed_in("mia")
    case_id = open_top_case(at)
    at.button(key="claim").click().run()
    record(at, "escalate", "needs law enforcement", "child_safety")
    assert "Escalate" in texts(at)
    other = signed_in("noor")
    other.session_state["case_id"] = case_id
    other.switch_page("views/case.py").run()
    assert not any(k and k.startswith("esc_approve") for k in keys(other))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        other.switch_page("views/escalations.py")
    lead = signed_in("lee")
    lead.switch_page("views/escalations.py").run()
    (approve,) = [k for k in keys(lead) if k.startswith("approve_")]
    lead.button(key=approve).click().run()
    assert not lead.exception
    with Session(db) as session:
        assert session.get(ReviewCase, case_id).status == "escalated"


def test_a_lead_cannot_approve_their_own_escalation(db):
    at = signed_in("lee")
    case_id = open_top_case(at)
    at.button(key="claim").click().run()
    record(at, "escalate", "clear ring", "child_safety")
    at.switch_page("views/escalations.py").run()
    assert "Your own escalation" in texts(at)
    assert not any(k and k.startswith("approve_") for k in keys(at))
    with Session(db) as session:
        assert session.get(ReviewCase, case_id).status == "escalation_pending"


def test_an_auditor_reads_cases_and_the_audit_log_but_cannot_decide(db):
    at = signed_in("ada")
    open_top_case(at)
    assert "can read this case but not decide" in texts(at)
    assert "claim" not in keys(at) and not any(b.label == "Record decision" for b in at.button)
    at.switch_page("views/audit.py").run()
    at.button(key="audit_verify").click().run()
    assert "Intact" in at.success[0].value
    assert not at.dataframe[0].value.empty


def test_icons_are_blurred_and_only_a_lead_reveals_them_with_a_reason_audited(db):
    mod = signed_in("mia")
    case_id = open_top_case(mod)
    assert not mod.get("image")  # thumbnails are made only when the Members tab opens
    mod.session_state["case_tab"] = "Members"
    mod.run()
    assert "reveal_go" not in keys(mod)
    assert len(mod.get("image")) >= 1  # the blurred thumbnail
    lead = signed_in("lee")
    lead.session_state["case_id"] = case_id
    lead.switch_page("views/case.py").run()
    lead.session_state["case_tab"] = "Members"
    lead.run()
    lead.selectbox(key="reveal_group").set_value("wa:ring0").run()
    lead.button(key="reveal_go").click().run()
    assert "say why" in texts(lead) and not audit.events(db, action="icon_reveal")
    lead.text_input(key="reveal_reason").input("compare with the user report")
    lead.button(key="reveal_go").click().run()
    assert not lead.exception
    assert any("(original, blurred again in" in str(i.proto) for i in lead.get("image"))
    (event,) = audit.events(db, action="icon_reveal")
    assert event["actor"] == "lee" and event["details"]["group_id"] == "wa:ring0"
    assert event["details"]["reason"] == "compare with the user report"
    lead.session_state["revealed"] = {k: (png, 0.0) for k, (png, _) in lead.session_state["revealed"].items()}
    lead.run()  # the reveal time has passed: blurred again
    assert not any("(original" in str(i.proto) for i in lead.get("image"))


def test_metrics_page_for_a_lead_and_not_for_a_moderator(db):
    at = signed_in("mia")
    open_top_case(at)
    at.button(key="claim").click().run()
    record(at, "benign", "names of a school class")
    with pytest.raises(ValueError):
        at.switch_page("views/metrics.py")
    lead = signed_in("lee")
    lead.switch_page("views/metrics.py").run()
    assert not lead.exception
    assert lead.title[0].value == "Review metrics"
    assert len(lead.get("plotly_chart")) >= 2
    assert lead.metric[0].label == "Open cases"


def test_preferences_persist_and_an_admin_adds_users(db):
    at = signed_in("mia")
    at.switch_page("views/settings.py").run()
    at.slider(key="pref_blur").set_value(4.0)
    at.checkbox(key="pref_hide").check()
    next(b for b in at.button if b.label == "Save").click().run()
    with Session(db) as session:
        pref = session.get(UserPreference, "mia")
    assert pref.extra_blur == 4.0 and pref.hide_icons
    assert "Users" not in [s.value for s in at.subheader]
    admin = signed_in("adm")
    admin.switch_page("views/settings.py").run()
    admin.text_input(key="new_user_name").input("omar")
    admin.text_input(key="new_user_password").input("a long enough password")
    next(b for b in admin.button if b.label == "Add user").click().run()
    assert "Added omar" in texts(admin)
    assert audit.events(db, action="user_added")[0]["actor"] == "adm"


def test_sessions_expire_and_the_break_reminder_appears(db):
    at = signed_in("mia")
    at.session_state["queue_since"] = time.time() - 3 * 3600
    at.run()
    assert "You have been reviewing for" in texts(at)
    at.session_state["last_active"] = time.time() - 3 * 3600
    at.run()
    assert "expired" in texts(at) and at.title[0].value == "groupscan review"


def test_demo_mode_says_so_on_every_page(db, monkeypatch):
    monkeypatch.setenv("GROUPSCAN_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert "DEMO MODE" in at.error[0].value
    at = signed_in("mia")
    assert "DEMO MODE" in at.error[0].value


def test_a_case_link_from_an_alert_opens_the_case_after_sign_in(db):
    case_id = queue(db, User("mia", "moderator")).rows[0]["case_id"]
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["case"] = case_id
    at.run()
    at.text_input(key="login_name").input("mia")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == f"Case {case_id}"


def test_a_lead_downloads_the_evidence_bundle_of_an_approved_escalation(db):
    from scanner.policy import default_policy
    from scanner.review.decisions import claim, decide, review_escalation

    policy = default_policy()
    case_id = queue(db, User("mia", "moderator")).rows[0]["case_id"]
    claim(db, User("lee", "lead"), case_id, policy)
    decision = decide(db, User("lee", "lead"), case_id, "escalate", policy, category="child_safety", note="ring")
    review_escalation(db, User("lou", "lead"), decision, approve=True, policy=policy)
    mod = signed_in("mia")
    mod.session_state["case_id"] = case_id
    mod.switch_page("views/case.py").run()
    assert "prepare_bundle" not in keys(mod)
    at = signed_in("lou")
    at.session_state["case_id"] = case_id
    at.switch_page("views/case.py").run()
    at.button(key="prepare_bundle").click().run()
    assert not at.exception
    (event,) = audit.events(db, action="evidence_exported")
    assert event["actor"] == "lou" and event["details"]["bundle_sha256"] in texts(at)


def test_dead_letters_are_listed_and_resent_by_a_lead(db):
    from datetime import UTC, datetime

    from scanner.store.review_models import WebhookDelivery

    now = datetime.now(UTC)
    with Session(db) as session, session.begin():
        session.add(WebhookDelivery(event="decision", url="http://127.0.0.1:9/hook", secret_env="X",
                                    payload={"case_id": "c-1"}, status="dead", attempts=6, next_attempt_at=now,
                                    last_error="HTTP 500", created_at=now))
    mod = signed_in("mia")
    with pytest.raises(ValueError):
        mod.switch_page("views/deliveries.py")
    at = signed_in("lee")
    at.switch_page("views/deliveries.py").run()
    assert not at.dataframe[0].value.empty
    (resend,) = [k for k in keys(at) if k.startswith("resend_")]
    at.button(key=resend).click().run()
    assert "No dead deliveries." in texts(at)
    assert audit.events(db, action="webhook_retry")[0]["actor"] == "lee"


def test_nothing_is_preselected_and_a_p0_decision_needs_a_note_and_a_confirmation(db):
    at = signed_in("mia")
    case_id = open_top_case(at)
    at.button(key="claim").click().run()
    assert at.radio(key="decision_action").value is None
    assert at.selectbox(key="decision_category").value is None
    next(b for b in at.button if b.label == "Record decision").click().run()  # an untouched click
    assert "Choose a decision." in texts(at)
    at.radio(key="decision_action").set_value("benign")
    next(b for b in at.button if b.label == "Record decision").click().run()
    assert "needs a note" in texts(at)
    assert "decision_confirm" not in keys(at)
    at.radio(key="decision_action").set_value("violating")
    at.selectbox(key="decision_category").set_value("child_safety")
    at.text_area(key="decision_note").input("shared admins with the ring")
    next(b for b in at.button if b.label == "Record decision").click().run()
    size = queue(db, User("mia", "moderator")).rows[0]["size"]
    assert f"Record **{size} group(s)**" in texts(at) and "**child safety**" in texts(at)
    at.button(key="decision_cancel").click().run()
    with Session(db) as session:
        assert session.exec(select(ReviewDecision)).all() == []
        assert session.get(ReviewCase, case_id).status == "open"


def test_the_service_refuses_a_benign_p0_decision_without_a_note(db):
    from scanner.review.decisions import ReviewError, claim, decide

    policy = default_policy()
    row = queue(db, User("mia", "moderator")).rows[0]
    assert row["severity"] == "P0"
    claim(db, User("mia", "moderator"), row["case_id"], policy)
    with pytest.raises(ReviewError, match="needs a note"):
        decide(db, User("mia", "moderator"), row["case_id"], "benign", policy)
    with pytest.raises(ReviewError, match="the case changed"):
        decide(db, User("mia", "moderator"), row["case_id"], "benign", policy, note="x",
               confirmed_groups=row["size"] + 1)


def test_save_and_next_then_undo_within_the_window(db):
    from scanner.store.models import TextLabel

    at = signed_in("mia")
    case_id = open_top_case(at)
    at.button(key="claim").click().run()
    record(at, "benign", "a school class, checked", then_next=True)
    assert "Decision recorded: Benign." in texts(at)
    assert at.title[0].value == "Queue" and "Nothing else is waiting" in texts(at)  # the only case
    with Session(db) as session:
        assert session.get(ReviewCase, case_id).status == "benign"
        assert session.exec(select(TextLabel).where(TextLabel.source == "decision")).all()
    (undo_key,) = [k for k in keys(at) if k == "undo_decision"]
    at.button(key=undo_key).click().run()
    assert not at.exception
    assert at.title[0].value == f"Case {case_id}" and "Decision undone" in texts(at)
    with Session(db) as session:
        case = session.get(ReviewCase, case_id)
        assert (case.status, case.assignee) == ("open", "mia")
        assert session.exec(select(ReviewDecision)).one().state == "undone"
        assert session.exec(select(TextLabel).where(TextLabel.source == "decision")).all() == []
    (event,) = audit.events(db, action="decision_undone")
    assert event["actor"] == "mia" and event["target"] == case_id
    assert audit.verify(db).intact


def test_undo_is_refused_after_the_window_and_for_someone_else(db):
    from datetime import UTC, datetime, timedelta

    from scanner.review.decisions import ReviewError, claim, decide, undo

    policy = default_policy()
    mia, noor = User("mia", "moderator"), User("noor", "moderator")
    case_id = queue(db, mia).rows[0]["case_id"]
    claim(db, mia, case_id, policy)
    decision = decide(db, mia, case_id, "violating", policy, note="ring", category="child_safety")
    with pytest.raises(ReviewError, match="only the moderator who made"):
        undo(db, noor, decision, policy)
    later = datetime.now(UTC) + timedelta(seconds=policy.review.undo_seconds + 1)
    with pytest.raises(ReviewError, match="have passed"):
        undo(db, mia, decision, policy, now=later)
    assert undo(db, mia, decision, policy) == case_id


def test_hash_list_matches_are_named_for_each_icon():
    from dashboard.plain import hash_lists

    member = {"reasons": [{"signal": "hash_bank", "feature": "demo_known_icons"}, {"signal": "lexicon"}]}
    assert hash_lists(member) == ["demo_known_icons"]


def test_a_user_who_chose_hindi_gets_the_pages_in_hindi(db):
    from scanner.review.prefs import preferences, save_preferences

    mia = User("mia", "moderator")
    chosen = preferences(db, mia, default_policy())
    save_preferences(db, mia, chosen.__class__(chosen.extra_blur, chosen.hide_icons, chosen.break_minutes, "hi",
                                               "Asia/Kolkata"))
    at = signed_in("mia")
    assert at.title[0].value == "कतार"
    assert "बाल सुरक्षा" in texts(at) and "IST" in texts(at)
    # (AppTest cannot click past a select box whose labels differ from its values; the browser test does.)
    case_id = queue(db, mia).rows[0]["case_id"]
    page = AppTest.from_file(APP, default_timeout=60)
    now = time.time()
    for key, value in {"user": {"name": "mia", "role": "moderator"}, "signed_in_at": now, "last_active": now,
                       "queue_since": now, "case_id": case_id, "open_case_now": True}.items():
        page.session_state[key] = value
    page.run()
    assert page.title[0].value == f"केस {case_id}"
    assert "क्यों चिह्नित" in [t.label for t in page.tabs]
    assert "हैश सूची" in texts(page) or "इसका आइकन" in texts(page) or "टेक्स्ट मॉडल" in texts(page)


def test_an_admin_disables_changes_roles_and_resets_passwords_audited(db):
    from scanner.auth.users import UserError, finish_password_reset, sign_in

    admin = signed_in("adm")
    admin.switch_page("views/settings.py").run()
    admin.selectbox(key="admin_user").set_value("noor").run()
    admin.button(key="admin_disable").click().run()
    assert sign_in(db, "noor", PASSWORD) is None
    admin.button(key="admin_enable").click().run()
    assert sign_in(db, "noor", PASSWORD) is not None
    admin.selectbox(key="admin_role").set_value("lead").run()
    admin.button(key="admin_change_role").click().run()
    assert sign_in(db, "noor", PASSWORD).role == "lead"
    admin.button(key="admin_reset").click().run()
    token = admin.code[0].value
    with pytest.raises(UserError, match="wrong, used or expired"):
        finish_password_reset(db, "noor", "not the token", "a brand new password")
    finish_password_reset(db, "noor", token, "a brand new password")
    assert sign_in(db, "noor", "a brand new password") is not None
    with pytest.raises(UserError):
        finish_password_reset(db, "noor", token, "another new password")  # once only
    actions = [e["action"] for e in audit.events(db, actor="adm")]
    assert {"user_disabled", "user_enabled", "role_changed", "password_reset"} <= set(actions)
    assert token not in str(audit.events(db))
    moderator = signed_in("mia")
    moderator.switch_page("views/settings.py").run()
    assert "admin_user" not in [s.key for s in moderator.selectbox]


def test_a_disabled_user_is_signed_out_at_the_next_page_load(db):
    from scanner.auth.users import set_disabled

    at = signed_in("mia")
    set_disabled(db, User("adm", "admin"), "mia", True)
    at.run()
    assert "no longer active" in texts(at) and at.title[0].value == "groupscan review"


def test_an_auditor_filters_the_audit_log_by_people_and_human_action_names(db):
    at = signed_in("ada")
    signed_in("mia")
    at.switch_page("views/audit.py").run()
    at.multiselect(key="audit_action").select("login").run()
    at.multiselect(key="audit_actor").select("mia").run()
    frame = at.dataframe[0].value
    assert list(frame.iloc[:, 1]) == ["mia signed in"]
    assert "{" not in " ".join(frame.iloc[:, 1])


def test_the_graph_explains_evidence_focus_and_ties(db):
    from dashboard import graphview
    from scanner.review.case_view import case_detail, case_graph

    lead = User("lee", "lead")
    case_id = queue(db, lead).rows[0]["case_id"]
    detail = case_detail(db, lead, case_id)
    graph = case_graph(db, lead, case_id, default_policy())
    assert graphview.evidence_of([{"signal": "graph"}, {"signal": "cluster"}]) == "inherited"
    assert graphview.evidence_of([{"signal": "lexicon"}, {"signal": "hash_bank"}]) == "hash"
    names = {m["group_id"]: m["name"] for m in detail["members"]}
    rows = graphview.ties(graph, names)
    assert rows and all(r["groups"] >= 2 for r in rows)
    assert [r["groups"] for r in rows] == sorted((r["groups"] for r in rows), reverse=True)
    focus = graphview.focused(graph, "wa:ring0", hops=1)
    near = {e["target"] for e in graph["edges"] if e["source"] == "group:wa:ring0"} | {
        e["source"] for e in graph["edges"] if e["target"] == "group:wa:ring0"}
    assert {n["id"] for n in focus["nodes"]} == near | {"group:wa:ring0"}
    assert len(focus["nodes"]) < len(graph["nodes"])
    figure = graphview.figure(graph, {m["group_id"]: graphview.evidence_of(m["reasons"]) for m in detail["members"]},
                              names)
    assert {t.name for t in figure.data if t.name and t.name.startswith("group:")}
    (ring0,) = [m for m in detail["members"] if m["group_id"] == "wa:ring0"]
    assert ring0["admins"] and "posts_links_of" in ring0
