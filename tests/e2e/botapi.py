"""A loopback Telegram Bot API for end-to-end tests: an aiohttp server on 127.0.0.1 that behaves like Telegram.

The bot under test talks to it over HTTP exactly as it talks to api.telegram.org (PTB posts
application/x-www-form-urlencoded bodies, multipart/form-data when a file is attached, values
JSON-encoded except plain strings); JSON bodies are accepted too. The test drives the user's side
through plain methods on `BotApiServer`, from the test's event loop.

Telegram behaviours reproduced: long polling with `offset` confirmation and `allowed_updates`,
409 when a second getUpdates arrives, edits returning the edited message (an edit without
reply_markup drops the keyboard), HTML parse errors, the 4096-character text limit, the 64-byte
callback_data limit, "message is not modified", "message to edit not found", callback queries
that can be answered once only, 403 for users who blocked the bot, 429 with retry_after above a
global rate, injectable failures (any status, or a dropped connection) and whole outages; and, for the
runtime's worst cases, slow answers, calls carried out whose answer never comes back (the client times
out), and random 5xx answers (nothing carried out).

Groups: negative ids, `group` and `supergroup` chats with a creator, administrators and members
(`getChatMember`), the bot added and removed (`my_chat_member`, then 403 on sends), migration to a
supergroup (service messages with `migrate_to_chat_id`/`migrate_from_chat_id`, then 400 with
`parameters.migrate_to_chat_id` for the old id), an optional 20-per-minute limit per group, and native
polls: `sendPoll` with Telegram's limits (question 1-300, options 1-100, 2-12 options, explanation <= 200
with at most 2 line feeds, `open_period` 5-600, one right option for a quiz), `stopPoll`, polls closing
when their `open_period` ends, and votes as `poll_answer` updates (non-anonymous polls only).

Webhooks: setWebhook/deleteWebhook/getWebhookInfo; while a webhook is set, getUpdates answers 409 and
every stored update is POSTed to the webhook URL (JSON, with X-Telegram-Bot-Api-Secret-Token), one at a
time in update_id order, and redelivered until the hook answers 2xx, the way Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

from tests.fake_bot_api import chat_member as _member_fields
from tests.fake_bot_api import poll_problem

BOT_ID = 777000111
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "FlaskBot",
    "username": "flask_interview_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
DEFAULT_ALLOWED = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_join_request",
}
# Parameters whose form value is JSON (PTB JSON-encodes everything that is not a plain string).
_JSON_PARAMS = {
    "chat_id",
    "message_id",
    "reply_markup",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "commands",
    "show_alert",
    "cache_time",
    "drop_pending_updates",
    "disable_notification",
    "protect_content",
    "link_preview_options",
    "reply_parameters",
    "scope",
    "entities",
    "caption_entities",
    "message_ids",
    "disable_web_page_preview",
    "allow_sending_without_reply",
    "user_id",
    "options",
    "correct_option_ids",
    "is_anonymous",
    "open_period",
    "close_date",
    "is_closed",
    "allows_multiple_answers",
    "explanation_entities",
    "question_entities",
    "max_connections",
}
GROUP_RATE_WINDOW = 60.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_RETRY_DELAY = 0.2
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(
        self, status: int, description: str, retry_after: int | None = None, migrate_to: int | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to = migrate_to


class _Drop(Exception):
    """Close the connection without an answer."""


class _HtmlText(HTMLParser):
    """Telegram's HTML parse mode: supported tags only, balanced; the text is what the user sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS and self.error is None:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if (not self.stack or self.stack[-1] != tag) and self.error is None:
            self.error = f'Unmatched end tag "{tag}"'
        elif self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def render_html(text: str) -> str:
    """The text a user sees for an HTML message; raises ApiError like Telegram for bad markup."""
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error:
        raise ApiError(400, f"Bad Request: can't parse entities: {parser.error}")
    return "".join(parser.parts)


