"""Evidence bundles for approved escalations (``groupscan escalate CASE_ID --out DIR``, and the dashboard).

A bundle is a folder: ``report.json`` (schema ``groupscan.evidence/1``, see ``evidence.py``) with its JSON
Schema, ``groups.csv``, ``subgraph.graphml``, ``timeline.csv``, the CyberTipline-style XML and the plain JSON
hotline report (``reports/``), the original icons only if the policy allows, and ``manifest.sha256`` (the
sha256sum format, so ``sha256sum -c manifest.sha256`` checks it). The bundle's hash is the SHA-256 of the
manifest, and it goes into the audit log.

Nothing in a bundle depends on when it was written: the same stored state gives the same bytes, so two exports
can be compared by their hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.escalation import reports
from scanner.escalation.evidence import SCHEMA_ID, EvidenceReport
from scanner.graph.export import cluster_graph, write_graphml
from scanner.graph.links import canonicalize
from scanner.policy import Policy, policy_fingerprint
from scanner.review.cases import utc
from scanner.store import audit
from scanner.store.models import Cluster, Group, Snapshot
from scanner.store.queries import members_of
from scanner.store.review_models import ReviewCase, ReviewDecision
from scanner.store.tx import write

MANIFEST = "manifest.sha256"


class BundleError(ValueError):
    """The case cannot be exported (not escalated and approved, or the folder is not a bundle's)."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    files: list[str]


def _iso(at: datetime | None) -> str | None:
    return utc(at).isoformat() if at else None  # type: ignore[union-attr]


def _links(payload: dict) -> list[str]:
    return [item["url"] if isinstance(item, dict) else str(item) for item in payload.get("posted_invite_links", [])]


def gather(engine: Engine, case_id: str, policy: Policy) -> tuple[EvidenceReport, dict[str, Path]]:
    """The report for a case as stored now, and the original icon files it may include (sha256 -> path)."""
    with Session(engine) as session:
        case = session.get(ReviewCase, case_id)
        cluster = session.get(Cluster, case_id)
        if case is None or cluster is None:
            raise BundleError(f"no case {case_id!r}")
        decisions = session.exec(select(ReviewDecision).where(ReviewDecision.case_id == case_id)
                                 .order_by(col(ReviewDecision.id))).all()
        if not any(d.action == "escalate" and d.state == "approved" for d in decisions):
            raise BundleError(f"case {case_id} has no approved escalation: only those are exported as evidence")
        member_ids = sorted(members_of(session, [case_id]).get(case_id, set()))
        groups = {g.group_id: g for g in session.exec(select(Group).where(col(Group.group_id).in_(member_ids)))}
        snapshots = session.exec(select(Snapshot).where(col(Snapshot.group_id).in_(member_ids))
                                 .order_by(col(Snapshot.group_id), col(Snapshot.observed_at), col(Snapshot.id))).all()
    observations: dict[str, list[Snapshot]] = {}
    for snap in snapshots:
        observations.setdefault(snap.group_id, []).append(snap)
    icons: dict[str, Path] = {}
    group_out = []
    models: dict[str, str] = {}
    for gid in member_ids:
        group = groups[gid]
        models.update(group.model_versions)
        seen = observations.get(gid, [])
        admins = sorted({a for s in seen for a in s.payload.get("admins", [])})
        own = sorted({link for s in seen for link in s.payload.get("own_invite_links", [])})
        posted = sorted({link for s in seen for link in _links(s.payload)})
        icon = None
        if group.icon_sha256:
            icon = {"sha256": group.icon_sha256, "pdq": group.pdq, "file": None}
            for snap in reversed(seen):
                path_text = (snap.payload.get("icon") or {}).get("path")
                candidate = Path(snap.source).parent / path_text if path_text else None
                if candidate and candidate.is_file() and \
                        hashlib.sha256(candidate.read_bytes()).hexdigest() == group.icon_sha256:
                    icons[group.icon_sha256] = candidate
                    if policy.escalation.include_icons:
                        icon["file"] = f"icons/{group.icon_sha256}{candidate.suffix.lower()}"
                    break
        group_out.append({
            "group_id": gid, "platform": group.platform, "name": group.name, "description": group.description,
            "member_count": group.member_count, "first_seen": _iso(group.first_seen),
            "last_seen": _iso(group.last_seen), "risk": group.risk, "category": group.category,
            "flagged": group.flagged, "categories": group.categories, "reasons": group.reasons,
            "admins": admins, "own_invite_links": own, "posted_invite_links": posted, "icon": icon,
            "observations": [{
                "observed_at": s.payload["observed_at"], "name": s.payload.get("name", ""),
                "description": s.payload.get("description", ""), "member_count": s.payload.get("member_count"),
                "admins": s.payload.get("admins", []), "own_invite_links": s.payload.get("own_invite_links", []),
                "posted_invite_links": _links(s.payload), "icon_path": (s.payload.get("icon") or {}).get("path"),
                "source": s.source, "line": s.line, "content_hash": s.content_hash} for s in seen],
        })
    report = EvidenceReport.model_validate({
        "schema": SCHEMA_ID,
        "case": {"case_id": case.case_id, "status": case.status, "severity": case.severity,
                 "category": case.category, "risk": case.risk, "size": case.size, "opened_at": _iso(case.opened_at),
                 "deadline_at": _iso(case.deadline_at), "first_action_at": _iso(case.first_action_at),
                 "decided_at": _iso(case.decided_at)},
        "cluster": {"cluster_id": cluster.cluster_id, "size": cluster.size, "risk": cluster.risk,
                    "category": cluster.category, "severity": cluster.severity, "categories": cluster.categories,
                    "reasons": cluster.reasons, "structure": cluster.structure,
                    "score_sha256": cluster.score_sha256},
        "groups": group_out,
        "decisions": [{"id": d.id, "action": d.action, "category": d.category, "scope": d.scope,
                       "group_ids": d.group_ids, "note": d.note, "author": d.author,
                       "created_at": _iso(d.created_at), "state": d.state, "reviewer": d.reviewer,
                       "reviewed_at": _iso(d.reviewed_at), "review_note": d.review_note} for d in decisions],
        "models": dict(sorted(models.items())),
        "policy_sha256": policy_fingerprint(policy),
        "notes": [] if policy.escalation.include_icons else
                 ["Icon files are not included (policy escalation.include_icons is false); their SHA-256 and PDQ "
                  "hashes are."],
    })
    return report, icons


def _json(obj: object) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def render(engine: Engine, case_id: str, policy: Policy) -> dict[str, bytes]:
    """Every file of the bundle (path -> bytes), without writing anything."""
    report, icons = gather(engine, case_id, policy)
    data = report.model_dump(mode="json", by_alias=True)
    files: dict[str, bytes] = {
        "report.json": _json(data),
        "report.schema.json": _json(EvidenceReport.model_json_schema(by_alias=True)),
        "groups.csv": _csv(
            ["group_id", "platform", "name", "description", "member_count", "risk", "category", "flagged",
             "admins", "own_invite_links", "posted_invite_links", "icon_sha256", "icon_pdq", "first_seen",
             "last_seen"],
            [[g.group_id, g.platform, g.name, g.description, g.member_count, g.risk, g.category, g.flagged,
              " ".join(g.admins), " ".join(g.own_invite_links), " ".join(g.posted_invite_links),
              g.icon.sha256 if g.icon else "", (g.icon.pdq or "") if g.icon else "", g.first_seen, g.last_seen]
             for g in report.groups]),
        "timeline.csv": _csv(
            ["observed_at", "group_id", "name", "member_count", "icon_path", "invite_links", "source", "line",
             "content_hash"],
            sorted([[o.observed_at, g.group_id, o.name, o.member_count, o.icon_path or "",
                     " ".join(sorted({c.canonical for c in map(canonicalize, o.own_invite_links) if c})),
                     o.source, o.line, o.content_hash] for g in report.groups for o in g.observations],
                   key=lambda row: (str(row[0]), str(row[1])))),
    }
    graphml = io.BytesIO()
    write_graphml(cluster_graph(engine, case_id, policy), graphml)
    files["subgraph.graphml"] = graphml.getvalue()
    files.update(reports.render_reports(report, policy))
    if policy.escalation.include_icons:
        for group in report.groups:
            if group.icon and group.icon.file and group.icon.sha256 in icons:
                files[group.icon.file] = icons[group.icon.sha256].read_bytes()
    manifest = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(files.items()))
    files[MANIFEST] = manifest.encode("utf-8")
    return files


