"""The Matrix bot against a real Synapse on 127.0.0.1: it reads every room through the admin API, finds a planted
ring, alerts the moderators' room once, answers commands only for the powerful, skips a malformed event, survives
a homeserver restart without repeating itself, publishes policy rules that read back, and scores each room
exactly as a batch scan of the same snapshots does."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlmodel import Session, select

from bots.core import BotCore
from bots.matrix import MatrixBot, MatrixBotConfig
from scanner.auth.users import User
from scanner.engine.pipeline import run_scan
from scanner.escalation.policylist import state_key
from scanner.policy import default_policy
from scanner.review.decisions import claim, decide
from scanner.store.db import open_database
from scanner.store.models import Group, Snapshot
from tests.support.matrix import create_room, notices, upload_icon
from tests.support.matrix_server import SYNAPSE_PYTHON, MatrixUser, SynapseServer, synapse_available
from tests.support.servers import missing_server

pytestmark = pytest.mark.skipif(not synapse_available(), reason=missing_server(
    f"{SYNAPSE_PYTHON} does not exist (scripts/bootstrap-test-servers creates .venv-synapse with matrix-synapse)"))


def q(room_id: str) -> str:
    return quote(room_id, safe="")


def say(server: SynapseServer, user: MatrixUser, room: str, content: dict) -> None:
    txn = f"t{time.monotonic_ns()}"
    server.request("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/{txn}", token=user.access_token,
                   body=content)


def wait_for(check: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    """The bot on its own thread and event loop, stopped cleanly at the end."""

    def __init__(self, bot: MatrixBot) -> None:
        self.bot = bot
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._run(),), daemon=True)
        self.thread.start()

    async def _run(self) -> None:
        try:
            await self.bot.run(self.stop)
        finally:
            await self.bot.close()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def test_the_bot_finds_the_ring_alerts_once_and_survives_a_restart(synapse: SynapseServer, tmp_path: Path) -> None:
    bot_user = synapse.register("groupscan", admin=True)
    mod = synapse.register("mod")
    stranger = synapse.register("stranger")
    boss = synapse.register("ringleader")
    neighbour = synapse.register("neighbour")
    mod_room = create_room(synapse, mod, name="moderators", preset="public_chat",
                           power_level_content_override={"users": {bot_user.user_id: 50}})
    policy_room = create_room(synapse, mod, name="groupscan policy list", preset="public_chat",
                              power_level_content_override={"users": {bot_user.user_id: 100}})
    synapse.request("POST", f"/_matrix/client/v3/join/{q(mod_room)}", token=stranger.access_token, body={})
    icon = upload_icon(synapse, boss)
    ring = []
    for i in range(6):
        targets = [(i + 1) % 6, (i + 2) % 6]
        topic = "backup: " + " ".join(f"https://matrix.to/#/#ring{t}:localhost" for t in targets)
        initial = [{"type": "m.room.avatar", "state_key": "", "content": {"url": icon}}] if i == 0 else []
        ring.append(create_room(synapse, boss, name="t33n xxx new link" if i < 3 else f"friends {i}", topic=topic,
                                room_alias_name=f"ring{i}", preset="public_chat", initial_state=initial))
    # The bot is invited into one ring room (it joins invites), so it sees that room's events live.
    synapse.request("POST", f"/_matrix/client/v3/rooms/{q(ring[1])}/invite", token=boss.access_token,
                    body={"user_id": bot_user.user_id})
    for name in ("cricket club", "Class 8 parents", "recipes"):
        create_room(synapse, neighbour, name=name, topic="all welcome", preset="public_chat")

    engine = open_database(str(tmp_path / "bot.db"))
    policy = default_policy()
    # With the incremental-scan cache, as `groupscan bot` runs it: the batch comparison below covers it too.
    core = BotCore(engine, policy, tmp_path / "media", f"matrix:{mod_room}", "http://127.0.0.1:8501",
                   cache_dir=tmp_path / "cache")
    config = MatrixBotConfig(homeserver=synapse.base_url, user_id=bot_user.user_id, moderators_room=mod_room,
                             policy_room=policy_room, admin_api=True, sync_timeout_ms=1000,
                             scan_interval_seconds=3600)
    # A rule an older version of the bot published under its own "groupscan:" state key: it is removed (emptied)
    # once the bot publishes the same rooms under matrix-protection-suite's keys.
    legacy = "groupscan:0123456789abcdef0123456789abcdef"
    synapse.request("PUT", f"/_matrix/client/v3/rooms/{q(policy_room)}/state/m.policy.rule.room/{q(legacy)}",
                    token=mod.access_token, body={"entity": "#ring0:localhost", "recommendation": "m.ban"})
    core.put_state(f"rules:{policy_room}", {legacy: "published by an older version"})
    running = Running(MatrixBot(config, core, token=bot_user.access_token))
    try:
        def alerts() -> list[str]:
            return [b for b in notices(synapse, mod, mod_room, bot_user.user_id) if "/case?case=" in b]

        wait_for(lambda: bool(alerts()), what="the ring alert")
        (alert,) = alerts()
        assert "child safety" in alert and "6 group(s)" in alert
        with Session(engine) as session:
            stored = {s.group_id for s in session.exec(select(Snapshot)).all()}
            ring0 = session.get(Group, f"mx:{ring[0]}")
        assert {f"mx:{r}" for r in ring} <= stored and ring0 is not None and ring0.icon_sha256  # avatar fetched

        synapse.request("PUT", f"/_matrix/client/v3/rooms/{q(ring[1])}/state/m.room.avatar/",  # malformed
                        token=boss.access_token, body={"url": 7})
        say(synapse, boss, ring[1], {"msgtype": "m.text", "body": "new home https://matrix.to/#/#ring5:localhost"})
        wait_for(lambda: running.bot.skipped_events >= 1, what="the malformed event to be skipped")

        def ring1_links() -> list:
            with Session(engine) as session:
                return [s.payload["posted_invite_links"] for s in session.exec(
                    select(Snapshot).where(Snapshot.group_id == f"mx:{ring[1]}")).all()]

        wait_for(lambda: any(links for links in ring1_links()), what="the posted link to be recorded")

        say(synapse, stranger, mod_room, {"msgtype": "m.text", "body": "!status"})
        wait_for(lambda: any("power level 50" in b for b in notices(synapse, mod, mod_room, bot_user.user_id)),
                 what="the refusal")

        synapse.restart()
        say(synapse, mod, mod_room, {"msgtype": "m.text", "body": "!status"})
        wait_for(lambda: any("case(s) open" in b for b in notices(synapse, mod, mod_room, bot_user.user_id)),
                 timeout=90, what="a !status answer after the restart")
        say(synapse, mod, mod_room, {"msgtype": "m.text", "body": "!scan #ring3:localhost"})
        wait_for(lambda: any(b.startswith("friends 3: risk") for b in
                             notices(synapse, mod, mod_room, bot_user.user_id)), what="the !scan answer")
        assert len(alerts()) == 1, "no duplicate alert after the restart and the rescans"

        case_id = alert.split("case ")[1].split(",")[0]
        lead = User("lee", "lead")
        claim(engine, lead, case_id, policy)
        decide(engine, lead, case_id, "violating", policy, category="child_safety", note="confirmed ring")

        def rules() -> list[dict]:
            state = synapse.request("GET", f"/_matrix/client/v3/rooms/{q(policy_room)}/state",
                                    token=mod.access_token)
            return [e for e in state if e["type"] == "m.policy.rule.room"]

        wait_for(lambda: len([e for e in rules() if e["content"]]) >= 12, what="policy rules in the policy room")
        live = [e for e in rules() if e["content"]]
        entities = {e["content"]["entity"] for e in live}
        assert set(ring) <= entities and {f"#ring{i}:localhost" for i in range(6)} <= entities
        assert {e["content"]["recommendation"] for e in live} == {"m.ban"}
        assert all(e["state_key"] == state_key(e["content"]["entity"], "m.ban") for e in live)
        assert next(e for e in rules() if e["state_key"] == legacy)["content"] == {}
        assert legacy not in core.get_state(f"rules:{policy_room}")
    finally:
        running.close()

    # A group scores the same whether the bot saw it or a batch scan read the same snapshots.
    with Session(engine) as session:
        payloads = [s.payload for s in session.exec(select(Snapshot).order_by(Snapshot.id)).all()]
        bot_scores = {g.group_id: (g.risk, g.category) for g in session.exec(select(Group)).all()}
    (tmp_path / "media" / "groups.jsonl").write_text("\n".join(json.dumps(p) for p in payloads) + "\n")
    batch = open_database(str(tmp_path / "batch.db"))
    run_scan(batch, tmp_path / "media", policy)
    with Session(batch) as session:
        batch_scores = {g.group_id: (g.risk, g.category) for g in session.exec(select(Group)).all()}
    confirmed = {f"mx:{r}" for r in ring}  # the decision is evidence in the bot's database only
    assert {g: s for g, s in batch_scores.items() if g not in confirmed} == {
        g: s for g, s in bot_scores.items() if g not in confirmed}
