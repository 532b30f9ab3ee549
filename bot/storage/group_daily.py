"""Repository of the daily group poll: which groups are due, their claims, and how each post ended.

The daily group poll uses the claim policy of every delivery (bot/services/delivery.py): a row per (group, local
date) is claimed with status `sending`, a batch at a time, in one BEGIN IMMEDIATE transaction before anything is
sent. A poll that may have reached the group although its send failed (a timeout) closes the claim as `sent`
with no poll id: it is never posted again. A question too long for a poll goes first as a message of its own
(the lead); `lead_sent` is set before that message is sent and cleared only if it surely did not arrive, so a
later attempt posts the poll without repeating the lead.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.delivery import Outcome
from bot.domain.schedule import Subscriber
from bot.storage.db import Database
from bot.storage.groups import POLL_COLS, PollRow, insert_polls, poll_of
from bot.storage.push import Claims, all_subscribers, due_subscribers, from_ms, refresh_due, served_on

_CLAIMABLE = "(status = 'failed' AND attempts < ?) OR (status = 'sending' AND claimed_at <= ?)"


@dataclass(frozen=True)
class GroupClaim:
    """A group's daily row this process now holds, with what earlier attempts left: the question and the lead."""

    chat_id: int
    local_date: dt.date
    attempts: int
    question_id: str | None
    lead_sent: bool


@dataclass(frozen=True)
class GroupSettled:
    """How one daily post ended; `poll` is the poll posted, `chat_id` the group's id now (after a migration)."""

    chat_id: int
    local_date: dt.date
    outcome: Outcome
    poll: PollRow | None = None


