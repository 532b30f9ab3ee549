"""Repository of admin broadcasts: the texts, who opted out of news, and one claimed row per (broadcast, user).

A row is claimed (`sending`) just before its message is sent and settled after, as the daily push's rows are.
A `sending` row is never claimed again, however old: its message may have gone out (the process died while it
was in flight), and a broadcast is never sent twice to anyone. A `failed` row is claimed again, up to the limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.delivery import Outcome
from bot.storage.db import Database

# The users a broadcast goes to: there, not blocked, not opted out.
_AUDIENCE = "u.blocked = 0 AND u.news = 1"
# A row that keeps its user out of the broadcast: sent, blocked, in flight (maybe sent) or given up.
_SERVED = "d.broadcast_id = ? AND d.user_id = u.user_id AND NOT (d.status = 'failed' AND d.attempts < ?)"


@dataclass(frozen=True)
class BroadcastRow:
    """A broadcast as stored."""

    broadcast_id: int
    html: str
    status: str
    created_by: int | None
    created_at: int


@dataclass(frozen=True)
class BroadcastSettled:
    """How one user's send ended."""

    user_id: int
    outcome: Outcome
    message_id: int | None = None


_COLS = "broadcast_id, html, status, created_by, created_at"


def _row(r: Sequence[object]) -> BroadcastRow:
    return BroadcastRow(int(str(r[0])), str(r[1]), str(r[2]), None if r[3] is None else int(str(r[3])), int(str(r[4])))


class BroadcastStore:
    """Reads and writes broadcasts, their deliveries and the users' news setting."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, html: str, status: str, created_by: int | None, now_ms: int) -> int:
        """Store a new broadcast; its id."""

        def work(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO broadcasts (html, status, created_by, created_at) VALUES (?, ?, ?, ?)",
                (html, status, created_by, now_ms),
            )
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

        return await self._db.run_write(work)

    async def get(self, broadcast_id: int) -> BroadcastRow | None:
        """A broadcast by id."""
        row = await self._db.fetch_one(f"SELECT {_COLS} FROM broadcasts WHERE broadcast_id = ?", (broadcast_id,))  # noqa: S608
        return _row(row) if row else None

    async def unfinished_with(self, html: str) -> BroadcastRow | None:
        """The latest broadcast of this very text that is not done or cancelled (to resume it)."""
        row = await self._db.fetch_one(
            f"SELECT {_COLS} FROM broadcasts WHERE html = ? AND status IN ('draft', 'sending', 'stopped') "  # noqa: S608
            "ORDER BY broadcast_id DESC LIMIT 1",
            (html,),
        )
        return _row(row) if row else None

    async def with_status(self, status: str) -> list[BroadcastRow]:
        """Broadcasts in one status, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_COLS} FROM broadcasts WHERE status = ? ORDER BY broadcast_id",  # noqa: S608
            (status,),
        )
        return [_row(r) for r in rows]

    async def move(self, broadcast_id: int, to: str, from_: Sequence[str], now_ms: int) -> bool:
        """Change a broadcast's status if it is in one of `from_`; False if it was not."""
        marks = ", ".join("?" for _ in from_)
        ended = now_ms if to in ("done", "cancelled", "stopped") else None

        def work(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                f"UPDATE broadcasts SET status = ?, ended_at = ? WHERE broadcast_id = ? AND status IN ({marks})",  # noqa: S608
                (to, ended, broadcast_id, *from_),
            )
            return cur.rowcount > 0

        return await self._db.run_write(work)

    async def audience(self) -> int:
        """How many users a new broadcast would go to."""
        row = await self._db.fetch_one(f"SELECT COUNT(*) FROM users u WHERE {_AUDIENCE}")  # noqa: S608
        return int(row[0]) if row else 0

    async def recipients(self, broadcast_id: int, max_attempts: int) -> list[tuple[int, int]]:
        """(user, chat) of everyone the broadcast has still to reach, by user id."""
        rows = await self._db.fetch_all(
            f"SELECT u.user_id, u.chat_id FROM users u WHERE {_AUDIENCE} "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM broadcast_deliveries d WHERE {_SERVED}) ORDER BY u.user_id",
            (broadcast_id, max_attempts),
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def claim(self, broadcast_id: int, user_ids: Sequence[int], now_ms: int, max_attempts: int) -> list[int]:
        """Claim users' rows while the broadcast is `sending`; those claimed (not served, still in the audience)."""
        marks = ", ".join("?" for _ in user_ids)

        def work(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                "INSERT INTO broadcast_deliveries (broadcast_id, user_id, status, attempts, claimed_at) "  # noqa: S608
                f"SELECT ?, u.user_id, 'sending', 1, ? FROM users u WHERE u.user_id IN ({marks}) AND {_AUDIENCE} "
                "AND EXISTS (SELECT 1 FROM broadcasts b WHERE b.broadcast_id = ? AND b.status = 'sending') "
                "ON CONFLICT (broadcast_id, user_id) DO UPDATE SET status = 'sending', attempts = attempts + 1, "
                "claimed_at = excluded.claimed_at WHERE status = 'failed' AND attempts < ? RETURNING user_id",
                (broadcast_id, now_ms, *user_ids, broadcast_id, max_attempts),
            ).fetchall()
            return [int(r[0]) for r in rows]

        return await self._db.run_write(work)

    async def settle(self, broadcast_id: int, outcomes: Sequence[BroadcastSettled]) -> None:
        """Record how sends ended, in one transaction; a user who blocked the bot is flagged and unsubscribed."""

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE broadcast_deliveries SET status = ?, message_id = ? WHERE broadcast_id = ? AND user_id = ?",
                [
                    (s.outcome.status, s.message_id, broadcast_id, s.user_id)
                    for s in outcomes
                    if s.outcome.status is not None
                ],
            )
            conn.executemany(
                "UPDATE broadcast_deliveries SET status = 'failed', attempts = attempts - 1 "
                "WHERE broadcast_id = ? AND user_id = ? AND status = 'sending'",
                [(broadcast_id, s.user_id) for s in outcomes if s.outcome is Outcome.RELEASED],
            )
            conn.executemany(
                "UPDATE users SET blocked = 1, daily_time = NULL WHERE user_id = ?",
                [(s.user_id,) for s in outcomes if s.outcome is Outcome.BLOCKED],
            )

        await self._db.run_write(work, batching=True)

    async def totals(self, broadcast_id: int) -> dict[str, int]:
        """Rows of the broadcast by status."""
        rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) FROM broadcast_deliveries WHERE broadcast_id = ? GROUP BY status", (broadcast_id,)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def set_news(self, user_id: int, on: bool) -> bool:
        """Opt a user in or out of broadcasts; False if the user is unknown."""

        def work(conn: sqlite3.Connection) -> bool:
            return conn.execute("UPDATE users SET news = ? WHERE user_id = ?", (int(on), user_id)).rowcount > 0

        return await self._db.run_write(work)

    async def news(self, user_id: int) -> bool:
        """Whether the user gets broadcasts (an unknown user would)."""
        row = await self._db.fetch_one("SELECT news FROM users WHERE user_id = ?", (user_id,))
        return row is None or bool(row[0])
