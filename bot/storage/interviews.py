"""Repository for users, sessions, their questions and answers: every SQL statement of the interview."""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.cards import PendingReview, apply_review
from bot.storage.db import Database
from bot.storage.reports import disabled_ids
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


Plan = Sequence[tuple[str, tuple[int, ...]]]
# Given when the user last answered each question and the disabled questions: the new session's questions.
Planner = Callable[[dict[str, float], frozenset[str]], Plan]


@dataclass(frozen=True)
class Attempt:
    """What to write for a located question: a new answer, or the self-grade of a typed one."""

    answer: NewAnswer | None = None
    grade: str | None = None
    advance: bool = False
    review: PendingReview | None = None
    follow: bool = False  # also read what comes next: the next question, or every answer for the score


# Runs on the database thread with the located session and question: the attempt, or None to write nothing.
Decide = Callable[[SessionRow, SlotRow | None], Attempt | None]


@dataclass(frozen=True)
class Settled:
    """What one answer transaction found and did."""

    session: SessionRow | None
    slot: SlotRow | None
    attempt: Attempt | None = None
    recorded: Recorded | None = None
    stored: AnswerRow | None = None  # the answer already stored, when this one was not recorded
    next_slot: SlotRow | None = None
    answers: tuple[AnswerRow, ...] | None = None  # every answer, when the question was the last


@dataclass(frozen=True)
class Opened:
    """The question a start leaves the user on: the new session's first, or the open one's if the picker was used."""

    found: tuple[SessionRow, SlotRow | None] | None
    already_started: bool


def _session(row: Sequence[Any]) -> SessionRow:
    return SessionRow(*row)


def _slot(row: Sequence[Any]) -> SlotRow:
    order = tuple(int(x) for x in row[3].split(",") if x)
    return SlotRow(row[0], row[1], row[2], order, row[4], row[5], bool(row[6]))


def _answer(row: Sequence[Any]) -> AnswerRow:
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
        return await self._db.run_write(
            lambda conn: _create(conn, user_id, mode, level, plan, origin_message_id, now_ms, purpose)
        )

    async def start_session(
        self,
        user_id: int,
        mode: str,
        level: str | Callable[[Plan], str],
        plan: Plan | Planner,
        origin_message_id: int | None,
        now_ms: int,
        purpose: str | None = None,
    ) -> Opened:
        """Plan and store a new session and read its first question, in one transaction and one hand-off.

        A `Planner` runs on the database thread with the user's history; a picker message already used
        leaves everything as it is and returns the open session's current question instead. `level` may be
        a function of the plan, for sessions that mix levels.
        """

        def work(conn: sqlite3.Connection) -> Opened:
            if origin_message_id is not None and _origin_used(conn, user_id, origin_message_id):
                return Opened(_current(conn, user_id), already_started=True)
            chosen = plan(_last_seen(conn, user_id), disabled_ids(conn)) if callable(plan) else plan
            if not chosen:
                return Opened(None, already_started=False)
            session_level = level(chosen) if callable(level) else level
            session_id = _create(
                conn, user_id, mode, session_level, chosen, origin_message_id, now_ms, purpose, origin_checked=True
            )
            assert session_id is not None
            return Opened(_session_slot(conn, session_id, 0), already_started=False)

        return await self._db.run_write(work)

    async def settle(self, session_id: int, position: int, decide: Decide, now_ms: int) -> Settled:
        """Locate a question, let `decide` say what to write, write it and read what follows: one transaction."""
        return await self._db.run_write(
            lambda conn: _settle(conn, position, _session_slot(conn, session_id, position), decide, now_ms)
        )

    async def settle_current(self, user_id: int, decide: Decide, now_ms: int) -> Settled:
        """`settle` for the question the user's open quiz or interview waits on."""

        def work(conn: sqlite3.Connection) -> Settled:
            found = _current(conn, user_id)
            if found is None:
                return Settled(None, None)
            return _settle(conn, found[0].position, found, decide, now_ms)

        return await self._db.run_write(work)

    async def current_slot(self, user_id: int) -> tuple[SessionRow, SlotRow | None] | None:
        """The user's open quiz or interview and the question it waits on, in one query."""
        row = await self._db.fetch_one(_CURRENT, (user_id,))
        return None if row is None else _split(row)

    async def session_slot(self, session_id: int, position: int) -> tuple[SessionRow, SlotRow | None] | None:
        """A session and one of its questions (None if it has no such position), in one query."""
        row = await self._db.fetch_one(_SESSION_SLOT, (position, session_id))
        return None if row is None else _split(row)

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

        def work(conn: sqlite3.Connection) -> Recorded:
            session = _session_by_id(conn, answer.session_id)
            if session is None:
                return Recorded.STALE
            return _record_answer(conn, session, answer, now_ms, advance, review)

        return await self._db.run_write(work)

    async def record_grade(
        self, session_id: int, position: int, grade: str, now_ms: int, review: PendingReview | None = None
    ) -> Recorded:
        """Store the self-grade of a typed answer once, advance the session and review its card if asked."""

        def work(conn: sqlite3.Connection) -> Recorded:
            session = _session_by_id(conn, session_id)
            if session is None:
                return Recorded.STALE
            return _record_grade(conn, session, position, grade, now_ms, review)

        return await self._db.run_write(work)

    async def answer_at(self, session_id: int, position: int) -> AnswerRow | None:
        """The answer stored for one question of a session."""
        row = await self._db.fetch_one(_ANSWER_AT, (session_id, position))
        return _answer(row) if row else None

    async def answers(self, session_id: int) -> list[AnswerRow]:
        """Every answer of a session, in question order."""
        rows = await self._db.fetch_all(_ANSWERS, (session_id,))
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

    async def chat_of_session(self, session_id: int) -> int | None:
        """The chat of the user a session belongs to."""
        row = await self._db.fetch_one(
            "SELECT u.chat_id FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE s.session_id = ?",
            (session_id,),
        )
        return None if row is None else int(row[0])


