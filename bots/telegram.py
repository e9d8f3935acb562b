"""The Telegram bot (``groupscan bot telegram --config FILE``), on python-telegram-bot.

It handles being added to a group (``my_chat_member``), renames (``new_chat_title``), new photos
(``new_chat_photo``) and messages that carry invite links. For each it fetches the chat's info, administrators,
member count and photo, builds the group's snapshot (metadata and links only: message bodies are never stored)
and rescores through the scan path (``BotCore``). Alerts go to the admin chat with *Confirm* and *Dismiss*
buttons. A button records who acknowledged the alert (audited) and never decides the case: moderators decide in
the dashboard. Commands in the admin chat, for its administrators: /status, /case ID, /help.

``base_url`` points the library at any Bot API server (a local Bot API server, or the tests' stand-in).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from pydantic import Field
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bots.core import BotConfig, BotCore, token_from_env
from scanner.graph.links import extract_links
from scanner.schema import GroupSnapshot
from scanner.sources.matrix_admin import store_icon
from scanner.store import audit
from scanner.store.tx import write

log = logging.getLogger("groupscan.bot.telegram")
ADMIN_STATUSES = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


class TelegramBotConfig(BotConfig):

    token_env: str = "GROUPSCAN_TELEGRAM_TOKEN"
    admin_chat_id: int
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    dashboard_url: str = ""
    database: str | None = None
    policy: str | None = None
    media_dir: str = "telegram-media"
    max_alerts: int = Field(5, ge=1)
    poll_interval: float = Field(1.0, ge=0)


class TelegramBot:
    def __init__(self, config: TelegramBotConfig, core: BotCore, token: str | None = None) -> None:
        self.config = config
        self.core = core
        self.token = token_from_env(token, config.token_env, "bot token")
        self.app: Application | None = None
        self.skipped_updates = 0
        self.lock = asyncio.Lock()

    def build(self) -> Application:
        app = (ApplicationBuilder().token(self.token).base_url(self.config.base_url)
               .base_file_url(self.config.base_file_url).build())
        status = filters.StatusUpdate.NEW_CHAT_TITLE | filters.StatusUpdate.NEW_CHAT_PHOTO
        app.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(MessageHandler(status, self.on_change))
        admin = filters.Chat(self.config.admin_chat_id)
        app.add_handler(CommandHandler("status", self.on_status, filters=admin))
        app.add_handler(CommandHandler("case", self.on_case, filters=admin))
        app.add_handler(CommandHandler("help", self.on_help, filters=admin))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & ~admin, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_error_handler(self.on_error)
        return app

    # --- snapshots ---------------------------------------------------------------------------------------------
    async def snapshot(self, chat_id: int, posted: list[str] | None = None) -> GroupSnapshot:
        assert self.app is not None
        bot = self.app.bot
        chat = await bot.get_chat(chat_id)
        admins = await bot.get_chat_administrators(chat_id)
        members = await bot.get_chat_member_count(chat_id)
        own = [link for link in [chat.invite_link, f"https://t.me/{chat.username}" if chat.username else None]
               if link]
        record: dict = {
            "schema": 1, "platform": "telegram", "group_id": f"tg:{chat.id}",
            "observed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "name": chat.title or "", "description": chat.description or "", "member_count": members,
            "admins": sorted(f"tg:user:{a.user.id}" for a in admins), "own_invite_links": own,
            "posted_invite_links": [{"url": url} for url in sorted(set(posted or []))],
        }
        if chat.photo:
            file = await bot.get_file(chat.photo.big_file_id)
            data = bytes(await file.download_as_bytearray())
            record["icon"] = {"path": store_icon(self.core.data_root, data)}
        return GroupSnapshot.model_validate(record, context={"root": self.core.data_root})

    async def rescan(self, chat_id: int, posted: list[str] | None = None) -> None:
        if chat_id == self.config.admin_chat_id:
            return
        async with self.lock:  # one rescore at a time: updates arrive concurrently
            snap = await self.snapshot(chat_id, posted)
            await asyncio.to_thread(self.core.rescore, [snap])
            await self.announce()

    async def announce(self) -> None:
        assert self.app is not None
        batch = await asyncio.to_thread(self.core.alerts)
        for alert in batch.alerts:
            buttons = InlineKeyboardMarkup([[
                InlineKeyboardButton("Confirm", callback_data=f"confirm:{alert.case_id}"),
                InlineKeyboardButton("Dismiss", callback_data=f"dismiss:{alert.case_id}")]])
            await self.app.bot.send_message(self.config.admin_chat_id, alert.text, reply_markup=buttons)
        if batch.summary:
            await self.app.bot.send_message(self.config.admin_chat_id, batch.summary)
        await asyncio.to_thread(self.core.mark_sent, batch)

    # --- handlers ----------------------------------------------------------------------------------------------
    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change and change.new_chat_member.status in (ChatMemberStatus.MEMBER, *ADMIN_STATUSES):
            await self.rescan(change.chat.id)

    async def on_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat:
            await self.rescan(update.effective_chat.id)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if not message or not update.effective_chat:
            return
        links = [f"https://{link.canonical}" for link in extract_links(message.text or "")]
        if links:  # the message body itself is never stored
            await self.rescan(update.effective_chat.id, links)

    async def _is_admin(self, user_id: int) -> bool:
        assert self.app is not None
        member = await self.app.bot.get_chat_member(self.config.admin_chat_id, user_id)
        return member.status in ADMIN_STATUSES

    async def on_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_user and await self._is_admin(update.effective_user.id):
            assert update.effective_message is not None
            await update.effective_message.reply_text(await asyncio.to_thread(self.core.status_text))

    async def on_case(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_user and await self._is_admin(update.effective_user.id) and context.args:
            assert update.effective_message is not None
            await update.effective_message.reply_text(await asyncio.to_thread(self.core.case_text, context.args[0]))

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("/status, /case ID; alerts arrive here with Confirm/Dismiss.")

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not query.data or ":" not in query.data:
            return
        verb, case_id = query.data.split(":", 1)
        if not await self._is_admin(query.from_user.id):
            await query.answer("Only administrators of this chat can do that.", show_alert=True)
            return
        who = f"telegram:{query.from_user.id}"
        action = "alert_confirmed" if verb == "confirm" else "alert_dismissed"
        await asyncio.to_thread(write, self.core.engine, lambda session: audit.append(
            session, who, action, case_id, {"by": query.from_user.username or query.from_user.id,
                                            "chat": self.config.admin_chat_id}))
        await query.answer("Recorded.")
        word = "Confirmed" if verb == "confirm" else "Dismissed"
        original = getattr(query.message, "text", None) or ""
        await query.edit_message_text(f"{original}\n\n{word} by {query.from_user.full_name}. Moderators decide "
                                      "the case in the dashboard.")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.skipped_updates += 1
        log.warning("update skipped: %s", context.error)

    # --- lifecycle ---------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        self.app = self.build()
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=self.config.poll_interval, timeout=1,
                                             allowed_updates=Update.ALL_TYPES)
        await stop.wait()

    async def close(self) -> None:
        if self.app is None:
            return
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
