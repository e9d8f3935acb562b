"""The real-Synapse test fixture works: accounts, rooms, the admin API, raised rate limits, and a restart."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.matrix_server import SYNAPSE_PYTHON, MatrixHTTPError, SynapseServer, synapse_available
from tests.support.servers import missing_server

pytestmark = pytest.mark.skipif(
    not synapse_available(),
    reason=missing_server(f"{SYNAPSE_PYTHON} does not exist (scripts/bootstrap-test-servers creates it)"),
)


def _room_path(room_id: str) -> str:
    return quote(room_id, safe="")


def test_room_is_seen_by_admin_api_and_survives_restart(synapse: SynapseServer) -> None:
    admin = synapse.register("rooms_admin", admin=True)
    alice = synapse.register("rooms_alice")
    created = synapse.request(
        "POST",
        "/_matrix/client/v3/createRoom",
        token=alice.access_token,
        body={"name": "Fixture room", "topic": "made by the test fixture", "preset": "private_chat"},
    )
    room_id = created["room_id"]

    listed = synapse.request("GET", "/_synapse/admin/v1/rooms?search_term=Fixture", token=admin.access_token)
    [room] = listed["rooms"]
    assert room["room_id"] == room_id
    assert room["name"] == "Fixture room"
    assert room["creator"] == alice.user_id
    details = synapse.request("GET", f"/_synapse/admin/v1/rooms/{_room_path(room_id)}", token=admin.access_token)
    assert details["topic"] == "made by the test fixture"

    # Room version 12 (this Synapse's default): the room id has no ":server" part and the creator's power comes from
    # the create event, so power_levels.users does not list them. A bot must not rely on either.
    if room["version"] == "12":
        assert ":" not in room_id
        power = synapse.request(
            "GET", f"/_matrix/client/v3/rooms/{_room_path(room_id)}/state/m.room.power_levels", token=alice.access_token
        )
        assert alice.user_id not in power.get("users", {})

    # Non-admins are refused by the admin API.
    with pytest.raises(MatrixHTTPError) as refused:
        synapse.request("GET", "/_synapse/admin/v1/rooms", token=alice.access_token)
    assert refused.value.status == 403

    port = synapse.port
    synapse.restart()
    assert synapse.port == port
    listed = synapse.request("GET", "/_synapse/admin/v1/rooms?search_term=Fixture", token=admin.access_token)
    assert [r["room_id"] for r in listed["rooms"]] == [room_id]
    # Tokens issued before the restart still work: a bot keeps its session across a homeserver restart.
    whoami = synapse.request("GET", "/_matrix/client/v3/account/whoami", token=alice.access_token)
    assert whoami["user_id"] == alice.user_id


def test_rate_limits_are_raised(synapse: SynapseServer) -> None:
    """Synapse's default allows 10 messages then 0.2/s; the fixture's config must not throttle a test's burst."""
    bob = synapse.register("burst_bob")
    room_id = synapse.request("POST", "/_matrix/client/v3/createRoom", token=bob.access_token, body={})["room_id"]
    for n in range(40):
        synapse.request(
            "PUT",
            f"/_matrix/client/v3/rooms/{_room_path(room_id)}/send/m.room.message/txn{n}",
            token=bob.access_token,
            body={"msgtype": "m.text", "body": f"message {n}"},
        )
    for n in range(12):
        synapse.request("POST", "/_matrix/client/v3/createRoom", token=bob.access_token, body={"name": f"extra {n}"})
