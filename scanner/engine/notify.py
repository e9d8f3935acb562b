"""After a scan: the change summary in words, sent where the deployer asked (webhooks subscribed to ``scan``,
and a Matrix room). A notification that fails is reported and never fails the scan itself."""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.request
from datetime import UTC, datetime
from urllib.parse import quote

from sqlalchemy import Engine

from scanner.engine.pipeline import ScanSummary
from scanner.escalation.webhooks import deliver_due
from scanner.policy import Policy
from scanner.store.outbox import enqueue
from scanner.store.tx import write

log = logging.getLogger("groupscan.notify")


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
    """Queue and send the ``scan`` webhook, post to the Matrix room; returns problems (empty when all went)."""
    problems: list[str] = []
    payload = {"scan_id": summary.scan_id, "source": summary.source, "changes": summary.changes,
               "attention": summary.needs_attention, "text": summary_text(summary)}
    now = datetime.now(UTC)
    if any("scan" in hook.events for hook in policy.escalation.webhooks):
        write(engine, lambda session: enqueue(session, policy, "scan", payload, now))
        run = deliver_due(engine, policy)
        problems += [f"webhook delivery {d} will be retried" for d in run.retried]
    target = policy.escalation.scan_notify_matrix
    nothing_new = not any(summary.changes.get(k) for k in ("new_clusters", "grown_clusters", "severity_rose",
                                                             "new_hash_hits"))
    if target is not None and not (target.only_when_new and nothing_new):
        token = os.environ.get(target.token_env)
        if not token:
            problems.append(f"Matrix notification skipped: ${target.token_env} is not set")
        else:
            url = (f"{target.homeserver.rstrip('/')}/_matrix/client/v3/rooms/{quote(target.room_id, safe='')}"
                   f"/send/m.room.message/groupscan-scan-{summary.scan_id}-{time.time_ns()}")
            body = json.dumps({"msgtype": "m.notice", "body": payload["text"]}).encode("utf-8")
            request = urllib.request.Request(url, data=body, method="PUT", headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=15):
                    pass
            except OSError as error:
                problems.append(f"Matrix notification failed: {error}")
    for problem in problems:
        log.warning(problem)
    return problems
