"""An in-process fake of the Bot API at the request layer, and builders for incoming updates."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from bot.telegram.ratelimit import Limiter, Sleep

BOT_USER = {"id": 999, "is_bot": True, "first_name": "FlaskBot", "username": "flask_interview_bot"}
NOW = 1_767_268_800


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    # Uploaded files by part name: (file name, content).
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class FakeBotApi(BaseRequest):
    """Records every call and answers like Telegram would; failures can be queued per method."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    # Methods whose next calls are carried out and then time out (the answer never comes back).
    lost_answers: dict[str, int] = field(default_factory=dict)
    # Methods whose next calls fail to connect (nothing sent).
    refused: dict[str, int] = field(default_factory=dict)
    # Chats whose sends wait until the event is set (a slow Bot API for that user).
    held: dict[int, asyncio.Event] = field(default_factory=dict)
    # Called with every call as it arrives (to look at the bot's state at that moment).
    on_call: Callable[[Call], None] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    def fail(self, method: str, status: int, description: str, **extra: Any) -> None:
        """Make the next call of `method` fail with this status."""
        self.failures.setdefault(method, []).append((status, {"description": description, **extra}))

    def hold(self, chat_id: int) -> asyncio.Event:
        """Make calls about `chat_id` wait until the returned event is set."""
        return self.held.setdefault(chat_id, asyncio.Event())

    async def wait_for(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        """Wait (without polling) until a call makes `condition` true; fail after `within` seconds."""
        async with asyncio.timeout(within):
            while not condition():
                await self._changed.wait()
                self._changed.clear()

    def to_chat(self, chat_id: int, method: str = "sendMessage") -> list[Call]:
        """Calls of `method` about one chat, in order."""
        return [c for c in self.of(method) if int(c.params.get("chat_id", 0)) == chat_id]

    def of(self, method: str) -> list[Call]:
        """Calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def sent_texts(self) -> list[str]:
        """Texts of every sendMessage, in order."""
        return [str(c.params["text"]) for c in self.of("sendMessage")]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = DEFAULT_NONE,
        write_timeout: Any = DEFAULT_NONE,
        connect_timeout: Any = DEFAULT_NONE,
        pool_timeout: Any = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = {}
        if request_data is not None and request_data.contains_files:
            for part, (filename, content, *_) in request_data.multipart_data.items():
                files[part] = (str(filename), content if isinstance(content, bytes) else content.read())
        self.calls.append(Call(name, params, files))
        self._changed.set()
        if self.on_call is not None:
            self.on_call(self.calls[-1])
        if self.refused.get(name):
            self.refused[name] -= 1
            raise NetworkError("httpx.ConnectError: refused") from httpx.ConnectError("refused")
        gate = self.held.get(int(params.get("chat_id") or 0))
        if gate is not None:
            await gate.wait()
        queued = self.failures.get(name)
        if queued:
            status, body = queued.pop(0)
            payload: dict[str, Any] = {"ok": False, "error_code": status, "description": body["description"]}
            if "retry_after" in body:
                payload["parameters"] = {"retry_after": body["retry_after"]}
            return status, json.dumps(payload).encode()
        result = self._result(name, params)
        self._changed.set()
        if self.lost_answers.get(name):
            self.lost_answers[name] -= 1
            raise TimedOut("the answer never came back")
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "sendMessage":
            chat_id = int(params["chat_id"])
            msg = {
                "message_id": next(self._ids),
                "date": NOW,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params["text"],
            }
            if "reply_markup" in params:
                msg["reply_markup"] = params["reply_markup"]
            self.messages[(chat_id, msg["message_id"])] = msg
            return msg
        if name == "editMessageText":
            key = (int(params["chat_id"]), int(params["message_id"]))
            msg = dict(
                self.messages.get(key, {"message_id": key[1], "date": NOW, "chat": {"id": key[0], "type": "private"}})
            )
            msg["text"] = params["text"]
            msg.pop("reply_markup", None)
            if "reply_markup" in params:
                msg["reply_markup"] = params["reply_markup"]
            self.messages[key] = msg
            return msg
        if name == "sendDocument":
            chat_id = int(params["chat_id"])
            filename = next(iter(self.calls[-1].files.values()), ("file", b""))[0]
            msg = {
                "message_id": next(self._ids),
                "date": NOW,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "caption": params.get("caption", ""),
                "document": {"file_id": "doc1", "file_unique_id": "udoc1", "file_name": filename},
            }
            self.messages[(chat_id, msg["message_id"])] = msg
            return msg
        if name == "getUpdates":
            return []
        return True


def unthrottled(settings: Settings, sleep: Sleep | None = None) -> Limiter:
    """The bot's limiter with Telegram's rates lifted: flows test behaviour, tests/unit/test_ratelimit.py the pacing."""
    return Limiter(overall=1e6, private_rate=1e6, group_rate=1e6, bulk_rate=settings.push_rate, sleep=sleep)


_update_ids = itertools.count(1)


def user_dict(user_id: int, first_name: str = "Ann") -> dict[str, Any]:
    """A Telegram user."""
    return {"id": user_id, "is_bot": False, "first_name": first_name}


def text_update(bot: Bot, user_id: int, text: str, update_id: int | None = None, chat_type: str = "private") -> Update:
    """A message from a user; a leading /command gets its bot_command entity."""
    chat = {"id": user_id if chat_type == "private" else -100 - user_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "group"
    message: dict[str, Any] = {
        "message_id": next(_update_ids) + 10_000,
        "date": NOW,
        "chat": chat,
        "from": user_dict(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.de_json({"update_id": update_id or next(_update_ids), "message": message}, bot)


def edited_update(bot: Bot, user_id: int, text: str) -> Update:
    """The user edits an earlier message of theirs into `text`."""
    original = text_update(bot, user_id, text).to_dict()
    message = {**original["message"], "edit_date": NOW + 60}
    return Update.de_json({"update_id": next(_update_ids), "edited_message": message}, bot)


def tap_update(bot: Bot, user_id: int, message: dict[str, Any], data: str, update_id: int | None = None) -> Update:
    """A tap on an inline button of a bot message."""
    query = {
        "id": f"q{next(_update_ids)}",
        "from": user_dict(user_id),
        "chat_instance": "ci",
        "data": data,
        "message": message,
    }
    return Update.de_json({"update_id": update_id or next(_update_ids), "callback_query": query}, bot)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]
