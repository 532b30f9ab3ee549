"""Repository for progress and personal data: stats, history, export, reset and deletion."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.domain.grading import right_grades
from bot.domain.progress import BUCKET_MS, QuestionStat
from bot.storage.db import Database

# `r` in the queries below is right (1), wrong (0) or ungraded (NULL), as domain.progress.verdict says: the
# grades that make a typed answer right come from the grading table, as parameters (RIGHT_GRADES).
RIGHT_GRADES = right_grades()
_RIGHT = (
    "CASE WHEN kind = 'mcq' THEN correct WHEN self_grade IS NULL THEN NULL "
    f"ELSE self_grade IN ({', '.join('?' for _ in RIGHT_GRADES)}) END"
)


@dataclass(frozen=True)
class Profile:
    """The settings of a user that progress needs."""

    timezone: str | None
    level: str | None


@dataclass(frozen=True)
class HistoryRow:
    """One past session with its score."""

    session_id: int
    mode: str
    level: str
    status: str
    size: int
    started_at: int
    ended_at: int | None
    answered: int
    right: int
    last_answer_at: int | None
    estimate_level: str | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class ReviewRow:
    """One answered question of a session, as the user answered it."""

    position: int
    question_id: str
    kind: str
    chosen: int | None
    correct: bool | None
    answer_text: str | None
    self_grade: str | None


@dataclass(frozen=True)
class ExportAnswer:
    """One stored answer with everything the export shows."""

    question_id: str
    topic: str
    level: str
    mode: str
    kind: str
    chosen: int | None
    correct: bool | None
    answer_text: str | None
    self_grade: str | None
    answered_at: int


def _bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _tables_with(conn: sqlite3.Connection, column: str) -> list[str]:
    cur = conn.execute(
        "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND c.name = ? ORDER BY m.name",
        (column,),
    )
    return [str(r[0]) for r in cur.fetchall()]


class ProgressStore:
    """Reads a user's progress and erases it on request."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def profile(self, user_id: int) -> Profile | None:
        """The user's zone and last level, or None for an unknown user."""
        async with self._db.read() as conn:
            cur = await conn.execute("SELECT timezone, level FROM users WHERE user_id = ?", (user_id,))
            row = await cur.fetchone()
        return Profile(row[0], row[1]) if row else None

    async def question_stats(self, user_id: int) -> list[QuestionStat]:
        """Per answered question: counts, and whether the latest answer was right (one index-ordered pass)."""
        # With exactly one max() aggregate, SQLite takes the bare column from the row holding the maximum.
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT question_id, level, topic, COUNT(*), TOTAL(r), COUNT(r), MAX(answered_at), r FROM "  # noqa: S608 (placeholders only)
                "(SELECT question_id, level, topic, answered_at, "
                f"{_RIGHT} AS r FROM answers WHERE user_id = ? "
                # Votes in group quiz polls count as MCQ answers.
                "UNION ALL SELECT question_id, level, topic, answered_at, correct FROM poll_votes WHERE user_id = ?) "
                "GROUP BY question_id",
                (*RIGHT_GRADES, user_id, user_id),
            )
            rows = await cur.fetchall()
        return [
            QuestionStat(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), int(r[5]), _bool(r[7])) for r in rows
        ]

    async def day_buckets(self, user_id: int) -> list[int]:
        """The distinct 15-minute UTC buckets in which the user answered."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT answered_at / ? FROM answers WHERE user_id = ? "
                "UNION SELECT answered_at / ? FROM poll_votes WHERE user_id = ?",
                (BUCKET_MS, user_id, BUCKET_MS, user_id),
            )
            rows = await cur.fetchall()
        return [int(r[0]) for r in rows]

    async def bucket_counts(self, user_id: int, since_ms: int) -> list[tuple[int, int]]:
        """Answers (poll votes included) per 15-minute UTC bucket since `since_ms`, for the per-day chart."""
        rows = await self._db.fetch_all(
            "SELECT b, COUNT(*) FROM (SELECT answered_at / ? AS b FROM answers WHERE user_id = ? AND answered_at >= ? "
            "UNION ALL SELECT answered_at / ? FROM poll_votes WHERE user_id = ? AND answered_at >= ?) GROUP BY b",
            (BUCKET_MS, user_id, since_ms, BUCKET_MS, user_id, since_ms),
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def cards(self, user_id: int) -> dict[str, str]:
        """The user's FSRS cards as stored JSON, by question id."""
        rows = await self._db.fetch_all("SELECT question_id, card FROM cards WHERE user_id = ?", (user_id,))
        return {str(r[0]): str(r[1]) for r in rows}

    async def due_count(self, user_id: int, now_ms: int) -> int:
        """How many of the user's cards are due at now_ms."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM cards WHERE user_id = ? AND due_at <= ?", (user_id, now_ms)
        )
        return int(row[0]) if row else 0

    async def history(self, user_id: int, limit: int) -> list[HistoryRow]:
        """The user's latest sessions with at least one answer, newest first."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "WITH recent AS (SELECT session_id, mode, level, status, size, started_at, ended_at, estimate_level, "  # noqa: S608 (placeholders only)
                "purpose FROM sessions s "
                "WHERE s.user_id = ? AND EXISTS (SELECT 1 FROM answers a WHERE a.session_id = s.session_id) "
                "ORDER BY s.started_at DESC, s.session_id DESC LIMIT ?) "
                "SELECT r.session_id, r.mode, r.level, r.status, r.size, r.started_at, r.ended_at, COUNT(*), "
                "TOTAL(a.r), MAX(a.answered_at), r.estimate_level, r.purpose FROM recent r JOIN "
                "(SELECT session_id, answered_at, "
                f"{_RIGHT} AS r FROM answers WHERE user_id = ?) a "
                "ON a.session_id = r.session_id "
                "GROUP BY r.session_id ORDER BY r.started_at DESC, r.session_id DESC",
                (user_id, limit, *RIGHT_GRADES, user_id),
            )
            rows = await cur.fetchall()
        return [
            HistoryRow(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                int(r[4]),
                int(r[5]),
                r[6],
                int(r[7]),
                int(r[8]),
                r[9],
                r[10],
                r[11],
            )
            for r in rows
        ]

    async def session_started(self, user_id: int, session_id: int) -> tuple[str, str, int] | None:
        """Mode, level and start (epoch ms) of one of the user's sessions; None if it is not theirs."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT mode, level, started_at FROM sessions WHERE session_id = ? AND user_id = ?",
                (session_id, user_id),
            )
            row = await cur.fetchone()
        return (str(row[0]), str(row[1]), int(row[2])) if row else None

    async def session_answers(self, user_id: int, session_id: int) -> list[ReviewRow]:
        """The answers of one of the user's sessions, in question order; empty if the session is not theirs."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT position, question_id, kind, chosen, correct, answer_text, self_grade FROM answers "
                "WHERE session_id = ? AND user_id = ? ORDER BY position",
                (session_id, user_id),
            )
            rows = await cur.fetchall()
        return [ReviewRow(int(r[0]), str(r[1]), str(r[2]), r[3], _bool(r[4]), r[5], r[6]) for r in rows]

    async def export(self, user_id: int) -> list[ExportAnswer]:
        """Every answer of the user, oldest first."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT question_id, topic, level, mode, kind, chosen, correct, answer_text, self_grade, answered_at "
                "FROM answers WHERE user_id = ? ORDER BY answered_at, answer_id",
                (user_id,),
            )
            rows = await cur.fetchall()
        return [
            ExportAnswer(
                str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], _bool(r[6]), r[7], r[8], int(r[9])
            )
            for r in rows
        ]

    async def reset(self, user_id: int) -> int:
        """Erase answers, sessions and cards, keeping the user row and its settings; return answers erased."""

        def work(conn: sqlite3.Connection) -> int:
            erased = conn.execute("DELETE FROM answers WHERE user_id = ?", (user_id,)).rowcount
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))  # cascades to its questions
            conn.execute("DELETE FROM cards WHERE user_id = ?", (user_id,))
            return erased

        return await self._db.run_write(work)

    async def delete_user(self, user_id: int) -> bool:
        """Erase every row about the user in one transaction; False if nothing was stored."""

        def work(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT chat_id FROM users WHERE user_id = ?", (user_id,)).fetchone()
            chat_id = int(row[0]) if row else user_id
            # Cascades cover the tables that declare them; this sweep covers any that do not.
            for column, value in (("user_id", user_id), ("chat_id", chat_id)):
                for table in _tables_with(conn, column):
                    if table != "users":
                        conn.execute(f"DELETE FROM {_quote(table)} WHERE {_quote(column)} = ?", (value,))  # noqa: S608
            conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
            return row is not None

        return await self._db.run_write(work)
