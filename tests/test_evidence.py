"""Evidence bundles and hotline reports for an approved escalation of the planted ring."""

from __future__ import annotations

import hashlib
import json
import subprocess

import networkx as nx
import pytest

from scanner.auth.users import PermissionDenied
from scanner.escalation.bundle import BundleError, export, export_zip, render
from scanner.escalation.evidence import SCHEMA_ID, EvidenceReport
from scanner.escalation.reports import ReportInvalid, validate_xml
from scanner.policy import load_policy
from scanner.store import audit
from tests.support.review import LEAD, LEAD2, MOD, RING, escalated, ring_case


def test_a_bundle_is_complete_verifiable_and_byte_identical_on_rerun(scanned, tmp_path):
    engine, _, policy = scanned
    case_id = escalated(engine, policy)
    first = export(engine, LEAD, case_id, policy, tmp_path / "bundle")
    assert {"report.json", "report.schema.json", "groups.csv", "subgraph.graphml", "timeline.csv",
            "manifest.sha256", "reports/hotline.json", "reports/cybertip-report.xml"} <= set(first.files)
    snapshot = {name: (tmp_path / "bundle" / name).read_bytes() for name in first.files}
    again = export(engine, LEAD2, case_id, policy, tmp_path / "bundle")
    assert again.sha256 == first.sha256
    assert {name: (tmp_path / "bundle" / name).read_bytes() for name in again.files} == snapshot
    checked = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path / "bundle",
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert hashlib.sha256(snapshot["manifest.sha256"]).hexdigest() == first.sha256
    exports = audit.events(engine, action="evidence_exported")
    assert [e["details"]["bundle_sha256"] for e in exports] == [first.sha256, first.sha256]


def test_the_report_holds_groups_as_stored_decisions_and_hashes(scanned, tmp_path):
    engine, _, policy = scanned
    case_id = escalated(engine, policy)
    files = render(engine, case_id, policy)
    report = EvidenceReport.model_validate_json(files["report.json"])
    assert report.schema_id == SCHEMA_ID and {g.group_id for g in report.groups} == RING
    ring0 = next(g for g in report.groups if g.group_id == "wa:ring0")
    assert ring0.icon is not None and len(ring0.icon.sha256) == 64 and ring0.icon.file is None
    assert ring0.own_invite_links and ring0.admins and ring0.observations[0].content_hash
    assert [(d.action, d.state, d.author, d.reviewer) for d in report.decisions] == [
        ("escalate", "approved", "lee", "lou")]
    graph = nx.read_graphml(__import__("io").BytesIO(files["subgraph.graphml"]))
    assert sum(1 for _, d in graph.nodes(data=True) if d.get("kind") == "group") == 15
    assert files["groups.csv"].decode().count("\n") == 16


def test_cybertip_style_xml_validates_and_carries_the_icon_hashes(scanned):
    engine, _, policy = scanned
    files = render(engine, escalated(engine, policy), policy)
    report_xml = files["reports/cybertip-report.xml"]
    validate_xml(report_xml)
    assert b"<incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>" in report_xml
    assert report_xml.count(b"<chatImIncident>") == 15 and b"<escalateToHighPriority>" in report_xml
    assert b"<screenName>adm:0</screenName>" in report_xml  # a shared admin is a reported user
    (file_xml,) = [body for name, body in files.items() if name.startswith("reports/cybertip-file-")]
    validate_xml(file_xml)
    icon = next(g.icon for g in EvidenceReport.model_validate_json(files["report.json"]).groups if g.icon)
    assert f'hashType="SHA256">{icon.sha256}<'.encode() in file_xml
    # A flat gradient has too little detail for a trustworthy PDQ hash (quality gate), so only SHA-256 here.
    assert (b'hashType="PDQ"' in file_xml) == (icon.pdq is not None)
    hotline = json.loads(files["reports/hotline.json"])
    assert hotline["sent"] is False and len(hotline["groups"]) == 15 and hotline["operators"][0]["groups"] > 1
    broken = report_xml.replace(b"<incidentType>Child Pornography (possession, manufacture, and distribution)"
                                b"</incidentType>", b"")
    with pytest.raises(ReportInvalid, match="incidentDateTime|incidentType"):
        validate_xml(broken)


def test_only_approved_escalations_export_and_only_for_leads(scanned, tmp_path):
    engine, _, policy = scanned
    case_id = ring_case(engine)
    with pytest.raises(BundleError, match="no approved escalation"):
        export(engine, LEAD, case_id, policy, tmp_path / "b")
    escalated_id = escalated(engine, policy)
    with pytest.raises(PermissionDenied):
        export(engine, MOD, escalated_id, policy, tmp_path / "b")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(BundleError, match="not empty"):
        export(engine, LEAD, escalated_id, policy, tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_icons_are_included_only_when_the_policy_allows(scanned, tmp_path):
    engine, _, _ = scanned
    path = tmp_path / "policy.yaml"
    path.write_text("escalation:\n  include_icons: true\n", encoding="utf-8")
    policy = load_policy(path)
    case_id = escalated(engine, policy)
    bundle = export(engine, LEAD, case_id, policy, tmp_path / "with-icons")
    (icon,) = [name for name in bundle.files if name.startswith("icons/")]
    assert hashlib.sha256((tmp_path / "with-icons" / icon).read_bytes()).hexdigest() in icon
    archive, digest = export_zip(engine, LEAD, case_id, policy)
    assert digest == bundle.sha256 and archive == export_zip(engine, LEAD, case_id, policy)[0]
