"""Repository for goals (a date and a level, and how it went), paused days and streak nudges."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.db import Database

_OPEN = "('active', 'asked')"


@dataclass(frozen=True)
class GoalRow:
    """A user's open goal."""

    goal_id: int
    user_id: int
    target_date: dt.date
    level: str
    status: str  # 'active', or 'asked' once the question after the date went out
    asked_on: dt.date | None


@dataclass(frozen=True)
class Reminder:
    """A user who asked for a streak nudge at a local time."""

    user_id: int
    chat_id: int
    remind_at: str
    timezone: str | None


def _goal(row: Sequence[object]) -> GoalRow:
    asked = row[5]
    return GoalRow(
        int(str(row[0])),
        int(str(row[1])),
        dt.date.fromisoformat(str(row[2])),
        str(row[3]),
        str(row[4]),
        None if asked is None else dt.date.fromisoformat(str(asked)),
    )


_GOAL_COLUMNS = "goal_id, user_id, target_date, level, status, asked_on"


class GoalStore:
    """Reads and writes goals, pauses and nudges."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def goal(self, user_id: int) -> GoalRow | None:
        """The user's open goal, if any."""
        row = await self._db.fetch_one(
            f"SELECT {_GOAL_COLUMNS} FROM goals WHERE user_id = ? AND status IN {_OPEN}",  # noqa: S608 (constants)
            (user_id,),
        )
        return None if row is None else _goal(tuple(row))

    async def goals_of(self, user_ids: Sequence[int]) -> dict[int, GoalRow]:
        """The open goals of these users, in one query."""
        if not user_ids:
            return {}
        marks = ", ".join("?" for _ in user_ids)
        rows = await self._db.fetch_all(
            f"SELECT {_GOAL_COLUMNS} FROM goals WHERE status IN {_OPEN} AND user_id IN ({marks})",  # noqa: S608
            list(user_ids),
        )
        return {g.user_id: g for g in (_goal(tuple(r)) for r in rows)}

    async def set_goal(self, user_id: int, target: dt.date, level: str, now_ms: int) -> int:
        """Replace the user's open goal with a new one; its id."""

        def work(conn: sqlite3.Connection) -> int:
            conn.execute(
                f"UPDATE goals SET status = 'off', closed_at = ? WHERE user_id = ? AND status IN {_OPEN}",  # noqa: S608
                (now_ms, user_id),
            )
            cur = conn.execute(
                "INSERT INTO goals (user_id, target_date, level, status, created_at) VALUES (?, ?, ?, 'active', ?)",
                (user_id, target.isoformat(), level, now_ms),
            )
            return int(cur.lastrowid or 0)

        return await self._db.run_write(work)

    async def clear_goal(self, user_id: int, now_ms: int) -> bool:
        """Turn the open goal off; False if there was none."""
        changed = await self._db.execute(
            f"UPDATE goals SET status = 'off', closed_at = ? WHERE user_id = ? AND status IN {_OPEN}",  # noqa: S608
            (now_ms, user_id),
        )
        return changed > 0

    async def mark_asked(self, asked: Sequence[tuple[int, dt.date]]) -> None:
        """The question after the date goes out for these (goal, local date) pairs."""
        if asked:
            await self._db.run_write(
                lambda conn: conn.executemany(
                    "UPDATE goals SET status = 'asked', asked_on = ? WHERE goal_id = ? AND status = 'active'",
                    [(day.isoformat(), gid) for gid, day in asked],
                )
            )

    async def record_outcome(self, user_id: int, goal_id: int, outcome: str, now_ms: int) -> bool:
        """Store how the interview went and close the goal; False if it was closed already (a second tap)."""
        changed = await self._db.execute(
            f"UPDATE goals SET status = ?, closed_at = ? WHERE goal_id = ? AND user_id = ? AND status IN {_OPEN}",  # noqa: S608
            (outcome, now_ms, goal_id, user_id),
        )
        return changed > 0

    async def outcomes(self, user_id: int) -> list[tuple[str, str]]:
        """(target date, status) of every goal of the user, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT target_date, status FROM goals WHERE user_id = ? ORDER BY goal_id", (user_id,)
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def pauses(self, user_id: int) -> list[tuple[dt.date, dt.date]]:
        """The user's paused ranges (first and last local day, inclusive), oldest first."""
        rows = await self._db.fetch_all(
            "SELECT first_day, last_day FROM pauses WHERE user_id = ? ORDER BY first_day", (user_id,)
        )
        return [(dt.date.fromisoformat(str(r[0])), dt.date.fromisoformat(str(r[1]))) for r in rows]

    async def set_pause(self, user_id: int, first: dt.date, last: dt.date | None, now_ms: int) -> None:
        """Pause from `first` to `last` (replacing any pause from `first` on), or end pausing before `first`."""

        def work(conn: sqlite3.Connection) -> None:
            day = first.isoformat()
            conn.execute("DELETE FROM pauses WHERE user_id = ? AND first_day >= ?", (user_id, day))
            before = (first - dt.timedelta(days=1)).isoformat()
            conn.execute("UPDATE pauses SET last_day = ? WHERE user_id = ? AND last_day >= ?", (before, user_id, day))
            if last is not None:
                conn.execute(
                    "INSERT INTO pauses (user_id, first_day, last_day, created_at) VALUES (?, ?, ?, ?)",
                    (user_id, day, last.isoformat(), now_ms),
                )
            # The push looks again at once: a pause ended early is served today, a new one is skipped (and
            # postponed to the next day) by the next tick.
            conn.execute("UPDATE users SET next_due_at = NULL WHERE user_id = ?", (user_id,))

        await self._db.run_write(work)

    async def paused_on(self, rows: Sequence[tuple[int, dt.date]]) -> set[int]:
        """Users of these (user, local date) pairs who paused that day, in one query."""
        if not rows:
            return set()
        values = ", ".join("(?, ?)" for _ in rows)
        found = await self._db.fetch_all(
            f"WITH batch(user_id, day) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
            "SELECT DISTINCT b.user_id FROM batch b JOIN pauses p ON p.user_id = b.user_id "
            "AND p.first_day <= b.day AND b.day <= p.last_day",
            [v for uid, day in rows for v in (uid, day.isoformat())],
        )
        return {int(r[0]) for r in found}

    async def first_seen(self, user_id: int, level: str) -> list[int]:
        """When (epoch ms) each question of the level was first answered."""
        rows = await self._db.fetch_all(
            "SELECT MIN(answered_at) FROM answers WHERE user_id = ? AND level = ? GROUP BY question_id",
            (user_id, level),
        )
        return [int(r[0]) for r in rows]

    async def today_counts(self, user_id: int, level: str, since_ms: int) -> tuple[int, int]:
        """Questions of the level answered since `since_ms`: (seen before then, first seen since)."""
        row = await self._db.fetch_one(
            "SELECT TOTAL(first < ?), TOTAL(first >= ?) FROM (SELECT MIN(answered_at) AS first, "
            "MAX(answered_at) AS last FROM answers WHERE user_id = ? AND level = ? GROUP BY question_id) "
            "WHERE last >= ?",
            (since_ms, since_ms, user_id, level, since_ms),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def last_answer_ms(self, user_id: int) -> int | None:
        """When the user last answered anything."""
        row = await self._db.fetch_one("SELECT MAX(answered_at) FROM answers WHERE user_id = ?", (user_id,))
        return None if row is None or row[0] is None else int(row[0])

    async def set_reminder(self, user_id: int, remind_at: str | None) -> None:
        """Nudge at HH:MM local time on a day the streak is at risk, or never (None)."""
        await self._db.execute("UPDATE users SET remind_at = ? WHERE user_id = ?", (remind_at, user_id))

    async def reminder(self, user_id: int) -> str | None:
        """The user's nudge time, if set."""
        row = await self._db.fetch_one("SELECT remind_at FROM users WHERE user_id = ?", (user_id,))
        return None if row is None or row[0] is None else str(row[0])

    async def reminders(self) -> list[Reminder]:
        """Every user with a nudge time who has not blocked the bot."""
        rows = await self._db.fetch_all(
            "SELECT user_id, chat_id, remind_at, timezone FROM users "
            "WHERE remind_at IS NOT NULL AND blocked = 0 ORDER BY user_id"
        )
        return [Reminder(int(r[0]), int(r[1]), str(r[2]), r[3]) for r in rows]

    async def nudged(self, day_pairs: Sequence[tuple[int, dt.date]]) -> set[int]:
        """Users of these (user, local date) pairs already nudged that day."""
        if not day_pairs:
            return set()
        values = ", ".join("(?, ?)" for _ in day_pairs)
        found = await self._db.fetch_all(
            f"WITH batch(user_id, day) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
            "SELECT n.user_id FROM batch b JOIN nudges n ON n.user_id = b.user_id AND n.local_date = b.day",
            [v for uid, day in day_pairs for v in (uid, day.isoformat())],
        )
        return {int(r[0]) for r in found}

    async def claim_nudge(self, user_id: int, local_date: dt.date, now_ms: int) -> bool:
        """Record today's nudge before sending it; False if one was recorded already (never twice a day)."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO nudges (user_id, local_date, sent_at) VALUES (?, ?, ?)",
            (user_id, local_date.isoformat(), now_ms),
        )
        return changed > 0
