"""An in-process fake of the Bot API at the request layer, and builders for incoming updates."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from bot.telegram.ratelimit import Limiter, Sleep
from tests.refused import refused

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
    failures: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    # Group chats: (chat id, user id) of each administrator; polls the bot sent, by poll id.
    admins: set[tuple[int, int]] = field(default_factory=set)
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Methods whose next calls are carried out and then time out (the answer never comes back).
    lost_answers: dict[str, int] = field(default_factory=dict)
    # Methods whose next calls fail to connect (nothing sent).
    refused: dict[str, int] = field(default_factory=dict)
    # Chats whose sends wait until the event is set (a slow Bot API for that user).
    held: dict[int, asyncio.Event] = field(default_factory=dict)
    # Called with every call as it arrives (to look at the bot's state at that moment).
    on_call: Callable[[Call], None] | None = None
    # Files the bot may fetch with getFile and download, by file id.
    files: dict[str, bytes] = field(default_factory=dict)
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
        self.failures.setdefault(method, []).append((status, _error(status, {"description": description, **extra})))

    def fail_with_page(self, method: str, status: int, title: str) -> None:
        """Make the next call of `method` get a proxy's own error page (HTML, not the Bot API's JSON)."""
        page = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>"
        self.failures.setdefault(method, []).append((status, page.encode()))

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
        if "/file/bot" in url:
            # A download of a file getFile described: its path is "voice/<file id>.oga".
            self.calls.append(Call("download", {"url": url}))
            content = self.files.get(name.removesuffix(".oga"))
            return (200, content) if content is not None else (404, b"Not Found")
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
            raise NetworkError("aiohttp.ClientConnectorError: refused") from refused()
        gate = self.held.get(int(params.get("chat_id") or 0))
        if gate is not None:
            await gate.wait()
        queued = self.failures.get(name)
        if queued:
            return queued.pop(0)
        if name == "sendPoll":
            problem = poll_problem(params)
            if problem is not None:
                return 400, _error(400, {"description": f"Bad Request: {problem}"})
        result = self._result(name, params)
        self._changed.set()
        if self.lost_answers.get(name):
            self.lost_answers[name] -= 1
            raise TimedOut("the answer never came back")
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def poll_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The polls sent to a chat, oldest first (as messages)."""
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id and "poll" in m]

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "getChatMember":
            chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
            return chat_member(user_id, "administrator" if (chat_id, user_id) in self.admins else "member")
        if name == "sendPoll":
            chat_id = int(params["chat_id"])
            poll_id = f"poll{len(self.polls) + 1}"
            poll = {
                "id": poll_id,
                "question": params["question"],
                "options": [
                    {"text": o["text"], "voter_count": 0, "persistent_id": f"o{i}"}
                    for i, o in enumerate(params["options"])
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": params.get("is_anonymous", True),
                "type": params.get("type", "regular"),
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
                "correct_option_ids": params.get("correct_option_ids", []),
            }
            for key in ("explanation", "open_period"):
                if key in params:
                    poll[key] = params[key]
            msg = {
                "message_id": next(self._ids),
                "date": NOW,
                "chat": chat_dict(chat_id),
                "from": BOT_USER,
                "poll": poll,
            }
            self.polls[poll_id] = poll
            self.messages[(chat_id, msg["message_id"])] = msg
            return msg
        if name == "stopPoll":
            msg = self.messages[(int(params["chat_id"]), int(params["message_id"]))]
            msg["poll"]["is_closed"] = True
            return msg["poll"]
        if name == "sendMessage":
            chat_id = int(params["chat_id"])
            msg = {
                "message_id": next(self._ids),
                "date": NOW,
                "chat": chat_dict(chat_id),
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
        if name == "sendPhoto":
            chat_id = int(params["chat_id"])
            msg = {
                "message_id": next(self._ids),
                "date": NOW,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "caption": params.get("caption", ""),
                "photo": [{"file_id": "photo1", "file_unique_id": "uphoto1", "width": 90, "height": 90}],
            }
            self.messages[(chat_id, msg["message_id"])] = msg
            return msg
        if name == "getUpdates":
            return []
        if name == "getFile":
            file_id = str(params["file_id"])
            content = self.files.get(file_id, b"")
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(content),
                "file_path": f"voice/{file_id}.oga",
            }
        return True


def _error(status: int, body: dict[str, Any]) -> bytes:
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": body["description"]}
    parameters = {k: body[k] for k in ("retry_after", "migrate_to_chat_id") if k in body}
    if parameters:
        payload["parameters"] = parameters
    return json.dumps(payload).encode()


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def poll_problem(params: dict[str, Any]) -> str | None:
    """What Telegram would refuse in a sendPoll, or None: the limits of Bot API 9.x for quiz polls."""
    question = str(params.get("question", ""))
    options = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in params.get("options", [])]
    explanation = params.get("explanation")
    period = params.get("open_period")
    if not 1 <= utf16_len(question) <= 300:
        return "poll question length must not exceed 300"
    if not 2 <= len(options) <= 12:
        return "poll must have at least 2 option" if len(options) < 2 else "poll can't have more than 12 options"
    if any(not 1 <= utf16_len(o) <= 100 for o in options):
        return "poll options length must not exceed 100"
    if explanation is not None and (utf16_len(str(explanation)) > 200 or str(explanation).count("\n") > 2):
        return "explanation is too long"
    if period is not None and not 5 <= int(period) <= 600:
        return "open_period is invalid"
    if params.get("type") == "quiz":
        ids = params.get("correct_option_ids")
        if not isinstance(ids, list) or len(ids) != 1 or not 0 <= int(ids[0]) < len(options):
            return "wrong correct option ids specified"
    return None


