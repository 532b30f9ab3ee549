"""Repository of groups and their settings: joining, leaving, the daily time, zone and level, migration."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.schedule import parse_hhmm
from bot.storage.db import Database
from bot.storage.groups import opt
from bot.storage.push import Claims, refresh_in_batches


@dataclass(frozen=True)
class GroupRow:
    """A group and its settings."""

    chat_id: int
    title: str
    active: bool
    daily_time: dt.time | None
    timezone: str | None
    level: str | None
    quiz_admins_only: bool


_GROUP_COLS = "chat_id, title, active, daily_time, timezone, level, quiz_admins_only"
# Every table that keys rows by a group's chat id; a migration to a supergroup moves them all.
_GROUP_TABLES = ("group_quizzes", "polls", "poll_votes", "group_deliveries")


def _group(r: Iterable[object]) -> GroupRow:
    v = list(r)
    return GroupRow(
        int(str(v[0])),
        str(v[1]),
        bool(v[2]),
        parse_hhmm(str(v[3])) if v[3] else None,
        opt(v[4]),
        opt(v[5]),
        bool(v[6]),
    )


class GroupSettingsStore:
    """Reads and writes groups and their settings."""

    def __init__(self, db: Database, default_zone: str = "UTC") -> None:
        self._db = db
        self._default_zone = default_zone

    async def refresh(self, chat_ids: Sequence[int], now: dt.datetime, max_attempts: int) -> None:
        """Store when each group's next daily poll falls due (computed on the database thread)."""
        await refresh_in_batches(self._db, Claims.GROUP, chat_ids, now, self._default_zone, max_attempts)

    async def join(self, chat_id: int, title: str, now_ms: int) -> None:
        """The bot is in the group (again): create it or mark it active."""
        await self._db.execute(
            "INSERT INTO groups (chat_id, title, active, created_at) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET active = 1, title = excluded.title",
            (chat_id, title, now_ms),
        )

    async def leave(self, chat_id: int, now_ms: int) -> bool:
        """The bot is out of the group: unsubscribe it and end its quiz; False if it was not active."""

        def work(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE groups SET active = 0, daily_time = NULL WHERE chat_id = ? AND active = 1", (chat_id,)
            )
            conn.execute(
                "UPDATE group_quizzes SET status = 'cancelled', ended_at = ? WHERE chat_id = ? AND status = 'running'",
                (now_ms, chat_id),
            )
            return cur.rowcount > 0

        return await self._db.run_write(work)

    async def group(self, chat_id: int) -> GroupRow | None:
        """The group's row, if the bot knows it."""
        row = await self._db.fetch_one(f"SELECT {_GROUP_COLS} FROM groups WHERE chat_id = ?", (chat_id,))  # noqa: S608
        return _group(row) if row else None

    async def set_daily(self, chat_id: int, daily_time: str | None) -> None:
        """Post the daily poll at `HH:MM` group time, or stop with None."""
        await self._db.execute("UPDATE groups SET daily_time = ? WHERE chat_id = ?", (daily_time, chat_id))

    async def set_timezone(self, chat_id: int, zone: str) -> None:
        """The group's IANA zone."""
        await self._db.execute("UPDATE groups SET timezone = ? WHERE chat_id = ?", (zone, chat_id))

    async def set_level(self, chat_id: int, level: str | None) -> None:
        """The group's level; None for mixed."""
        await self._db.execute("UPDATE groups SET level = ? WHERE chat_id = ?", (level, chat_id))

    async def set_quiz_admins_only(self, chat_id: int, admins_only: bool) -> None:
        """Whether only admins may start a group quiz."""
        await self._db.execute("UPDATE groups SET quiz_admins_only = ? WHERE chat_id = ?", (int(admins_only), chat_id))

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """Move a group's settings, polls, votes, claims and quizzes to its supergroup id; False if unknown."""

        def work(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM groups WHERE chat_id = ?", (old_id,)).fetchone() is None:
                return False
            # A supergroup the bot already saw (a redelivered update) keeps its row; the old one is folded in.
            conn.execute(
                "INSERT INTO groups (chat_id, title, active, daily_time, timezone, level, quiz_admins_only, "
                "created_at, language) SELECT ?, title, active, daily_time, timezone, level, quiz_admins_only, "
                "created_at, language FROM groups WHERE chat_id = ? ON CONFLICT (chat_id) DO UPDATE SET "
                "active = excluded.active, daily_time = excluded.daily_time, timezone = excluded.timezone, "
                "level = excluded.level, quiz_admins_only = excluded.quiz_admins_only, language = excluded.language",
                (new_id, old_id),
            )
            for table in _GROUP_TABLES:
                conn.execute(
                    f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?",  # noqa: S608 (constant names)
                    (new_id, old_id),
                )
                conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_id,))  # noqa: S608
            conn.execute("DELETE FROM groups WHERE chat_id = ?", (old_id,))
            return True

        return await self._db.run_write(work)
