"""Escalation outputs beyond the bundle: the CLI, Matrix policy lists, the monthly report and retention."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from scanner.auth.users import PermissionDenied, User, add_user
from scanner.cli import app
from scanner.engine.pipeline import run_scan
from scanner.escalation.policylist import BAN, HASHES_KEY, TAKEDOWN, entity_hash, matrix_entities, policy_rules
from scanner.escalation.retention import purge
from scanner.escalation.transparency import MonthError, compute, write_report
from scanner.policy import default_policy
from scanner.review.decisions import claim, decide
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.models import Snapshot
from tests.support.factories import matrix_ring, snapshot, with_icons, write_jsonl
from tests.support.review import LEAD, MOD, escalated, ring_case

ADMIN = User("adm", "admin")


def test_policy_list_rules_for_confirmed_matrix_rooms(tmp_path):
    engine = matrix_ring(tmp_path)
    policy = default_policy()
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, policy)
    decide(engine, MOD, case_id, "violating", policy, category="child_safety", note="ring")
    rules = policy_rules(engine, LEAD)
    entities = {r["content"]["entity"] for r in rules}
    assert {f"!ring{i}:example.org" for i in range(8)} <= entities
    # Aliases as advertised: the ring advertises #ring1 on "Example.ORG", and the rule keeps that case.
    assert {f"#ring{i}:example.org" for i in range(8) if i != 1} | {"#ring1:Example.ORG"} <= entities
    assert len(rules) == 16
    assert all(r["type"] == "m.policy.rule.room" and r["content"]["recommendation"] == BAN for r in rules)
    assert all("child safety" in r["content"]["reason"] for r in rules)
    # matrix-protection-suite's state keys: padded base64 of SHA-256(entity + recommendation).
    ring0 = next(r for r in rules if r["content"]["entity"] == "!ring0:example.org")
    assert ring0["state_key"] == base64.b64encode(hashlib.sha256(b"!ring0:example.orgm.ban").digest()).decode()
    hashed = policy_rules(engine, LEAD, takedown=True, hashed=True)
    assert all("entity" not in r["content"] and r["content"]["recommendation"] == TAKEDOWN for r in hashed)
    assert all("reason" not in r["content"] for r in hashed)  # MSC4204: a takedown carries no reason
    assert {r["content"][HASHES_KEY]["sha256"] for r in hashed} == {entity_hash(e) for e in entities}
    # MSC4205's example: padded standard base64 (44 characters ending in "=").
    assert all(len(r["content"][HASHES_KEY]["sha256"]) == 44 for r in hashed)
    assert entity_hash("!ring0:example.org") == base64.b64encode(
        hashlib.sha256(b"!ring0:example.org").digest()).decode()
    assert entity_hash("!ring0:example.org").endswith("=")
    # A takedown rule for an entity has the key Draupnir's takedownEntity gives it, hashed or not.
    plain_takedown = policy_rules(engine, LEAD, takedown=True)
    assert [r["state_key"] for r in hashed] == [r["state_key"] for r in plain_takedown]
    assert not {r["state_key"] for r in hashed} & {r["state_key"] for r in rules}
    with pytest.raises(PermissionDenied):
        policy_rules(engine, MOD)
    assert audit.events(engine, action="policy_list_exported")[0]["details"]["rules"] == 16
    assert len(audit.events(engine, action="policy_list_exported")) == 3


def test_monthly_report_counts_and_files(scanned, tmp_path):
    engine, _, policy = scanned
    case_id = escalated(engine, policy)
    month = datetime.now(UTC).strftime("%Y-%m")
    report = compute(engine, month)
    (row,) = report.rows
    assert (row["category"], row["flagged"], row["reviewed"], row["actioned"], row["escalated"]) == (
        "child_safety", 1, 1, 1, 1)
    assert row["first_action_median_h"] is not None and report.totals["escalated"] == 1
    files = write_report(engine, LEAD, month, tmp_path / "out")
    assert {f"report-{month}.csv", f"report-{month}.md", "cases.png"} <= set(files)
    assert (tmp_path / "out" / "cases.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| child_safety | 1 | 1 | 1 | 1 |" in (tmp_path / "out" / f"report-{month}.md").read_text()
    assert compute(engine, "2020-01").rows == []
    with pytest.raises(MonthError):
        compute(engine, "October")
    assert audit.events(engine, action="report_run")[0]["target"] == month
    assert case_id


def test_purge_keeps_what_cases_need_and_is_safe_to_rerun(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    records = with_icons(data)
    later = "2026-09-05T10:00:00Z"
    records.append(snapshot("wa:b1", name="Class 8 parents (new)", observed_at=later))
    records.append(snapshot("wa:ring7", name="friends 7 again", observed_at=later,
                            own_invite_links=["https://chat.whatsapp.com/" + "R7".rjust(22, "0")],
                            admins=["adm:1"]))
    write_jsonl(data / "groups.jsonl", records)
    engine = open_database(str(tmp_path / "p.db"))
    policy = default_policy()
    run_scan(engine, data, policy)
    with Session(engine) as session:
        before = len(session.exec(select(Snapshot.id)).all())
    with pytest.raises(PermissionDenied):
        purge(engine, MOD, 30, policy)
    now = datetime(2026, 11, 22, tzinfo=UTC)
    first = purge(engine, ADMIN, 30, policy, now=now)
    assert first.snapshots == 1 and first.protected_groups == 15  # wa:b1's old name goes; the ring's stays
    with Session(engine) as session:
        assert len(session.exec(select(Snapshot.id)).all()) == before - 1
        b1 = [x.payload["name"] for x in session.exec(select(Snapshot).where(Snapshot.group_id == "wa:b1")).all()]
        ring7 = session.exec(select(Snapshot).where(Snapshot.group_id == "wa:ring7")).all()
    assert b1 == ["Class 8 parents (new)"]  # the old observation went, the latest stays
    assert len(ring7) == 2  # an open case's member keeps its whole history
    again = purge(engine, ADMIN, 30, policy, now=now + timedelta(minutes=1))
    assert again.snapshots == 0
    assert [e["details"]["snapshots"] for e in audit.events(engine, action="purge")] == [0, 1]
    assert audit.verify(engine).intact


def test_cli_escalate_needs_a_named_user_and_prints_the_bundle(scanned, tmp_path):
    engine, _, policy = scanned
    case_id = escalated(engine, policy)
    db = str(engine.url).removeprefix("sqlite:///")
    add_user(engine, "lou", "lead", "a long enough password")
    runner = CliRunner()
    refused = runner.invoke(app, ["escalate", case_id, "--out", str(tmp_path / "b"), "--db", db],
                            env={"GROUPSCAN_USER": ""})
    assert refused.exit_code == 2 and "--as" in refused.output
    done = runner.invoke(app, ["escalate", case_id, "--out", str(tmp_path / "b"), "--db", db, "--as", "lou",
                               "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["case_id"] == case_id and len(result["sha256"]) == 64 and "report.json" in result["files"]
    verify = runner.invoke(app, ["audit", "verify", "--db", db, "--json"])
    assert verify.exit_code == 0 and json.loads(verify.output)["intact"]


def test_policy_rule_entities_keep_the_alias_as_advertised():
    assert matrix_entities("mx:!AbC:Example.ORG", [
        "https://matrix.to/#/#Ring:Example.ORG?via=example.org",
        "matrix:r/other:Matrix.Example.org",
        "https://matrix.to/#/%23enc%3AServer.Org",
        "https://matrix.to/#/#ring:example.org",  # the same alias in another case is another string: its own rule
        "https://t.me/+notmatrix",
    ]) == ["!AbC:Example.ORG", "#Ring:Example.ORG", "#other:Matrix.Example.org", "#enc:Server.Org",
           "#ring:example.org"]
    assert matrix_entities("mx:!v12roomwithoutserver", []) == ["!v12roomwithoutserver"]
