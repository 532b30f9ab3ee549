"""The answer path: one transaction, in one hand-off, records an answer or a self-grade in every mode.

Quiz, review, daily and the adaptive interview all go through `record`: it locates the question, lets the
caller's `decide` (on the database thread, with the rows as this transaction sees them) say what to write,
writes it exactly once, and reads what follows.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.mock_interview import InterviewAnswer
from bot.storage.cards import PendingReview, apply_review
from bot.storage.reports import disabled_ids
from bot.storage.rows import AnswerRow, SessionRow, SlotRow
from bot.storage.sessions import Found, NextSlot, add_slot, session_slot

ANSWER_COLS = (
    "session_id, position, question_id, topic, kind, chosen, correct, answer_text, self_grade, answered_at, timed_out"
)
ANSWER_AT = f"SELECT {ANSWER_COLS} FROM answers WHERE session_id = ? AND position = ?"  # noqa: S608
ANSWERS = f"SELECT {ANSWER_COLS} FROM answers WHERE session_id = ? ORDER BY position"  # noqa: S608


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
    timed_out: bool = False
    over_time: bool = False


@dataclass(frozen=True)
class SavedEstimate:
    """The level estimate to store with a session."""

    level: str
    ability: float
    se: float


@dataclass(frozen=True)
class Attempt:
    """What to write for a located question: a new answer, or the self-grade of a typed one.

    `advance` moves the session to its next question (finishing it after the last, or now with `finish`);
    `next_slot` is that next question when the session adds them as it goes.
    """

    answer: NewAnswer | None = None
    grade: str | None = None
    advance: bool = False
    finish: bool = False
    next_slot: NextSlot | None = None
    review: PendingReview | None = None
    estimate: SavedEstimate | None = None
    follow: bool = False  # also read what comes next: the next question, or every answer for the score


class Reads:
    """What `decide` may read, on the database thread, inside the answer's own transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def interview_answers(self, session_id: int) -> list[InterviewAnswer]:
        """The closed questions of a session, in order."""
        rows = self._conn.execute(INTERVIEW_ANSWER + "WHERE a.session_id = ? ORDER BY a.position", (session_id,))
        return [interview_answer(r) for r in rows]

    def answered_since(self, user_id: int, since_ms: int) -> set[str]:
        """Questions the user answered since a time."""
        rows = self._conn.execute(
            "SELECT DISTINCT question_id FROM answers WHERE user_id = ? AND answered_at >= ?", (user_id, since_ms)
        )
        return {str(r[0]) for r in rows}

    def asked(self, session_id: int) -> list[str]:
        """The question ids a session asked so far, in order."""
        rows = self._conn.execute(
            "SELECT question_id FROM session_questions WHERE session_id = ? ORDER BY position", (session_id,)
        )
        return [str(r[0]) for r in rows]

    def disabled(self) -> frozenset[str]:
        """Every question an admin disabled."""
        return disabled_ids(self._conn)


# Runs on the database thread with the located session and question: the attempt, or None to write nothing.
Decide = Callable[[SessionRow, SlotRow | None, Reads], Attempt | None]


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


INTERVIEW_ANSWER = (
    "SELECT a.position, a.question_id, a.topic, a.kind, q.option_order, a.chosen, a.correct, a.answer_text, "
    "a.self_grade, COALESCE(a.time_taken_ms, 0), a.timed_out, a.over_time FROM answers a "
    "JOIN session_questions q ON q.session_id = a.session_id AND q.position = a.position "
)


def interview_answer(r: Sequence[Any]) -> InterviewAnswer:
    """An InterviewAnswer from an INTERVIEW_ANSWER row."""
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


def answer_row(row: Sequence[Any]) -> AnswerRow:
    """An AnswerRow from the ANSWER_COLS of a row."""
    correct = None if row[6] is None else bool(row[6])
    return AnswerRow(row[0], row[1], row[2], row[3], row[4], row[5], correct, row[7], row[8], row[9], bool(row[10]))


def answer_at(conn: sqlite3.Connection, session_id: int, position: int) -> AnswerRow | None:
    """The answer stored for one question of a session."""
    row = conn.execute(ANSWER_AT, (session_id, position)).fetchone()
    return None if row is None else answer_row(row)


