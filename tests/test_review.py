"""Review services: cases from scans, claims, decisions, four eyes, reopening, reveals, metrics, audit chain.

Runs the real scan on the small planted-ring world of test_pipeline, then acts as moderators would.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import text
from sqlmodel import Session, select

from scanner.auth.users import PermissionDenied, User, sign_in
from scanner.engine.pipeline import run_scan
from scanner.review.case_view import case_detail, case_graph
from scanner.review.cases import QueueFilter, queue, reopen_reason, sync_cases
from scanner.review.decisions import (
    ClaimConflict,
    ReviewError,
    claim,
    confirmed_groups,
    decide,
    pending_escalations,
    review_escalation,
)
from scanner.review.icons import RevealError, reveal, thumbnail
from scanner.review.metrics import review_metrics
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.models import Group, TextLabel
from scanner.store.review_models import AuditEvent, ReviewCase
from tests.support.factories import snapshot, wa, with_icons, write_jsonl
from tests.support.review import ADMIN, AUDITOR, LEAD, LEAD2, MOD, MOD2, RING, ring_case


def test_a_scan_opens_one_case_per_flagged_cluster_and_a_rescan_changes_nothing(scanned):
    engine, data, policy = scanned
    page = queue(engine, MOD)
    assert page.total == 1 and page.rows[0]["severity"] == "P0" and page.rows[0]["size"] == 15
    assert page.rows[0]["top_reason"] and page.rows[0]["deadline_at"]
    with Session(engine) as session:
        before = [c.model_dump() for c in session.exec(select(ReviewCase)).all()]
    summary = run_scan(engine, data, policy)
    assert summary.cases_opened == 0 and summary.cases_reopened == 0
    with Session(engine) as session:
        assert [c.model_dump() for c in session.exec(select(ReviewCase)).all()] == before
    assert sync_cases(engine, policy).updated == 0


def test_one_claim_holder_at_a_time_and_claims_expire(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    now = datetime.now(UTC)
    claim(engine, MOD, case_id, policy, now=now)
    with pytest.raises(ClaimConflict, match="claimed by mia"):
        claim(engine, MOD2, case_id, policy, now=now + timedelta(minutes=5))
    assert queue(engine, MOD, QueueFilter(assignee="mia")).total == 1
    later = now + timedelta(minutes=policy.review.claim_minutes + 1)
    assert queue(engine, MOD, QueueFilter(assignee="-"), now=later).total == 1  # lapsed: back in the pool
    claim(engine, MOD2, case_id, policy, now=later)
    with pytest.raises(ReviewError, match="claim case"):
        decide(engine, MOD, case_id, "benign", policy, now=later)


def test_concurrent_claims_have_exactly_one_winner(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    users = [User(f"m{i}", "moderator") for i in range(6)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(users))

    def attempt(user: User) -> None:
        barrier.wait()
        try:
            claim(engine, user, case_id, policy)
            outcomes.append("won")
        except ClaimConflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 5 + ["won"]
    assert audit.verify(engine).intact


def test_roles_are_enforced_by_the_services(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    with pytest.raises(PermissionDenied):
        claim(engine, AUDITOR, case_id, policy)
    with pytest.raises(PermissionDenied):
        decide(engine, AUDITOR, case_id, "benign", policy)
    with pytest.raises(PermissionDenied):
        review_escalation(engine, MOD, 1, approve=True)
    with pytest.raises(PermissionDenied):
        review_metrics(engine, MOD)
    with pytest.raises(PermissionDenied):
        decide(engine, ADMIN, case_id, "benign", policy)
    assert case_detail(engine, AUDITOR, case_id)["size"] == 15  # auditors read everything


def test_benign_holds_until_the_evidence_changes(scanned):
    engine, data, policy = scanned
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, policy)
    decide(engine, MOD, case_id, "benign", policy, note="school project, checked")
    assert queue(engine, MOD).total == 0
    with Session(engine) as session:
        labels = session.exec(select(TextLabel).where(TextLabel.label == "benign")).all()
    assert {label.text for label in labels} >= {"t33n xxx new link"}
    run_scan(engine, data, policy)
    assert queue(engine, MOD).total == 0, "same evidence: stays closed"
    records = with_icons(data)
    records.append(snapshot("wa:ring15", name="friends 15", own_invite_links=[wa("R15")], admins=["adm:0"],
                            posted_invite_links=[{"url": wa("R1")}, {"url": wa("R2")}, {"url": wa("R3")}],
                            observed_at="2026-09-02T10:00:00Z"))
    write_jsonl(data / "groups.jsonl", records)
    summary = run_scan(engine, data, policy)
    assert summary.cases_reopened == 1
    (row,) = queue(engine, MOD).rows
    assert row["case_id"] == case_id and row["reopened"] == 1
    reopened = audit.events(engine, action="case_reopened")
    assert "wa:ring15" in reopened[0]["details"]["why"]


def test_reopen_rule():
    evidence = {"members": ["a", "b"], "severity": "P2", "severity_rank": 2, "risk": 0.6}
    assert reopen_reason("benign", evidence, {"a", "b"}, "P2", 0.65, 0.1) is None
    assert "risk rose" in reopen_reason("benign", evidence, {"a", "b"}, "P2", 0.71, 0.1)
    assert "severity rose" in reopen_reason("benign", evidence, {"a", "b"}, "P1", 0.6, 0.1)
    assert "1 new group" in reopen_reason("violating", evidence, {"a", "b", "c"}, "P2", 0.6, 0.1)
    assert reopen_reason("violating", evidence, {"a", "b"}, "P0", 0.99, 0.1) is None


def test_violating_members_become_evidence_at_the_next_scan(scanned):
    engine, data, policy = scanned
    case_id = ring_case(engine)
    chosen = ["wa:ring7", "wa:ring8"]  # "friends 7/8": no text evidence of their own
    with Session(engine) as session:
        before = {g: session.get(Group, g).risk for g in chosen}
    claim(engine, MOD, case_id, policy)
    with pytest.raises(ReviewError, match="needs a category"):
        decide(engine, MOD, case_id, "violating", policy)
    with pytest.raises(ReviewError, match="not members"):
        decide(engine, MOD, case_id, "violating", policy, category="child_safety", group_ids=["wa:b1"], note="ring")
    decide(engine, MOD, case_id, "violating", policy, category="child_safety", group_ids=chosen, note="ring")
    assert set(confirmed_groups(engine)) == set(chosen)
    run_scan(engine, data, policy)
    with Session(engine) as session:
        for gid in chosen:
            group = session.get(Group, gid)
            assert group.risk > before[gid]
            assert any(r["signal"] == "review" and r["value"] == case_id for r in group.reasons)
        labels = {t.text for t in session.exec(select(TextLabel).where(TextLabel.label == "child_safety")).all()}
    assert labels == {"friends 7", "friends 8"}


def test_escalation_needs_a_second_lead(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    claim(engine, LEAD, case_id, policy)
    with pytest.raises(ReviewError, match="needs a note"):
        decide(engine, LEAD, case_id, "escalate", policy, category="child_safety")
    decision_id = decide(engine, LEAD, case_id, "escalate", policy, category="child_safety",
                         note="admins also run the known ring")
    # A moderator cannot act on a case waiting for a lead: her default queue leaves it out, a filter shows it.
    assert case_id not in [r["case_id"] for r in queue(engine, MOD).rows]
    assert queue(engine, MOD, QueueFilter(status="escalation_pending")).rows[0]["case_id"] == case_id
    assert queue(engine, LEAD2).rows[0]["status"] == "escalation_pending"
    assert [p["id"] for p in pending_escalations(engine, LEAD2)] == [decision_id]
    with pytest.raises(ReviewError, match="four eyes"):
        review_escalation(engine, LEAD, decision_id, approve=True)
    review_escalation(engine, LEAD2, decision_id, approve=True, note="agreed")
    assert queue(engine, MOD).total == 0
    assert queue(engine, MOD, QueueFilter(status="escalated")).rows[0]["case_id"] == case_id
    assert set(confirmed_groups(engine)) == RING
    with Session(engine) as session:  # whole-cluster decision: harm labels only for names with text evidence
        labels = {t.text for t in session.exec(select(TextLabel).where(TextLabel.label == "child_safety")).all()}
    assert labels == {"t33n xxx new link"}
    with pytest.raises(ReviewError, match="already approved"):
        review_escalation(engine, LEAD2, decision_id, approve=False, note="changed my mind")
    actions = [e["action"] for e in audit.events(engine)]
    assert actions[:3] == ["escalation_approved", "decision", "claim"]


def test_overlong_inputs_are_refused_or_clipped_alike_on_every_database(scanned):
    # SQLite stores a value longer than its VARCHAR column; PostgreSQL refuses it, so the services check first.
    engine, _, policy = scanned
    case_id = ring_case(engine)
    claim(engine, LEAD, case_id, policy)
    decision_id = decide(engine, LEAD, case_id, "escalate", policy, category="child_safety", note="ring")
    with pytest.raises(ReviewError, match="over 4000"):
        review_escalation(engine, LEAD2, decision_id, approve=False, note="x" * 4001)
    assert sign_in(engine, "n" * 300, "not the password") is None  # audited; the typed name clipped to the column
    assert audit.events(engine)[0]["target"] == "n" * 256 and audit.verify(engine).intact


def test_icons_are_blurred_by_default_and_reveals_are_audited(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    detail = case_detail(engine, MOD, case_id)
    (member,) = [m for m in detail["members"] if m["group_id"] == "wa:ring0"]
    png = thumbnail(engine, MOD, member["icon_sha256"])
    assert png and Image.open(__import__("io").BytesIO(png)).mode in ("L", "LA")
    stronger = thumbnail(engine, MOD, member["icon_sha256"], extra_blur=4)
    assert stronger != png
    with pytest.raises(RevealError, match="say why"):
        reveal(engine, LEAD, case_id, "wa:ring0", policy, reason=" ")
    with pytest.raises(PermissionDenied):
        reveal(engine, MOD, case_id, "wa:ring0", policy, reason="compare with the report")
    original = reveal(engine, LEAD, case_id, "wa:ring0", policy, reason="compare with the report")
    assert Image.open(__import__("io").BytesIO(original)).mode == "RGB"
    with pytest.raises(RevealError, match="no icon"):
        reveal(engine, LEAD, case_id, "wa:ring1", policy, reason="compare with the report")
    with pytest.raises(RevealError, match="not a member"):
        reveal(engine, LEAD, case_id, "wa:b1", policy, reason="compare with the report")
    events = audit.events(engine, actor="lee")
    assert [e["action"] for e in events] == ["icon_reveal_refused", "icon_reveal_refused", "icon_reveal"]
    assert events[-1]["details"]["icon_sha256"] == member["icon_sha256"]
    assert events[-1]["details"]["reason"] == "compare with the report"


def test_case_detail_graph_and_timeline(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    detail = case_detail(engine, MOD, case_id)
    assert {m["group_id"] for m in detail["members"]} == RING
    assert detail["reasons"] and detail["growth"]["first_seen"]
    assert sum(1 for e in detail["timeline"] if e["event"] == "first seen") == 15
    graph = case_graph(engine, MOD, case_id, policy)
    kinds = {n["kind"] for n in graph["nodes"]}
    assert {"group", "admin", "invite_link"} <= kinds
    assert sum(1 for e in graph["edges"] if e["kind"] == "links_to") >= 15


def test_queue_order_filters_and_breaches(tmp_path):
    engine = open_database(str(tmp_path / "q.db"))
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    rows = [("c1", "P2", "adult_content", ",telegram,", 0.7, -2),
            ("c2", "P0", "child_safety", ",whatsapp,", 0.8, 1),
            ("c3", "P0", "child_safety", ",telegram,whatsapp,", 0.9, -1),
            ("c4", "P1", "incitement", ",matrix,", 0.6, 3)]
    with Session(engine) as session, session.begin():
        for cid, sev, cat, platforms, risk, hours in rows:
            session.add(ReviewCase(case_id=cid, status="open", severity=sev,
                                   severity_rank=int(sev[1]), category=cat, platforms=platforms, risk=risk, size=3,
                                   opened_at=now - timedelta(hours=5), deadline_at=now + timedelta(hours=hours),
                                   updated_at=now))
    page = queue(engine, MOD, now=now)
    assert [r["case_id"] for r in page.rows] == ["c3", "c2", "c4", "c1"] and page.breached == 2
    assert [r["case_id"] for r in queue(engine, MOD, QueueFilter(platform="telegram"), now=now).rows] == ["c3", "c1"]
    assert queue(engine, MOD, QueueFilter(category="incitement"), now=now).total == 1
    paged = queue(engine, MOD, page=2, page_size=3, now=now)
    assert [r["case_id"] for r in paged.rows] == ["c1"] and paged.pages == 2


def test_metrics_count_actions_and_times(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    with Session(engine) as session:
        opened = session.get(ReviewCase, case_id).opened_at
    claim(engine, MOD, case_id, policy, now=opened + timedelta(minutes=30))
    claim(engine, MOD, case_id, policy, now=opened + timedelta(minutes=80))  # renewing keeps the first action
    decide(engine, MOD, case_id, "violating", policy, category="child_safety",
           note="ring", now=opened + timedelta(minutes=90))
    result = review_metrics(engine, LEAD)
    (row,) = result["per_category_week"]
    assert row["first_action"]["median_h"] == pytest.approx(0.5, abs=0.01)
    assert row["decision"]["median_h"] == pytest.approx(1.5, abs=0.01)
    assert row["breaches"] == 1  # P0: one hour
    assert result["decisions_per_moderator"] == {"mia": {"violating": 1}}


def test_audit_chain_catches_a_changed_row(scanned):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, policy)
    decide(engine, MOD, case_id, "more_info", policy, note="need the admin list")
    result = audit.verify(engine)
    assert result.intact and result.rows >= 4
    with Session(engine) as session:
        target = session.exec(select(AuditEvent).where(AuditEvent.action == "decision")).one()
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'someone' WHERE id = :id"), {"id": target.id})
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": target.id})
    # Someone who controls the database file can drop the trigger; the chain still shows the edit.
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"
                                if engine.dialect.name == "postgresql" else "DROP TRIGGER audit_event_no_update"))
        connection.execute(text("UPDATE audit_event SET actor = 'someone' WHERE id = :id"), {"id": target.id})
    broken = audit.verify(engine)
    assert broken.broken_id == target.id and "changed" in broken.problem
    from typer.testing import CliRunner

    from scanner.cli import app

    result = CliRunner().invoke(app, ["audit", "verify", "--db", str(engine.url).removeprefix("sqlite:///")])
    assert result.exit_code == 1 and f"broken at row {target.id}" in result.output
