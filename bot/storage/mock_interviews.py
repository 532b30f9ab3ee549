"""Repository for the adaptive mock interview: questions added as it goes, deadlines, closings, estimates."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import aiosqlite

from bot.domain.mock_interview import InterviewAnswer
from bot.storage.cards import PendingReview, store_review
from bot.storage.db import Database
from bot.storage.interviews import open_new_session


class Closed(enum.Enum):
    """What happened to an attempt to close a question (an answer or a timeout)."""

    CLOSED = "closed"
    ALREADY = "already"
    STALE = "stale"


@dataclass(frozen=True)
class NextSlot:
    """The question to add after the one being closed, with its deadline."""

    question_id: str
    order: tuple[int, ...]
    deadline_ms: int


@dataclass(frozen=True)
class Closing:
    """An answer (or a timeout) that closes the session's current question."""

    session_id: int
    position: int
    user_id: int
    question_id: str
    topic: str
    kind: str
    chosen: int | None = None
    correct: bool | None = None
    answer_text: str | None = None
    timed_out: bool = False
    over_time: bool = False


@dataclass(frozen=True)
class OpenDeadline:
    """A question still waiting for an answer, with its deadline and where to tell the user."""

    session_id: int
    position: int
    user_id: int
    chat_id: int
    deadline_ms: int


@dataclass(frozen=True)
class PastEstimate:
    """The estimate stored with a finished interview."""

    session_id: int
    level: str
    ability: float
    se: float
    ended_at: int


_INTERVIEW_ANSWER = (
    "SELECT a.position, a.question_id, a.topic, a.kind, q.option_order, a.chosen, a.correct, a.answer_text, "
    "a.self_grade, COALESCE(a.time_taken_ms, 0), a.timed_out, a.over_time FROM answers a "
    "JOIN session_questions q ON q.session_id = a.session_id AND q.position = a.position "
)


def _interview_answer(r: aiosqlite.Row) -> InterviewAnswer:
    return InterviewAnswer(
        int(r[0]),
        str(r[1]),
        str(r[2]),
        str(r[3]),
        tuple(int(x) for x in str(r[4]).split(",") if x),
        r[5],
        None if r[6] is None else bool(r[6]),
        r[7],
        r[8],
        int(r[9]),
        bool(r[10]),
        bool(r[11]),
    )


