"""The daily question: settings, and one push round (who is due, which question) run by the delivery engine.

Delivery policy (the engine, bot/services/delivery.py, does the claim → send → settle): every subscriber gets
at most one question per local date, and none is lost.
- Before sending, (user, local date) rows are claimed with status `sending`, a batch at a time, in one
  BEGIN IMMEDIATE transaction that also opens each claimed user's daily session; after a send its row becomes
  `sent` (or `blocked`, which also unsubscribes, or `failed`), several rows settled in one transaction.
- A `failed` row is claimed again by a later round (every minute), up to MAX_ATTEMPTS claims a day.
- A `sending` row older than STALE_AFTER means a process died between claim and settle: it is claimed again
  and the same daily session is sent (once more, if it had gone out). So a crash can duplicate the messages in
  flight at that moment (at most IN_FLIGHT, each at most once) but never loses one: rows of the batch claimed
  but not yet sent are sent by a later round when their lease runs out.
- The local date of each user is fixed when the round starts, so a round that crosses a user's midnight still
  sends (and records) the day it started on.
- A user whose time came while the bot was down gets the question when it is back, the same local day.
- A send that may have arrived although it failed (a timeout) is recorded as sent, never repeated.
- The push and the same user's handlers are not serialised (the push may run in another process): a claim
  re-checks the subscription in its transaction, and claims are checked again just before they are sent.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import review, schedule
from bot.domain.bank import Level
from bot.domain.clock import Clock
from bot.domain.delivery import MAX_ATTEMPTS, STALE_AFTER, Outcome, RoundReport, SendResult, ms
from bot.domain.interview import Mode, shuffled_order
from bot.domain.schedule import DailySettings
from bot.metrics import NO_METRICS, PUSH, DeliveryObserver
from bot.services.delivery import Claimed, Delivery, Engine
from bot.services.due import select_due
from bot.services.goal import DailyNote
from bot.services.interview import InterviewService, QuestionView
from bot.services.pacing import Progress, Rate, Sleep
from bot.storage.cards import CardStore
from bot.storage.push import ClaimedRow, DailyPlan, NextDue, PushStore, Settled

logger = logging.getLogger(__name__)

# Questions are chosen for this many subscribers at a time, with one card query: one query per subscriber
# (a thread round trip each) made choosing for 100k users take 11 s. At 25 messages/s a batch's card data is at
# most ~10 s old when its last user is served.
CHOICE_BATCH = 256

Send = Callable[[int, QuestionView | DailyNote], Awaitable[SendResult]]


class NoteSource(Protocol):
    """Goals: a user with one gets a daily set (or the question after the date) instead of one question."""

    async def daily_notes(self, due: Sequence[tuple[int, dt.date]]) -> Mapping[int, DailyNote]:
        """The message for each (user, local date) that has a goal."""
        ...

    async def paused_users(self, rows: Sequence[tuple[int, dt.date]]) -> set[int]:
        """Users who paused that day: nothing is pushed to them."""
        ...


__all__ = ["CHOICE_BATCH", "Progress", "PushService", "Rate", "RoundReport", "Send", "Sleep"]


class PushService:
    """Daily-question settings and push rounds."""

    def __init__(
        self,
        store: PushStore,
        cards: CardStore,
        interview: InterviewService,
        clock: Clock,
        rng: random.Random,
        default_zone: str,
        rate: float | Rate,
        sleep: Sleep,
        observer: DeliveryObserver = NO_METRICS,
        notes: NoteSource | None = None,
    ) -> None:
        self._notes = notes
        self._store = store
        self._observer = observer
        self._cards = cards
        self._interview = interview
        self._clock = clock
        self._rng = rng
        self._default_zone = default_zone
        self._rate: Rate = rate if callable(rate) else (lambda: rate)
        self._sleep = sleep

    @property
    def default_zone(self) -> str:
        """The zone of users who have not set theirs."""
        return self._default_zone

    def now(self) -> dt.datetime:
        """The injected clock's time."""
        return self._clock.now()

    @property
    def sleep(self) -> Sleep:
        """The injected sleep, for flood waits and retries of the sender."""
        return self._sleep

    @property
    def engine(self) -> Engine:
        """The delivery engine at the push's pace (the group round and the broadcast share it)."""
        return Engine(self._clock, self._rate, self._sleep, self._observer)

    async def settings(self, user_id: int) -> DailySettings | None:
        """The user's subscription, zone and blocked flag."""
        return await self._store.settings(user_id)

    async def subscribe(self, user_id: int, at: dt.time) -> None:
        """Send the user a question every day at `at`, their local time."""
        await self._store.set_daily(user_id, schedule.format_hhmm(at))
        await self._refresh([user_id])

    async def unsubscribe(self, user_id: int) -> None:
        """Stop the daily question."""
        await self._store.set_daily(user_id, None)
        await self._refresh([user_id])

    async def set_timezone(self, user_id: int, zone_name: str) -> None:
        """Store a zone already checked by `schedule.canonical_zone`."""
        await self._store.set_timezone(user_id, zone_name)
        await self._refresh([user_id])

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """The user blocked (unsubscribes them) or unblocked the bot."""
        await self._store.set_blocked(user_id, blocked)
        await self._refresh([user_id])

    async def _refresh(self, user_ids: Sequence[int]) -> None:
        """Store when these users are due next (a change of settings marks them due for a look at once)."""
        await self._store.refresh(user_ids, self._clock.now(), MAX_ATTEMPTS)

    async def choose_many(self, users: Sequence[tuple[int, Level]]) -> dict[int, str | None]:
        """The question to push to each user (most overdue card of the level, else an unseen one), in one query."""
        due = await self._cards.due_times_of([uid for uid, _ in users])
        now = self._clock.now()
        disabled = await self._interview.disabled_ids()
        qids = {
            level: [q.id for q in self._interview.bank.of_level(level) if q.id not in disabled]
            for level in {lv for _, lv in users}
        }
        return {uid: review.choose_question(qids[level], due[uid], now, self._rng) for uid, level in users}

    async def run_round(
        self,
        send: Send,
        *,
        everyone: bool = False,
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> RoundReport:
        """Send today's question to every due subscriber not yet served (to all unserved ones if `everyone`)."""
        todo, report = await select_due(self._store, self._clock.now(), self._default_zone, everyone, self._refresh)
        todo = await self._skip_paused(todo, report)
        return await self.engine.run(_DailyQuestions(self, send), todo, report, progress=progress, stop=stop)

    async def _skip_paused(self, todo: list[schedule.Due], report: RoundReport) -> list[schedule.Due]:
        """Leave out users who paused their local day, and store their next look for their next day's time, so
        the due index does not select them again every tick of a paused day."""
        if self._notes is None or not todo:
            return todo
        paused = await self._notes.paused_users([(d.subscriber.user_id, d.local_date) for d in todo])
        if not paused:
            return todo
        later = []
        for d in todo:
            if d.subscriber.user_id in paused:
                sub = d.subscriber
                tz = schedule.zone(sub.timezone, self._default_zone)
                at = schedule.due_instant(d.local_date + dt.timedelta(days=1), sub.daily_time, tz)
                later.append((sub.user_id, NextDue(ms(at), schedule.format_hhmm(sub.daily_time), sub.timezone)))
        await self._store.postpone(later)
        report.due -= len(later)
        return [d for d in todo if d.subscriber.user_id not in paused]

    async def daily_notes(self, chunk: Sequence[schedule.Due]) -> Mapping[int, DailyNote]:
        """The goal notes of these users (none if goals are not wired, or fail: then the usual question goes)."""
        if self._notes is None or not chunk:
            return {}
        try:
            return await self._notes.daily_notes([(d.subscriber.user_id, d.local_date) for d in chunk])
        except Exception:  # goals are an extra: without them everyone gets the usual question
            logger.exception("daily sets of %d users failed; sending the usual questions", len(chunk))
            return {}

    def _plan(self, item: schedule.Due, qid: str | None) -> DailyPlan:
        question = self._interview.bank.get(qid) if qid is not None else None
        return DailyPlan(
            item.subscriber.user_id,
            item.local_date,
            _level(item.subscriber).value,
            None if question is None else question.id,
            () if question is None else shuffled_order(question, self._rng),
        )

    async def _job(
        self, item: schedule.Due, plan: DailyPlan, claim: ClaimedRow, note: DailyNote | None = None
    ) -> _Job | None:
        """The send a claim asks for: a goal's note, its fresh session's question, or an earlier attempt's."""
        user_id = item.subscriber.user_id
        if note is not None:
            return _Job(item.subscriber, claim.local_date, claim.attempts, note)
        view = None
        if claim.session_id is not None and claim.fresh:
            question = self._interview.bank.get(str(plan.question_id))
            if question is not None:
                view = QuestionView(claim.session_id, 0, 1, Mode.DAILY, question, plan.order, None, False)
        elif claim.session_id is not None:
            view = await self._interview.view(claim.session_id, 0)
            if view is not None and claim.attempts > 1:
                logger.info(
                    "resending the daily question of user %s for %s (attempt %d)",
                    user_id,
                    claim.local_date,
                    claim.attempts,
                )
            if view is None and plan.question_id is not None:  # its question left the bank: ask another
                view = await self._interview.start_daily(user_id, _level(item.subscriber), plan.question_id)
                if view is not None:
                    await self._store.attach_session(user_id, claim.local_date, view.session_id)
        if view is None:
            logger.warning("no question to push to user %s", user_id)
            return None
        return _Job(item.subscriber, claim.local_date, claim.attempts, view)


@dataclass(frozen=True)
class _Job:
    """One claimed send; `view` is None for a claim that cannot be sent."""

    subscriber: schedule.Subscriber
    local_date: dt.date
    attempts: int
    view: QuestionView | DailyNote | None

    @property
    def user_id(self) -> int:
        """Whose send it is."""
        return self.subscriber.user_id

    @property
    def chat_id(self) -> int:
        """Where it goes."""
        return self.subscriber.chat_id


class _DailyQuestions(Delivery[schedule.Due, _Job]):
    """The private daily question, for the engine: claims open the daily sessions, settles record the messages."""

    what = "daily question"
    metric = PUSH
    recheck = True
    prepare_batch = CHOICE_BATCH

    def __init__(self, push: PushService, send: Send) -> None:
        self._push = push
        self._store = push._store
        self._send = send
        self._choices: dict[int, str | None] = {}
        self._notes: Mapping[int, DailyNote] = {}

    def who(self, item: schedule.Due) -> int:
        return item.subscriber.user_id

    def who_job(self, job: _Job) -> int:
        return job.user_id

    def due_at(self, job: _Job) -> dt.datetime:
        """The subscriber's time on the claimed date, in UTC: the push's lag counts from it."""
        sub = job.subscriber
        return schedule.due_instant(
            job.local_date, sub.daily_time, schedule.zone(sub.timezone, self._push.default_zone)
        )

    async def prepare(self, chunk: Sequence[schedule.Due]) -> None:
        self._choices = await self._push.choose_many([(d.subscriber.user_id, _level(d.subscriber)) for d in chunk])
        self._notes = await self._push.daily_notes(chunk)
        self._choices.update(dict.fromkeys(self._notes))  # their message is a note, not a daily session

    async def claim(self, part: Sequence[schedule.Due]) -> Claimed[_Job]:
        items = {d.subscriber.user_id: d for d in part}
        plans = {uid: self._push._plan(d, self._choices.get(uid)) for uid, d in items.items()}
        now = self._push.now()
        claims = await self._store.claim(list(plans.values()), ms(now), ms(now - STALE_AFTER), MAX_ATTEMPTS)
        result = Claimed[_Job]()
        for claim in claims:
            item = items[claim.user_id]
            try:
                job = await self._push._job(item, plans[claim.user_id], claim, self._notes.get(claim.user_id))
            except Exception:
                logger.exception("daily question for user %s failed", claim.user_id)
                job = None
            if job is None:
                result.unsendable.append(_Job(item.subscriber, claim.local_date, claim.attempts, None))
            else:
                result.jobs.append(job)
        return result

    async def still_due(self, jobs: Sequence[_Job]) -> set[int]:
        return await self._store.still_due([(j.user_id, j.local_date) for j in jobs])

    async def send(self, job: _Job) -> SendResult:
        assert job.view is not None
        return await self._send(job.chat_id, job.view)

    async def settle(self, results: Sequence[tuple[_Job, SendResult]]) -> None:
        settled = [
            Settled(
                job.user_id,
                job.local_date,
                result.outcome,
                job.view.session_id if isinstance(job.view, QuestionView) else None,
                result.message_id,
                self._next_due(job, result),
            )
            for job, result in results
        ]
        await self._store.settle(settled, ms(self._push.now()))

    def _next_due(self, job: _Job, result: SendResult) -> NextDue | None:
        """Tomorrow's time if this send closes the user's day (sent, or failed for the last time)."""
        closed = result.outcome.counts_as_sent or (result.outcome is Outcome.FAILED and job.attempts >= MAX_ATTEMPTS)
        if not closed:
            return None
        sub = job.subscriber
        tz = schedule.zone(sub.timezone, self._push.default_zone)
        at = schedule.due_instant(job.local_date + dt.timedelta(days=1), sub.daily_time, tz)
        return NextDue(ms(at), schedule.format_hhmm(sub.daily_time), sub.timezone)


def _level(subscriber: schedule.Subscriber) -> Level:
    """The subscriber's last chosen level; fresher if none (or no longer known)."""
    return Level(subscriber.level) if subscriber.level in {lv.value for lv in Level} else Level.FRESHER
