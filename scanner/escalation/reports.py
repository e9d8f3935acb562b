"""Reports for hotlines, drawn from an evidence report: a CyberTipline-style XML draft (child-safety cases only,
validated against ``scanner/data/cybertip_style.xsd`` before it is written) and a plain JSON variant for other
hotlines (every category).

The mapping, field by field (NCMEC's public names, metadata only, never content):
- ``incidentSummary/incidentType``: child_safety -> "Child Pornography (possession, manufacture, and
  distribution)"; ``platform``: the platforms of the groups; ``incidentDateTime``: when the earliest group of the
  network was first observed; ``escalateToHighPriority``: set for P0 cases, with the reason.
- ``internetDetails/chatImIncident``, one per group: ``chatClient`` (platform), ``chatRoomName`` (group name),
  ``content`` (description), ``additionalInfo`` (group id, invite links, admins).
- ``reporter``: the deployer's details from the policy (``escalation.reporter``).
- ``personOrUserReported``: the admins shared by two or more groups (the network's operators).
- ``fileDetails``, one per distinct icon: its SHA-256 and PDQ hashes (``originalFileHash``); never the image.

groupscan writes these files and never sends them: submitting is the deployer's, through their own registered
reporting account, after checking the draft against NCMEC's current official schema.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from functools import lru_cache
from importlib import resources

from scanner.escalation.evidence import EvidenceReport
from scanner.policy import Policy

INCIDENT_TYPES = {"child_safety": "Child Pornography (possession, manufacture, and distribution)"}
PLATFORM_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "matrix": "Matrix", "discord": "Discord",
                  "signal": "Signal", "other": "Other"}
HOTLINE_SCHEMA = "groupscan.hotline/1"


class ReportInvalid(ValueError):
    """A generated report failed its schema: a bug, never written to a bundle."""


@lru_cache(maxsize=1)
def _schema():
    from lxml import etree

    text = resources.files("scanner").joinpath("data/cybertip_style.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(text))


def validate_xml(data: bytes) -> None:
    """Raise ``ReportInvalid`` naming the first problem if ``data`` does not validate against the XSD."""
    from lxml import etree

    schema = _schema()
    document = etree.fromstring(data)
    if not schema.validate(document):
        error = schema.error_log.last_error
        raise ReportInvalid(f"line {error.line}: {error.message}")


def _sub(parent: ET.Element, tag: str, text: object | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = str(text)
    return element


def _bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _shared_admins(report: EvidenceReport) -> list[tuple[str, int]]:
    counts = Counter(a for g in report.groups for a in set(g.admins))
    return sorted(((a, n) for a, n in counts.items() if n > 1), key=lambda item: (-item[1], item[0]))


def _first_seen(report: EvidenceReport) -> str:
    return min((g.first_seen for g in report.groups), default=report.case.opened_at)


def _summary(report: EvidenceReport) -> str:
    seen: list[str] = []
    for reason in report.cluster.reasons:
        if reason.sentence not in seen:
            seen.append(reason.sentence)
    approved = [d for d in report.decisions if d.action == "escalate" and d.state == "approved"]
    who = "; ".join(f"escalated by {d.author} on {d.created_at[:10]}, approved by {d.reviewer} on "
                    f"{(d.reviewed_at or '')[:10]}" for d in approved)
    return (f"groupscan case {report.case.case_id}: a network of {len(report.groups)} chat groups "
            f"({report.case.category}, severity {report.case.severity}, risk {report.case.risk:.2f}), found from "
            f"group metadata only (names, descriptions, icons, invite links, shared admins). {who}. Reasons: "
            + " ".join(seen[:8]))


def cybertip_xml(report: EvidenceReport, policy: Policy) -> dict[str, bytes]:
    """``report.xml`` and one ``file-NNN.xml`` per icon, or nothing if the category is not a CyberTipline
    incident type."""
    incident = INCIDENT_TYPES.get(report.case.category or "")
    if incident is None:
        return {}
    root = ET.Element("report")
    summary = _sub(root, "incidentSummary")
    _sub(summary, "incidentType", incident)
    platforms = sorted({PLATFORM_NAMES.get(g.platform, g.platform) for g in report.groups})
    _sub(summary, "platform", ", ".join(platforms))
    if report.case.severity == "P0":
        _sub(summary, "escalateToHighPriority",
             f"Active network of {len(report.groups)} groups sharing invite links and administrators.")
    _sub(summary, "incidentDateTime", _first_seen(report))
    _sub(summary, "incidentDateTimeDescription",
         "When groupscan first observed the earliest group of the network.")
    for group in report.groups:
        chat = _sub(_sub(root, "internetDetails"), "chatImIncident")
        _sub(chat, "chatClient", PLATFORM_NAMES.get(group.platform, group.platform))
        _sub(chat, "chatRoomName", group.name)
        if group.description:
            _sub(chat, "content", group.description)
        info = [f"group id {group.group_id}"]
        if group.own_invite_links:
            info.append("invite links " + " ".join(group.own_invite_links))
        if group.admins:
            info.append("admins " + " ".join(group.admins))
        if group.icon:
            info.append(f"icon sha256 {group.icon.sha256}")
        _sub(chat, "additionalInfo", "; ".join(info))
    reporter_policy = policy.escalation.reporter
    reporter = _sub(root, "reporter")
    person = _sub(reporter, "reportingPerson")
    for tag, value in (("firstName", reporter_policy.first_name), ("lastName", reporter_policy.last_name),
                       ("email", reporter_policy.email)):
        if value:
            _sub(person, tag, value)
    if reporter_policy.legal_url:
        _sub(reporter, "legalUrl", reporter_policy.legal_url)
    for admin, count in _shared_admins(report)[:50]:
        reported = _sub(root, "personOrUserReported")
        _sub(reported, "screenName", admin)
        _sub(reported, "additionalInfo", f"administers {count} groups of the network")
    _sub(root, "additionalInfo", _summary(report) + f" Reporter: {reporter_policy.organisation}.")
    files = {"reports/cybertip-report.xml": _bytes(root)}
    icons: dict[str, list[str]] = {}
    pdq: dict[str, str | None] = {}
    for group in report.groups:
        if group.icon:
            icons.setdefault(group.icon.sha256, []).append(group.group_id)
            pdq[group.icon.sha256] = group.icon.pdq
    for index, (sha, owners) in enumerate(sorted(icons.items()), start=1):
        details = ET.Element("fileDetails")
        _sub(details, "originalFileName", f"{sha}.png")
        _sub(details, "fileRelevance", "Reported")
        _sub(details, "originalFileHash", sha, hashType="SHA256")
        if pdq.get(sha):
            _sub(details, "originalFileHash", pdq[sha], hashType="PDQ")
        _sub(details, "additionalInfo", "Group icon of " + ", ".join(owners[:20])
             + (f" and {len(owners) - 20} more" if len(owners) > 20 else "") + ". Hashes only; the image is "
             "held by the reporter.")
        files[f"reports/cybertip-file-{index:03d}.xml"] = _bytes(details)
    for body in files.values():
        validate_xml(body)
    return files


def hotline_json(report: EvidenceReport, policy: Policy) -> bytes:
    """A plain JSON report any hotline can read, for every category."""
    reporter = policy.escalation.reporter
    data = {
        "schema": HOTLINE_SCHEMA,
        "case_id": report.case.case_id,
        "category": report.case.category,
        "severity": report.case.severity,
        "cybertip_incident_type": INCIDENT_TYPES.get(report.case.category or ""),
        "first_seen": _first_seen(report),
        "platforms": sorted({g.platform for g in report.groups}),
        "summary": _summary(report),
        "groups": [{"platform": g.platform, "group_id": g.group_id, "name": g.name, "description": g.description,
                    "invite_links": g.own_invite_links, "admins": g.admins, "member_count": g.member_count,
                    "icon_sha256": g.icon.sha256 if g.icon else None, "icon_pdq": g.icon.pdq if g.icon else None}
                   for g in report.groups],
        "operators": [{"admin": a, "groups": n} for a, n in _shared_admins(report)],
        "reporter": reporter.model_dump(),
        "sent": False,
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def render_reports(report: EvidenceReport, policy: Policy) -> dict[str, bytes]:
    return {**cybertip_xml(report, policy), "reports/hotline.json": hotline_json(report, policy)}