class MockInterviewStore:
    """Reads and writes adaptive interviews in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        user_id: int,
        level: str,
        size: int,
        first: NextSlot,
        origin_message_id: int | None,
        now_ms: int,
    ) -> int | None:
        """Cancel the open session and store a new interview with its first question; None if the origin was used."""
        async with self._db.write() as conn:
            session_id = await open_new_session(conn, user_id, "interview", level, size, origin_message_id, now_ms)
            if session_id is not None:
                await _add_slot(conn, session_id, 0, first, now_ms)
            return session_id

    async def close(
        self, closing: Closing, now_ms: int, following: NextSlot | None, review: PendingReview | None = None
    ) -> Closed:
        """Close the current question once: record the answer, then add the next question or finish."""
        async with self._db.write() as conn:
            # The conditional UPDATE is the claim: whoever flips closed_at first (a tap, a typed answer, the
            # deadline job, the restart sweep) closes the question; everyone after finds it closed.
            cur = await conn.execute(
                "UPDATE session_questions SET closed_at = ? WHERE session_id = ? AND position = ? "
                "AND closed_at IS NULL AND EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = ? "
                "AND s.status = 'open' AND s.position = ?)",
                (now_ms, closing.session_id, closing.position, closing.session_id, closing.position),
            )
            if cur.rowcount != 1:
                found = await conn.execute_fetchall(
                    "SELECT closed_at FROM session_questions WHERE session_id = ? AND position = ?",
                    (closing.session_id, closing.position),
                )
                rows = list(found)
                return Closed.ALREADY if rows and rows[0][0] is not None else Closed.STALE
            await conn.execute(
                "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, chosen, "
                "correct, answer_text, answered_at, time_taken_ms, timed_out, over_time) "
                "SELECT ?, ?, ?, ?, s.mode, s.level, ?, ?, ?, ?, ?, ?, ? - q.asked_at, ?, ? "
                "FROM sessions s JOIN session_questions q ON q.session_id = s.session_id AND q.position = ? "
                "WHERE s.session_id = ?",
                (
                    closing.session_id,
                    closing.position,
                    closing.user_id,
                    closing.question_id,
                    closing.topic,
                    closing.kind,
                    closing.chosen,
                    None if closing.correct is None else int(closing.correct),
                    closing.answer_text,
                    now_ms,
                    now_ms,
                    int(closing.timed_out),
                    int(closing.over_time),
                    closing.position,
                    closing.session_id,
                ),
            )
            if following is None:
                await conn.execute(
                    "UPDATE sessions SET position = position + 1, status = 'finished', ended_at = ? "
                    "WHERE session_id = ?",
                    (now_ms, closing.session_id),
                )
            else:
                await _add_slot(conn, closing.session_id, closing.position + 1, following, now_ms)
                await conn.execute(
                    "UPDATE sessions SET position = position + 1 WHERE session_id = ?", (closing.session_id,)
                )
            if review is not None:
                await store_review(conn, review)
            return Closed.CLOSED

    async def deadline_of(self, session_id: int, position: int) -> int | None:
        """The deadline of one question (epoch ms), if it has one."""
        row = await self._db.fetch_one(
            "SELECT deadline_at FROM session_questions WHERE session_id = ? AND position = ?", (session_id, position)
        )
        return None if row is None or row[0] is None else int(row[0])

    async def open_deadlines(self) -> list[OpenDeadline]:
        """Every question of an open interview still waiting for an answer."""
        rows = await self._db.fetch_all(
            "SELECT q.session_id, q.position, s.user_id, u.chat_id, q.deadline_at FROM session_questions q "
            "JOIN sessions s ON s.session_id = q.session_id JOIN users u ON u.user_id = s.user_id "
            "WHERE q.deadline_at IS NOT NULL AND q.closed_at IS NULL AND s.status = 'open' "
            "ORDER BY q.deadline_at"
        )
        return [OpenDeadline(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    async def asked(self, session_id: int) -> list[str]:
        """The question ids an interview asked so far, in order."""
        rows = await self._db.fetch_all(
            "SELECT question_id FROM session_questions WHERE session_id = ? ORDER BY position", (session_id,)
        )
        return [str(r[0]) for r in rows]

    async def answers(self, session_id: int) -> list[InterviewAnswer]:
        """The closed questions of an interview, in order."""
        rows = await self._db.fetch_all(_INTERVIEW_ANSWER + "WHERE a.session_id = ? ORDER BY a.position", (session_id,))
        return [_interview_answer(r) for r in rows]

    async def answer(self, session_id: int, position: int) -> InterviewAnswer | None:
        """One closed question of an interview."""
        row = await self._db.fetch_one(
            _INTERVIEW_ANSWER + "WHERE a.session_id = ? AND a.position = ?", (session_id, position)
        )
        return _interview_answer(row) if row else None

    async def recent_questions(self, user_id: int, since_ms: int) -> set[str]:
        """Questions the user answered since a time."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT question_id FROM answers WHERE user_id = ? AND answered_at >= ?", (user_id, since_ms)
        )
        return {str(r[0]) for r in rows}

    async def grade(
        self, user_id: int, session_id: int, position: int, grade: str, review: PendingReview | None = None
    ) -> bool:
        """Store the self-grade of an open answer of a finished interview once; False if not possible."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE answers SET self_grade = ? WHERE session_id = ? AND position = ? AND user_id = ? "
                "AND kind = 'open' AND self_grade IS NULL AND timed_out = 0",
                (grade, session_id, position, user_id),
            )
            if cur.rowcount != 1:
                return False
            if review is not None:
                await store_review(conn, review)
            return True

    async def save_estimate(self, session_id: int, level: str, ability: float, se: float) -> None:
        """Store the interview's estimate (again, after a self-grade changes it)."""
        await self._db.execute(
            "UPDATE sessions SET estimate_level = ?, estimate = ?, estimate_se = ? WHERE session_id = ?",
            (level, ability, se, session_id),
        )

    async def previous_estimate(self, user_id: int, session_id: int) -> PastEstimate | None:
        """The estimate of the user's last finished interview before this one."""
        row = await self._db.fetch_one(
            "SELECT session_id, estimate_level, estimate, estimate_se, ended_at FROM sessions "
            "WHERE user_id = ? AND mode = 'interview' AND status = 'finished' AND estimate IS NOT NULL "
            "AND session_id < ? ORDER BY session_id DESC LIMIT 1",
            (user_id, session_id),
        )
        if row is None:
            return None
        return PastEstimate(int(row[0]), str(row[1]), float(row[2]), float(row[3]), int(row[4]))

    async def set_report_message(self, session_id: int, message_id: int) -> None:
        """Remember the report message, so a later self-grade can update it."""
        await self._db.execute(
            "UPDATE sessions SET report_message_id = ? WHERE session_id = ?", (message_id, session_id)
        )

    async def report_message(self, session_id: int) -> int | None:
        """The report message of an interview, if sent."""
        row = await self._db.fetch_one("SELECT report_message_id FROM sessions WHERE session_id = ?", (session_id,))
        return None if row is None or row[0] is None else int(row[0])


async def _add_slot(conn: aiosqlite.Connection, session_id: int, position: int, slot: NextSlot, now_ms: int) -> None:
    await conn.execute(
        "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at, deadline_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (session_id, position, slot.question_id, ",".join(map(str, slot.order)), now_ms, slot.deadline_ms),
    )
