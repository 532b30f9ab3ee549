"""Repository for spaced-repetition cards: one FSRS card per user and question."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.domain.review import ReviewedCard
from bot.storage.db import Database


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


class CardStore:
    """Reads and writes the `cards` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def review(self, user_id: int, question_id: str,
                     apply: Callable[[str | None], ReviewedCard]) -> ReviewedCard:
        """Read the card, apply a review to it and store the result, in one write transaction."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "SELECT card FROM cards WHERE user_id = ? AND question_id = ?", (user_id, question_id))
            row = await cur.fetchone()
            reviewed = apply(str(row[0]) if row else None)
            await conn.execute(
                "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, question_id) DO UPDATE SET card = excluded.card, "
                "due_at = excluded.due_at, reviewed_at = excluded.reviewed_at",
                (user_id, question_id, reviewed.card_json, _ms(reviewed.due), _ms(reviewed.last_review)))
        return reviewed

    async def due_times(self, user_id: int) -> dict[str, dt.datetime]:
        """When each of the user's cards is due."""
        async with self._db.read() as conn:
            cur = await conn.execute("SELECT question_id, due_at FROM cards WHERE user_id = ?", (user_id,))
            rows = await cur.fetchall()
        return {str(r[0]): dt.datetime.fromtimestamp(int(r[1]) / 1000, dt.UTC) for r in rows}

    async def card(self, user_id: int, question_id: str) -> str | None:
        """The stored card JSON, if the user has reviewed the question."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT card FROM cards WHERE user_id = ? AND question_id = ?", (user_id, question_id))
            row = await cur.fetchone()
        return str(row[0]) if row else None
