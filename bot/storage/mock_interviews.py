"""Repository for the adaptive mock interview's reads: deadlines, asked questions, answers and estimates.

Its writes go through the one answer path (`InterviewStore.record_answer`) and the one session start
(`InterviewStore.start_session`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.mock_interview import InterviewAnswer
from bot.storage.answers import INTERVIEW_ANSWER, interview_answer
from bot.storage.db import Database


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


class MockInterviewStore:
    """Reads and writes adaptive interviews in SQLite."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
        rows = await self._db.fetch_all(INTERVIEW_ANSWER + "WHERE a.session_id = ? ORDER BY a.position", (session_id,))
        return [interview_answer(r) for r in rows]

    async def answer(self, session_id: int, position: int) -> InterviewAnswer | None:
        """One closed question of an interview."""
        row = await self._db.fetch_one(
            INTERVIEW_ANSWER + "WHERE a.session_id = ? AND a.position = ?", (session_id, position)
        )
        return interview_answer(row) if row else None

    async def recent_questions(self, user_id: int, since_ms: int) -> set[str]:
        """Questions the user answered since a time."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT question_id FROM answers WHERE user_id = ? AND answered_at >= ?", (user_id, since_ms)
        )
        return {str(r[0]) for r in rows}

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
