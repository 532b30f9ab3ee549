"""Repository for users, sessions, their questions and answers: every SQL statement of the interview."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.cards import PendingReview, store_review
from bot.storage.db import Database
from bot.storage.rows import AnswerRow, SessionRow, SlotRow, UserRow

# Column lists are constants; every value in every statement is a bound parameter.
_SESSION_COLS = "session_id, user_id, mode, level, status, position, size, started_at, ended_at"
_SLOT_COLS = "session_id, position, question_id, option_order, message_id, asked_at, result_shown"
_SESSION_SLOT_COLS = ", ".join(
    [*(f"s.{c}" for c in _SESSION_COLS.split(", ")), *(f"q.{c}" for c in _SLOT_COLS.split(", "))]
)
_ANSWER_COLS = "session_id, position, question_id, topic, kind, chosen, correct, answer_text, self_grade, answered_at"


class Recorded(enum.Enum):
    """What happened to an attempt to record an answer."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclass(frozen=True)
class NewAnswer:
    """An answer to store, already graded by the domain."""

    session_id: int
    position: int
    user_id: int
    question_id: str
    topic: str
    kind: str
    chosen: int | None = None
    correct: bool | None = None
    answer_text: str | None = None
    self_grade: str | None = None


def _session(row: Sequence[Any]) -> SessionRow:
    return SessionRow(*row)


def _slot(row: Sequence[Any]) -> SlotRow:
    order = tuple(int(x) for x in row[3].split(",") if x)
    return SlotRow(row[0], row[1], row[2], order, row[4], row[5], bool(row[6]))


def _answer(row: aiosqlite.Row) -> AnswerRow:
    correct = None if row[6] is None else bool(row[6])
    return AnswerRow(row[0], row[1], row[2], row[3], row[4], row[5], correct, row[7], row[8], row[9])


