"""Repository for spaced-repetition cards: one FSRS card per user and question."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain.review import ReviewedCard
from bot.storage.db import Database


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


@dataclass(frozen=True)
class PendingReview:
    """A card review to store in the same transaction as the answer that caused it."""

    user_id: int
    question_id: str
    apply: Callable[[str | None], ReviewedCard]


_CARD = "SELECT card FROM cards WHERE user_id = ? AND question_id = ?"
_SAVE_CARD = (
    "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (user_id, question_id) DO UPDATE SET card = excluded.card, "
    "due_at = excluded.due_at, reviewed_at = excluded.reviewed_at"
)


def _save_params(pending: PendingReview, reviewed: ReviewedCard) -> tuple[object, ...]:
    return (pending.user_id, pending.question_id, reviewed.card_json, _ms(reviewed.due), _ms(reviewed.last_review))


def apply_review(conn: sqlite3.Connection, pending: PendingReview) -> ReviewedCard:
    """Inside a transaction run on the database thread (`Database.run_write`): read the card, apply the review,
    write it back."""
    found = conn.execute(_CARD, (pending.user_id, pending.question_id)).fetchone()
    reviewed = pending.apply(None if found is None else str(found[0]))
    conn.execute(_SAVE_CARD, _save_params(pending, reviewed))
    return reviewed


class CardStore:
    """Reads and writes the `cards` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def review(self, user_id: int, question_id: str, apply: Callable[[str | None], ReviewedCard]) -> ReviewedCard:
        """Read the card, apply a review to it and store the result, in one write transaction."""
        return await self._db.run_write(lambda conn: apply_review(conn, PendingReview(user_id, question_id, apply)))

    async def due_times(self, user_id: int) -> dict[str, dt.datetime]:
        """When each of the user's cards is due."""
        rows = await self._db.fetch_all("SELECT question_id, due_at FROM cards WHERE user_id = ?", (user_id,))
        return {str(r[0]): dt.datetime.fromtimestamp(int(r[1]) / 1000, dt.UTC) for r in rows}

    async def due_times_of(self, user_ids: Sequence[int]) -> dict[int, dict[str, dt.datetime]]:
        """When each card of each of these users is due, in one query (every user present, maybe empty)."""
        found: dict[int, dict[str, dt.datetime]] = {uid: {} for uid in user_ids}
        if not found:
            return found
        marks = ", ".join("?" for _ in found)
        rows = await self._db.fetch_all(
            f"SELECT user_id, question_id, due_at FROM cards WHERE user_id IN ({marks})",  # noqa: S608 (placeholders only)
            list(found),
        )
        for uid, qid, due_at in rows:
            found[int(uid)][str(qid)] = dt.datetime.fromtimestamp(int(due_at) / 1000, dt.UTC)
        return found

    async def card(self, user_id: int, question_id: str) -> str | None:
        """The stored card JSON, if the user has reviewed the question."""
        row = await self._db.fetch_one(
            "SELECT card FROM cards WHERE user_id = ? AND question_id = ?", (user_id, question_id)
        )
        return str(row[0]) if row else None
