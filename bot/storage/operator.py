"""The operator's figures (`python -m bot stats`): counts over the whole database."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.db import Database


@dataclass(frozen=True)
class OperatorFigures:
    """What an operator watches."""

    users: int
    active_7d: int
    sessions: int
    answers: int
    daily_subscribers: int
    pushes_sent_today: int
    blocked_users: int


class OperatorStore:
    """Read-only counts for operators."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def figures(self, active_since_ms: int, day_start_ms: int) -> OperatorFigures:
        """The figures in one snapshot; `active_since_ms` bounds "active", `day_start_ms` bounds "today"."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT "
                "(SELECT COUNT(*) FROM users), "
                "(SELECT COUNT(*) FROM (SELECT user_id FROM answers WHERE answered_at >= ? "
                " UNION SELECT user_id FROM sessions WHERE started_at >= ?)), "
                "(SELECT COUNT(*) FROM sessions), "
                "(SELECT COUNT(*) FROM answers), "
                "(SELECT COUNT(*) FROM users WHERE daily_time IS NOT NULL AND blocked = 0), "
                "(SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND sent_at >= ?), "
                "(SELECT COUNT(*) FROM users WHERE blocked = 1)",
                (active_since_ms, active_since_ms, day_start_ms),
            )
            row = await cur.fetchone()
        assert row is not None
        return OperatorFigures(*(int(v) for v in row))

    async def open_sessions(self) -> int:
        """Open quiz and interview sessions: a count over the partial index `sessions_one_open`, cheap per scrape."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM sessions WHERE status = 'open' AND mode IN ('quiz', 'interview')"
        )
        return int(row[0]) if row is not None else 0