class InterviewStore:
    """Reads and writes sessions and answers in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_user(self, user_id: int, chat_id: int, first_name: str, now_ms: int) -> None:
        """Create the user or refresh their chat and name (one statement: it runs for every update)."""
        await self._db.execute(
            "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET chat_id = excluded.chat_id, first_name = excluded.first_name "
            "WHERE chat_id IS NOT excluded.chat_id OR first_name IS NOT excluded.first_name",
            (user_id, chat_id, first_name, now_ms),
        )

    async def get_user(self, user_id: int) -> UserRow | None:
        """The stored user, if any."""
        row = await self._db.fetch_one(
            "SELECT user_id, chat_id, first_name, level, timezone FROM users WHERE user_id = ?", (user_id,)
        )
        return UserRow(*row) if row else None

    async def open_session(self, user_id: int) -> SessionRow | None:
        """The user's open quiz or interview."""
        row = await self._db.fetch_one(
            f"SELECT {_SESSION_COLS} FROM sessions WHERE user_id = ? AND status = 'open' "  # noqa: S608
            "AND mode IN ('quiz', 'interview')",
            (user_id,),
        )
        return _session(row) if row else None

    async def get_session(self, session_id: int) -> SessionRow | None:
        """A session by id."""
        row = await self._db.fetch_one(f"SELECT {_SESSION_COLS} FROM sessions WHERE session_id = ?", (session_id,))  # noqa: S608
        return _session(row) if row else None

    async def session_by_origin(self, user_id: int, origin_message_id: int) -> SessionRow | None:
        """The session a picker message already started."""
        row = await self._db.fetch_one(
            f"SELECT {_SESSION_COLS} FROM sessions WHERE user_id = ? AND origin_message_id = ?",  # noqa: S608
            (user_id, origin_message_id),
        )
        return _session(row) if row else None

    async def create_session(
        self,
        user_id: int,
        mode: str,
        level: str,
        plan: Sequence[tuple[str, tuple[int, ...]]],
        origin_message_id: int | None,
        now_ms: int,
        purpose: str | None = None,
    ) -> int | None:
        """Cancel the open session, store a new one with its planned questions; None if the origin was used."""
        async with self._db.write() as conn:
            session_id = await open_new_session(
                conn, user_id, mode, level, len(plan), origin_message_id, now_ms, purpose
            )
            if session_id is None:
                return None
            await conn.executemany(
                "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (session_id, i, qid, ",".join(map(str, order)), now_ms if i == 0 else None)
                    for i, (qid, order) in enumerate(plan)
                ],
            )
            return session_id

    async def session_slot(self, session_id: int, position: int) -> tuple[SessionRow, SlotRow | None] | None:
        """A session and one of its questions (None if it has no such position), in one query."""
        row = await self._db.fetch_one(
            f"SELECT {_SESSION_SLOT_COLS} FROM sessions s LEFT JOIN session_questions q "  # noqa: S608
            "ON q.session_id = s.session_id AND q.position = ? WHERE s.session_id = ?",
            (position, session_id),
        )
        if row is None:
            return None
        values = tuple(row)
        width = len(_SESSION_COLS.split(", "))
        return _session(values[:width]), _slot(values[width:]) if values[width] is not None else None

    async def set_message(self, session_id: int, position: int, message_id: int) -> None:
        """Remember which chat message shows a question, so its buttons can be edited later."""
        await self._db.execute(
            "UPDATE session_questions SET message_id = ? WHERE session_id = ? AND position = ?",
            (message_id, session_id, position),
        )

    async def mark_result_shown(self, session_id: int, position: int) -> None:
        """Note that the question's message now shows its result."""
        await self._db.execute(
            "UPDATE session_questions SET result_shown = 1 WHERE session_id = ? AND position = ?",
            (session_id, position),
        )

    async def record_answer(
        self, answer: NewAnswer, now_ms: int, advance: bool, review: PendingReview | None = None
    ) -> Recorded:
        """Store an answer to the session's current question; advance the session and review its card if asked."""
        async with self._db.write() as conn:
            found = await conn.execute_fetchall(
                "SELECT status, position, size, mode, level FROM sessions WHERE session_id = ?", (answer.session_id,)
            )
            if not found:
                return Recorded.STALE
            status, position, size, mode, level = next(iter(found))
            cur = await conn.execute(
                "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, chosen, "
                "correct, answer_text, self_grade, answered_at, time_taken_ms) "
                "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? - asked_at FROM session_questions "
                "WHERE session_id = ? AND position = ? AND ? = 'open' AND ? = ? "
                "ON CONFLICT (session_id, position) DO NOTHING",
                (
                    answer.session_id,
                    answer.position,
                    answer.user_id,
                    answer.question_id,
                    mode,
                    level,
                    answer.topic,
                    answer.kind,
                    answer.chosen,
                    None if answer.correct is None else int(answer.correct),
                    answer.answer_text,
                    answer.self_grade,
                    now_ms,
                    now_ms,
                    answer.session_id,
                    answer.position,
                    status,
                    position,
                    answer.position,
                ),
            )
            if cur.rowcount != 1:
                return await _why_not(conn, answer.session_id, answer.position)
            if advance:
                await _advance(conn, answer.session_id, position, size, now_ms)
            if review is not None:
                await store_review(conn, review)
            return Recorded.RECORDED

    async def record_grade(
        self, session_id: int, position: int, grade: str, now_ms: int, review: PendingReview | None = None
    ) -> Recorded:
        """Store the self-grade of a typed answer once, advance the session and review its card if asked."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE answers SET self_grade = ? WHERE session_id = ? AND position = ? AND self_grade IS NULL "
                "AND EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = ? AND s.status = 'open' "
                "AND s.position = ?)",
                (grade, session_id, position, session_id, position),
            )
            if cur.rowcount != 1:
                cur = await conn.execute(
                    "SELECT self_grade FROM answers WHERE session_id = ? AND position = ?", (session_id, position)
                )
                row = await cur.fetchone()
                return Recorded.DUPLICATE if row and row[0] is not None else Recorded.STALE
            cur = await conn.execute("SELECT size FROM sessions WHERE session_id = ?", (session_id,))
            size_row = await cur.fetchone()
            assert size_row is not None
            await _advance(conn, session_id, position, int(size_row[0]), now_ms)
            if review is not None:
                await store_review(conn, review)
            return Recorded.RECORDED

    async def answer_at(self, session_id: int, position: int) -> AnswerRow | None:
        """The answer stored for one question of a session."""
        row = await self._db.fetch_one(
            f"SELECT {_ANSWER_COLS} FROM answers WHERE session_id = ? AND position = ?",  # noqa: S608
            (session_id, position),
        )
        return _answer(row) if row else None

    async def answers(self, session_id: int) -> list[AnswerRow]:
        """Every answer of a session, in question order."""
        rows = await self._db.fetch_all(
            f"SELECT {_ANSWER_COLS} FROM answers WHERE session_id = ? ORDER BY position",  # noqa: S608
            (session_id,),
        )
        return [_answer(r) for r in rows]

    async def cancel(self, session_id: int, now_ms: int) -> bool:
        """Cancel an open session; False if it was not open."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE sessions SET status = 'cancelled', ended_at = ? WHERE session_id = ? AND status = 'open'",
                (now_ms, session_id),
            )
            return cur.rowcount == 1

    async def totals(self) -> tuple[int, int, int]:
        """How many users, sessions and answers are stored."""
        async with self._db.read() as conn:
            counts = []
            for table in ("users", "sessions", "answers"):
                cur = await conn.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (table names are constants)
                row = await cur.fetchone()
                counts.append(int(row[0]) if row else 0)
        return counts[0], counts[1], counts[2]

    async def recent_mistakes(self, user_id: int, since_ms: int) -> list[str]:
        """Questions the user got wrong (or graded below "nailed") since a time, most recent first."""
        rows = await self._db.fetch_all(
            "SELECT question_id, MAX(answered_at) AS at FROM answers WHERE user_id = ? AND answered_at >= ? "
            "AND (correct = 0 OR self_grade IN ('partly', 'missed') OR timed_out = 1) "
            "GROUP BY question_id ORDER BY at DESC",
            (user_id, since_ms),
        )
        return [str(r[0]) for r in rows]

    async def last_seen(self, user_id: int) -> dict[str, float]:
        """When the user last answered each question (epoch ms)."""
        rows = await self._db.fetch_all(
            "SELECT question_id, MAX(answered_at) FROM answers WHERE user_id = ? GROUP BY question_id", (user_id,)
        )
        return {str(r[0]): float(r[1]) for r in rows}


