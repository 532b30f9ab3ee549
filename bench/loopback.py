"""The e2e loopback Bot API, wrapped for benchmarks: change notifications and timestamps of sends and edits.

`tests/e2e/botapi.py` is imported, never edited: this subclass only adds what a load generator needs,
an event per chat that fires when the bot sends or edits there (so simulated users wake at once instead
of polling), the server-side time of every edit and send, and a switch to stop keeping every request.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.botapi import BotApiServer, StoredMessage

__all__ = ["BenchApi", "StoredMessage"]


class BenchApi(BotApiServer):
    """BotApiServer plus per-chat wake-ups and send/edit timestamps."""

    def __init__(self, token: str, *, rate_limit: float | None = None, keep_requests: bool = False) -> None:
        super().__init__(token, rate_limit=rate_limit)
        self.keep_requests = keep_requests
        self.edited_at: dict[tuple[int, int], float] = {}  # (chat, message) -> perf_counter of the last edit
        self.send_times: list[float] = []  # perf_counter of every successful sendMessage
        self._changed: dict[int, asyncio.Event] = {}

    def open_chat(self, user_id: int) -> None:
        """Make a private chat exist (as after /start), so the bot may send to it."""
        self.user(user_id)
        self.chats.setdefault(user_id, {})

    def _notify(self, chat_id: int) -> None:
        event = self._changed.pop(chat_id, None)
        if event is not None:
            event.set()

    async def changed(self, chat_id: int, within: float) -> bool:
        """Wait until the bot sends or edits in the chat; False after `within` seconds."""
        event = self._changed.setdefault(chat_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), within)
        except TimeoutError:
            return False
        return True

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        result = await super()._m_sendmessage(params)
        self.send_times.append(time.perf_counter())
        self._notify(int(params["chat_id"]))
        if not self.keep_requests:
            self.requests.clear()
        return result

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        result = await super()._m_editmessagetext(params)
        chat_id = int(params["chat_id"])
        self.edited_at[(chat_id, int(params["message_id"]))] = time.perf_counter()
        self._notify(chat_id)
        return result

    def last_buttons(self, chat_id: int) -> StoredMessage | None:
        """The newest bot message of the chat that still has buttons."""
        for message_id in sorted(self.chats.get(chat_id, {}), reverse=True):
            message = self.chats[chat_id][message_id]
            if message.from_bot and message.buttons:
                return message
        return None