def chat_dict(chat_id: int, chat_type: str | None = None) -> dict[str, Any]:
    """A chat: private for positive ids, a group (supergroup for -100… ids) for negative ones."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private"}
    kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
    return {"id": chat_id, "type": kind, "title": "Flask fans"}


def chat_member(user_id: int, status: str, first_name: str = "Ann") -> dict[str, Any]:
    """A getChatMember result with every field PTB requires for the status."""
    member: dict[str, Any] = {"user": user_dict(user_id, first_name), "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    if status == "administrator":
        member.update(
            {
                k: False
                for k in (
                    "can_be_edited",
                    "is_anonymous",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                )
            }
        )
    return member


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


def voice_update(
    bot: Bot, user_id: int, file_id: str, duration: int, file_size: int | None, update_id: int | None = None
) -> Update:
    """A voice message from a user in a private chat."""
    voice: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": duration}
    if file_size is not None:
        voice["file_size"] = file_size
    message = {
        "message_id": next(_update_ids) + 10_000,
        "date": NOW,
        "chat": {"id": user_id, "type": "private"},
        "from": user_dict(user_id),
        "voice": voice,
    }
    return Update.de_json({"update_id": update_id or next(_update_ids), "message": message}, bot)


def group_update(
    bot: Bot,
    user_id: int,
    chat_id: int,
    text: str,
    first_name: str = "Ann",
    sender_chat: dict[str, Any] | None = None,
    **extra: Any,
) -> Update:
    """A message in a group; a leading /command gets its bot_command entity; `sender_chat` for anonymous admins."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids) + 10_000,
        "date": NOW,
        "chat": chat_dict(chat_id),
        "from": user_dict(user_id, first_name),
        **extra,
    }
    if text:
        message["text"] = text
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
    return Update.de_json({"update_id": next(_update_ids), "message": message}, bot)


def vote_update(bot: Bot, poll_id: str, user_id: int, option_ids: list[int], first_name: str = "Ann") -> Update:
    """A poll_answer: a member votes (an empty list retracts the vote)."""
    answer = {
        "poll_id": poll_id,
        "user": user_dict(user_id, first_name),
        "option_ids": option_ids,
        "option_persistent_ids": [f"o{i}" for i in option_ids],
    }
    return Update.de_json({"update_id": next(_update_ids), "poll_answer": answer}, bot)


def bot_membership_update(bot: Bot, chat_id: int, old: str, new: str, by: int = 1) -> Update:
    """my_chat_member: the bot's status in a chat changed (`member` when added, `left`/`kicked` when removed)."""
    me = {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")}
    new_member: dict[str, Any] = {"user": me, "status": new}
    if new == "kicked":
        new_member["until_date"] = 0
    change = {
        "chat": chat_dict(chat_id),
        "from": user_dict(by),
        "date": NOW,
        "old_chat_member": {"user": me, "status": old},
        "new_chat_member": new_member,
    }
    return Update.de_json({"update_id": next(_update_ids), "my_chat_member": change}, bot)


def edited_update(bot: Bot, user_id: int, text: str) -> Update:
    """The user edits an earlier message of theirs into `text`."""
    original = text_update(bot, user_id, text).to_dict()
    message = {**original["message"], "edit_date": NOW + 60}
    return Update.de_json({"update_id": next(_update_ids), "edited_message": message}, bot)


def with_language_code(update: Update, code: str | None, bot: Bot) -> Update:
    """The same update, sent by a client whose language is `code` (None: a client that reports none)."""
    data = update.to_dict()
    for key in ("message", "callback_query"):
        if key in data:
            sender = data[key]["from"]
            if code is None:
                sender.pop("language_code", None)
            else:
                sender["language_code"] = code
    return Update.de_json(data, bot)


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
