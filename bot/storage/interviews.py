"""The interview's repository: users, the start of a session, its answers; each write one `run_write` hand-off.

The SQL lives by job: bot/storage/sessions.py (sessions and their questions) and bot/storage/answers.py (the
one answer path, `record`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.storage import sessions
from bot.storage.answers import (
    ANSWER_AT,
    ANSWER_COLS,
    ANSWERS,
    Attempt,
    Decide,
    NewAnswer,
    Recorded,
    Settled,
    answer_row,
    record,
)
from bot.storage.db import Database
from bot.storage.reports import disabled_ids
from bot.storage.rows import AnswerRow, SessionRow, UserRow
from bot.storage.sessions import (
    SESSION_COLS,
    Found,
    NextSlot,
    Plan,
    open_daily_sessions,
    session_row,
    set_messages,
)

__all__ = [
    "At",
    "Attempt",
    "Current",
    "InterviewStore",
    "NewAnswer",
    "NextSlot",
    "Opened",
    "Recorded",
    "Settled",
    "open_daily_sessions",
    "set_messages",
    "upsert_user",
]

# Given when the user last answered each question and the disabled questions: the new session's questions.
Planner = Callable[[dict[str, float], frozenset[str]], Plan]


@dataclass(frozen=True)
class At:
    """The question at a position of a session."""

    session_id: int
    position: int


@dataclass(frozen=True)
class Current:
    """The question the user's open quiz or interview waits on."""

    user_id: int


@dataclass(frozen=True)
class Opened:
    """The question a start leaves the user on: the new session's first, or the open one's if the picker was used."""

    found: Found | None
    already_started: bool


_LAST_SEEN = "SELECT question_id, MAX(answered_at) FROM answers WHERE user_id = ? GROUP BY question_id"


