"""A batch source that reads a Synapse homeserver through its admin API (``groupscan scan --source
matrix-admin --homeserver URL``), and the room -> snapshot mapping the Matrix bot shares.

Every room's state (name, topic, avatar, canonical and alternative aliases, power levels, create event) is
read with ``/_synapse/admin/v1/rooms/{id}/state``; links inside topics become edges like any description's.
Avatars are downloaded through the authenticated media endpoint (``/_matrix/client/v1/media/download``) into
``media_dir``, and icon paths are relative to it. Rooms with fewer joined members than ``min_members`` are
skipped before their state is read (a privacy floor, as Draupnir's 20, that keeps direct chats out). The admin
token comes from the environment or a file, never from a command-line flag.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pydantic import ValidationError

from scanner.schema import GroupSnapshot, Located, Rejected, describe_validation_error

TOKEN_VARIABLE = "GROUPSCAN_MATRIX_ADMIN_TOKEN"
WATCHED_STATE = {"m.room.create", "m.room.name", "m.room.topic", "m.room.avatar", "m.room.canonical_alias",
                 "m.room.power_levels"}


class HomeserverError(RuntimeError):
    """The homeserver refused or could not be reached (the message says which)."""


def room_record(room_id: str, state: list[dict], posted: list[str] | None = None, icon_path: str | None = None,
                observed_at: datetime | None = None) -> dict:
    """A wire record (``GroupSnapshot`` JSON) for a Matrix room from its state events. Admins are users with
    power level 50 or more, plus the creator (room version 12 does not list creators in power levels)."""
    by_type: dict[str, dict] = {}
    members = 0
    for event in state:
        kind = event.get("type")
        if kind == "m.room.member":
            members += (event.get("content") or {}).get("membership") == "join"
        elif kind in WATCHED_STATE and event.get("state_key", "") == "":
            by_type[kind] = event
    content = {k: (v.get("content") or {}) for k, v in by_type.items()}
    creator = by_type.get("m.room.create", {}).get("sender")
    levels = content.get("m.room.power_levels", {}).get("users", {}) or {}
    admins = sorted({u for u, level in levels.items() if isinstance(level, int) and level >= 50}
                    | ({creator} if isinstance(creator, str) else set()))
    alias = content.get("m.room.canonical_alias", {})
    aliases = [a for a in [alias.get("alias"), *(alias.get("alt_aliases") or [])] if isinstance(a, str) and a]
    name = content.get("m.room.name", {}).get("name", "")
    topic = content.get("m.room.topic", {}).get("topic", "")
    record: dict = {
        "schema": 1, "platform": "matrix", "group_id": f"mx:{room_id}",
        "observed_at": (observed_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "name": name if isinstance(name, str) else "", "description": topic if isinstance(topic, str) else "",
        "member_count": members, "admins": [f"mx:user:{a}" for a in admins],
        "own_invite_links": [f"https://matrix.to/#/{a}" for a in aliases],
        "posted_invite_links": [{"url": url} for url in sorted(set(posted or []))],
    }
    if icon_path:
        record["icon"] = {"path": icon_path}
    return record


def avatar_of(state: list[dict]) -> str | None:
    for event in state:
        if event.get("type") == "m.room.avatar" and event.get("state_key", "") == "":
            url = (event.get("content") or {}).get("url")
            return url if isinstance(url, str) and url.startswith("mxc://") else None
    return None


def store_icon(media_dir: Path, data: bytes) -> str:
    """Keep an avatar under ``media_dir/icons`` by content hash; returns its path relative to ``media_dir``."""
    sha = hashlib.sha256(data).hexdigest()
    path = media_dir / "icons" / f"{sha}.img"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    return f"icons/{sha}.img"


class SynapseAdmin:
    def __init__(self, homeserver: str, token: str, timeout: float = 30.0) -> None:
        self.base = homeserver.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            raise HomeserverError(f"{self.base}{path.split('?')[0]}: HTTP {error.code} "
                                  f"{error.read()[:200].decode('utf-8', 'replace')}") from None
        except OSError as error:
            raise HomeserverError(f"{self.base}: {error}") from None

    def json(self, path: str) -> dict:
        return json.loads(self._get(path))

    def rooms(self) -> Iterator[dict]:
        start: object = 0
        while start is not None:
            data = self.json(f"/_synapse/admin/v1/rooms?from={start}&limit=500&order_by=name")
            yield from data.get("rooms", [])
            start = data.get("next_batch")

    def state(self, room_id: str) -> list[dict]:
        return list(self.json(f"/_synapse/admin/v1/rooms/{quote(room_id, safe='')}/state").get("state", []))

    def media(self, mxc: str) -> bytes:
        server, _, media_id = mxc.removeprefix("mxc://").partition("/")
        return self._get(f"/_matrix/client/v1/media/download/{quote(server, safe='')}/{quote(media_id, safe='')}")


def read_homeserver(admin: SynapseAdmin, media_dir: Path, min_members: int = 20,
                    skipped: list[str] | None = None) -> Iterator[Located | Rejected]:
    """Every room at or above the member floor as a snapshot (``Rejected`` with a reason when it cannot be)."""
    source = str(media_dir / "matrix-admin.rooms")
    media_dir.mkdir(parents=True, exist_ok=True)
    for index, room in enumerate(admin.rooms(), start=1):
        room_id = room["room_id"]
        if int(room.get("joined_members") or 0) < min_members:
            if skipped is not None:
                skipped.append(room_id)
            continue
        try:
            state = admin.state(room_id)
            icon = None
            mxc = avatar_of(state)
            if mxc:
                try:
                    icon = store_icon(media_dir, admin.media(mxc))
                except HomeserverError:
                    icon = None  # an unreachable avatar does not lose the room
            snapshot = GroupSnapshot.model_validate(room_record(room_id, state, icon_path=icon),
                                                    context={"root": media_dir})
        except HomeserverError as error:
            yield Rejected(source, index, str(error)[:500], room_id)
            continue
        except ValidationError as error:
            yield Rejected(source, index, describe_validation_error(error), room_id)
            continue
        yield Located(snapshot, source, index)
