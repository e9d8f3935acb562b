"""``groupscan scan --source matrix-admin`` against a real Synapse: every room through the admin API, the privacy
floor, an avatar through authenticated media, the change summary posted to a Matrix room and a signed webhook."""

from __future__ import annotations

import json
from urllib.parse import quote

from sqlmodel import Session, select
from typer.testing import CliRunner

from scanner.cli import app
from scanner.store.db import open_database
from scanner.store.models import Group
from tests.support.matrix import create_room, notices, upload_icon
from tests.support.servers import Receiver


def test_scan_a_homeserver_through_the_admin_api(synapse, tmp_path, monkeypatch):
    admin = synapse.register("scan_admin", admin=True)
    owner = synapse.register("scan_owner")
    member = synapse.register("scan_member")
    icon = upload_icon(synapse, owner)
    ring = []
    for i in range(4):
        topic = "mirror: " + " ".join(f"https://matrix.to/#/#sring{(i + k) % 4}:localhost" for k in (1, 2))
        initial = [{"type": "m.room.avatar", "state_key": "", "content": {"url": icon}}] if i == 0 else []
        room = create_room(synapse, owner, name="t33n xxx new link" if i < 2 else f"hangout {i}", topic=topic,
                           room_alias_name=f"sring{i}", preset="public_chat", initial_state=initial)
        synapse.request("POST", f"/_matrix/client/v3/join/{quote(room, safe='')}", token=member.access_token,
                        body={})
        ring.append(room)
    lonely = create_room(synapse, owner, name="t33n xxx private", preset="private_chat")  # 1 member: skipped
    notify_room = create_room(synapse, admin, name="scan reports", preset="private_chat")
    receiver = Receiver()
    monkeypatch.setenv("TEST_NOTIFY_TOKEN", admin.access_token)
    monkeypatch.setenv("TEST_SCAN_SECRET", "scan-secret")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "escalation:\n"
        f"  webhooks: [{{url: '{receiver.url}', secret_env: TEST_SCAN_SECRET, events: [scan]}}]\n"
        f"  scan_notify_matrix: {{homeserver: '{synapse.base_url}', room_id: '{notify_room}',"
        " token_env: TEST_NOTIFY_TOKEN}\n", encoding="utf-8")
    token = tmp_path / "admin.token"
    token.write_text(admin.access_token, encoding="utf-8")
    db = str(tmp_path / "hs.db")
    try:
        result = CliRunner().invoke(app, [
            "scan", "--source", "matrix-admin", "--homeserver", synapse.base_url, "--token-file", str(token),
            "--min-members", "2", "--media-dir", str(tmp_path / "media"), "--db", db, "--policy", str(policy),
            "--json"], env={"GROUPSCAN_MATRIX_ADMIN_TOKEN": ""})
        assert result.exit_code == 10, result.output
        summary = json.loads(result.stdout)
        (new,) = summary["changes"]["new_clusters"]
        assert new["size"] == 4 and new["severity"] == "P0" and summary["notification_problems"] == []
        with Session(open_database(db)) as session:
            groups = {g.group_id: g for g in session.exec(select(Group)).all()}
        assert {f"mx:{r}" for r in ring} <= set(groups) and f"mx:{lonely}" not in groups
        assert groups[f"mx:{ring[0]}"].icon_sha256 and groups[f"mx:{ring[0]}"].member_count == 2
        posted = notices(synapse, admin, notify_room, admin.user_id)
        assert any("new: [P0] child safety" in body for body in posted)
        (hook,) = receiver.received
        assert json.loads(hook["body"])["event"] == "scan" and hook["headers"]["X-Groupscan-Signature"]
    finally:
        receiver.stop()