_LAST_SEEN = "SELECT question_id, MAX(answered_at) FROM answers WHERE user_id = ? GROUP BY question_id"
_SESSION_SLOT = (
    f"SELECT {_SESSION_SLOT_COLS} FROM sessions s LEFT JOIN session_questions q "  # noqa: S608
    "ON q.session_id = s.session_id AND q.position = ? WHERE s.session_id = ?"
)
_CURRENT = (
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
_INSERT_ANSWER = (
    "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, chosen, "
    "correct, answer_text, self_grade, answered_at, time_taken_ms) "
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? - asked_at FROM session_questions "
    "WHERE session_id = ? AND position = ? AND ? = 'open' AND ? = ? "
    "ON CONFLICT (session_id, position) DO NOTHING"
)
_SET_GRADE = (
    "UPDATE answers SET self_grade = ? WHERE session_id = ? AND position = ? AND self_grade IS NULL "
    "AND EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = ? AND s.status = 'open' AND s.position = ?)"
)
_ANSWER_AT = f"SELECT {_ANSWER_COLS} FROM answers WHERE session_id = ? AND position = ?"  # noqa: S608
_ANSWERS = f"SELECT {_ANSWER_COLS} FROM answers WHERE session_id = ? ORDER BY position"  # noqa: S608


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
        cur = await conn.execute(_ORIGIN_USED, (user_id, origin_message_id))
        if await cur.fetchone():
            return None
    if mode != "daily":
        await conn.execute(_CANCEL_OPEN, (now_ms, user_id))
    await conn.execute(_SET_LEVEL, (level, user_id))
    cur = await conn.execute(_INSERT_SESSION, (user_id, mode, level, size, origin_message_id, now_ms, purpose))
    assert cur.lastrowid is not None
    return cur.lastrowid


def open_daily_sessions(
    conn: sqlite3.Connection, plans: Sequence[tuple[int, str, str, tuple[int, ...]]], now_ms: int
) -> dict[int, int]:
    """On the database thread, in a write transaction: a one-question daily session per (user, level, question,
    option order), a user at most once; their ids by user. The user's level becomes the session's, as
    `open_new_session` does."""
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


def _origin_used(conn: sqlite3.Connection, user_id: int, origin_message_id: int) -> bool:
    return conn.execute(_ORIGIN_USED, (user_id, origin_message_id)).fetchone() is not None


def _create(
    conn: sqlite3.Connection,
    user_id: int,
    mode: str,
    level: str,
    plan: Plan,
    origin_message_id: int | None,
    now_ms: int,
    purpose: str | None,
    origin_checked: bool = False,
) -> int | None:
    """`open_new_session` plus the planned questions, on the database thread; None if the origin was used."""
    if origin_message_id is not None and not origin_checked and _origin_used(conn, user_id, origin_message_id):
        return None
    if mode != "daily":
        conn.execute(_CANCEL_OPEN, (now_ms, user_id))
    conn.execute(_SET_LEVEL, (level, user_id))
    cur = conn.execute(_INSERT_SESSION, (user_id, mode, level, len(plan), origin_message_id, now_ms, purpose))
    session_id = cur.lastrowid
    assert session_id is not None
    conn.executemany(
        "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (session_id, i, qid, ",".join(map(str, order)), now_ms if i == 0 else None)
            for i, (qid, order) in enumerate(plan)
        ],
    )
    return session_id


def _split(row: Sequence[Any]) -> tuple[SessionRow, SlotRow | None]:
    values = tuple(row)
    width = len(_SESSION_COLS.split(", "))
    return _session(values[:width]), _slot(values[width:]) if values[width] is not None else None


