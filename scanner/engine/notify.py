"""After a scan: the change summary in words, handed to the actions (``scanner.plugins.actions``: webhooks
subscribed to ``scan``, a Matrix room, a deployer's own). A notification that fails is reported and never fails
the scan itself."""

from __future__ import annotations

from sqlalchemy import Engine

from scanner.engine.pipeline import ScanSummary
from scanner.plugins.actions import scan_finished
from scanner.policy import Policy


def summary_text(summary: ScanSummary) -> str:
    changes = summary.changes
    parts = [f"groupscan scan #{summary.scan_id}: {summary.groups} groups, {summary.flagged_clusters} flagged "
             "clusters."]
    for item in changes.get("new_clusters", []):
        word = "reopened" if item.get("reopened") else "new"
        names = ", ".join(repr(n) for n in item.get("names", [])[:3])
        parts.append(f"{word}: [{item['severity']}] {(item['category'] or '').replace('_', ' ')} "
                     f"{item['cluster_id']} ({item['size']} groups, risk {item['risk']:.2f}; {names}) "
                     f"{item['top_reason']}")
    for item in changes.get("grown_clusters", []):
        parts.append(f"grown: {item['cluster_id']} {item['size_before']} -> {item['size']} groups")
    for item in changes.get("severity_rose", []):
        parts.append(f"more severe: {item['cluster_id']} {item['severity_before']} -> {item['severity']}")
    hits = changes.get("new_hash_hits", [])
    if hits:
        banks = sorted({h["bank"] for h in hits})
        parts.append(f"new hash-list hits: {len(hits)} ({', '.join(banks)})")
    if len(parts) == 1:
        parts.append("Nothing new.")
    return "\n".join(parts)


def notify(engine: Engine, policy: Policy, summary: ScanSummary) -> list[str]:
    """Tell every registered action (``groupscan.actions``: the ``scan`` webhook, the Matrix room, a deployer's
    own) that the scan finished; returns their problems (empty when all went)."""
    event = {"scan_id": summary.scan_id, "source": summary.source, "changes": summary.changes,
             "attention": summary.needs_attention, "text": summary_text(summary)}
    return scan_finished(engine, policy, event)
