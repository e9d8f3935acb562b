"""Publishing the Matrix policy list as an action (``groupscan.actions``, policy
``escalation.publish_policy_list``): after each scan, the rules for confirmed-violating Matrix rooms that are new
or changed since the last publication are sent to the policy room as ``m.policy.rule.room`` state events, where
Draupnir, Mjolnir and Meowlnir read them. What went out is remembered in the database (``bot_state``), so a rule
is published once per change, and every publication is audited. It runs after the scan has committed (a
decision's own transaction never waits on a homeserver); the Matrix bot publishes the same rules on its own loop.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

from sqlalchemy import Engine
from sqlmodel import Session

from scanner.escalation.policylist import EVENT_TYPE, mark_published, rules_to_publish
from scanner.policy import Policy
from scanner.store import audit
from scanner.store.review_models import BotState
from scanner.store.tx import write

ACTOR = "action:policy-list"


def _state_key(room: str) -> str:
    return f"{ACTOR}:rules:{room}"


def _published(engine: Engine, room: str) -> dict[str, str]:
    with Session(engine) as session:
        row = session.get(BotState, _state_key(room))
        return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


class PolicyListAction:
    name = "policy-list"

    def on_scan(self, engine: Engine, policy: Policy, event: Mapping[str, object]) -> list[str]:
        target = policy.escalation.publish_policy_list
        if target is None:
            return []
        token = os.environ.get(target.token_env)
        if not token:
            return [f"policy list not published: ${target.token_env} is not set"]
        published = _published(engine, target.room_id)
        rules = rules_to_publish(engine, published, target.takedown, target.hashed)
        sent: list[dict] = []
        problem: list[str] = []
        for rule in rules:
            url = (f"{target.homeserver.rstrip('/')}/_matrix/client/v3/rooms/{quote(target.room_id, safe='')}"
                   f"/state/{EVENT_TYPE}/{quote(rule['state_key'], safe='')}")
            request = urllib.request.Request(url, data=json.dumps(rule["content"]).encode("utf-8"), method="PUT",
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=15):
                    sent.append(rule)
            except OSError as error:
                # What went out is remembered; the rest goes at the next scan.
                problem = [f"policy list: {len(rules) - len(sent)} rules not published: {error}"]
                break
        if sent:
            after = mark_published(published, sent)

            def remember(session: Session) -> None:
                row = session.get(BotState, _state_key(target.room_id))
                now = datetime.now(UTC)
                if row is None:
                    row = BotState(key=_state_key(target.room_id), value=after, updated_at=now)
                else:
                    row.value, row.updated_at = after, now
                session.add(row)
                audit.append(session, ACTOR, "policy_rules_published", target.room_id,
                             {"rules": len(sent), "state_keys": [r["state_key"] for r in sent][:50]})

            write(engine, remember)
        return problem