def export(engine: Engine, user: User, case_id: str, policy: Policy, out: Path) -> Bundle:
    """Write the bundle of an approved escalation to ``out`` and audit its hash. ``out`` must be empty, missing,
    or an earlier bundle (recognised by its manifest), which is replaced whole."""
    require(user, "export_evidence")
    files = render(engine, case_id, policy)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise BundleError(f"{out} is not empty and holds no bundle: choose an empty folder")
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    for name, body in files.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    digest = hashlib.sha256(files[MANIFEST]).hexdigest()
    write(engine, lambda session: audit.append(session, user.name, "evidence_exported", case_id,
                                               {"bundle_sha256": digest, "files": sorted(files),
                                                "out": str(out.resolve()),
                                                "icons_included": policy.escalation.include_icons},
                                               at=datetime.now(UTC)))
    return Bundle(out, digest, sorted(files))


def export_zip(engine: Engine, user: User, case_id: str, policy: Policy) -> tuple[bytes, str]:
    """The bundle as a zip for a dashboard download (entries in sorted order with a fixed timestamp, so the
    archive too is the same for the same state), audited like ``export``."""
    import zipfile

    require(user, "export_evidence")
    files = render(engine, case_id, policy)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in sorted(files.items()):
            info = zipfile.ZipInfo(f"{case_id}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    digest = hashlib.sha256(files[MANIFEST]).hexdigest()
    write(engine, lambda session: audit.append(session, user.name, "evidence_exported", case_id,
                                               {"bundle_sha256": digest, "files": sorted(files),
                                                "out": "dashboard download",
                                                "icons_included": policy.escalation.include_icons}))
    return buffer.getvalue(), digest
