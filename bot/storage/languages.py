"""Repository for the interface language: a user's /language choice and last Telegram code, a group's choice."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.db import Database
from bot.storage.interviews import upsert_user


@dataclass(frozen=True)
class Stored:
    """What is stored that decides an update's language (each None when unknown)."""

    chosen: str | None
    telegram_code: str | None
    group: str | None


@dataclass(frozen=True)
class Sender:
    """The user behind a private message or a tap, as the update tells them."""

    user_id: int
    chat_id: int
    first_name: str
    now_ms: int
    # Telegram's language code, normalised; `reported` is False when the update carried none.
    code: str | None
    reported: bool


class LanguageStore:
    """Reads and writes the language columns of users and groups (migration 9)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def for_update(self, user_id: int | None, group_id: int | None) -> Stored:
        """What decides the language of an update from a group, or from no user, in one round trip."""
        row = await self._db.fetch_one(
            "SELECT (SELECT language FROM users WHERE user_id = ?), "
            "(SELECT language_code FROM users WHERE user_id = ?), "
            "(SELECT language FROM groups WHERE chat_id = ?)",
            (user_id, user_id, group_id),
        )
        assert row is not None  # a SELECT of scalar subqueries always yields one row
        return Stored(row[0], row[1], row[2])

    async def for_sender(self, sender: Sender) -> Stored:
        """Create or refresh the user of a private update and read their language, in one hand-off.

        Telegram's code, when the update has one, is stored if it changed (the push, which has no update, uses it);
        the Stored returned holds the code as it was before.
        """

        def work(conn: sqlite3.Connection) -> Stored:
            upsert_user(conn, sender.user_id, sender.chat_id, sender.first_name, sender.now_ms)
            chosen, code = conn.execute(
                "SELECT language, language_code FROM users WHERE user_id = ?", (sender.user_id,)
            ).fetchone()
            if sender.reported and sender.code != code:
                conn.execute("UPDATE users SET language_code = ? WHERE user_id = ?", (sender.code, sender.user_id))
            return Stored(chosen, code, None)

        return await self._db.run_write(work)

    async def choose(self, user_id: int, language: str | None) -> bool:
        """Store a user's /language choice; False if the user is not registered."""
        return await self._write("UPDATE users SET language = ? WHERE user_id = ?", (language, user_id)) > 0

    async def choose_for_group(self, chat_id: int, language: str | None) -> bool:
        """Store a group's /language choice; False if the group is not known."""
        return await self._write("UPDATE groups SET language = ? WHERE chat_id = ?", (language, chat_id)) > 0

    async def of_chats(self, chat_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        """For each known chat: (choice, Telegram code) of the private user, or (choice, None) of a group."""
        ids = sorted(set(chat_ids))
        found: dict[int, tuple[str | None, str | None]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                f"SELECT chat_id, language, language_code FROM users WHERE chat_id IN ({marks}) "  # noqa: S608
                f"UNION ALL SELECT chat_id, language, NULL FROM groups WHERE chat_id IN ({marks})",
                [*chunk, *chunk],
            )
            found.update({row[0]: (row[1], row[2]) for row in rows})
        return found

    async def all_chats(self) -> dict[int, tuple[str | None, str | None]]:
        """(choice, Telegram code) of every private chat and group with a language stored."""
        rows = await self._db.fetch_all(
            "SELECT chat_id, language, language_code FROM users "
            "WHERE language IS NOT NULL OR language_code IS NOT NULL "
            "UNION ALL SELECT chat_id, language, NULL FROM groups WHERE language IS NOT NULL"
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def _write(self, sql: str, params: tuple[object, ...]) -> int:
        return await self._db.run_write(lambda conn: conn.execute(sql, params).rowcount)
