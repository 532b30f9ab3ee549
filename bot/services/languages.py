"""Which language each update and each recipient is served in, and the /language choices.

The push asks for a recipient's language right before each send, so that answer comes from memory, with no
database round trip to slow the paced sends: `warm()` loads every stored language at start-up and each update,
choice and group lookup keeps its chat's entry current. Only this process writes the language columns.

Likewise every private update registers its sender, but only the first one from a user since start-up (or
since their name, chat or Telegram code last changed) needs the database: what was stored is remembered, so
the rest of a quiz's taps go straight to their handler. Deleting a user forgets them here too (`forget`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple, TypeVar

from bot import i18n
from bot.domain.clock import Clock
from bot.domain.delivery import ms
from bot.storage.languages import LanguageStore, Sender

T = TypeVar("T")
R = TypeVar("R")

# Senders remembered at most; past it the memory starts again (each user then costs one more write).
SENDERS_KEPT = 100_000


class _Seen(NamedTuple):
    """A sender's row as this process last wrote or read it."""

    chat_id: int
    first_name: str
    telegram_code: str | None
    chosen: str | None


class LanguageService:
    """Resolves languages (bot/i18n.py `resolve`: choice, group, Telegram code, English) from what is stored."""

    def __init__(self, store: LanguageStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        # chat id -> language, for the chats not served in English (private chats and groups).
        self._known: dict[int, str] = {}
        self._warm = False
        self._senders: dict[int, _Seen] = {}

    async def warm(self) -> None:
        """Load the language of every chat that has one stored."""
        self._known = {
            chat_id: language
            for chat_id, (chosen, code) in (await self._store.all_chats()).items()
            if (language := i18n.resolve(chosen, None, code)) != i18n.DEFAULT
        }
        self._warm = True

    def _remember(self, chat_id: int, language: str) -> None:
        if language == i18n.DEFAULT:
            self._known.pop(chat_id, None)
        else:
            self._known[chat_id] = language

    async def for_update(self, user_id: int | None, telegram_code: str | None, group_id: int | None) -> str:
        """The language of an update from a group (or from no user): the user's choice, the group's, the code."""
        stored = await self._store.for_update(user_id, group_id)
        return i18n.resolve(stored.chosen, stored.group, i18n.normalise(telegram_code))

    async def for_sender(self, user_id: int, chat_id: int, first_name: str, telegram_code: str | None) -> str:
        """The language of a private update; its user is created or refreshed and their Telegram code kept.

        One hand-off to the database for both, since it happens before every private update is handled, and
        none when the sender is remembered as stored.
        """
        reported = telegram_code is not None
        code = i18n.normalise(telegram_code)
        seen = self._senders.get(user_id)
        if seen is None or seen[:2] != (chat_id, first_name) or (reported and seen.telegram_code != code):
            stored = await self._store.for_sender(
                Sender(user_id, chat_id, first_name, ms(self._clock.now()), code, reported)
            )
            if len(self._senders) >= SENDERS_KEPT:
                self._senders.clear()
            kept = code if reported else i18n.normalise(stored.telegram_code)
            seen = self._senders[user_id] = _Seen(chat_id, first_name, kept, stored.chosen)
        language = i18n.resolve(seen.chosen, None, seen.telegram_code)
        self._remember(chat_id, language)
        return language

    def forget(self, user_id: int) -> None:
        """A user's rows were deleted: their next update registers them again."""
        self._senders.pop(user_id, None)

    async def choose(self, user_id: int, chat_id: int, language: str) -> bool:
        """A user's /language choice."""
        self._remember(chat_id, language)
        chosen = await self._store.choose(user_id, language)
        self._senders.pop(user_id, None)  # after the write: a read queued before it may have remembered the old choice
        return chosen

    async def choose_for_group(self, chat_id: int, language: str) -> bool:
        """A group admin's /language choice."""
        self._remember(chat_id, language)
        return await self._store.choose_for_group(chat_id, language)

    async def of_chat(self, chat_id: int) -> str:
        """The language of a chat, read from the database (a group poll, a deadline job)."""
        chosen, code = (await self._store.of_chats([chat_id])).get(chat_id, (None, None))
        language = i18n.resolve(chosen, None, code)
        self._remember(chat_id, language)
        return language

    def cached(self, chat_id: int) -> str:
        """The language of a chat from memory (after `warm()`)."""
        return self._known.get(chat_id, i18n.DEFAULT)

    def speaking(self, send: Callable[[int, T], Awaitable[R]]) -> Callable[[int, T], Awaitable[R]]:
        """`send(chat_id, item)` rendering in the chat's language: the push's sender, for one."""

        async def send_in_language(chat_id: int, item: T) -> R:
            if not self._warm:
                await self.warm()
            with i18n.use(self.cached(chat_id)):
                return await send(chat_id, item)

        return send_in_language
