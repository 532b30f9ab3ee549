"""Repository for group play: groups and settings, posted polls, votes, daily claims, group quizzes, migration.

The daily group poll uses the same claim policy as the private push (bot/storage/push.py): a row per
(group, local date) is claimed with status `sending` in a BEGIN IMMEDIATE transaction before anything is sent.
A poll that may have reached the group although its send failed (a timeout) closes the claim as `sent` with no
poll id: it is never posted again. A question too long for a poll goes first as a message of its own (the lead);
`lead_sent` is set before that message is sent and cleared only if it surely did not arrive, so a later attempt
posts the poll without repeating the lead.
A group quiz marks the position it is about to post (`sending`) before sendPoll and stores the poll, clearing
the mark, right after: a mark found without its poll after a restart means the send may or may not have
happened, and the quiz is closed rather than risk posting that question twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from bot.domain.groups import PollResult, Score
from bot.domain.schedule import Subscriber, parse_hhmm
from bot.storage.cards import PendingReview, store_review
from bot.storage.db import Database
from bot.storage.push import Claim, Claims, ClaimState, served_on


@dataclass(frozen=True)
class GroupRow:
    """A group and its settings."""

    chat_id: int
    title: str
    active: bool
    daily_time: dt.time | None
    timezone: str | None
    level: str | None
    quiz_admins_only: bool


@dataclass(frozen=True)
class PollRow:
    """A poll the bot posted: where, which question, and which shown option is right."""

    poll_id: str
    chat_id: int
    message_id: int
    question_id: str
    level: str
    topic: str
    correct_option: int
    kind: str
    quiz_id: int | None
    position: int | None
    sent_at: int
    closes_at: int | None
    closed: bool


@dataclass(frozen=True)
class ClaimedPost:
    """What earlier attempts of a daily claim left: the question chosen, and whether its lead may have gone out."""

    question_id: str | None
    lead_sent: bool


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


_GROUP_COLS = "chat_id, title, active, daily_time, timezone, level, quiz_admins_only"
_POLL_COLS = (
    "poll_id, chat_id, message_id, question_id, level, topic, correct_option, kind, quiz_id, position, "
    "sent_at, closes_at, closed"
)
_QUIZ_COLS = "quiz_id, chat_id, level, question_ids, size, position, sending, status"
_CLAIMABLE = "(status = 'failed' AND attempts < ?) OR (status = 'sending' AND claimed_at <= ?)"
# Every table that keys rows by a group's chat id; a migration to a supergroup moves them all.
_GROUP_TABLES = ("group_quizzes", "polls", "poll_votes", "group_deliveries")


def _group(r: Iterable[object]) -> GroupRow:
    v = list(r)
    return GroupRow(
        int(str(v[0])),
        str(v[1]),
        bool(v[2]),
        parse_hhmm(str(v[3])) if v[3] else None,
        _opt(v[4]),
        _opt(v[5]),
        bool(v[6]),
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _poll(r: Iterable[object]) -> PollRow:
    v = list(r)
    return PollRow(
        str(v[0]),
        int(str(v[1])),
        int(str(v[2])),
        str(v[3]),
        str(v[4]),
        str(v[5]),
        int(str(v[6])),
        str(v[7]),
        None if v[8] is None else int(str(v[8])),
        None if v[9] is None else int(str(v[9])),
        int(str(v[10])),
        None if v[11] is None else int(str(v[11])),
        bool(v[12]),
    )


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


async def _insert_poll(conn: aiosqlite.Connection, p: PollRow) -> None:
    await conn.execute(
        f"INSERT INTO polls ({_POLL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            p.poll_id,
            p.chat_id,
            p.message_id,
            p.question_id,
            p.level,
            p.topic,
            p.correct_option,
            p.kind,
            p.quiz_id,
            p.position,
            p.sent_at,
            p.closes_at,
            int(p.closed),
        ),
    )


class GroupStore:
    """Reads and writes everything about groups."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ groups and settings
    async def join(self, chat_id: int, title: str, now_ms: int) -> None:
        """The bot is in the group (again): create it or mark it active."""
        await self._db.execute(
            "INSERT INTO groups (chat_id, title, active, created_at) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET active = 1, title = excluded.title",
            (chat_id, title, now_ms),
        )

    async def leave(self, chat_id: int, now_ms: int) -> bool:
        """The bot is out of the group: unsubscribe it and end its quiz; False if it was not active."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE groups SET active = 0, daily_time = NULL WHERE chat_id = ? AND active = 1", (chat_id,)
            )
            await conn.execute(
                "UPDATE group_quizzes SET status = 'cancelled', ended_at = ? WHERE chat_id = ? AND status = 'running'",
                (now_ms, chat_id),
            )
            return cur.rowcount > 0

    async def group(self, chat_id: int) -> GroupRow | None:
        """The group's row, if the bot knows it."""
        row = await self._db.fetch_one(f"SELECT {_GROUP_COLS} FROM groups WHERE chat_id = ?", (chat_id,))  # noqa: S608
        return _group(row) if row else None

    async def set_daily(self, chat_id: int, daily_time: str | None) -> None:
        """Post the daily poll at `HH:MM` group time, or stop with None."""
        await self._db.execute("UPDATE groups SET daily_time = ? WHERE chat_id = ?", (daily_time, chat_id))

    async def set_timezone(self, chat_id: int, zone: str) -> None:
        """The group's IANA zone."""
        await self._db.execute("UPDATE groups SET timezone = ? WHERE chat_id = ?", (zone, chat_id))

    async def set_level(self, chat_id: int, level: str | None) -> None:
        """The group's level; None for mixed."""
        await self._db.execute("UPDATE groups SET level = ? WHERE chat_id = ?", (level, chat_id))

    async def set_quiz_admins_only(self, chat_id: int, admins_only: bool) -> None:
        """Whether only admins may start a group quiz."""
        await self._db.execute("UPDATE groups SET quiz_admins_only = ? WHERE chat_id = ?", (int(admins_only), chat_id))

    async def subscribers(self) -> list[Subscriber]:
        """Active groups with a daily time, as push subscribers (the chat id is their id)."""
        rows = await self._db.fetch_all(
            "SELECT chat_id, daily_time, timezone, level FROM groups "
            "WHERE daily_time IS NOT NULL AND active = 1 ORDER BY chat_id"
        )
        result = []
        for r in rows:
            at = parse_hhmm(str(r[1]))
            if at is not None:
                result.append(Subscriber(int(r[0]), int(r[0]), at, r[2], r[3]))
        return result

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """Move a group's settings, polls, votes, claims and quizzes to its supergroup id; False if unknown."""
        async with self._db.write() as conn:
            cur = await conn.execute("SELECT 1 FROM groups WHERE chat_id = ?", (old_id,))
            if await cur.fetchone() is None:
                return False
            # A supergroup the bot already saw (a redelivered update) keeps its row; the old one is folded in.
            await conn.execute(
                "INSERT INTO groups (chat_id, title, active, daily_time, timezone, level, quiz_admins_only, "
                "created_at, language) SELECT ?, title, active, daily_time, timezone, level, quiz_admins_only, "
                "created_at, language FROM groups WHERE chat_id = ? ON CONFLICT (chat_id) DO UPDATE SET "
                "active = excluded.active, daily_time = excluded.daily_time, timezone = excluded.timezone, "
                "level = excluded.level, quiz_admins_only = excluded.quiz_admins_only, language = excluded.language",
                (new_id, old_id),
            )
            for table in _GROUP_TABLES:
                await conn.execute(
                    f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?",  # noqa: S608 (constant names)
                    (new_id, old_id),
                )
                await conn.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_id,))  # noqa: S608
            await conn.execute("DELETE FROM groups WHERE chat_id = ?", (old_id,))
            return True

    # ------------------------------------------------------------------ daily claims
    async def served(
        self, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
    ) -> set[tuple[int, dt.date]]:
        """(group, local date) pairs that cannot be claimed now."""
        return await served_on(self._db, Claims.GROUP, dates, stale_before_ms, max_attempts)

    async def claim(self, chat_id: int, day: dt.date, now_ms: int, stale_before_ms: int, max_attempts: int) -> Claim:
        """Take the right to post the group's poll for `day`; a re-claim returns the question already chosen."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM groups WHERE chat_id = ? AND daily_time IS NOT NULL AND active = 1", (chat_id,)
            )
            if await cur.fetchone() is None:
                return Claim(ClaimState.UNSUBSCRIBED)
            cur = await conn.execute(
                "INSERT INTO group_deliveries (chat_id, local_date, status, attempts, claimed_at) "
                "VALUES (?, ?, 'sending', 1, ?) ON CONFLICT (chat_id, local_date) DO NOTHING",
                (chat_id, day.isoformat(), now_ms),
            )
            if cur.rowcount == 1:
                return Claim(ClaimState.CLAIMED, None, 1)
            cur = await conn.execute(
                "UPDATE group_deliveries SET status = 'sending', attempts = attempts + 1, claimed_at = ? "  # noqa: S608
                f"WHERE chat_id = ? AND local_date = ? AND ({_CLAIMABLE}) RETURNING attempts",
                (now_ms, chat_id, day.isoformat(), max_attempts, stale_before_ms),
            )
            row = await cur.fetchone()
        return Claim(ClaimState.TAKEN) if row is None else Claim(ClaimState.CLAIMED, None, int(row[0]))

    async def claimed_post(self, chat_id: int, day: dt.date) -> ClaimedPost:
        """The question a claim chose earlier (a resend after a crash asks the same one), and its lead's state."""
        row = await self._db.fetch_one(
            "SELECT question_id, lead_sent FROM group_deliveries WHERE chat_id = ? AND local_date = ?",
            (chat_id, day.isoformat()),
        )
        if row is None:
            return ClaimedPost(None, False)
        return ClaimedPost(None if row[0] is None else str(row[0]), bool(row[1]))

    async def attach_question(self, chat_id: int, day: dt.date, question_id: str) -> None:
        """Remember the question of a claim (a new question has sent no lead yet)."""
        await self._db.execute(
            "UPDATE group_deliveries SET question_id = ?, lead_sent = 0 WHERE chat_id = ? AND local_date = ?",
            (question_id, chat_id, day.isoformat()),
        )

    async def set_lead_sent(self, chat_id: int, day: dt.date, sent: bool) -> None:
        """Mark the claim's lead message as (maybe) sent, before sending it; unmark it if it surely was not."""
        await self._db.execute(
            "UPDATE group_deliveries SET lead_sent = ? WHERE chat_id = ? AND local_date = ?",
            (int(sent), chat_id, day.isoformat()),
        )

    async def mark_posted(self, chat_id: int, day: dt.date, poll: PollRow) -> None:
        """The daily poll went out: store it and close the claim, in one transaction."""
        async with self._db.write() as conn:
            await _insert_poll(conn, poll)
            await conn.execute(
                "UPDATE group_deliveries SET status = 'sent', poll_id = ? WHERE chat_id = ? AND local_date = ?",
                (poll.poll_id, chat_id, day.isoformat()),
            )

    async def mark_maybe_posted(self, chat_id: int, day: dt.date) -> None:
        """The daily poll may have gone out (its send timed out): close the claim as sent, with no poll to store."""
        await self._db.execute(
            "UPDATE group_deliveries SET status = 'sent' WHERE chat_id = ? AND local_date = ?",
            (chat_id, day.isoformat()),
        )

    async def mark_failed(self, chat_id: int, day: dt.date, gone: bool) -> None:
        """Posting failed; `gone` (403, chat not found) closes the claim for good."""
        await self._db.execute(
            "UPDATE group_deliveries SET status = ? WHERE chat_id = ? AND local_date = ?",
            ("blocked" if gone else "failed", chat_id, day.isoformat()),
        )

    # ------------------------------------------------------------------ polls and votes
    async def poll(self, poll_id: str) -> PollRow | None:
        """A poll the bot posted, by Telegram's poll id."""
        row = await self._db.fetch_one(f"SELECT {_POLL_COLS} FROM polls WHERE poll_id = ?", (poll_id,))  # noqa: S608
        return _poll(row) if row else None

    async def open_daily_polls(self, chat_id: int) -> list[PollRow]:
        """The group's daily polls not closed yet, oldest first."""
        rows = await self._db.fetch_all(
            f"SELECT {_POLL_COLS} FROM polls WHERE chat_id = ? AND kind = 'daily' AND closed = 0 "  # noqa: S608
            "ORDER BY sent_at",
            (chat_id,),
        )
        return [_poll(r) for r in rows]

    async def close_poll(self, poll_id: str) -> bool:
        """Mark a poll closed; False if it already was."""
        return await self._db.execute("UPDATE polls SET closed = 1 WHERE poll_id = ? AND closed = 0", (poll_id,)) > 0

    async def last_posted(self, chat_id: int) -> dict[str, int]:
        """When each question was last posted in the group (epoch ms)."""
        rows = await self._db.fetch_all(
            "SELECT question_id, MAX(sent_at) FROM polls WHERE chat_id = ? GROUP BY question_id", (chat_id,)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def record_vote(self, vote: Vote, first_name: str, review: PendingReview | None) -> bool:
        """Store a member's first vote on a poll (later ones change nothing); review the card of a bot user."""
        p = vote.poll
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO group_members (user_id, first_name) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name",
                (vote.user_id, first_name),
            )
            cur = await conn.execute(
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
            if review is not None:
                cur = await conn.execute("SELECT 1 FROM users WHERE user_id = ?", (vote.user_id,))
                if await cur.fetchone() is not None:
                    await store_review(conn, review)
            return True

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

    # ------------------------------------------------------------------ group quizzes
    async def start_quiz(self, chat_id: int, level: str, question_ids: list[str], now_ms: int) -> int | None:
        """Store a new running quiz; None if the group already has one running."""
        async with self._db.write() as conn:
            cur = await conn.execute("SELECT 1 FROM group_quizzes WHERE chat_id = ? AND status = 'running'", (chat_id,))
            if await cur.fetchone() is not None:
                return None
            cur = await conn.execute(
                "INSERT INTO group_quizzes (chat_id, level, question_ids, size, status, started_at) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                (chat_id, level, ",".join(question_ids), len(question_ids), now_ms),
            )
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

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
            f"SELECT {_POLL_COLS} FROM polls WHERE quiz_id = ? AND position = ?",  # noqa: S608
            (quiz_id, position),
        )
        return _poll(row) if row else None

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
        async with self._db.write() as conn:
            await _insert_poll(conn, poll)
            await conn.execute("UPDATE group_quizzes SET sending = NULL WHERE quiz_id = ?", (poll.quiz_id,))

    async def post_failed(self, quiz_id: int) -> None:
        """The send was refused for sure (not merely unanswered): clear the mark so it may be tried again."""
        await self._db.execute("UPDATE group_quizzes SET sending = NULL WHERE quiz_id = ?", (quiz_id,))

    async def advance(self, quiz_id: int, position: int) -> bool:
        """Close `position`'s poll and move on; False if another tick already did."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE group_quizzes SET position = position + 1 WHERE quiz_id = ? AND position = ? "
                "AND status = 'running'",
                (quiz_id, position),
            )
            await conn.execute("UPDATE polls SET closed = 1 WHERE quiz_id = ? AND position = ?", (quiz_id, position))
            return cur.rowcount > 0

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
