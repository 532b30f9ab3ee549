"""Repository for reports of questions and the disabled-question list."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.storage.db import Database

_DISABLED = "SELECT question_id FROM disabled_questions"


def disabled_ids(conn: sqlite3.Connection) -> frozenset[str]:
    """Every disabled question id, inside a transaction run on the database thread (`Database.run_write`)."""
    return frozenset(str(r[0]) for r in conn.execute(_DISABLED))


@dataclass(frozen=True)
class ReportRow:
    """One open report."""

    report_id: int
    question_id: str
    user_id: int
    session_id: int | None
    reason: str
    comment: str | None
    content_hash: str
    created_at: int


_REPORT_COLS = "report_id, question_id, user_id, session_id, reason, comment, content_hash, created_at"


class ReportStore:
    """Reads and writes `reports`, `report_notices` and `disabled_questions`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def question_at(self, session_id: int, position: int) -> tuple[int, str] | None:
        """The owner of a session and the question at one of its positions."""
        row = await self._db.fetch_one(
            "SELECT s.user_id, q.question_id FROM session_questions q JOIN sessions s ON s.session_id = q.session_id "
            "WHERE q.session_id = ? AND q.position = ?",
            (session_id, position),
        )
        return (int(row[0]), str(row[1])) if row else None

    async def upsert(
        self,
        user_id: int,
        question_id: str,
        session_id: int,
        reason: str,
        content_hash: str,
        now_ms: int,
        comment_until: int,
        day: str,
    ) -> bool:
        """Store a report (replacing the user's earlier one); True if it is the question's first today."""

        def work(conn: sqlite3.Connection) -> bool:
            conn.execute(
                "INSERT INTO reports (user_id, question_id, session_id, reason, content_hash, status, created_at, "
                "comment_until) VALUES (?, ?, ?, ?, ?, 'open', ?, ?) "
                "ON CONFLICT (user_id, question_id) DO UPDATE SET session_id = excluded.session_id, "
                "reason = excluded.reason, comment = NULL, content_hash = excluded.content_hash, status = 'open', "
                "created_at = excluded.created_at, comment_until = excluded.comment_until",
                (user_id, question_id, session_id, reason, content_hash, now_ms, comment_until),
            )
            # A report waits for at most one comment: the latest one the user made.
            conn.execute(
                "UPDATE reports SET comment_until = NULL WHERE user_id = ? AND question_id != ? "
                "AND comment_until IS NOT NULL",
                (user_id, question_id),
            )
            cur = conn.execute(
                "INSERT INTO report_notices (question_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (question_id, day),
            )
            return cur.rowcount == 1

        return await self._db.run_write(work)

    async def add_comment(self, user_id: int, comment: str, now_ms: int) -> bool:
        """Attach a comment to the report waiting for one; False if none waits."""
        return (
            await self._db.execute(
                "UPDATE reports SET comment = ?, comment_until = NULL WHERE user_id = ? AND comment_until >= ?",
                (comment, user_id, now_ms),
            )
            > 0
        )

    async def awaits_comment(self, user_id: int, now_ms: int) -> bool:
        """True while one of the user's reports waits for a comment."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM reports WHERE user_id = ? AND comment_until >= ? LIMIT 1", (user_id, now_ms)
        )
        return row is not None

    async def skip_comment(self, user_id: int, now_ms: int) -> bool:
        """Stop waiting for a comment; False if none was awaited."""
        return (
            await self._db.execute(
                "UPDATE reports SET comment_until = NULL WHERE user_id = ? AND comment_until >= ?", (user_id, now_ms)
            )
            > 0
        )

    async def open_reports(self) -> list[ReportRow]:
        """Every open report, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_REPORT_COLS} FROM reports WHERE status = 'open' ORDER BY created_at, report_id"  # noqa: S608
        )
        return [ReportRow(int(r[0]), str(r[1]), int(r[2]), r[3], str(r[4]), r[5], str(r[6]), int(r[7])) for r in rows]

    async def question_of_report(self, report_id: int) -> str | None:
        """The question a report is about."""
        row = await self._db.fetch_one("SELECT question_id FROM reports WHERE report_id = ?", (report_id,))
        return str(row[0]) if row else None

    async def resolve(self, question_id: str, status: str) -> int:
        """Close every open report of a question as dismissed or disabled; how many were open."""
        return await self._db.execute(
            "UPDATE reports SET status = ?, comment_until = NULL WHERE question_id = ? AND status = 'open'",
            (status, question_id),
        )

    async def disable(self, question_id: str, admin_id: int, now_ms: int) -> bool:
        """Take a question out of every selection; False if it already was."""

        def work(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT INTO disabled_questions (question_id, disabled_at, disabled_by) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (question_id, now_ms, admin_id),
            )
            conn.execute(
                "UPDATE reports SET status = 'disabled', comment_until = NULL WHERE question_id = ? "
                "AND status = 'open'",
                (question_id,),
            )
            return cur.rowcount == 1

        return await self._db.run_write(work)

    async def enable(self, question_id: str) -> bool:
        """Bring a disabled question back; False if it was not disabled."""
        return await self._db.execute("DELETE FROM disabled_questions WHERE question_id = ?", (question_id,)) > 0

    async def disabled_question_ids(self) -> frozenset[str]:
        """Every disabled question id."""
        rows = await self._db.fetch_all(_DISABLED)
        return frozenset(str(r[0]) for r in rows)
