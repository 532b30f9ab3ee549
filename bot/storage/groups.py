"""Rows shared by the group stores: the polls the bot posted in groups, and how they are read and written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.db import Database


@dataclass(frozen=True)
class PollRow:
    """A poll the bot posted: where, which question, and which shown option is right."""

    poll_id: str
    chat_id: int
    message_id: int
    question_id: str
    level: str
    topic: str
    correct_option: int
    kind: str
    quiz_id: int | None
    position: int | None
    sent_at: int
    closes_at: int | None
    closed: bool


POLL_COLS = (
    "poll_id, chat_id, message_id, question_id, level, topic, correct_option, kind, quiz_id, position, "
    "sent_at, closes_at, closed"
)
_INSERT_POLL = f"INSERT INTO polls ({POLL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608


def poll_of(r: Iterable[object]) -> PollRow:
    """A polls row as read with POLL_COLS."""
    v = list(r)
    return PollRow(
        str(v[0]),
        int(str(v[1])),
        int(str(v[2])),
        str(v[3]),
        str(v[4]),
        str(v[5]),
        int(str(v[6])),
        str(v[7]),
        None if v[8] is None else int(str(v[8])),
        None if v[9] is None else int(str(v[9])),
        int(str(v[10])),
        None if v[11] is None else int(str(v[11])),
        bool(v[12]),
    )


def _poll_values(p: PollRow) -> tuple[object, ...]:
    return (
        p.poll_id,
        p.chat_id,
        p.message_id,
        p.question_id,
        p.level,
        p.topic,
        p.correct_option,
        p.kind,
        p.quiz_id,
        p.position,
        p.sent_at,
        p.closes_at,
        int(p.closed),
    )


def insert_polls(conn: sqlite3.Connection, polls: Iterable[PollRow]) -> None:
    """Store posted polls (inside `Database.run_write` work)."""
    conn.executemany(_INSERT_POLL, [_poll_values(p) for p in polls])


def opt(value: object) -> str | None:
    """A nullable text column."""
    return None if value is None else str(value)


async def last_posted(db: Database, chat_id: int) -> dict[str, int]:
    """When each question was last posted in the group (epoch ms)."""
    rows = await db.fetch_all(
        "SELECT question_id, MAX(sent_at) FROM polls WHERE chat_id = ? GROUP BY question_id", (chat_id,)
    )
    return {str(r[0]): int(r[1]) for r in rows}
