"""Group play: settings, the daily group poll, votes, group quizzes and leaderboards; no Telegram in sight.

Sends go through an `Outbox` the Telegram layer provides. It raises `ChatGone` when the group refuses the bot
(403, chat not found), `ChatMoved` when the group became a supergroup, and `SendFailed` otherwise, saying
whether the message may have reached Telegram anyway (a timeout) or surely did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import i18n
from bot.domain import groups as rules
from bot.domain import polls, review, schedule
from bot.domain.bank import Bank, Level, McqQuestion
from bot.domain.clock import Clock
from bot.domain.interview import shuffled_order
from bot.domain.polls import PollSpec
from bot.storage.cards import PendingReview
from bot.storage.groups import GroupStore, PollRow, QuizRow, Vote
from bot.storage.push import ClaimState

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
RETRY_SECONDS = 5.0
MAX_POST_FAILURES = 3


class ChatGone(Exception):
    """The group no longer lets the bot post (it was removed, or the chat is gone)."""


class ChatMoved(Exception):
    """The group became a supergroup with a new id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(new_chat_id)
        self.new_chat_id = new_chat_id


class SendFailed(Exception):
    """A send failed; `maybe_sent` when it may have reached Telegram all the same."""

    def __init__(self, reason: str, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class PostedPoll:
    """A poll as Telegram took it."""

    poll_id: str
    message_id: int


class Outbox(Protocol):
    """How the service posts in a group."""

    async def text(self, chat_id: int, html: str) -> int:
        """Send an HTML message; its id."""
        ...

    async def poll(self, chat_id: int, spec: PollSpec, open_period: int | None) -> PostedPoll:
        """Send a quiz poll."""
        ...

    async def stop(self, chat_id: int, message_id: int) -> None:
        """Close a poll (one already closed is fine)."""
        ...


class Texts(Protocol):
    """The strings the service puts into what it posts: bot/texts.py, the module itself, fits."""

    POLL_SEE_ABOVE: str
    POLL_MORE: str

    def poll_result(self, result: rules.PollResult) -> str: ...

    def quiz_ranking(self, table: Sequence[rules.Score], interrupted: bool) -> str: ...


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


@dataclass(frozen=True)
class GroupSettings:
    """A group's settings as its admins see them: the zone is resolved, the default applied."""

    chat_id: int
    daily_time: dt.time | None
    zone: str
    level: str | None
    quiz_admins_only: bool


@dataclass(frozen=True)
class TopView:
    """A group's leaderboards and the caller's place in each."""

    week: list[rules.Score]
    all_time: list[rules.Score]
    my_week: tuple[int, rules.Score] | None
    my_all_time: tuple[int, rules.Score] | None


@dataclass
class DailyReport:
    """Counts of one round of daily group polls."""

    due: int = 0
    posted: int = 0
    failed: int = 0
    gone: int = 0


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def _mine(table: list[rules.Score], user_id: int) -> tuple[int, rules.Score] | None:
    place = rules.rank_of(table, user_id)
    return None if place is None else (place, table[place - 1])


class GroupService:
    """Everything groups can do, over one store, the bank and an injected clock and rng."""

    def __init__(
        self,
        store: GroupStore,
        bank: Bank,
        clock: Clock,
        rng: random.Random,
        texts: Texts,
        default_zone: str,
        quiz_seconds: int,
        disabled: Callable[[], Awaitable[frozenset[str]]] | None = None,
        language_of: Callable[[int], Awaitable[str]] | None = None,
    ) -> None:
        self._store = store
        # A group's language (LanguageService.of_chat): what the service posts on its own is rendered in it.
        self._language_of = language_of
        # Questions an admin disabled after a report (ReportService.disabled_question_ids): never posted.
        self._disabled = disabled
        self._bank = bank
        self._clock = clock
        self._rng = rng
        self._texts = texts
        self._default_zone = default_zone
        self.quiz_seconds = quiz_seconds
        self._quiz_locks: dict[int, asyncio.Lock] = {}
        self._quiz_waiting: dict[int, int] = {}
        self._post_failures: dict[int, int] = {}

    # ------------------------------------------------------------------ membership and settings
    async def join(self, chat_id: int, title: str) -> None:
        """The bot was added to a group (or came back)."""
        await self._store.join(chat_id, title, _ms(self._clock.now()))

    async def leave(self, chat_id: int) -> bool:
        """The bot was removed or refused: unsubscribe the group and end its quiz."""
        left = await self._store.leave(chat_id, _ms(self._clock.now()))
        if left:
            logger.info("group %s unsubscribed", chat_id)
        return left

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """The group became a supergroup: move settings and scores to the new id."""
        moved = await self._store.migrate(old_id, new_id)
        if moved:
            logger.info("group %s migrated to %s", old_id, new_id)
        return moved

    async def settings(self, chat_id: int, title: str = "") -> GroupSettings:
        """The group's settings, creating its row if the bot has not seen it yet."""
        found = await self._store.group(chat_id)
        if found is None or not found.active:
            await self.join(chat_id, title)
            found = await self._store.group(chat_id)
        assert found is not None
        zone = schedule.zone(found.timezone, self._default_zone).key
        return GroupSettings(found.chat_id, found.daily_time, zone, found.level, found.quiz_admins_only)

    def local_now(self, group: GroupSettings) -> dt.datetime:
        """The time in the group's zone."""
        return self._clock.now().astimezone(schedule.zone(group.zone, self._default_zone))

    async def set_daily(self, chat_id: int, at: dt.time | None) -> None:
        """Post the daily poll at `at` group time, or stop it."""
        await self._store.set_daily(chat_id, None if at is None else schedule.format_hhmm(at))

    async def set_timezone(self, chat_id: int, zone: str) -> None:
        """Store a zone already checked by `schedule.canonical_zone`."""
        await self._store.set_timezone(chat_id, zone)

    async def set_level(self, chat_id: int, level: Level | None) -> None:
        """The group's level; None for mixed."""
        await self._store.set_level(chat_id, None if level is None else level.value)

    async def set_quiz_admins_only(self, chat_id: int, admins_only: bool) -> None:
        """Who may start a group quiz."""
        await self._store.set_quiz_admins_only(chat_id, admins_only)

    # ------------------------------------------------------------------ questions
    def _pool(self, level: str | None) -> list[McqQuestion]:
        found = rules.parse_level(level or rules.MIXED)
        return polls.eligible(self._bank, found if isinstance(found, Level) else None)

    async def _choose(self, chat_id: int, level: str | None, count: int) -> list[McqQuestion]:
        disabled = frozenset() if self._disabled is None else await self._disabled()
        pool = [q for q in self._pool(level) if q.id not in disabled]
        return rules.choose_questions(pool, count, await self._store.last_posted(chat_id), self._rng)

    def _spec(self, question: McqQuestion, bot_username: str, prefix: str) -> PollSpec:
        order = shuffled_order(question, self._rng)
        return polls.build_poll(
            question,
            order,
            bot_username,
            see_above=self._texts.POLL_SEE_ABOVE,
            more=self._texts.POLL_MORE,
            prefix=prefix,
        )

    def full_explanation(self, question_id: str) -> McqQuestion | None:
        """The question a deep link names, if it is an MCQ the bank still has."""
        found = self._bank.get(question_id)
        return found if isinstance(found, McqQuestion) else None

    async def _post(
        self, outbox: Outbox, chat_id: int, spec: PollSpec, open_period: int | None
    ) -> tuple[PostedPoll, int]:
        """Send the lead message (if any) and the poll; the poll and when it was sent."""
        if spec.lead_html is not None:
            await outbox.text(chat_id, spec.lead_html)
        sent = await outbox.poll(chat_id, spec, open_period)
        return sent, _ms(self._clock.now())

    # ------------------------------------------------------------------ the daily group poll
    async def run_daily_round(self, outbox: Outbox, bot_username: str) -> DailyReport:
        """Post today's poll in every group whose time has come and that has not had it yet."""
        start = self._clock.now()
        due = schedule.due_now(await self._store.subscribers(), start, self._default_zone)
        served = await self._store.served({d.local_date for d in due}, _ms(start - STALE_AFTER), MAX_ATTEMPTS)
        todo = schedule.pending(due, served)
        report = DailyReport(due=len(due))
        for item in todo:
            await self._deliver(outbox, item, bot_username, report)
        if todo:
            logger.info(
                "group push: %d due, %d posted, %d failed, %d gone",
                report.due,
                report.posted,
                report.failed,
                report.gone,
            )
        return report

    @contextlib.asynccontextmanager
    async def _speaking(self, chat_id: int) -> AsyncIterator[None]:
        """Render what is posted to a group inside the block in the group's language."""
        with i18n.use(await self._language_of(chat_id) if self._language_of is not None else None):
            yield

    async def _deliver(self, outbox: Outbox, item: schedule.Due, bot_username: str, report: DailyReport) -> None:
        async with self._speaking(item.subscriber.chat_id):
            await self._deliver_now(outbox, item, bot_username, report)

    async def _deliver_now(self, outbox: Outbox, item: schedule.Due, bot_username: str, report: DailyReport) -> None:
        chat_id, day = item.subscriber.chat_id, item.local_date
        now = self._clock.now()
        claim = await self._store.claim(chat_id, day, _ms(now), _ms(now - STALE_AFTER), MAX_ATTEMPTS)
        if claim.state is not ClaimState.CLAIMED:
            return
        earlier = await self._store.claimed_post(chat_id, day)
        question = self.full_explanation(earlier.question_id) if earlier.question_id else None
        lead_sent = earlier.lead_sent
        if question is None or not polls.poll_eligible(question):
            chosen = await self._choose(chat_id, item.subscriber.level, 1)
            if not chosen:
                logger.warning("no poll-eligible question for group %s", chat_id)
                await self._store.mark_failed(chat_id, day, gone=False)
                report.failed += 1
                return
            question = chosen[0]
            await self._store.attach_question(chat_id, day, question.id)
            lead_sent = False
        try:
            await self._close_daily(outbox, chat_id)
            spec = self._spec(question, bot_username, "")
            if spec.lead_html is not None and not lead_sent:
                await self._send_lead(outbox, chat_id, day, spec.lead_html)
            try:
                sent = await outbox.poll(chat_id, spec, None)
            except SendFailed as exc:
                if not exc.maybe_sent:
                    raise
                # As the private push does: a missed poll is better than a second one the same day.
                logger.warning("daily poll in group %s may have been posted (%s); not posting it again", chat_id, exc)
                await self._store.mark_maybe_posted(chat_id, day)
                report.posted += 1
                return
            sent_at = _ms(self._clock.now())
        except ChatGone:
            await self._store.mark_failed(chat_id, day, gone=True)
            await self.leave(chat_id)
            report.gone += 1
            return
        except ChatMoved as moved:
            await self.migrate(chat_id, moved.new_chat_id)
            await self._store.mark_failed(moved.new_chat_id, day, gone=False)  # the next round posts there
            report.failed += 1
            return
        except SendFailed as exc:
            logger.warning("daily poll in group %s failed: %s", chat_id, exc)
            await self._store.mark_failed(chat_id, day, gone=False)
            report.failed += 1
            return
        await self._store.mark_posted(chat_id, day, self._poll_row(chat_id, question, spec, sent, sent_at, "daily"))
        report.posted += 1

    async def _send_lead(self, outbox: Outbox, chat_id: int, day: dt.date, html: str) -> None:
        """Send the daily poll's lead message, marked first: no later attempt repeats one that may have arrived."""
        await self._store.set_lead_sent(chat_id, day, True)
        try:
            await outbox.text(chat_id, html)
        except (SendFailed, ChatMoved) as exc:
            if not (isinstance(exc, SendFailed) and exc.maybe_sent):
                await self._store.set_lead_sent(chat_id, day, False)  # surely not sent: the next attempt sends it
            raise

    async def _close_daily(self, outbox: Outbox, chat_id: int) -> None:
        """Stop the group's earlier daily polls, each with a one-line result."""
        for old in await self._store.open_daily_polls(chat_id):
            await outbox.stop(chat_id, old.message_id)
            if await self._store.close_poll(old.poll_id):
                await outbox.text(chat_id, self._texts.poll_result(await self._store.poll_result(old.poll_id)))

    def _poll_row(
        self,
        chat_id: int,
        question: McqQuestion,
        spec: PollSpec,
        sent: PostedPoll,
        sent_at: int,
        kind: str,
        quiz_id: int | None = None,
        position: int | None = None,
        closes_at: int | None = None,
    ) -> PollRow:
        return PollRow(
            sent.poll_id,
            chat_id,
            sent.message_id,
            question.id,
            question.level.value,
            question.topic,
            spec.correct,
            kind,
            quiz_id,
            position,
            sent_at,
            closes_at,
            False,
        )

    # ------------------------------------------------------------------ votes
    async def vote(self, poll_id: str, user_id: int, first_name: str, option_ids: Sequence[int]) -> bool:
        """Record a member's first vote on one of the bot's polls; a retraction or a change records nothing."""
        if not option_ids:
            return False
        poll = await self._store.poll(poll_id)
        if poll is None:
            return False
        now = self._clock.now()
        vote = Vote(poll, user_id, option_ids[0], _ms(now))
        rating = review.rating_for_mcq(vote.correct)
        pending = PendingReview(user_id, poll.question_id, lambda stored: review.review(stored, rating, now))
        return await self._store.record_vote(vote, first_name, pending)

    # ------------------------------------------------------------------ leaderboards
    async def top(self, chat_id: int, user_id: int) -> TopView:
        """This week's and all-time top 10 of the group, and the caller's place."""
        group = await self._store.group(chat_id)
        zone = schedule.zone(group.timezone if group else None, self._default_zone)
        since = rules.week_start(self._clock.now(), zone)
        week = rules.ranked(await self._store.scores(chat_id, since_ms=_ms(since)))
        every = rules.ranked(await self._store.scores(chat_id))
        return TopView(week[: rules.TOP_SIZE], every[: rules.TOP_SIZE], _mine(week, user_id), _mine(every, user_id))

    # ------------------------------------------------------------------ group quizzes
    async def start_quiz(self, chat_id: int, args: rules.QuizArgs) -> StartedQuiz:
        """Store a new quiz for the group, unless one is running or no question fits."""
        if await self._store.running_quiz(chat_id) is not None:
            return StartedQuiz(QuizStart.RUNNING)
        if args.level is not None:
            level: str = args.level.value
        elif args.mixed:
            level = rules.MIXED
        else:
            group = await self._store.group(chat_id)
            level = group.level if group and group.level else rules.MIXED
        chosen = await self._choose(chat_id, level, args.count)
        if not chosen:
            return StartedQuiz(QuizStart.EMPTY)
        quiz_id = await self._store.start_quiz(chat_id, level, [q.id for q in chosen], _ms(self._clock.now()))
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
                except ChatGone:
                    quiz = await self._store.quiz(quiz_id)
                    if quiz is not None:
                        await self.leave(quiz.chat_id)
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
                async with self._speaking(quiz.chat_id):
                    await self._finish(outbox, quiz, interrupted=False)
                return None
            poll = await self._store.quiz_poll(quiz_id, quiz.position)
            if poll is None:
                async with self._speaking(quiz.chat_id):
                    return await self._post_quiz_poll(outbox, quiz, bot_username)
            assert poll.closes_at is not None
            left = (poll.closes_at - _ms(self._clock.now())) / 1000
            if left > 0:
                return left
            await self._store.advance(quiz_id, quiz.position)

    async def _post_quiz_poll(self, outbox: Outbox, quiz: QuizRow, bot_username: str) -> float | None:
        if quiz.sending is not None:
            # A send was in flight when the bot stopped: it may have reached the group, so never post it again.
            logger.warning("group quiz %s: post %d was interrupted; closing the quiz", quiz.quiz_id, quiz.position)
            await self._finish(outbox, quiz, interrupted=True)
            return None
        question = self.full_explanation(quiz.question_ids[quiz.position])
        if question is None or not polls.poll_eligible(question):
            await self._store.advance(quiz.quiz_id, quiz.position)  # dropped from the bank since the quiz began
            return 0.0
        if not await self._store.claim_post(quiz.quiz_id, quiz.position):
            return None
        spec = self._spec(question, bot_username, f"{quiz.position + 1}/{quiz.size} · ")
        try:
            sent, sent_at = await self._post(outbox, quiz.chat_id, spec, self.quiz_seconds)
        except ChatMoved as moved:
            await self._store.post_failed(quiz.quiz_id)
            await self.migrate(quiz.chat_id, moved.new_chat_id)
            return 0.0
        except SendFailed as exc:
            if exc.maybe_sent:
                logger.warning("group quiz %s: post %d may have been sent (%s)", quiz.quiz_id, quiz.position, exc)
                return 0.0  # the next step finds the mark without a poll and closes the quiz
            await self._store.post_failed(quiz.quiz_id)
            failures = self._post_failures.get(quiz.quiz_id, 0) + 1
            self._post_failures[quiz.quiz_id] = failures
            if failures >= MAX_POST_FAILURES:
                await self._finish(outbox, quiz, interrupted=True)
                return None
            return RETRY_SECONDS
        closes_at = sent_at + self.quiz_seconds * 1000
        row = self._poll_row(
            quiz.chat_id, question, spec, sent, sent_at, "quiz", quiz.quiz_id, quiz.position, closes_at
        )
        await self._store.posted(row)
        return float(self.quiz_seconds)

    async def _finish(self, outbox: Outbox, quiz: QuizRow, interrupted: bool) -> None:
        ended = await self._store.end_quiz(
            quiz.quiz_id, "cancelled" if interrupted else "finished", _ms(self._clock.now())
        )
        self._post_failures.pop(quiz.quiz_id, None)
        if not ended:
            return
        table = rules.ranked(await self._store.scores(quiz.chat_id, quiz_id=quiz.quiz_id))
        try:
            await outbox.text(quiz.chat_id, self._texts.quiz_ranking(table[: rules.TOP_SIZE], interrupted))
        except (SendFailed, ChatMoved) as exc:
            logger.warning("group quiz %s: ranking not sent: %s", quiz.quiz_id, exc)