_INSERT_ANSWER = (
    "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, chosen, "
    "correct, answer_text, self_grade, answered_at, time_taken_ms, timed_out, over_time) "
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? - asked_at, ?, ? FROM session_questions "
    "WHERE session_id = ? AND position = ? AND ? = 'open' AND ? = ? "
    "ON CONFLICT (session_id, position) DO NOTHING"
)
_CLOSE_SLOT = "UPDATE session_questions SET closed_at = ? WHERE session_id = ? AND position = ?"
_SET_GRADE = (
    "UPDATE answers SET self_grade = ? WHERE session_id = ? AND position = ? AND self_grade IS NULL "
    "AND kind = 'open' AND timed_out = 0"
)
_SAVE_ESTIMATE = "UPDATE sessions SET estimate_level = ?, estimate = ?, estimate_se = ? WHERE session_id = ?"


def record(conn: sqlite3.Connection, position: int, found: Found | None, decide: Decide, now_ms: int) -> Settled:
    """On the database thread, in a write transaction: what `decide` says for the question at `position`."""
    if found is None:
        return Settled(None, None)
    session, slot = found
    attempt = decide(session, slot, Reads(conn))
    if attempt is None:
        return Settled(session, slot)
    if attempt.grade is not None:
        recorded = _record_grade(conn, session, position, attempt, now_ms)
    else:
        assert attempt.answer is not None and attempt.answer.position == position
        recorded = _record_answer(conn, session, attempt.answer, attempt, now_ms)
    if recorded is Recorded.RECORDED:
        if attempt.review is not None:
            apply_review(conn, attempt.review)
        if attempt.estimate is not None:
            e = attempt.estimate
            conn.execute(_SAVE_ESTIMATE, (e.level, e.ability, e.se, session.session_id))
    stored = None if recorded is Recorded.RECORDED else answer_at(conn, session.session_id, position)
    next_slot, answers = None, None
    if attempt.follow and recorded is not Recorded.STALE:
        following = session_slot(conn, session.session_id, position + 1)
        next_slot = None if following is None else following[1]
        if next_slot is None:
            answers = tuple(answer_row(r) for r in conn.execute(ANSWERS, (session.session_id,)))
    return Settled(session, slot, attempt, recorded, stored, next_slot, answers)


def _record_answer(
    conn: sqlite3.Connection, session: SessionRow, answer: NewAnswer, attempt: Attempt, now_ms: int
) -> Recorded:
    """Store an answer to the session's current question (the session as read in this transaction), once."""
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
            int(answer.timed_out),
            int(answer.over_time),
            answer.session_id,
            answer.position,
            session.status,
            session.position,
            answer.position,
        ),
    )
    if cur.rowcount != 1:
        found = conn.execute(
            "SELECT 1 FROM answers WHERE session_id = ? AND position = ?", (session.session_id, answer.position)
        )
        return Recorded.DUPLICATE if found.fetchone() else Recorded.STALE
    conn.execute(_CLOSE_SLOT, (now_ms, answer.session_id, answer.position))
    if attempt.advance:
        _advance(conn, session, answer.position, attempt, now_ms)
    return Recorded.RECORDED


def _record_grade(
    conn: sqlite3.Connection, session: SessionRow, position: int, attempt: Attempt, now_ms: int
) -> Recorded:
    """Store the self-grade of a typed answer once; with `advance`, only while the session waits on it."""
    session_id = session.session_id
    current = session.status == "open" and session.position == position
    if (current or not attempt.advance) and conn.execute(
        _SET_GRADE, (attempt.grade, session_id, position)
    ).rowcount == 1:
        if attempt.advance:
            _advance(conn, session, position, attempt, now_ms)
        return Recorded.RECORDED
    row = conn.execute(
        "SELECT self_grade FROM answers WHERE session_id = ? AND position = ?", (session_id, position)
    ).fetchone()
    return Recorded.DUPLICATE if row and row[0] is not None else Recorded.STALE


def _advance(conn: sqlite3.Connection, session: SessionRow, position: int, attempt: Attempt, now_ms: int) -> None:
    session_id = session.session_id
    if attempt.finish or position + 1 >= session.size:
        conn.execute(
            "UPDATE sessions SET position = ?, status = 'finished', ended_at = ? WHERE session_id = ?",
            (position + 1, now_ms, session_id),
        )
        return
    conn.execute("UPDATE sessions SET position = ? WHERE session_id = ?", (position + 1, session_id))
    if attempt.next_slot is not None:
        add_slot(conn, session_id, position + 1, attempt.next_slot, now_ms)
    else:
        conn.execute(
            "UPDATE session_questions SET asked_at = ? WHERE session_id = ? AND position = ?",
            (now_ms, session_id, position + 1),
        )
