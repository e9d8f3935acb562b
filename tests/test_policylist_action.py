"""The policy-list action: after a scan, a confirmed ring's Matrix rooms are published as ``m.policy.rule.room``
rules into a policy room on a real Synapse, once per change, audited; without its token it says so and sends
nothing."""

from __future__ import annotations

from urllib.parse import quote

from scanner.escalation.policylist import EVENT_TYPE, build_rules
from scanner.plugins.actions import scan_finished
from scanner.policy import default_policy, load_policy
from scanner.review.decisions import claim, decide
from scanner.store import audit
from tests.support.factories import matrix_ring
from tests.support.review import MOD, ring_case

TOKEN = "GROUPSCAN_POLICY_LIST_TOKEN"


def test_the_policy_list_action_publishes_changed_rules_after_a_scan(synapse, tmp_path, monkeypatch):
    engine = matrix_ring(tmp_path)
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, default_policy())
    decide(engine, MOD, case_id, "violating", default_policy(), category="child_safety", note="ring")
    owner = synapse.register("listowner")
    room = synapse.request("POST", "/_matrix/client/v3/createRoom", token=owner.access_token,
                           body={"preset": "private_chat", "name": "policy list"})["room_id"]
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(f"escalation:\n  publish_policy_list:\n    homeserver: {synapse.base_url}\n"
                           f"    room_id: '{room}'\n", encoding="utf-8")
    policy = load_policy(policy_file)
    event = {"scan_id": 1, "source": "x", "changes": {}, "attention": False, "text": ""}

    monkeypatch.delenv(TOKEN, raising=False)
    assert scan_finished(engine, policy, event) == [f"policy list not published: ${TOKEN} is not set"]

    monkeypatch.setenv(TOKEN, owner.access_token)
    assert scan_finished(engine, policy, event) == []
    state = synapse.request("GET", f"/_matrix/client/v3/rooms/{quote(room, safe='')}/state",
                            token=owner.access_token)
    published = {e["state_key"]: e["content"] for e in state if e["type"] == EVENT_TYPE}
    expected = {rule["state_key"]: rule["content"] for rule in build_rules(engine)}
    assert expected and published == expected
    (event_row,) = audit.events(engine, action="policy_rules_published")
    assert event_row["actor"] == "action:policy-list" and event_row["details"]["rules"] == len(expected)

    # Nothing changed since: nothing is sent again.
    assert scan_finished(engine, policy, event) == []
    assert len(audit.events(engine, action="policy_rules_published")) == 1