class InterviewStore:
    """Reads and writes users, sessions and answers in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_user(self, user_id: int, chat_id: int, first_name: str, now_ms: int) -> None:
        """Create the user or refresh their chat and name (one statement: it runs for every update)."""
        await self._db.run_write(lambda conn: upsert_user(conn, user_id, chat_id, first_name, now_ms))

    async def get_user(self, user_id: int) -> UserRow | None:
        """The stored user, if any."""
        row = await self._db.fetch_one(
            "SELECT user_id, chat_id, first_name, level, timezone FROM users WHERE user_id = ?", (user_id,)
        )
        return UserRow(*row) if row else None

    async def open_session(self, user_id: int) -> SessionRow | None:
        """The user's open quiz or interview."""
        row = await self._db.fetch_one(
            f"SELECT {SESSION_COLS} FROM sessions WHERE user_id = ? AND status = 'open' "  # noqa: S608
            "AND mode IN ('quiz', 'interview')",
            (user_id,),
        )
        return session_row(row) if row else None

    async def get_session(self, session_id: int) -> SessionRow | None:
        """A session by id."""
        row = await self._db.fetch_one(f"SELECT {SESSION_COLS} FROM sessions WHERE session_id = ?", (session_id,))  # noqa: S608
        return session_row(row) if row else None

    async def session_by_origin(self, user_id: int, origin_message_id: int) -> SessionRow | None:
        """The session a picker message already started."""
        row = await self._db.fetch_one(
            f"SELECT {SESSION_COLS} FROM sessions WHERE user_id = ? AND origin_message_id = ?",  # noqa: S608
            (user_id, origin_message_id),
        )
        return session_row(row) if row else None

    async def start_session(
        self,
        user_id: int,
        mode: str,
        level: str | Callable[[Sequence[NextSlot]], str],
        plan: Plan | Planner,
        origin_message_id: int | None,
        now_ms: int,
        *,
        purpose: str | None = None,
        size: int | None = None,
    ) -> Opened:
        """Plan and store a new session and read its first question, in one transaction and one hand-off.

        A `Planner` runs on the database thread with the user's history; a picker message already used
        leaves everything as it is and returns the open session's current question instead. `level` may be
        a function of the plan, for sessions that mix levels; `size` is for a session that plans its questions
        as it goes (the adaptive interview).
        """

        def work(conn: sqlite3.Connection) -> Opened:
            if origin_message_id is not None and sessions.origin_used(conn, user_id, origin_message_id):
                return Opened(sessions.current(conn, user_id), already_started=True)
            chosen = plan(_last_seen(conn, user_id), disabled_ids(conn)) if callable(plan) else plan
            if not chosen:
                return Opened(None, already_started=False)
            slots = sessions.planned(chosen)
            session_level = level(slots) if callable(level) else level
            session_id = sessions.create(
                conn,
                user_id,
                mode,
                session_level,
                slots,
                now_ms,
                size=size,
                origin_message_id=origin_message_id,
                purpose=purpose,
            )
            assert session_id is not None
            return Opened(sessions.session_slot(conn, session_id, 0), already_started=False)

        return await self._db.run_write(work)

    async def create_session(
        self,
        user_id: int,
        mode: str,
        level: str,
        plan: Plan,
        origin_message_id: int | None,
        now_ms: int,
        purpose: str | None = None,
    ) -> int | None:
        """`start_session` for a plan made beforehand, when only the new session's id is wanted (None: the picker
        message already started one)."""
        opened = await self.start_session(user_id, mode, level, plan, origin_message_id, now_ms, purpose=purpose)
        if opened.already_started or opened.found is None:
            return None
        return opened.found[0].session_id

    async def record_answer(self, where: At | Current, attempt: Attempt | Decide, now_ms: int) -> Settled:
        """Record an answer or a self-grade, in every mode: the one answer path (bot/storage/answers.py).

        Locates the question, lets `attempt` (or the `Decide` that makes it, run on the database thread) say what
        to write, writes it once and reads what follows: one transaction in one hand-off.
        """
        decide: Decide = attempt if callable(attempt) else (lambda _s, _q, _r: attempt)

        def work(conn: sqlite3.Connection) -> Settled:
            if isinstance(where, Current):
                found = sessions.current(conn, where.user_id)
                position = -1 if found is None else found[0].position
            else:
                found = sessions.session_slot(conn, where.session_id, where.position)
                position = where.position
            return record(conn, position, found, decide, now_ms)

        return await self._db.run_write(work)

    async def current_slot(self, user_id: int) -> Found | None:
        """The user's open quiz or interview and the question it waits on, in one query."""
        row = await self._db.fetch_one(sessions.CURRENT, (user_id,))
        return None if row is None else sessions.split(row)

    async def session_slot(self, session_id: int, position: int) -> Found | None:
        """A session and one of its questions (None if it has no such position), in one query."""
        row = await self._db.fetch_one(sessions.SESSION_SLOT, (position, session_id))
        return None if row is None else sessions.split(row)

    async def set_marks(self, result_at: tuple[int, int] | None, message_at: tuple[int, int, int] | None) -> None:
        """In one transaction: a question's message shows its result; which chat message shows a question (so its
        buttons can be edited later)."""

        def work(conn: sqlite3.Connection) -> None:
            if result_at is not None:
                conn.execute(
                    "UPDATE session_questions SET result_shown = 1 WHERE session_id = ? AND position = ?", result_at
                )
            if message_at is not None:
                set_messages(conn, [message_at])

        await self._db.run_write(work)

    async def answer_at(self, session_id: int, position: int) -> AnswerRow | None:
        """The answer stored for one question of a session."""
        row = await self._db.fetch_one(ANSWER_AT, (session_id, position))
        return answer_row(row) if row else None

    async def answers(self, session_id: int) -> list[AnswerRow]:
        """Every answer of a session, in question order."""
        rows = await self._db.fetch_all(ANSWERS, (session_id,))
        return [answer_row(r) for r in rows]

    async def cancel(self, session_id: int, now_ms: int) -> bool:
        """Cancel an open session; False if it was not open."""
        changed = await self._db.execute(
            "UPDATE sessions SET status = 'cancelled', ended_at = ? WHERE session_id = ? AND status = 'open'",
            (now_ms, session_id),
        )
        return changed == 1

    async def totals(self) -> tuple[int, int, int]:
        """How many users, sessions and answers are stored."""
        async with self._db.read() as conn:
            counts = []
            for table in ("users", "sessions", "answers"):
                cur = await conn.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (table names are constants)
                row = await cur.fetchone()
                counts.append(int(row[0]) if row else 0)
        return counts[0], counts[1], counts[2]

    async def answers_since(self, user_id: int, since_ms: int) -> list[AnswerRow]:
        """The user's answers since a time, most recent first."""
        rows = await self._db.fetch_all(
            f"SELECT {ANSWER_COLS} FROM answers WHERE user_id = ? AND answered_at >= ? "  # noqa: S608
            "ORDER BY answered_at DESC, answer_id DESC",
            (user_id, since_ms),
        )
        return [answer_row(r) for r in rows]

    async def chat_of_session(self, session_id: int) -> int | None:
        """The chat of the user a session belongs to."""
        row = await self._db.fetch_one(
            "SELECT u.chat_id FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.session_id = ?",
            (session_id,),
        )
        return None if row is None else int(row[0])


def _last_seen(conn: sqlite3.Connection, user_id: int) -> dict[str, float]:
    return {str(r[0]): float(r[1]) for r in conn.execute(_LAST_SEEN, (user_id,))}


def upsert_user(conn: sqlite3.Connection, user_id: int, chat_id: int, first_name: str, now_ms: int) -> None:
    """Inside a transaction: create the user, or refresh their chat and name (no write when both are unchanged)."""
    conn.execute(
        "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET chat_id = excluded.chat_id, first_name = excluded.first_name "
        "WHERE chat_id IS NOT excluded.chat_id OR first_name IS NOT excluded.first_name",
        (user_id, chat_id, first_name, now_ms),
    )