@dataclass
class StoredMessage:
    """A message as it exists in a chat now."""

    chat: dict[str, Any]
    message_id: int
    sender: dict[str, Any]
    date: int
    text: str | None = None  # what the user sees (markup already applied)
    raw: str | None = None  # what the bot sent, before parse_mode
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    edit_date: int | None = None
    created: float = field(default_factory=time.monotonic)  # the server's clock, for pacing measurements

    def to_api(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": self.message_id, "date": self.date, "chat": self.chat, "from": self.sender}
        if self.text is not None:
            msg["text"] = self.text
        if self.reply_markup is not None:
            msg["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            msg["edit_date"] = self.edit_date
        msg.update(self.extra)
        return msg

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def from_bot(self) -> bool:
        return bool(self.sender.get("id") == BOT_ID)


@dataclass
class CallbackRecord:
    """A callback query the user made, and how the bot answered it."""

    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str
    created: float
    answered: bool = False
    answer_text: str | None = None
    answers_tried: int = 0


@dataclass
class GroupChat:
    """A group as Telegram knows it: members by status and whether the bot is in it."""

    chat: dict[str, Any]
    members: dict[int, str]  # user id -> creator | administrator | member | left | kicked
    bot_in: bool = False
    migrated_to: int | None = None


@dataclass
class PollRecord:
    """A poll the bot sent, with each member's current vote."""

    chat_id: int
    message_id: int
    poll: dict[str, Any]
    closes_at: float | None  # time.monotonic() when open_period ends
    votes: dict[int, list[int]] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        if not self.poll["is_closed"] and self.closes_at is not None and time.monotonic() >= self.closes_at:
            self.poll["is_closed"] = True
        return bool(self.poll["is_closed"])


@dataclass
class _Fault:
    status: int | None  # None: drop the connection
    description: str = ""


class BotApiServer:
    """The Bot API on 127.0.0.1:<random port>, plus a user-side API for tests."""

    def __init__(
        self,
        token: str,
        *,
        rate_limit: float | None = None,
        retry_after: int = 1,
        rate_methods: Iterable[str] = ("sendMessage", "sendDocument", "sendPhoto", "editMessageText"),
        query_ttl: float | None = None,
    ) -> None:
        self.token = token
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.rate_methods = {m.lower() for m in rate_methods}
        self.query_ttl = query_ttl
        self.port = 0
        self.calls: Counter[str] = Counter()  # successful and failed calls per method
        self.errors: list[tuple[str, int, str]] = []  # (method, status, description) of every error sent
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []  # stored, not yet confirmed
        self.delivered: set[int] = set()  # update_ids returned by getUpdates at least once
        self.confirmed_below = 0  # every update_id below this is confirmed
        self.chats: dict[int, dict[int, StoredMessage]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.blocked: set[int] = set()
        self.commands: list[dict[str, Any]] | None = None
        # The profile per (scope type or None, language_code or None): commands, description, short description.
        self.menus: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
        self.descriptions: dict[str | None, str] = {}
        self.short_descriptions: dict[str | None, str] = {}
        self.allowed_updates: set[str] = set(DEFAULT_ALLOWED)
        self.down = False
        self._faults: dict[str, deque[_Fault]] = {}
        self._failing: dict[str, tuple[float, _Fault]] = {}  # method -> (until, fault): an outage of one method
        self._lost_answers: Counter[str] = Counter()
        self.slow: dict[str, float] = {}  # method -> seconds every call of it takes
        self._flaky: tuple[float, set[str], random.Random] | None = None
        self.lost: list[tuple[str, dict[str, Any]]] = []  # calls carried out whose answer was never sent
        self._sent_times: deque[float] = deque()
        self._update_ids = itertools.count(1)
        self._msg_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._poll_generation = 0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._users: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, GroupChat] = {}
        self.polls: dict[str, PollRecord] = {}
        self.group_rate: int | None = None  # messages per minute per group before a 429, like Telegram's ~20
        self._group_sends: dict[int, deque[float]] = {}
        self.watch: list[int] = []  # chats whose transcript a timed-out wait prints
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_posts: list[tuple[int, int | None]] = []  # (update_id, HTTP status or None) per POST
        self._deliverer: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        await self._stop_deliverer()
        self._abort_connections()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """TELEGRAM_BASE_URL for the bot."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def go_down(self) -> None:
        """An outage: stop listening and cut every open connection (long polls included)."""
        self.down = True
        if self._site is not None:
            await self._site.stop()
            self._site = None
        self._abort_connections()

    async def come_up(self) -> None:
        """End the outage on the same port; stored updates are still there."""
        self.down = False
        if self._site is None:
            await self._listen()

    def _abort_connections(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    # ------------------------------------------------------------------ fault injection
    def fail(self, method: str, status: int, description: str, times: int = 1) -> None:
        """The next `times` calls of `method` get this error status."""
        self._faults.setdefault(method.lower(), deque()).extend(_Fault(status, description) for _ in range(times))

    def fail_for(self, method: str, status: int, description: str, seconds: float) -> None:
        """Every call of `method` gets this error status for the next `seconds`."""
        self._failing[method.lower()] = (time.monotonic() + seconds, _Fault(status, description))

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` have their connection closed without an answer."""
        self._faults.setdefault(method.lower(), deque()).extend(_Fault(None) for _ in range(times))

    def lose_answers(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out, then never answered (the client times out)."""
        self._lost_answers[method.lower()] += times

    def flaky(self, probability: float, methods: Iterable[str], seed: int = 0) -> None:
        """Calls of `methods` fail with a random 502 (before anything is done) with this probability."""
        self._flaky = (probability, {m.lower() for m in methods}, random.Random(seed))

    def pending_faults(self, method: str) -> int:
        """Injected failures of `method` not yet used up."""
        return len(self._faults.get(method.lower(), ()))

    # ------------------------------------------------------------------ user side
    def user(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        found = self._users.get(user_id)
        if found is None:
            found = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or f"User{user_id}",
                "language_code": "en",
            }
            self._users[user_id] = found
        return found

    def _private_chat(self, user_id: int) -> dict[str, Any]:
        user = self.user(user_id)
        return {"id": user_id, "type": "private", "first_name": user["first_name"]}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._msg_ids.setdefault(chat_id, itertools.count(1)))

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        if kind in self.allowed_updates:
            self.updates.append({"update_id": update_id, kind: payload})
            self._new_update.set()
            self._new_update = asyncio.Event()
        return update_id

    def _user_message(self, user_id: int, chat: dict[str, Any], **content: Any) -> StoredMessage:
        msg = StoredMessage(
            chat=chat, message_id=self._next_message_id(chat["id"]), sender=self.user(user_id), date=int(time.time())
        )
        text = content.pop("text", None)
        if text is not None:
            msg.text = msg.raw = text
        msg.extra.update(content)
        self.chats.setdefault(chat["id"], {})[msg.message_id] = msg
        return msg

    def send_text(self, user_id: int, text: str, chat: dict[str, Any] | None = None) -> int:
        """The user writes `text` (a leading /command gets its bot_command entity); returns the update_id."""
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        msg = self._user_message(user_id, chat or self._private_chat(user_id), text=text, **extra)
        return self._push("message", msg.to_api())

    def open_chat(self, user_id: int) -> None:
        """A private chat with the bot exists (the user wrote to it once, long ago)."""
        self.user(user_id)
        self.chats.setdefault(user_id, {})

    def send_sticker(self, user_id: int) -> int:
        sticker = {
            "file_id": "CAACAgIAAxk",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🙂",
        }
        msg = self._user_message(user_id, self._private_chat(user_id), sticker=sticker)
        return self._push("message", msg.to_api())

    def send_photo(self, user_id: int, caption: str | None = None) -> int:
        photo = [{"file_id": "AgACAgIAAxk", "file_unique_id": "AQAD", "width": 90, "height": 90}]
        extra: dict[str, Any] = {"photo": photo}
        if caption is not None:
            extra["caption"] = caption
        msg = self._user_message(user_id, self._private_chat(user_id), **extra)
        return self._push("message", msg.to_api())

    def edit_text(self, user_id: int, message_id: int, text: str) -> int:
        """The user edits one of their messages: an edited_message update."""
        msg = self.chats[user_id][message_id]
        msg.text = msg.raw = text
        msg.edit_date = int(time.time())
        return self._push("edited_message", msg.to_api())

    def create_group(
        self,
        group_id: int,
        creator: int,
        *,
        admins: Iterable[int] = (),
        members: Iterable[int] = (),
        title: str = "Flask fans",
        kind: str = "group",
    ) -> dict[str, Any]:
        """A group (or supergroup) with its members, the bot not in it yet; returns the chat."""
        assert group_id < 0, "group ids are negative"
        chat = {"id": group_id, "type": kind, "title": title}
        roles = {creator: "creator", **dict.fromkeys(admins, "administrator"), **dict.fromkeys(members, "member")}
        for uid in roles:
            self.user(uid)
        self.groups[group_id] = GroupChat(chat, roles)
        self.chats.setdefault(group_id, {})
        return chat

    def _bot_membership(self, user_id: int, chat: dict[str, Any], old: str, new: str) -> int:
        bot = {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")}
        new_member: dict[str, Any] = {"user": bot, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        return self._push(
            "my_chat_member",
            {
                "chat": chat,
                "from": self.user(user_id),
                "date": int(time.time()),
                "old_chat_member": {"user": bot, "status": old},
                "new_chat_member": new_member,
            },
        )

    def add_to_group(self, user_id: int, group_id: int, title: str = "Flask fans") -> dict[str, Any]:
        """The user adds the bot to a group: my_chat_member plus the service message; returns the chat."""
        group = self.groups.get(group_id)
        if group is None:
            self.create_group(group_id, user_id, title=title)
            group = self.groups[group_id]
        group.bot_in = True
        self._bot_membership(user_id, group.chat, "left", "member")
        bot = {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")}
        msg = self._user_message(user_id, group.chat, new_chat_members=[bot])
        self._push("message", msg.to_api())
        return group.chat

    def remove_from_group(self, user_id: int, group_id: int, status: str = "kicked") -> int:
        """The user removes the bot: sends there now fail with 403, and the bot hears about it."""
        group = self.groups[group_id]
        group.bot_in = False
        return self._bot_membership(user_id, group.chat, "member", status)

    def migrate_group(self, group_id: int, new_id: int) -> dict[str, Any]:
        """The group becomes a supergroup with a new id: service messages in both chats; returns the new chat."""
        old = self.groups[group_id]
        chat = {"id": new_id, "type": "supergroup", "title": old.chat["title"]}
        self.groups[new_id] = GroupChat(chat, dict(old.members), bot_in=old.bot_in)
        self.chats.setdefault(new_id, {})
        old.migrated_to = new_id
        creator = next(uid for uid, role in old.members.items() if role == "creator")
        msg = self._user_message(creator, old.chat, migrate_to_chat_id=new_id)
        self._push("message", msg.to_api())
        msg = self._user_message(creator, chat, migrate_from_chat_id=group_id)
        self._push("message", msg.to_api())
        return chat

    def vote(self, user_id: int, poll_id: str, option_ids: list[int]) -> bool:
        """A member votes (an empty list retracts); False if the poll is closed. Non-anonymous polls report it."""
        record = self.polls[poll_id]
        if record.closed:
            return False
        assert all(0 <= i < len(record.poll["options"]) for i in option_ids)
        previous = record.votes.pop(user_id, [])
        for i in previous:
            record.poll["options"][i]["voter_count"] -= 1
        if option_ids:
            record.votes[user_id] = list(option_ids)
            for i in option_ids:
                record.poll["options"][i]["voter_count"] += 1
        record.poll["total_voter_count"] = len(record.votes)
        if not record.poll["is_anonymous"]:
            options = record.poll["options"]
            self._push(
                "poll_answer",
                {
                    "poll_id": poll_id,
                    "user": self.user(user_id),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [options[i]["persistent_id"] for i in option_ids],
                },
            )
        return True

    def polls_in(self, chat_id: int) -> list[PollRecord]:
        """The polls the bot sent to a chat, oldest first."""
        return sorted((p for p in self.polls.values() if p.chat_id == chat_id), key=lambda p: p.message_id)

    def block(self, user_id: int) -> int:
        """The user blocks the bot: sends to them now fail with 403, and the bot hears about it."""
        self.blocked.add(user_id)
        bot = {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")}
        return self._push(
            "my_chat_member",
            {
                "chat": self._private_chat(user_id),
                "from": self.user(user_id),
                "date": int(time.time()),
                "old_chat_member": {"user": bot, "status": "member"},
                "new_chat_member": {"user": bot, "status": "kicked", "until_date": 0},
            },
        )

    def tap(
        self,
        user_id: int,
        message: StoredMessage | int,
        data: str | None = None,
        *,
        label: str | None = None,
        chat_id: int | None = None,
        force: bool = False,
    ) -> str:
        """The user taps a button of a message (by data or label); returns the callback query id.

        Without `force` the button must be on the message as the user sees it now; `force` taps data
        that is not there (a stale client, a forged request).
        """
        if isinstance(message, int):
            message = self.chats[chat_id if chat_id is not None else user_id][message]
        if data is None:
            matches = [d for text, d in message.buttons if label is not None and label in text]
            assert matches, f"no button {label!r} on message {message.message_id}: {message.buttons}"
            data = matches[0]
        elif not force:
            assert data in [d for _, d in message.buttons], f"no button {data!r} on {message.buttons}"
        query_id = str(next(self._query_ids) * 7919 + 1_000_000)
        self.callbacks[query_id] = CallbackRecord(
            query_id, user_id, message.chat["id"], message.message_id, data, time.monotonic()
        )
        self._push(
            "callback_query",
            {
                "id": query_id,
                "from": self.user(user_id),
                "message": message.to_api(),
                "chat_instance": f"ci{message.chat['id']}",
                "data": data,
            },
        )
        return query_id

    def chat(self, chat_id: int) -> list[StoredMessage]:
        """The chat as the user sees it now, oldest first."""
        return [m for _, m in sorted(self.chats.get(chat_id, {}).items())]

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.chat(chat_id) if m.from_bot]

    def last_with_buttons(self, chat_id: int) -> StoredMessage | None:
        return next((m for m in reversed(self.chat(chat_id)) if m.from_bot and m.buttons), None)

    def transcript(self, chat_id: int) -> str:
        """The chat and the callbacks in it, for failure messages."""
        lines = [
            f"{'bot' if m.from_bot else 'user'} #{m.message_id}: {(m.text or str(m.extra))[:70]!r} "
            f"buttons={[d for _, d in m.buttons]}"
            for m in self.chat(chat_id)
        ]
        lines += [
            f"callback {c.query_id} on #{c.message_id} {c.data!r}: answered={c.answered} {c.answer_text!r}"
            for c in self.callbacks.values()
            if c.chat_id == chat_id
        ]
        return "\n".join(lines)

    def unanswered(self) -> list[CallbackRecord]:
        return [c for c in self.callbacks.values() if not c.answered]

    def pending_update_ids(self) -> list[int]:
        """Stored updates the bot has not confirmed yet."""
        return [u["update_id"] for u in self.updates]

    async def until(self, condition: Callable[[], bool], within: float) -> bool:
        """Poll `condition` for up to `within` seconds; whether it came true."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def wait_for(self, condition: Callable[[], bool], within: float = 20.0, what: str = "condition") -> None:
        """Poll `condition` until it holds; fail after `within` seconds."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                chats = "\n\n".join(self.transcript(c) for c in self.watch)
                raise AssertionError(f"timed out after {within}s waiting for {what}\n{chats}")
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ HTTP side
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = {
                    "filename": value.filename,
                    "size": len(content),
                    "content_type": value.content_type,
                    "content": content,
                }
            elif key in _JSON_PARAMS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            else:
                params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            self._transports = {t for t in self._transports if not t.is_closing()}
            self._transports.add(transport)
        method = request.match_info["method"]
        name = method.lower()
        try:
            params = await self._params(request)
            self.calls[method] += 1
            self.requests.append((method, params))
            if self.down:
                raise _Drop
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            failing = self._failing.get(name)
            if failing is not None and time.monotonic() < failing[0]:
                raise ApiError(failing[1].status or 500, failing[1].description)
            faults = self._faults.get(name)
            if faults:
                fault = faults.popleft()
                if fault.status is None:
                    raise _Drop
                raise ApiError(fault.status, fault.description)
            handler = getattr(self, f"_m_{name}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if name in self.rate_methods or name == "sendpoll":
                self._check_rate()
                self._check_group_rate(params)
            if self._flaky is not None and name in self._flaky[1] and self._flaky[2].random() < self._flaky[0]:
                raise ApiError(502, "Bad Gateway")
            if self.slow.get(name):
                await asyncio.sleep(self.slow[name])
            result = await handler(params)
            if self._lost_answers[name] > 0:
                self._lost_answers[name] -= 1
                self.lost.append((method, params))
                await asyncio.sleep(3600)  # until the client gives up and closes the connection
            return web.json_response({"ok": True, "result": result}, dumps=_dumps)
        except _Drop:
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError from None
        except ApiError as exc:
            self.errors.append((method, exc.status, exc.description))
            body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            if exc.migrate_to is not None:
                body["parameters"] = {"migrate_to_chat_id": exc.migrate_to}
            return web.json_response(body, status=exc.status, dumps=_dumps)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    def _check_rate(self) -> None:
        if self.rate_limit is None:
            return
        now = time.monotonic()
        while self._sent_times and now - self._sent_times[0] >= 1.0:
            self._sent_times.popleft()
        if len(self._sent_times) >= self.rate_limit:
            raise ApiError(429, f"Too Many Requests: retry after {self.retry_after}", retry_after=self.retry_after)
        self._sent_times.append(now)

    def _check_group_rate(self, params: dict[str, Any]) -> None:
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            return
        if self.group_rate is None or chat_id >= 0:
            return
        now = time.monotonic()
        sent = self._group_sends.setdefault(chat_id, deque())
        while sent and now - sent[0] >= GROUP_RATE_WINDOW:
            sent.popleft()
        if len(sent) >= self.group_rate:
            wait = int(GROUP_RATE_WINDOW - (now - sent[0])) + 1
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        sent.append(now)

    # ------------------------------------------------------------------ methods
    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook_url = self.webhook_secret = None
        await self._stop_deliverer()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._m_deletewebhook(params)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = set(allowed) if allowed else set(DEFAULT_ALLOWED)
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook_url, self.webhook_secret = url, None if secret is None else str(secret)
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = asyncio.create_task(self._deliver())
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook_url:
            info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    async def _stop_deliverer(self) -> None:
        task, self._deliverer = self._deliverer, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _deliver(self) -> None:
        """POST stored updates to the webhook in order, each until it is acknowledged with a 2xx."""
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        while self.webhook_url:
            self.updates = [u for u in self.updates if next(k for k in u if k != "update_id") in self.allowed_updates]
            if not self.updates:
                waiter = self._new_update
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.wait(), 0.25)
                continue
            update = self.updates[0]
            headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret is not None else {}
            status: int | None = None
            try:
                async with self._client.post(self.webhook_url, json=update, headers=headers) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = None
            self.webhook_posts.append((update["update_id"], status))
            self.delivered.add(update["update_id"])
            if status is not None and 200 <= status < 300:
                self.updates = [u for u in self.updates if u["update_id"] != update["update_id"]]
                self.confirmed_below = max(self.confirmed_below, update["update_id"] + 1)
            else:
                await asyncio.sleep(WEBHOOK_RETRY_DELAY)

    def acknowledged(self, update_id: int) -> bool:
        """Whether the webhook answered 2xx to this update."""
        return any(u == update_id and s is not None and 200 <= s < 300 for u, s in self.webhook_posts)

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(
                400,
                "Bad Request: BOT_COMMANDS_TOO_MUCH"
                if isinstance(commands, list)
                else "Bad Request: commands must be a list",
            )
        self.commands = commands
        scope = params.get("scope")
        self.menus[(scope.get("type") if isinstance(scope, dict) else None, params.get("language_code"))] = commands
        return True

    async def _m_setmydescription(self, params: dict[str, Any]) -> Any:
        return self._profile_text(params, "description", 512, self.descriptions)

    async def _m_setmyshortdescription(self, params: dict[str, Any]) -> Any:
        return self._profile_text(params, "short_description", 120, self.short_descriptions)

    @staticmethod
    def _profile_text(params: dict[str, Any], key: str, limit: int, into: dict[str | None, str]) -> bool:
        text = str(params.get(key) or "")
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: {key} is too long")
        code = params.get("language_code")
        if code is not None and not (isinstance(code, str) and len(code) == 2 and code.isalpha()):
            raise ApiError(400, "Bad Request: language code is invalid")
        into[code] = text
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.commands or []

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._target_chat(params)
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = set(allowed) if allowed else set(DEFAULT_ALLOWED)
        if offset > 0:
            self.confirmed_below = max(self.confirmed_below, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            # Telegram stores only allowed types; a type switched off later is skipped and dropped.
            self.updates = [u for u in self.updates if next(k for k in u if k != "update_id") in self.allowed_updates]
            if self.updates:
                batch = self.updates[:limit]
                self.delivered.update(u["update_id"] for u in batch)
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), min(remaining, 0.25))
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )

    def _target_chat(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        group = self.groups.get(chat_id)
        if group is not None and group.migrated_to is not None:
            raise ApiError(
                400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to=group.migrated_to
            )
        if group is not None and not group.bot_in:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _text(self, params: dict[str, Any], key: str = "text", limit: int = MAX_TEXT) -> tuple[str, str]:
        raw = params.get(key)
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        mode = str(params.get("parse_mode") or "").lower()
        shown = render_html(raw) if mode == "html" else raw
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(shown) > limit:
            raise ApiError(
                400, "Bad Request: message is too long" if key == "text" else "Bad Request: message caption is too long"
            )
        return raw, shown

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") from None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None  # reply keyboards and the like: not shown on the message
        if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        buttons = [b for r in rows for b in r]
        if len(buttons) > 100 or any(len(r) > 8 for r in rows):
            raise ApiError(400, "Bad Request: BUTTONS_TOO_MUCH")
        for b in buttons:
            if not isinstance(b, dict) or not str(b.get("text", "")).strip():
                raise ApiError(
                    400,
                    "Bad Request: BUTTON_TEXT_EMPTY"
                    if isinstance(b, dict)
                    else "Bad Request: can't parse inline keyboard button",
                )
            data = b.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode()) <= MAX_CALLBACK_BYTES):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if not buttons:
            return None
        return {"inline_keyboard": rows}

    def _new_bot_message(self, chat_id: int) -> StoredMessage:
        chat = self.chat(chat_id)
        group = self.groups.get(chat_id)
        chat_dict = group.chat if group else chat[0].chat if chat else {"id": chat_id, "type": "private"}
        msg = StoredMessage(
            chat=chat_dict,
            message_id=self._next_message_id(chat_id),
            sender={k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            date=int(time.time()),
        )
        return msg

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        raw, shown = self._text(params)
        markup = self._markup(params)
        msg = self._new_bot_message(chat_id)
        msg.text, msg.raw, msg.parse_mode, msg.reply_markup = shown, raw, params.get("parse_mode"), markup
        self.chats[chat_id][msg.message_id] = msg
        return msg.to_api()

    async def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        user_id = int(params.get("user_id") or 0)
        group = self.groups.get(chat_id)
        status = group.members.get(user_id, "left") if group is not None else "member"
        return chat_member(self.user(user_id), status)

    async def _m_sendpoll(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        problem = poll_problem(params)
        if problem is not None:
            raise ApiError(400, f"Bad Request: {problem}")
        msg = self._new_bot_message(chat_id)
        poll_id = f"{5_000_000_000 + len(self.polls)}"
        anonymous = params.get("is_anonymous", True)
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": params["question"],
            "options": [
                {"text": o["text"] if isinstance(o, dict) else str(o), "voter_count": 0, "persistent_id": str(i)}
                for i, o in enumerate(params["options"])
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": anonymous not in (False, "false"),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
        if poll["type"] == "quiz":
            poll["correct_option_ids"] = [int(i) for i in params["correct_option_ids"]]
        period = params.get("open_period")
        for key in ("explanation", "open_period"):
            if key in params:
                poll[key] = params[key]
        self.polls[poll_id] = PollRecord(
            chat_id, msg.message_id, poll, None if period is None else time.monotonic() + int(period)
        )
        msg.extra["poll"] = poll
        self.chats[chat_id][msg.message_id] = msg
        return msg.to_api()

    async def _m_stoppoll(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        message_id = int(params.get("message_id") or 0)
        record = next((p for p in self.polls.values() if (p.chat_id, p.message_id) == (chat_id, message_id)), None)
        if record is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        if record.closed:
            raise ApiError(400, "Bad Request: poll has already been closed")
        record.poll["is_closed"] = True
        return record.poll

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, dict):
            doc = {
                "file_id": f"BQACAgIAAxk{len(self.requests)}",
                "file_unique_id": f"AgAD{len(self.requests)}",
                "file_name": document["filename"],
                "file_size": document["size"],
            }
            if document.get("content_type"):
                doc["mime_type"] = document["content_type"]
        elif isinstance(document, str) and document:
            doc = {"file_id": document, "file_unique_id": document[-8:]}
        else:
            raise ApiError(400, "Bad Request: there is no document in the request")
        return self._media_message(chat_id, "document", doc, params)

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        photo = params.get("photo")
        if isinstance(photo, dict):
            content = photo.get("content", b"")
            # Telegram refuses what is not an image it can decode; a PNG or a JPEG is what bots send.
            if not (content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff")):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
            if len(content) > 10 * 1024 * 1024:
                raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
            sizes = [{"file_id": f"AgACAgIAAxk{len(self.requests)}", "file_unique_id": f"AQAD{len(self.requests)}"}]
            sizes[0].update({"width": 90, "height": 90, "file_size": len(content)})
        elif isinstance(photo, str) and photo:
            sizes = [{"file_id": photo, "file_unique_id": photo[-8:], "width": 90, "height": 90}]
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        return self._media_message(chat_id, "photo", sizes, params)

    def _media_message(self, chat_id: int, key: str, media: object, params: dict[str, Any]) -> Any:
        """Store a bot message carrying a document or photo, with its caption and buttons."""
        msg = self._new_bot_message(chat_id)
        msg.extra[key] = media
        if params.get("caption"):
            _, shown = self._text(params, "caption", 1024)
            msg.extra["caption"] = shown
        msg.reply_markup = self._markup(params)
        self.chats[chat_id][msg.message_id] = msg
        return msg.to_api()

    def _message_to_edit(self, params: dict[str, Any]) -> StoredMessage:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._target_chat(params)
        try:
            message_id = int(params["message_id"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: message identifier is not specified") from None
        msg = self.chats[chat_id].get(message_id)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        msg = self._message_to_edit(params)
        raw, shown = self._text(params)
        markup = self._markup(params)
        if msg.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if shown == msg.text and raw == msg.raw and markup == msg.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        msg.text, msg.raw, msg.parse_mode, msg.reply_markup = shown, raw, params.get("parse_mode"), markup
        msg.edit_date = int(time.time())
        return msg.to_api()

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        msg = self._message_to_edit(params)
        markup = self._markup(params)
        if markup == msg.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        msg.reply_markup = markup
        msg.edit_date = int(time.time())
        return msg.to_api()

    async def _m_deletemessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._target_chat(params)
        message_id = int(params.get("message_id") or 0)
        if self.chats[chat_id].pop(message_id, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        record = self.callbacks.get(str(params.get("callback_query_id")))
        if record is not None:
            record.answers_tried += 1
        too_old = (
            record is not None and self.query_ttl is not None and time.monotonic() - record.created > self.query_ttl
        )
        if record is None or record.answered or too_old:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        record.answered = True
        record.answer_text = str(text) if text else None
        return True


def chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A getChatMember result for this user with the fields PTB requires for the status."""
    member = _member_fields(int(user["id"]), status)
    member["user"] = user
    return member


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def visible(text: str | None) -> str:
    """Plain text of an HTML fragment (for comparing with the bank)."""
    return html.unescape(text or "")
