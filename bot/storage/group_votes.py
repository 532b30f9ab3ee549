"""Repository of group votes and leaderboards: members' first votes on the bot's polls, results and scores."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.domain.groups import PollResult, Score
from bot.storage.cards import PendingReview, apply_review
from bot.storage.db import Database
from bot.storage.groups import POLL_COLS, PollRow, poll_of


@dataclass(frozen=True)
class Vote:
    """A member's first vote on a poll."""

    poll: PollRow
    user_id: int
    chosen: int
    answered_at: int

    @property
    def correct(self) -> bool:
        """Whether the vote picked the right option."""
        return self.chosen == self.poll.correct_option


class GroupVoteStore:
    """Reads and writes votes, poll results and scores."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def poll(self, poll_id: str) -> PollRow | None:
        """A poll the bot posted, by Telegram's poll id."""
        row = await self._db.fetch_one(f"SELECT {POLL_COLS} FROM polls WHERE poll_id = ?", (poll_id,))  # noqa: S608
        return poll_of(row) if row else None

    async def record_vote(self, vote: Vote, first_name: str, review: PendingReview | None) -> bool:
        """Store a member's first vote on a poll (later ones change nothing); review the card of a bot user."""
        p = vote.poll

        def work(conn: sqlite3.Connection) -> bool:
            conn.execute(
                "INSERT INTO group_members (user_id, first_name) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name",
                (vote.user_id, first_name),
            )
            cur = conn.execute(
                "INSERT INTO poll_votes (poll_id, user_id, chat_id, question_id, level, topic, chosen, correct, "
                "answered_at, time_taken_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (poll_id, user_id) DO NOTHING",
                (
                    p.poll_id,
                    vote.user_id,
                    p.chat_id,
                    p.question_id,
                    p.level,
                    p.topic,
                    vote.chosen,
                    int(vote.correct),
                    vote.answered_at,
                    max(0, vote.answered_at - p.sent_at),
                ),
            )
            if cur.rowcount != 1:
                return False
            if review is not None and conn.execute("SELECT 1 FROM users WHERE user_id = ?", (vote.user_id,)).fetchone():
                apply_review(conn, review)
            return True

        return await self._db.run_write(work)

    async def poll_result(self, poll_id: str) -> PollResult:
        """Voters, right answers and the first right voter's first name."""
        async with self._db.read() as conn:
            cur = await conn.execute("SELECT COUNT(*), TOTAL(correct) FROM poll_votes WHERE poll_id = ?", (poll_id,))
            row = await cur.fetchone()
            cur = await conn.execute(
                "SELECT m.first_name FROM poll_votes v JOIN group_members m ON m.user_id = v.user_id "
                "WHERE v.poll_id = ? AND v.correct = 1 ORDER BY v.answered_at, v.user_id LIMIT 1",
                (poll_id,),
            )
            first = await cur.fetchone()
        answered, right = (int(row[0]), int(row[1])) if row else (0, 0)
        return PollResult(answered, right, None if first is None else str(first[0]))

    async def scores(self, chat_id: int, since_ms: int | None = None, quiz_id: int | None = None) -> list[Score]:
        """Each voter's points, answers and total answer time in the group (since a time, or in one quiz)."""
        sql = (
            "SELECT v.user_id, COALESCE(m.first_name, ''), TOTAL(v.correct), COUNT(*), TOTAL(v.time_taken_ms) "
            "FROM poll_votes v LEFT JOIN group_members m ON m.user_id = v.user_id "
        )
        params: list[object] = []
        if quiz_id is not None:
            sql += "JOIN polls p ON p.poll_id = v.poll_id AND p.quiz_id = ? "
            params.append(quiz_id)
        sql += "WHERE v.chat_id = ? "
        params.append(chat_id)
        if since_ms is not None:
            sql += "AND v.answered_at >= ? "
            params.append(since_ms)
        rows = await self._db.fetch_all(sql + "GROUP BY v.user_id", params)
        return [Score(int(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