async def open_new_session(
    conn: aiosqlite.Connection,
    user_id: int,
    mode: str,
    level: str,
    size: int,
    origin_message_id: int | None,
    now_ms: int,
    purpose: str | None = None,
) -> int | None:
    """Inside a write transaction: cancel the user's open quiz or interview (a daily question stays) and insert
    a new session; None if the picker message `origin_message_id` already started one."""
    if origin_message_id is not None:
        cur = await conn.execute(
            "SELECT 1 FROM sessions WHERE user_id = ? AND origin_message_id = ?", (user_id, origin_message_id)
        )
        if await cur.fetchone():
            return None
    if mode != "daily":
        await conn.execute(
            "UPDATE sessions SET status = 'cancelled', ended_at = ? WHERE user_id = ? AND status = 'open' "
            "AND mode IN ('quiz', 'interview')",
            (now_ms, user_id),
        )
    await conn.execute("UPDATE users SET level = ? WHERE user_id = ?", (level, user_id))
    cur = await conn.execute(
        "INSERT INTO sessions (user_id, mode, level, status, position, size, origin_message_id, started_at, "
        "purpose) VALUES (?, ?, ?, 'open', 0, ?, ?, ?, ?)",
        (user_id, mode, level, size, origin_message_id, now_ms, purpose),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def open_daily_sessions(
    conn: aiosqlite.Connection, plans: Sequence[tuple[int, str, str, tuple[int, ...]]], now_ms: int
) -> dict[int, int]:
    """Inside a write transaction: a one-question daily session per (user, level, question, option order), a user
    at most once; their ids by user. The user's level becomes the session's, as `open_new_session` does."""
    if not plans:
        return {}
    await conn.executemany(
        "UPDATE users SET level = ? WHERE user_id = ? AND level IS NOT ?", [(lv, uid, lv) for uid, lv, _, _ in plans]
    )
    values = ", ".join("(?, 'daily', ?, 'open', 0, 1, ?)" for _ in plans)
    rows = await conn.execute_fetchall(
        "INSERT INTO sessions (user_id, mode, level, status, position, size, started_at) "  # noqa: S608
        f"VALUES {values} RETURNING session_id, user_id",
        [v for uid, lv, _, _ in plans for v in (uid, lv, now_ms)],
    )
    opened = {int(r[1]): int(r[0]) for r in rows}
    await conn.executemany(
        "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at) "
        "VALUES (?, 0, ?, ?, ?)",
        [(opened[uid], qid, ",".join(map(str, order)), now_ms) for uid, _, qid, order in plans],
    )
    return opened


async def set_messages(conn: aiosqlite.Connection, rows: Sequence[tuple[int, int, int]]) -> None:
    """Inside a write transaction: the chat message that shows each (session, position, message id)."""
    if rows:
        await conn.executemany(
            "UPDATE session_questions SET message_id = ? WHERE session_id = ? AND position = ?",
            [(message_id, session_id, position) for session_id, position, message_id in rows],
        )


async def _why_not(conn: aiosqlite.Connection, session_id: int, position: int) -> Recorded:
    cur = await conn.execute("SELECT 1 FROM answers WHERE session_id = ? AND position = ?", (session_id, position))
    return Recorded.DUPLICATE if await cur.fetchone() else Recorded.STALE


async def _advance(conn: aiosqlite.Connection, session_id: int, position: int, size: int, now_ms: int) -> None:
    if position + 1 >= size:
        await conn.execute(
            "UPDATE sessions SET position = ?, status = 'finished', ended_at = ? WHERE session_id = ?",
            (position + 1, now_ms, session_id),
        )
        return
    await conn.execute("UPDATE sessions SET position = ? WHERE session_id = ?", (position + 1, session_id))
    await conn.execute(
        "UPDATE session_questions SET asked_at = ? WHERE session_id = ? AND position = ?",
        (now_ms, session_id, position + 1),
    )
