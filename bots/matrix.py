"""The Matrix moderation bot (``groupscan bot matrix --config FILE``), on mautrix.

It syncs as its own account, stores the sync token after handling each batch (a restart resumes there), and:
- watches the rooms it is in; with ``admin_api: true`` (a server-admin account) it also reads every room on the
  server through the Synapse admin API, at start and every ``scan_interval_seconds``;
- on room creation and changes of name, topic, avatar, canonical alias or power levels, and on messages that
  carry invite links, builds the room's snapshot (state and links only: message bodies are never stored) and
  rescores through the scan path (``BotCore``);
- alerts the moderators' room once per case state, and answers ``!scan ROOM``, ``!case ID``, ``!status`` and
  ``!help`` from members with at least ``min_power_level`` there;
- publishes rules for confirmed-violating rooms into the policy room as ``m.policy.rule.room`` state events.
A malformed event is logged and skipped; a homeserver outage is retried with backoff until it answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import quote

from mautrix.api import Method
from mautrix.api import Path as ApiPath
from mautrix.client import Client
from mautrix.types import ContentURI, EventType, RoomAlias, RoomID, UserID
from pydantic import Field

from bots.core import BotConfig, BotCore, token_from_env
from scanner.graph.links import extract_links
from scanner.schema import GroupSnapshot
from scanner.sources.matrix_admin import WATCHED_STATE, avatar_of, room_record, store_icon

log = logging.getLogger("groupscan.bot.matrix")
POLICY_RULE = EventType.find("m.policy.rule.room", t_class=EventType.Class.STATE)
HELP = ("Commands: !scan ROOM (a room id or #alias: read it now and show its score), !case ID (a case summary), "
        "!status (counts), !help.")


STRING_FIELDS = {"m.room.name": "name", "m.room.topic": "topic", "m.room.avatar": "url",
                 "m.room.canonical_alias": "alias"}


def check_state(kind: str, content: object) -> None:
    """Refuse a watched state event whose content is not what the spec says (servers accept some of these, e.g.
    an avatar ``url`` that is a number)."""
    if not isinstance(content, dict):
        raise TypeError(f"{kind} content is not an object")
    field = STRING_FIELDS.get(kind)
    if field and field in content and not isinstance(content[field], str):
        raise TypeError(f"{kind}.{field} is a {type(content[field]).__name__}, not a string")


class MatrixBotConfig(BotConfig):

    homeserver: str
    user_id: str
    access_token_env: str = "GROUPSCAN_MATRIX_TOKEN"
    moderators_room: str
    policy_room: str | None = None
    dashboard_url: str = ""
    database: str | None = None
    policy: str | None = None
    media_dir: str = "matrix-media"
    admin_api: bool = False
    min_power_level: int = 50
    min_joined_members: int = Field(1, ge=0)
    scan_interval_seconds: float = Field(300, gt=0)
    sync_timeout_ms: int = Field(30000, ge=0)
    max_alerts: int = Field(5, ge=1)
    takedown: bool = False
    hashed_rules: bool = False


class MatrixBot:
    def __init__(self, config: MatrixBotConfig, core: BotCore, token: str | None = None) -> None:
        self.config = config
        self.core = core
        self.token = token_from_env(token, config.access_token_env, "access token")
        self._client: Client | None = None
        self.media_dir = core.data_root
        self.mod_room: RoomID | None = None
        self.policy_room: RoomID | None = None
        self.skipped_events = 0
        self.last_server_scan = 0.0

    @property
    def client(self) -> Client:
        """Made inside the running event loop (aiohttp needs one), at ``setup``."""
        if self._client is None:
            self._client = Client(mxid=UserID(self.config.user_id), base_url=self.config.homeserver,
                                  token=self.token)
        return self._client

    # --- rooms and snapshots -----------------------------------------------------------------------------------
    async def _resolve(self, room: str) -> RoomID:
        if room.startswith("#"):
            return (await self.client.resolve_room_alias(RoomAlias(room))).room_id
        return RoomID(room)

    async def room_state(self, room_id: str) -> list[dict]:
        """The room's current state events as JSON: through the admin API when allowed (rooms the bot is not
        in), else through the client API."""
        if self.config.admin_api:
            data = await self.client.api.request(Method.GET,
                                                 f"/_synapse/admin/v1/rooms/{quote(room_id, safe='')}/state")
            return list(data.get("state", []))
        return list(await self.client.api.request(Method.GET, ApiPath.v3.rooms[room_id].state))

    async def server_rooms(self) -> list[str]:
        rooms: list[str] = []
        start: Any = 0
        while start is not None:
            data = await self.client.api.request(Method.GET, "/_synapse/admin/v1/rooms",
                                                 query_params={"from": str(start), "limit": "200"})
            rooms.extend(r["room_id"] for r in data.get("rooms", []))
            start = data.get("next_batch")
        return rooms

    async def _icon(self, mxc: str) -> str | None:
        try:
            data = await self.client.download_media(ContentURI(mxc))
        except Exception as error:  # a missing or refused avatar is not worth failing the snapshot
            log.warning("avatar %s not downloaded: %s", mxc, error)
            return None
        return store_icon(self.media_dir, data)

    async def snapshot(self, room_id: str, posted: list[str] | None = None) -> GroupSnapshot | None:
        """The room as a ``GroupSnapshot`` (the batch source's mapping), or None for the bot's own rooms and
        rooms under the member floor."""
        if room_id in (self.mod_room, self.policy_room):
            return None
        state = await self.room_state(room_id)
        members = sum(1 for e in state if e.get("type") == "m.room.member"
                      and (e.get("content") or {}).get("membership") == "join")
        if members < self.config.min_joined_members:
            return None
        mxc = avatar_of(state)
        icon = await self._icon(mxc) if mxc else None
        return GroupSnapshot.model_validate(room_record(room_id, state, posted, icon), context={"root": self.media_dir})

    # --- the loop ----------------------------------------------------------------------------------------------
    async def setup(self) -> None:
        self.mod_room = await self._resolve(self.config.moderators_room)
        await self.client.join_room(self.mod_room)
        if self.config.policy_room:
            self.policy_room = await self._resolve(self.config.policy_room)
            await self.client.join_room(self.policy_room)

    async def scan_rooms(self, rooms: list[str], posted: dict[str, list[str]] | None = None) -> int:
        snapshots = []
        for room in rooms:
            try:
                snap = await self.snapshot(room, (posted or {}).get(room))
            except Exception as error:
                self.skipped_events += 1
                log.warning("room %s skipped: %s", room, error)
                continue
            if snap is not None:
                snapshots.append(snap)
        if snapshots:
            await asyncio.to_thread(self.core.rescore, snapshots)
            await self.announce()
        return len(snapshots)

    async def announce(self) -> None:
        assert self.mod_room is not None
        batch = await asyncio.to_thread(self.core.alerts)
        for alert in batch.alerts:
            await self.client.send_notice(self.mod_room, alert.text, html=alert.html)
        if batch.summary:
            await self.client.send_notice(self.mod_room, batch.summary)
        await asyncio.to_thread(self.core.mark_sent, batch)

    async def publish_rules(self) -> int:
        if self.policy_room is None:
            return 0
        rules = await asyncio.to_thread(self.core.rules_to_publish, self.policy_room, self.config.takedown,
                                        self.config.hashed_rules)
        for rule in rules:
            await self.client.send_state_event(self.policy_room, POLICY_RULE, rule["content"],
                                               state_key=rule["state_key"])
        await asyncio.to_thread(self.core.mark_published, self.policy_room, rules)
        return len(rules)

    async def power_level(self, user: str) -> int:
        assert self.mod_room is not None
        state = await self.client.api.request(Method.GET, ApiPath.v3.rooms[self.mod_room].state)
        creators: set[str] = set()
        users: dict = {}
        default = 0
        for event in state:
            if event.get("type") == "m.room.create":
                creators.add(event.get("sender", ""))
                creators.update((event.get("content") or {}).get("additional_creators") or [])
            elif event.get("type") == "m.room.power_levels":
                users = (event.get("content") or {}).get("users") or {}
                default = int((event.get("content") or {}).get("users_default", 0))
        if user in creators and user not in users:
            return 10**9  # room version 12: creators outrank every power level
        return int(users.get(user, default))

    async def command(self, sender: str, body: str) -> str | None:
        words = body.strip().split()
        if not words or not words[0].startswith("!"):
            return None
        if await self.power_level(sender) < self.config.min_power_level:
            return f"{sender}: commands need power level {self.config.min_power_level} in this room."
        verb = words[0].lower()
        if verb == "!help":
            return HELP
        if verb == "!status":
            return await asyncio.to_thread(self.core.status_text)
        if verb == "!case" and len(words) == 2:
            return await asyncio.to_thread(self.core.case_text, words[1])
        if verb == "!scan" and len(words) == 2:
            room = await self._resolve(words[1])
            await self.scan_rooms([room])
            return await asyncio.to_thread(self.core.group_text, f"mx:{room}")
        return f"Unknown command. {HELP}"

    async def handle(self, data: dict) -> None:
        """One sync batch: join invites, collect changed rooms and posted links, run commands, rescore once."""
        for room_id in (data.get("rooms", {}).get("invite") or {}):
            try:
                await self.client.join_room(RoomID(room_id))
            except Exception as error:
                log.warning("could not join %s: %s", room_id, error)
        dirty: set[str] = set()
        posted: dict[str, list[str]] = {}
        commands: list[tuple[str, str]] = []
        for room_id, info in (data.get("rooms", {}).get("join") or {}).items():
            events = list((info.get("state") or {}).get("events") or []) + list(
                (info.get("timeline") or {}).get("events") or [])
            for event in events:
                try:
                    kind = event["type"]
                    if kind in WATCHED_STATE:
                        check_state(kind, event["content"])
                        dirty.add(room_id)
                    elif kind == "m.room.message" and event.get("sender") != self.config.user_id:
                        body = event["content"]["body"]
                        if not isinstance(body, str):
                            raise TypeError("message body is not text")
                        if room_id == self.mod_room:
                            commands.append((event["sender"], body))
                            continue
                        links = [link.canonical for link in extract_links(body)]
                        if links:
                            posted.setdefault(room_id, []).extend(f"https://{c}" for c in links)
                            dirty.add(room_id)
                except Exception as error:
                    self.skipped_events += 1
                    log.warning("malformed event skipped in %s: %s", room_id, error)
        if dirty:
            await self.scan_rooms(sorted(dirty), posted)
        for sender, body in commands:
            try:
                answer = await self.command(sender, body)
            except Exception as error:
                answer = f"That failed: {error}"
            if answer and self.mod_room:
                await self.client.send_notice(self.mod_room, answer)

    async def run(self, stop: asyncio.Event) -> None:
        await self.setup()
        backoff = 1.0
        while not stop.is_set():
            try:
                if self.config.admin_api and (asyncio.get_running_loop().time() - self.last_server_scan
                                              >= self.config.scan_interval_seconds or not self.last_server_scan):
                    self.last_server_scan = asyncio.get_running_loop().time()
                    await self.scan_rooms(await self.server_rooms())
                since = (await asyncio.to_thread(self.core.get_state, "sync")).get("next_batch")
                data = await self.client.sync(since=since, timeout=self.config.sync_timeout_ms)
                await self.handle(data)
                await asyncio.to_thread(self.core.put_state, "sync", {"next_batch": data.get("next_batch")})
                await self.publish_rules()
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("sync failed (%s: %s); retrying in %.0f s", type(error).__name__, error, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 30.0)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.api.session.close()