class GroupDailyStore:
    """Reads and writes the daily group poll's claims and its polls."""

    def __init__(self, db: Database, default_zone: str = "UTC") -> None:
        self._db = db
        self._default_zone = default_zone

    async def due_subscribers(self, now_ms: int) -> list[Subscriber]:
        """Groups whose next daily poll is due by `now_ms` (by the `next_due_at` index)."""
        return await due_subscribers(self._db, Claims.GROUP, now_ms)

    async def subscribers(self) -> list[Subscriber]:
        """Active groups with a daily time, as push subscribers (the chat id is their id)."""
        return await all_subscribers(self._db, Claims.GROUP)

    async def served(
        self, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
    ) -> set[tuple[int, dt.date]]:
        """(group, local date) pairs that cannot be claimed now."""
        return await served_on(self._db, Claims.GROUP, dates, stale_before_ms, max_attempts)

    async def claim(
        self, rows: Sequence[tuple[int, dt.date]], now_ms: int, stale_before_ms: int, max_attempts: int
    ) -> list[GroupClaim]:
        """Claim several groups' rows in one transaction; a group unsubscribed or already served is left out."""
        if not rows:
            return []
        return await self._db.run_write(lambda conn: _claim(conn, rows, now_ms, stale_before_ms, max_attempts))

    async def attach_question(self, chat_id: int, day: dt.date, question_id: str) -> None:
        """Remember the question of a claim (a new question has sent no lead yet)."""
        await self._db.run_write(
            lambda conn: conn.execute(
                "UPDATE group_deliveries SET question_id = ?, lead_sent = 0 WHERE chat_id = ? AND local_date = ?",
                (question_id, chat_id, day.isoformat()),
            )
        )

    async def set_lead_sent(self, chat_id: int, day: dt.date, sent: bool) -> None:
        """Mark the claim's lead message as (maybe) sent, before sending it; unmark it if it surely was not."""
        await self._db.run_write(
            lambda conn: conn.execute(
                "UPDATE group_deliveries SET lead_sent = ? WHERE chat_id = ? AND local_date = ?",
                (int(sent), chat_id, day.isoformat()),
            )
        )

    async def settle(self, outcomes: Sequence[GroupSettled], now_ms: int, max_attempts: int = 5) -> None:
        """Record how several daily posts ended, in one transaction: polls stored, gone groups unsubscribed, and
        when each group is due next."""

        def work(conn: sqlite3.Connection) -> None:
            _settle(conn, outcomes, now_ms)
            ended = [s.chat_id for s in outcomes if s.outcome is not Outcome.RELEASED]
            refresh_due(conn, Claims.GROUP, ended, from_ms(now_ms), self._default_zone, max_attempts)

        await self._db.run_write(work, batching=True)

    async def open_daily_polls(self, chat_id: int) -> list[PollRow]:
        """The group's daily polls not closed yet, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {POLL_COLS} FROM polls WHERE chat_id = ? AND kind = 'daily' AND closed = 0 "  # noqa: S608
            "ORDER BY sent_at",
            (chat_id,),
        )
        return [poll_of(r) for r in rows]

    async def close_poll(self, poll_id: str) -> bool:
        """Mark a poll closed; False if it already was."""
        return await self._db.execute("UPDATE polls SET closed = 1 WHERE poll_id = ? AND closed = 0", (poll_id,)) > 0


def _claim(
    conn: sqlite3.Connection,
    rows: Sequence[tuple[int, dt.date]],
    now_ms: int,
    stale_before_ms: int,
    max_attempts: int,
) -> list[GroupClaim]:
    """`GroupDailyStore.claim` on the database thread."""
    days = {chat_id: day for chat_id, day in rows}
    values = ", ".join("(?, ?)" for _ in rows)
    found = conn.execute(
        f"WITH batch(chat_id, local_date) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
        "INSERT INTO group_deliveries (chat_id, local_date, status, attempts, claimed_at) "
        "SELECT b.chat_id, b.local_date, 'sending', 1, ? FROM batch b JOIN groups g ON g.chat_id = b.chat_id "
        "WHERE g.daily_time IS NOT NULL AND g.active = 1 "
        "ON CONFLICT (chat_id, local_date) DO UPDATE SET status = 'sending', attempts = attempts + 1, "
        f"claimed_at = excluded.claimed_at WHERE {_CLAIMABLE} "
        "RETURNING chat_id, attempts, question_id, lead_sent",
        (*(v for chat_id, day in rows for v in (chat_id, day.isoformat())), now_ms, max_attempts, stale_before_ms),
    ).fetchall()
    return [
        GroupClaim(int(r[0]), days[int(r[0])], int(r[1]), None if r[2] is None else str(r[2]), bool(r[3]))
        for r in found
    ]


def _settle(conn: sqlite3.Connection, outcomes: Sequence[GroupSettled], now_ms: int) -> None:
    """`GroupDailyStore.settle` on the database thread."""
    insert_polls(conn, [s.poll for s in outcomes if s.poll is not None])
    conn.executemany(
        "UPDATE group_deliveries SET status = 'sent', poll_id = ? WHERE chat_id = ? AND local_date = ?",
        [
            (None if s.poll is None else s.poll.poll_id, s.chat_id, s.local_date.isoformat())
            for s in outcomes
            if s.outcome.counts_as_sent
        ],
    )
    conn.executemany(
        "UPDATE group_deliveries SET status = ? WHERE chat_id = ? AND local_date = ?",
        [
            (s.outcome.status, s.chat_id, s.local_date.isoformat())
            for s in outcomes
            if s.outcome.status is not None and not s.outcome.counts_as_sent
        ],
    )
    conn.executemany(
        "UPDATE group_deliveries SET status = 'failed', attempts = attempts - 1 "
        "WHERE chat_id = ? AND local_date = ? AND status = 'sending'",
        [(s.chat_id, s.local_date.isoformat()) for s in outcomes if s.outcome is Outcome.RELEASED],
    )
    gone = [s.chat_id for s in outcomes if s.outcome is Outcome.BLOCKED]
    conn.executemany(
        "UPDATE groups SET active = 0, daily_time = NULL WHERE chat_id = ? AND active = 1", [(c,) for c in gone]
    )
    conn.executemany(
        "UPDATE group_quizzes SET status = 'cancelled', ended_at = ? WHERE chat_id = ? AND status = 'running'",
        [(now_ms, c) for c in gone],
    )
