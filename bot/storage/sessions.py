"""Sessions and the questions they ask: creating them and reading them, on the database thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.rows import SessionRow, SlotRow

# Column lists are constants; every value in every statement is a bound parameter.
SESSION_COLS = "session_id, user_id, mode, level, status, position, size, started_at, ended_at"
_SLOT_COLS = "session_id, position, question_id, option_order, message_id, asked_at, result_shown, deadline_at"
_SESSION_SLOT_COLS = ", ".join(
    [*(f"s.{c}" for c in SESSION_COLS.split(", ")), *(f"q.{c}" for c in _SLOT_COLS.split(", "))]
)
_WIDTH = len(SESSION_COLS.split(", "))


@dataclass(frozen=True)
class NextSlot:
    """A question of a session: planned at the start, or added as it goes (the adaptive interview), with the
    deadline of an interview question."""

    question_id: str
    order: tuple[int, ...]
    deadline_ms: int | None = None


# A session's questions: (question id, option order) pairs, or slots with a deadline.
Plan = Sequence[tuple[str, tuple[int, ...]] | NextSlot]
Found = tuple[SessionRow, SlotRow | None]


SESSION_SLOT = (
    f"SELECT {_SESSION_SLOT_COLS} FROM sessions s LEFT JOIN session_questions q "  # noqa: S608
    "ON q.session_id = s.session_id AND q.position = ? WHERE s.session_id = ?"
)
CURRENT = (
    f"SELECT {_SESSION_SLOT_COLS} FROM sessions s LEFT JOIN session_questions q "  # noqa: S608
    "ON q.session_id = s.session_id AND q.position = s.position "
    "WHERE s.user_id = ? AND s.status = 'open' AND s.mode IN ('quiz', 'interview')"
)
_ORIGIN_USED = "SELECT 1 FROM sessions WHERE user_id = ? AND origin_message_id = ?"
_CANCEL_OPEN = (
    "UPDATE sessions SET status = 'cancelled', ended_at = ? WHERE user_id = ? AND status = 'open' "
    "AND mode IN ('quiz', 'interview')"
)
_SET_LEVEL = "UPDATE users SET level = ? WHERE user_id = ?"
_INSERT_SESSION = (
    "INSERT INTO sessions (user_id, mode, level, status, position, size, origin_message_id, started_at, "
    "purpose) VALUES (?, ?, ?, 'open', 0, ?, ?, ?, ?)"
)
_INSERT_SLOT = (
    "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at, deadline_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def session_row(row: Sequence[Any]) -> SessionRow:
    """A SessionRow from the SESSION_COLS of a row."""
    return SessionRow(*row)


def _slot(row: Sequence[Any]) -> SlotRow:
    order = tuple(int(x) for x in row[3].split(",") if x)
    return SlotRow(row[0], row[1], row[2], order, row[4], row[5], bool(row[6]), row[7])


def split(row: Sequence[Any]) -> Found:
    """A session and its question from one SESSION_SLOT or CURRENT row."""
    values = tuple(row)
    return session_row(values[:_WIDTH]), _slot(values[_WIDTH:]) if values[_WIDTH] is not None else None


def session_slot(conn: sqlite3.Connection, session_id: int, position: int) -> Found | None:
    """A session and one of its questions (None as the question when it has no such position)."""
    row = conn.execute(SESSION_SLOT, (position, session_id)).fetchone()
    return None if row is None else split(row)


def current(conn: sqlite3.Connection, user_id: int) -> Found | None:
    """The user's open quiz or interview and the question it waits on."""
    row = conn.execute(CURRENT, (user_id,)).fetchone()
    return None if row is None else split(row)


def origin_used(conn: sqlite3.Connection, user_id: int, origin_message_id: int) -> bool:
    """True when the picker message `origin_message_id` already started a session."""
    return conn.execute(_ORIGIN_USED, (user_id, origin_message_id)).fetchone() is not None


def create(
    conn: sqlite3.Connection,
    user_id: int,
    mode: str,
    level: str,
    plan: Sequence[NextSlot],
    now_ms: int,
    *,
    size: int | None = None,
    origin_message_id: int | None = None,
    purpose: str | None = None,
) -> int | None:
    """Cancel the user's open quiz or interview (a daily question stays), make the level theirs and store a new
    session with its planned questions, the first asked now; None if the picker message already started one.

    `size` is the number of questions it will ask, when they are not all planned yet (the adaptive interview).
    """
    if origin_message_id is not None and origin_used(conn, user_id, origin_message_id):
        return None
    if mode != "daily":
        conn.execute(_CANCEL_OPEN, (now_ms, user_id))
    conn.execute(_SET_LEVEL, (level, user_id))
    total = len(plan) if size is None else size
    cur = conn.execute(_INSERT_SESSION, (user_id, mode, level, total, origin_message_id, now_ms, purpose))
    session_id = cur.lastrowid
    assert session_id is not None
    conn.executemany(
        _INSERT_SLOT,
        [
            (session_id, i, s.question_id, ",".join(map(str, s.order)), now_ms if i == 0 else None, s.deadline_ms)
            for i, s in enumerate(plan)
        ],
    )
    return session_id


def add_slot(conn: sqlite3.Connection, session_id: int, position: int, slot: NextSlot, now_ms: int) -> None:
    """Append a question to a session, asked now."""
    conn.execute(
        _INSERT_SLOT, (session_id, position, slot.question_id, ",".join(map(str, slot.order)), now_ms, slot.deadline_ms)
    )


def planned(plan: Plan) -> list[NextSlot]:
    """A plan's questions as slots."""
    return [p if isinstance(p, NextSlot) else NextSlot(*p) for p in plan]


def open_daily_sessions(
    conn: sqlite3.Connection, plans: Sequence[tuple[int, str, str, tuple[int, ...]]], now_ms: int
) -> dict[int, int]:
    """On the database thread, in a write transaction: a one-question daily session per (user, level, question,
    option order), a user at most once; their ids by user. The user's level becomes the session's, as `create`
    does."""
    if not plans:
        return {}
    conn.executemany(
        "UPDATE users SET level = ? WHERE user_id = ? AND level IS NOT ?", [(lv, uid, lv) for uid, lv, _, _ in plans]
    )
    values = ", ".join("(?, 'daily', ?, 'open', 0, 1, ?)" for _ in plans)
    rows = conn.execute(
        "INSERT INTO sessions (user_id, mode, level, status, position, size, started_at) "  # noqa: S608
        f"VALUES {values} RETURNING session_id, user_id",
        [v for uid, lv, _, _ in plans for v in (uid, lv, now_ms)],
    ).fetchall()
    opened = {int(r[1]): int(r[0]) for r in rows}
    conn.executemany(
        "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at) "
        "VALUES (?, 0, ?, ?, ?)",
        [(opened[uid], qid, ",".join(map(str, order)), now_ms) for uid, _, qid, order in plans],
    )
    return opened


def set_messages(conn: sqlite3.Connection, rows: Sequence[tuple[int, int, int]]) -> None:
    """On the database thread, in a write transaction: the chat message that shows each (session, position,
    message id)."""
    if rows:
        conn.executemany(
            "UPDATE session_questions SET message_id = ? WHERE session_id = ? AND position = ?",
            [(message_id, session_id, position) for session_id, position, message_id in rows],
        )
