"""The grader's verdicts on typed interview answers (table answer_grades)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.domain.grader import Grade, PointGrade, Verdict
from bot.storage.db import Database

logger = logging.getLogger(__name__)


def grade_json(grade: Grade) -> str:
    """A grade's detail as stored: points, false statements, its score, feedback, follow-up."""
    return json.dumps(
        {
            "score": grade.score,
            "points": [{"point": p.point, "verdict": p.verdict.value, "quote": p.quote} for p in grade.points],
            "wrong": list(grade.wrong),
            "feedback": grade.feedback,
            "follow_up": grade.follow_up,
        },
        ensure_ascii=False,
    )


def grade_from_row(grader: str, detail: str) -> Grade | None:
    """A stored grade, or None when its detail cannot be read (then the caller grades offline again)."""
    try:
        data = json.loads(detail)
        points = tuple(PointGrade(str(p["point"]), Verdict(p["verdict"]), p.get("quote")) for p in data["points"])
        return Grade(
            grader,
            points,
            tuple(str(w) for w in data["wrong"]),
            float(data["score"]),
            data.get("feedback"),
            data.get("follow_up"),
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("unreadable stored grade (%s); it is graded again offline", grader)
        return None


def grades_of(conn: sqlite3.Connection, session_id: int) -> dict[int, Grade]:
    """The stored grades of a session, by position (on the database thread)."""
    rows = conn.execute(
        "SELECT position, grader, detail FROM answer_grades WHERE session_id = ?", (session_id,)
    ).fetchall()
    return _by_position(rows)


def _by_position(rows: Sequence[Sequence[Any]]) -> dict[int, Grade]:
    out: dict[int, Grade] = {}
    for r in rows:
        grade = grade_from_row(str(r[1]), str(r[2]))
        if grade is not None:
            out[int(r[0])] = grade
    return out


class GradeStore:
    """Saves and reads the grades of one session's open answers."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, session_id: int, position: int, grade: Grade, now_ms: int) -> bool:
        """Store a grade once; False if that answer already has one or its session is gone."""

        def work(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT OR IGNORE INTO answer_grades (session_id, position, grader, detail, graded_at)"
                " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sessions WHERE session_id = ?)",
                (session_id, position, grade.grader, grade_json(grade), now_ms, session_id),
            )
            return cur.rowcount == 1

        return await self._db.run_write(work)

    async def of_session(self, session_id: int) -> dict[int, Grade]:
        """The stored grades of a session, by position."""
        rows = await self._db.fetch_all(
            "SELECT position, grader, detail FROM answer_grades WHERE session_id = ?", (session_id,)
        )
        return _by_position(rows)
