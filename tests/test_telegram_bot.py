"""The Telegram bot against a local Bot API stand-in (Telegram itself is unreachable offline) whose payloads are
python-telegram-bot's own types: added to a ring of groups, it alerts the admin chat once with Confirm/Dismiss
buttons, refuses buttons from non-administrators, records a confirmation, picks up a new photo, and a rename
causes no repeat."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Callable

import numpy as np
from PIL import Image
from sqlmodel import Session, select
from telegram import PhotoSize, User

from bots.core import BotCore
from bots.telegram import TelegramBot, TelegramBotConfig
from scanner.policy import default_policy
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.models import Group
from scanner.store.review_models import ReviewCase
from tests.support.telegram_standin import BotApiStandIn, administrator

TOKEN = "123456:TEST-TOKEN"
ADMIN_CHAT = -500
BOSS = User(id=777, first_name="Boss", is_bot=False)
ADMIN = User(id=1, first_name="Asha", is_bot=False, username="asha")
OUTSIDER = User(id=2, first_name="Ravi", is_bot=False)


def wait_for(check: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def png() -> bytes:
    pixels = (np.indices((48, 48)).sum(axis=0) % 11 * 20).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(np.stack([pixels, 255 - pixels, pixels.T], axis=-1)).save(out, format="PNG")
    return out.getvalue()


def test_the_telegram_bot_alerts_once_with_buttons(tmp_path) -> None:
    api = BotApiStandIn(TOKEN).start()
    ids = [-1001000 - i for i in range(5)]
    for i, chat_id in enumerate(ids):
        links = " ".join(f"https://t.me/+RING{(i + k) % 5}code" for k in (1, 2))
        api.add_group(chat_id, "t33n xxx new link" if i < 3 else f"friends {i}", f"backups: {links}",
                      f"https://t.me/+RING{i}code", [BOSS], 40 + i, photo=png() if i == 0 else None)
    api.member_status[(ADMIN_CHAT, ADMIN.id)] = administrator(ADMIN)
    engine = open_database(str(tmp_path / "tg.db"))
    core = BotCore(engine, default_policy(), tmp_path / "media", f"telegram:{ADMIN_CHAT}", "http://127.0.0.1:8501")
    config = TelegramBotConfig(admin_chat_id=ADMIN_CHAT, base_url=f"{api.url}/bot",
                               base_file_url=f"{api.url}/file/bot", poll_interval=0.05)
    bot = TelegramBot(config, core, token=TOKEN)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        try:
            await bot.run(stop)
        finally:
            await bot.close()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        for chat_id in ids:
            api.push_added(chat_id, BOSS)

        def alerts() -> list[dict]:
            return [m for m in api.sent if "/case?case=" in m["text"]]

        def ring_size() -> int:
            with Session(engine) as session:
                return max((c.size for c in session.exec(select(ReviewCase)).all()), default=0)

        wait_for(lambda: ring_size() == 5 and bool(alerts()), what="the ring and its alert")
        time.sleep(1.0)
        sent_before = len(alerts())
        # Announced as it formed: once when opened, again only when it doubled (1, 2, then 4-7 groups).
        assert 1 <= sent_before <= 3
        alert = alerts()[-1]
        assert "child safety" in alert["text"] and alert["chat"]["id"] == ADMIN_CHAT
        buttons = [b["callback_data"] for b in alert["reply_markup"]["inline_keyboard"][0]]
        case_id = alert["text"].split("case ")[1].split(",")[0]
        assert buttons == [f"confirm:{case_id}", f"dismiss:{case_id}"]
        with Session(engine) as session:
            icon = session.get(Group, f"tg:{ids[0]}").icon_sha256
            assert icon and len(session.exec(select(Group)).all()) == 5

        api.push_button(OUTSIDER, alert, f"confirm:{case_id}")
        wait_for(lambda: any(a.get("show_alert") for a in api.answers), what="the refusal")
        api.push_button(ADMIN, alert, f"confirm:{case_id}")
        wait_for(lambda: bool(api.edits), what="the confirmation edit")
        assert "Confirmed by Asha" in api.edits[0]["text"]
        (event,) = audit.events(engine, action="alert_confirmed")
        assert event["actor"] == f"telegram:{ADMIN.id}" and event["target"] == case_id

        api.rename(ids[3], "friends 3 (new)")
        api.push_message(ids[3], BOSS, new_chat_title="friends 3 (new)")
        wait_for(lambda: _name(engine, f"tg:{ids[3]}") == "friends 3 (new)", what="the rename")
        api.set_photo(ids[2], png())
        api.push_message(ids[2], BOSS, new_chat_photo=[PhotoSize("p2", "pu2", 48, 48)])
        wait_for(lambda: _icon(engine, f"tg:{ids[2]}") is not None, what="the new photo to be hashed")
        api.push_message(ids[4], BOSS, text="we moved: https://t.me/+RING0code")
        api.push_command(ADMIN_CHAT, ADMIN, "/status")
        wait_for(lambda: any("case(s) open" in m["text"] for m in api.sent), what="the /status answer")
        assert len(alerts()) == sent_before and bot.skipped_updates == 0
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        api.stop()
    assert not thread.is_alive()


def _icon(engine, group_id: str) -> str | None:
    with Session(engine) as session:
        group = session.get(Group, group_id)
        return group.icon_sha256 if group else None


def _name(engine, group_id: str) -> str | None:
    with Session(engine) as session:
        group = session.get(Group, group_id)
        return group.name if group else None
