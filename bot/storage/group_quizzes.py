"""Repository of group quizzes.

A group quiz marks the position it is about to post (`sending`) before sendPoll and stores the poll, clearing
the mark, right after: a mark found without its poll after a restart means the send may or may not have
happened, and the quiz is closed rather than risk posting that question twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.storage.db import Database
from bot.storage.groups import POLL_COLS, PollRow, insert_polls, poll_of


@dataclass(frozen=True)
class QuizRow:
    """A group quiz: its questions, the position in play and whether a post is in flight."""

    quiz_id: int
    chat_id: int
    level: str
    question_ids: tuple[str, ...]
    size: int
    position: int
    sending: int | None
    status: str


_QUIZ_COLS = "quiz_id, chat_id, level, question_ids, size, position, sending, status"


def _quiz(r: Iterable[object]) -> QuizRow:
    v = list(r)
    qids = tuple(q for q in str(v[3]).split(",") if q)
    return QuizRow(
        int(str(v[0])),
        int(str(v[1])),
        str(v[2]),
        qids,
        int(str(v[4])),
        int(str(v[5])),
        None if v[6] is None else int(str(v[6])),
        str(v[7]),
    )


class GroupQuizStore:
    """Reads and writes group quizzes and their polls."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def start_quiz(self, chat_id: int, level: str, question_ids: list[str], now_ms: int) -> int | None:
        """Store a new running quiz; None if the group already has one running."""

        def work(conn: sqlite3.Connection) -> int | None:
            running = "SELECT 1 FROM group_quizzes WHERE chat_id = ? AND status = 'running'"
            if conn.execute(running, (chat_id,)).fetchone() is not None:
                return None
            cur = conn.execute(
                "INSERT INTO group_quizzes (chat_id, level, question_ids, size, status, started_at) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                (chat_id, level, ",".join(question_ids), len(question_ids), now_ms),
            )
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

        return await self._db.run_write(work)

    async def quiz(self, quiz_id: int) -> QuizRow | None:
        """A group quiz by id."""
        row = await self._db.fetch_one(f"SELECT {_QUIZ_COLS} FROM group_quizzes WHERE quiz_id = ?", (quiz_id,))  # noqa: S608
        return _quiz(row) if row else None

    async def running_quiz(self, chat_id: int) -> QuizRow | None:
        """The group's running quiz, if any."""
        row = await self._db.fetch_one(
            f"SELECT {_QUIZ_COLS} FROM group_quizzes WHERE chat_id = ? AND status = 'running'",  # noqa: S608
            (chat_id,),
        )
        return _quiz(row) if row else None

    async def running_quizzes(self) -> list[QuizRow]:
        """Every running quiz (to resume after a restart)."""
        rows = await self._db.fetch_all(
            f"SELECT {_QUIZ_COLS} FROM group_quizzes WHERE status = 'running' ORDER BY quiz_id"  # noqa: S608
        )
        return [_quiz(r) for r in rows]

    async def quiz_poll(self, quiz_id: int, position: int) -> PollRow | None:
        """The poll posted for one position of a quiz."""
        row = await self._db.fetch_one(
            f"SELECT {POLL_COLS} FROM polls WHERE quiz_id = ? AND position = ?",  # noqa: S608
            (quiz_id, position),
        )
        return poll_of(row) if row else None

    async def claim_post(self, quiz_id: int, position: int) -> bool:
        """Mark `position` as being posted; False if the quiz moved on, is over, or a post is already in flight."""
        return (
            await self._db.execute(
                "UPDATE group_quizzes SET sending = ? WHERE quiz_id = ? AND position = ? AND status = 'running' "
                "AND sending IS NULL AND NOT EXISTS (SELECT 1 FROM polls WHERE quiz_id = ? AND position = ?)",
                (position, quiz_id, position, quiz_id, position),
            )
            > 0
        )

    async def posted(self, poll: PollRow) -> None:
        """Store a quiz poll and clear the in-flight mark, in one transaction."""

        def work(conn: sqlite3.Connection) -> None:
            insert_polls(conn, [poll])
            conn.execute("UPDATE group_quizzes SET sending = NULL WHERE quiz_id = ?", (poll.quiz_id,))

        await self._db.run_write(work)

    async def post_failed(self, quiz_id: int) -> None:
        """The send was refused for sure (not merely unanswered): clear the mark so it may be tried again."""
        await self._db.execute("UPDATE group_quizzes SET sending = NULL WHERE quiz_id = ?", (quiz_id,))

    async def advance(self, quiz_id: int, position: int) -> bool:
        """Close `position`'s poll and move on; False if another tick already did."""

        def work(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE group_quizzes SET position = position + 1 WHERE quiz_id = ? AND position = ? "
                "AND status = 'running'",
                (quiz_id, position),
            )
            conn.execute("UPDATE polls SET closed = 1 WHERE quiz_id = ? AND position = ?", (quiz_id, position))
            return cur.rowcount > 0

        return await self._db.run_write(work)

    async def end_quiz(self, quiz_id: int, status: str, now_ms: int) -> bool:
        """Finish or cancel a running quiz; False if it was not running."""
        return (
            await self._db.execute(
                "UPDATE group_quizzes SET status = ?, ended_at = ?, sending = NULL "
                "WHERE quiz_id = ? AND status = 'running'",
                (status, now_ms, quiz_id),
            )
            > 0
        )