def _session_slot(conn: sqlite3.Connection, session_id: int, position: int) -> tuple[SessionRow, SlotRow | None] | None:
    row = conn.execute(_SESSION_SLOT, (position, session_id)).fetchone()
    return None if row is None else _split(row)


def _current(conn: sqlite3.Connection, user_id: int) -> tuple[SessionRow, SlotRow | None] | None:
    row = conn.execute(_CURRENT, (user_id,)).fetchone()
    return None if row is None else _split(row)


def _session_by_id(conn: sqlite3.Connection, session_id: int) -> SessionRow | None:
    row = conn.execute(f"SELECT {_SESSION_COLS} FROM sessions WHERE session_id = ?", (session_id,)).fetchone()  # noqa: S608
    return None if row is None else _session(row)


def _last_seen(conn: sqlite3.Connection, user_id: int) -> dict[str, float]:
    return {str(r[0]): float(r[1]) for r in conn.execute(_LAST_SEEN, (user_id,))}


def _answer_at(conn: sqlite3.Connection, session_id: int, position: int) -> AnswerRow | None:
    row = conn.execute(_ANSWER_AT, (session_id, position)).fetchone()
    return None if row is None else _answer(row)


def _settle(
    conn: sqlite3.Connection,
    position: int,
    found: tuple[SessionRow, SlotRow | None] | None,
    decide: Decide,
    now_ms: int,
) -> Settled:
    if found is None:
        return Settled(None, None)
    session, slot = found
    attempt = decide(session, slot)
    if attempt is None:
        return Settled(session, slot)
    if attempt.grade is not None:
        recorded = _record_grade(conn, session, position, attempt.grade, now_ms, attempt.review)
    else:
        assert attempt.answer is not None and attempt.answer.position == position
        recorded = _record_answer(conn, session, attempt.answer, now_ms, attempt.advance, attempt.review)
    stored = None if recorded is Recorded.RECORDED else _answer_at(conn, session.session_id, position)
    next_slot, answers = None, None
    if attempt.follow and recorded is not Recorded.STALE:
        if position + 1 < session.size:
            following = _session_slot(conn, session.session_id, position + 1)
            next_slot = None if following is None else following[1]
        else:
            answers = tuple(_answer(r) for r in conn.execute(_ANSWERS, (session.session_id,)))
    return Settled(session, slot, attempt, recorded, stored, next_slot, answers)


def _record_answer(
    conn: sqlite3.Connection,
    session: SessionRow,
    answer: NewAnswer,
    now_ms: int,
    advance: bool,
    review: PendingReview | None,
) -> Recorded:
    """Store an answer to the session's current question (the session as read in this transaction)."""
    cur = conn.execute(
        _INSERT_ANSWER,
        (
            answer.session_id,
            answer.position,
            answer.user_id,
            answer.question_id,
            session.mode,
            session.level,
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
            session.status,
            session.position,
            answer.position,
        ),
    )
    if cur.rowcount != 1:
        return _why_not(conn, answer.session_id, answer.position)
    if advance:
        _advance(conn, answer.session_id, session.position, session.size, now_ms)
    if review is not None:
        apply_review(conn, review)
    return Recorded.RECORDED


def _record_grade(
    conn: sqlite3.Connection,
    session: SessionRow,
    position: int,
    grade: str,
    now_ms: int,
    review: PendingReview | None,
) -> Recorded:
    """Store the self-grade of a typed answer once, advance the session and review its card."""
    session_id = session.session_id
    cur = conn.execute(_SET_GRADE, (grade, session_id, position, session_id, position))
    if cur.rowcount != 1:
        row = conn.execute(
            "SELECT self_grade FROM answers WHERE session_id = ? AND position = ?", (session_id, position)
        ).fetchone()
        return Recorded.DUPLICATE if row and row[0] is not None else Recorded.STALE
    _advance(conn, session_id, position, session.size, now_ms)
    if review is not None:
        apply_review(conn, review)
    return Recorded.RECORDED


def _why_not(conn: sqlite3.Connection, session_id: int, position: int) -> Recorded:
    found = conn.execute("SELECT 1 FROM answers WHERE session_id = ? AND position = ?", (session_id, position))
    return Recorded.DUPLICATE if found.fetchone() else Recorded.STALE


def _advance(conn: sqlite3.Connection, session_id: int, position: int, size: int, now_ms: int) -> None:
    if position + 1 >= size:
        conn.execute(
            "UPDATE sessions SET position = ?, status = 'finished', ended_at = ? WHERE session_id = ?",
            (position + 1, now_ms, session_id),
        )
        return
    conn.execute("UPDATE sessions SET position = ? WHERE session_id = ?", (position + 1, session_id))
    conn.execute(
        "UPDATE session_questions SET asked_at = ? WHERE session_id = ? AND position = ?",
        (now_ms, session_id, position + 1),
    )
