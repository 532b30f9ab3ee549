"""Group quizzes: a run of polls, one at a time, each open for `quiz_seconds`, then a ranking.

A quiz's timer may fire early, late or twice: each step re-reads the quiz and moves it only as far as its stored
state allows. A question too long for a poll goes first as a lead message, once: a poll that fails and is tried
again does not repeat the lead.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass

from bot.domain import groups as rules
from bot.domain import polls
from bot.domain.bank import McqQuestion
from bot.domain.clock import Clock
from bot.domain.delivery import Outcome, ms
from bot.services.group_settings import GroupSettingsService
from bot.services.group_votes import GroupVoteService
from bot.services.groups import Outbox, PollMaker, Undelivered, poll_row
from bot.storage.group_quizzes import GroupQuizStore, QuizRow

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
MAX_POST_FAILURES = 3


class QuizStart(enum.Enum):
    """How /groupquiz ended."""

    STARTED = "started"
    RUNNING = "running"
    EMPTY = "empty"


@dataclass(frozen=True)
class StartedQuiz:
    """A new group quiz."""

    outcome: QuizStart
    quiz_id: int | None = None
    size: int = 0
    level: str = rules.MIXED


class GroupQuizService:
    """Starts group quizzes and moves them along."""

    def __init__(
        self,
        store: GroupQuizStore,
        polls_: PollMaker,
        settings: GroupSettingsService,
        votes: GroupVoteService,
        clock: Clock,
        quiz_seconds: int,
    ) -> None:
        self._store = store
        self.polls = polls_
        self._settings = settings
        self._votes = votes
        self._clock = clock
        self.quiz_seconds = quiz_seconds
        self._quiz_locks: dict[int, asyncio.Lock] = {}
        self._quiz_waiting: dict[int, int] = {}
        self._post_failures: dict[int, int] = {}
        # (quiz, position) whose lead message went out (or may have): a retry of the poll does not repeat it.
        # In memory is enough: a restart with a post in flight closes the quiz (the `sending` mark).
        self._leads_sent: set[tuple[int, int]] = set()

    def full_explanation(self, question_id: str) -> McqQuestion | None:
        """The question a deep link names, if it is an MCQ the bank still has."""
        return self.polls.question(question_id)

    async def start_quiz(self, chat_id: int, args: rules.QuizArgs) -> StartedQuiz:
        """Store a new quiz for the group, unless one is running or no question fits."""
        if await self._store.running_quiz(chat_id) is not None:
            return StartedQuiz(QuizStart.RUNNING)
        if args.level is not None:
            level: str = args.level.value
        elif args.mixed:
            level = rules.MIXED
        else:
            level = await self._settings.level(chat_id) or rules.MIXED
        chosen = await self.polls.choose(chat_id, level, args.count)
        if not chosen:
            return StartedQuiz(QuizStart.EMPTY)
        quiz_id = await self._store.start_quiz(chat_id, level, [q.id for q in chosen], ms(self._clock.now()))
        if quiz_id is None:
            return StartedQuiz(QuizStart.RUNNING)
        return StartedQuiz(QuizStart.STARTED, quiz_id, len(chosen), level)

    async def running_quizzes(self) -> list[int]:
        """Ids of every running quiz (to re-arm their timers after a restart)."""
        return [q.quiz_id for q in await self._store.running_quizzes()]

    async def step(self, outbox: Outbox, quiz_id: int, bot_username: str) -> float | None:
        """Move a quiz along: post the question due, close an expired one, or finish; seconds until the next step."""
        lock = self._quiz_locks.setdefault(quiz_id, asyncio.Lock())
        self._quiz_waiting[quiz_id] = self._quiz_waiting.get(quiz_id, 0) + 1
        try:
            async with lock:
                try:
                    return await self._step(outbox, quiz_id, bot_username)
                except Undelivered as exc:
                    if exc.outcome is not Outcome.BLOCKED:
                        raise
                    quiz = await self._store.quiz(quiz_id)
                    if quiz is not None:
                        await self._settings.leave(quiz.chat_id)
                    return None
        finally:
            # The lock lives while someone holds or waits for it: a process that runs quizzes for months keeps none.
            self._quiz_waiting[quiz_id] -= 1
            if not self._quiz_waiting[quiz_id]:
                del self._quiz_waiting[quiz_id], self._quiz_locks[quiz_id]

    async def _step(self, outbox: Outbox, quiz_id: int, bot_username: str) -> float | None:
        while True:
            quiz = await self._store.quiz(quiz_id)
            if quiz is None or quiz.status != "running":
                return None
            if quiz.position >= quiz.size:
                async with self.polls.speaking(quiz.chat_id):
                    await self._finish(outbox, quiz, interrupted=False)
                return None
            poll = await self._store.quiz_poll(quiz_id, quiz.position)
            if poll is None:
                async with self.polls.speaking(quiz.chat_id):
                    return await self._post_quiz_poll(outbox, quiz, bot_username)
            assert poll.closes_at is not None
            left = (poll.closes_at - ms(self._clock.now())) / 1000
            if left > 0:
                return left
            await self._store.advance(quiz_id, quiz.position)

    async def _post_quiz_poll(self, outbox: Outbox, quiz: QuizRow, bot_username: str) -> float | None:
        if quiz.sending is not None:
            # A send was in flight when the bot stopped: it may have reached the group, so never post it again.
            logger.warning("group quiz %s: post %d was interrupted; closing the quiz", quiz.quiz_id, quiz.position)
            await self._finish(outbox, quiz, interrupted=True)
            return None
        question = self.polls.question(quiz.question_ids[quiz.position])
        if question is None or not polls.poll_eligible(question):
            await self._store.advance(quiz.quiz_id, quiz.position)  # dropped from the bank since the quiz began
            return 0.0
        if not await self._store.claim_post(quiz.quiz_id, quiz.position):
            return None
        spec = self.polls.spec(question, bot_username, f"{quiz.position + 1}/{quiz.size} · ")
        where = (quiz.quiz_id, quiz.position)
        try:
            if spec.lead_html is not None and where not in self._leads_sent:
                try:
                    await outbox.text(quiz.chat_id, spec.lead_html)
                except Undelivered as exc:
                    if exc.outcome is Outcome.UNCERTAIN:
                        self._leads_sent.add(where)
                    raise
                self._leads_sent.add(where)
            sent = await outbox.poll(quiz.chat_id, spec, self.quiz_seconds)
        except Undelivered as exc:
            if exc.outcome is Outcome.BLOCKED:
                raise
            if exc.outcome is Outcome.MOVED and exc.result.moved_to is not None:
                await self._store.post_failed(quiz.quiz_id)
                await self._settings.migrate(quiz.chat_id, exc.result.moved_to)
                return 0.0
            if exc.outcome is Outcome.UNCERTAIN:
                logger.warning("group quiz %s: post %d may have been sent (%s)", quiz.quiz_id, quiz.position, exc)
                return 0.0  # the next step finds the mark without a poll and closes the quiz
            await self._store.post_failed(quiz.quiz_id)
            failures = self._post_failures.get(quiz.quiz_id, 0) + 1
            self._post_failures[quiz.quiz_id] = failures
            if failures >= MAX_POST_FAILURES:
                await self._finish(outbox, quiz, interrupted=True)
                return None
            return RETRY_SECONDS
        sent_at = ms(self._clock.now())
        self._leads_sent.discard(where)
        closes_at = sent_at + self.quiz_seconds * 1000
        row = poll_row(quiz.chat_id, question, spec, sent, sent_at, "quiz", quiz.quiz_id, quiz.position, closes_at)
        await self._store.posted(row)
        return float(self.quiz_seconds)

    async def _finish(self, outbox: Outbox, quiz: QuizRow, interrupted: bool) -> None:
        ended = await self._store.end_quiz(
            quiz.quiz_id, "cancelled" if interrupted else "finished", ms(self._clock.now())
        )
        self._post_failures.pop(quiz.quiz_id, None)
        self._leads_sent = {w for w in self._leads_sent if w[0] != quiz.quiz_id}
        if not ended:
            return
        table = await self._votes.ranking(quiz.chat_id, quiz.quiz_id)
        try:
            await outbox.text(quiz.chat_id, self.polls.texts.quiz_ranking(table[: rules.TOP_SIZE], interrupted))
        except Undelivered as exc:
            if exc.outcome is Outcome.BLOCKED:
                raise
            logger.warning("group quiz %s: ranking not sent: %s", quiz.quiz_id, exc)
