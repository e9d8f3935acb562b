"""The scan summary as an ``m.notice`` in a Matrix room (policy ``escalation.scan_notify_matrix``): an action
(``groupscan.actions``) that reacts to finished scans. The access token comes from the environment variable the
policy names, never from the policy file."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Mapping
from urllib.parse import quote

from sqlalchemy import Engine

from scanner.policy import Policy

CHANGE_KINDS = ("new_clusters", "grown_clusters", "severity_rose", "new_hash_hits")


class MatrixNoticeAction:
    name = "matrix-notice"

    def on_scan(self, engine: Engine, policy: Policy, event: Mapping[str, object]) -> list[str]:
        target = policy.escalation.scan_notify_matrix
        changes = event.get("changes")
        changes = changes if isinstance(changes, Mapping) else {}
        nothing_new = not any(changes.get(k) for k in CHANGE_KINDS)
        if target is None or (target.only_when_new and nothing_new):
            return []
        token = os.environ.get(target.token_env)
        if not token:
            return [f"Matrix notification skipped: ${target.token_env} is not set"]
        url = (f"{target.homeserver.rstrip('/')}/_matrix/client/v3/rooms/{quote(target.room_id, safe='')}"
               f"/send/m.room.message/groupscan-scan-{event['scan_id']}-{time.time_ns()}")
        body = json.dumps({"msgtype": "m.notice", "body": event["text"]}).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="PUT", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=15):
                pass
        except OSError as error:
            return [f"Matrix notification failed: {error}"]
        return []
