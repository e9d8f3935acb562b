"""A local stand-in for the Telegram Bot API, on 127.0.0.1, for the Telegram bot's tests.

Telegram's servers cannot be reached offline, so this serves the few methods the bot calls. Every payload is
built from python-telegram-bot's own classes (``Update``, ``ChatFullInfo``, ``ChatMemberAdministrator``, ``File``,
``Message``...) and serialised with their ``to_dict()``, so it cannot drift from the schema the library parses.
Requests arrive as the library sends them (form fields, JSON-encoded where structured).
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from telegram import (
    AcceptedGiftTypes,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberUpdated,
    ChatPhoto,
    File,
    Message,
    MessageEntity,
    Update,
    User,
)

BOT = User(id=4242, is_bot=True, first_name="groupscan", username="groupscan_bot")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def administrator(user: User) -> ChatMemberAdministrator:
    return ChatMemberAdministrator(user, False, False, True, True, True, True, False, True, True, False, False, False)


class BotApiStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.chats: dict[int, ChatFullInfo] = {}
        self.admins: dict[int, list[ChatMember]] = {}
        self.members: dict[int, int] = {}
        self.member_status: dict[tuple[int, int], ChatMember] = {}
        self.files: dict[str, bytes] = {}
        self.updates: list[dict] = []
        self.sent: list[dict] = []
        self.edits: list[dict] = []
        self.answers: list[dict] = []
        self.calls: list[str] = []
        self._next_update = 1
        self._next_message = 1000
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    # --- building the world ------------------------------------------------------------------------------------
    def add_group(self, chat_id: int, title: str, description: str, invite_link: str, admins: list[User],
                  members: int, photo: bytes | None = None) -> None:
        chat_photo = None
        if photo is not None:
            file_id = f"photo{chat_id}"
            self.files[file_id] = photo
            chat_photo = ChatPhoto(f"small{chat_id}", f"su{chat_id}", file_id, f"bu{chat_id}")
        self.chats[chat_id] = ChatFullInfo(chat_id, Chat.SUPERGROUP, 0, 10, AcceptedGiftTypes(False, False, False,
                                                                                           False, False),
                                           title=title, description=description, invite_link=invite_link,
                                           photo=chat_photo)
        self.admins[chat_id] = [ChatMemberOwner(admins[0], False), *[administrator(u) for u in admins[1:]]]
        self.members[chat_id] = members

    def rename(self, chat_id: int, title: str) -> None:
        chat = self.chats[chat_id]
        data = chat.to_dict()
        data["title"] = title
        self.chats[chat_id] = ChatFullInfo.de_json(data, None)

    def set_photo(self, chat_id: int, photo: bytes) -> None:
        file_id = f"photo{chat_id}-{len(self.files)}"
        self.files[file_id] = photo
        data = self.chats[chat_id].to_dict()
        data["photo"] = ChatPhoto(f"small{file_id}", f"su{file_id}", file_id, f"bu{file_id}").to_dict()
        self.chats[chat_id] = ChatFullInfo.de_json(data, None)

    def push(self, **fields: Any) -> None:
        update = Update(self._next_update, **fields)
        self._next_update += 1
        self.updates.append(update.to_dict())

    def push_added(self, chat_id: int, by: User) -> None:
        chat = Chat(chat_id, Chat.SUPERGROUP, title=self.chats[chat_id].title)
        self.push(my_chat_member=ChatMemberUpdated(chat, by, NOW, ChatMemberLeft(BOT), administrator(BOT)))

    def push_message(self, chat_id: int, sender: User, **fields: Any) -> None:
        chat = self.chats.get(chat_id)
        message = Message(self._message_id(), NOW, Chat(chat_id, Chat.SUPERGROUP, title=chat.title if chat else None),
                          from_user=sender, **fields)
        self.push(message=message)

    def push_command(self, chat_id: int, sender: User, text: str) -> None:
        command = text.split()[0]
        self.push_message(chat_id, sender, text=text,
                          entities=[MessageEntity(MessageEntity.BOT_COMMAND, 0, len(command))])

    def push_button(self, sender: User, message: dict, data: str) -> None:
        original = Message.de_json(message, None)
        assert original is not None
        self.push(callback_query=CallbackQuery(f"cq{self._next_update}", sender, "instance", message=original,
                                               data=data))

    def _message_id(self) -> int:
        self._next_message += 1
        return self._next_message

    # --- the HTTP side -----------------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        self.calls.append(method)
        params = await self._params(request)
        try:
            result = await self._dispatch(method, params)
        except KeyError as missing:
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": f"Bad Request: {missing}"}, status=400)
        return web.json_response({"ok": True, "result": result})

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT.to_dict()
        if method in ("deleteWebhook", "setMyCommands", "answerCallbackQuery"):
            if method == "answerCallbackQuery":
                self.answers.append(params)
            return True
        if method == "getUpdates":
            offset = int(params.get("offset", 0) or 0)
            for _ in range(10):
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending:
                    return pending
                await asyncio.sleep(0.1)
            return []
        chat_id = int(params["chat_id"]) if "chat_id" in params else 0
        if method == "getChat":
            return self.chats[chat_id].to_dict()
        if method == "getChatAdministrators":
            return [m.to_dict() for m in self.admins[chat_id]]
        if method == "getChatMemberCount":
            return self.members[chat_id]
        if method == "getChatMember":
            user_id = int(params["user_id"])
            found = self.member_status.get((chat_id, user_id)) or ChatMemberMember(
                User(id=user_id, first_name="someone", is_bot=False))
            return found.to_dict()
        if method == "getFile":
            file_id = params["file_id"]
            return File(file_id, f"u-{file_id}", len(self.files[file_id]), f"photos/{file_id}.png").to_dict()
        if method == "sendMessage":
            chat = Chat(chat_id, Chat.GROUP, title="admins")
            message = Message(self._message_id(), NOW, chat, from_user=BOT, text=params["text"],
                              reply_markup=None)
            data = message.to_dict()
            if params.get("reply_markup"):
                data["reply_markup"] = params["reply_markup"]
            self.sent.append(data)
            return data
        if method == "editMessageText":
            self.edits.append(params)
            chat = Chat(chat_id, Chat.GROUP, title="admins")
            return Message(int(params["message_id"]), NOW, chat, from_user=BOT, text=params["text"]).to_dict()
        raise KeyError(f"method {method} is not served by the stand-in")

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["path"].rsplit("/", 1)[-1].removesuffix(".png")
        return web.Response(body=self.files[name], content_type="image/png")

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.runner = runner
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BotApiStandIn:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
