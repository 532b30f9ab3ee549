"""One round of the daily push: who is due, which question, claim, send, settle; no Telegram in sight.

Delivery policy: every subscriber gets at most one question per local date, and none is lost.
- Before sending, (user, local date) rows are claimed with status `sending`, a batch at a time, in one
  BEGIN IMMEDIATE transaction that also opens each claimed user's daily session; after a send its row becomes
  `sent` (or `blocked`, which also unsubscribes, or `failed`), several rows settled in one transaction.
- Up to IN_FLIGHT sends are unsettled at once (sent or being sent, outcome not yet committed); sends start
  one pacer slot apart, so the pace is `rate()` whatever the latency.
- A `failed` row is claimed again by a later round (every minute), up to MAX_ATTEMPTS claims a day.
- A `sending` row older than STALE_AFTER means a process died between claim and settle: it is claimed again
  and the same daily session is sent (once more, if it had gone out). So a crash can duplicate the messages in
  flight at that moment (at most IN_FLIGHT, each at most once) but never loses one: rows of the batch claimed
  but not yet sent are sent by a later round when their lease runs out.
- The local date of each user is fixed when the round starts, so a round that crosses a user's midnight still
  sends (and records) the day it started on.
- A user whose time came while the bot was down gets the question when it is back, the same local day.
- A send that may have arrived although it failed (a timeout) is recorded as sent (`uncertain`), never
  repeated: a missed question is better than a duplicate one.
- A round stops between two sends when `stop()` says so (shutdown): no new send starts, the sends in flight
  end (a send still waiting for its slot in the rate limiter comes back unsent), and every claim not sent is
  released, so the next round or `push` sends it.
- One user's failure is logged and skipped; the round goes on: a batch whose claim or settle fails is retried
  one user at a time. The push and the same user's handlers are not serialised (the push may run in another
  process): a claim re-checks the subscription in its transaction, and claims are checked again, RECHECK_AHEAD
  of sends at a time, just before they are sent: a /deleteme, /daily off or block confirmed after the claim
  sends nothing (the row is released) unless it came within RECHECK_AHEAD of the send, when it only makes the
  settle find no row (as for a send already on its way).
Sends are paced at `rate()` per second (the rate limiter lowers it after flood waits) with an injected
clock and sleep, so tests never wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import review, schedule
from bot.domain.bank import Level
from bot.domain.clock import Clock
from bot.domain.interview import Mode, shuffled_order
from bot.domain.schedule import DailySettings
from bot.metrics import BLOCKED, FAILED, NO_METRICS, PUSH, SENT, DeliveryObserver
from bot.services.goal import DailyNote
from bot.services.interview import InterviewService, QuestionView
from bot.storage.cards import CardStore
from bot.storage.push import ClaimedRow, DailyPlan, Outcome, PushStore, Settled

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Questions are chosen for this many subscribers at a time, with one card query: one query per subscriber
# (a thread round trip each) made choosing for 100k users take 11 s. At 25 messages/s a batch's card data is at
# most ~10 s old when its last user is served.
CHOICE_BATCH = 256
# Sends unsettled at once. Pacing needs rate × latency of them (25/s at 300 ms: 8); the pacer, not this, bounds
# the pace, and a crash duplicates at most this many messages.
IN_FLIGHT = 8
# Rows claimed in one transaction: at most CLAIM_BATCH, and no more than CLAIM_AHEAD of sends at the pace now,
# so a batch is sent long before its lease (STALE_AFTER) runs out and a slow push still claims one at a time.
CLAIM_BATCH = 64
CLAIM_AHEAD = dt.timedelta(seconds=10)
# Claims are re-checked (one query) for the next this-much of sends just before they go out, so a user who leaves
# or unsubscribes after the claim is not sent a question unless the send was at most this close.
RECHECK_AHEAD = dt.timedelta(seconds=1)

Sleep = Callable[[float], Awaitable[None]]


class SendStatus(enum.Enum):
    """How a send ended, as the Telegram layer judged it."""

    SENT = "sent"
    UNCERTAIN = "uncertain"  # the send failed in a way that may still have delivered it
    BLOCKED = "blocked"
    FAILED = "failed"
    STOPPED = "stopped"  # not sent: the process is shutting down


@dataclass(frozen=True)
class SendResult:
    """The outcome of sending one question."""

    status: SendStatus
    message_id: int | None = None


Send = Callable[[int, QuestionView | DailyNote], Awaitable[SendResult]]


class NoteSource(Protocol):
    """Goals: a user with one gets a daily set (or the question after the date) instead of one question."""

    async def daily_notes(self, due: Sequence[tuple[int, dt.date]]) -> Mapping[int, DailyNote]:
        """The message for each (user, local date) that has a goal."""
        ...

    async def paused_users(self, rows: Sequence[tuple[int, dt.date]]) -> set[int]:
        """Users who paused that day: nothing is pushed to them."""
        ...


@dataclass
class RoundReport:
    """Counts of one push round."""

    due: int = 0
    sent: int = 0
    already: int = 0
    blocked: int = 0
    failed: int = 0
    stopped: bool = False


Progress = Callable[[int, int, RoundReport], None]
Rate = Callable[[], float]


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


class Pacer:
    """Spaces sends `1 / rate()` seconds apart on the injected clock."""

    def __init__(self, rate: Rate, clock: Clock, sleep: Sleep) -> None:
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next: dt.datetime | None = None

    async def wait(self) -> None:
        """Sleep until the next send slot, then book the one after it."""
        now = self._clock.now()
        if self._next is not None and now < self._next:
            await self._sleep((self._next - now).total_seconds())
            now = max(self._clock.now(), self._next)
        self._next = now + dt.timedelta(seconds=1 / self._rate())


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

    async def settings(self, user_id: int) -> DailySettings | None:
        """The user's subscription, zone and blocked flag."""
        return await self._store.settings(user_id)

    async def subscribe(self, user_id: int, at: dt.time) -> None:
        """Send the user a question every day at `at`, their local time."""
        await self._store.set_daily(user_id, schedule.format_hhmm(at))

    async def unsubscribe(self, user_id: int) -> None:
        """Stop the daily question."""
        await self._store.set_daily(user_id, None)

    async def set_timezone(self, user_id: int, zone_name: str) -> None:
        """Store a zone already checked by `schedule.canonical_zone`."""
        await self._store.set_timezone(user_id, zone_name)

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """The user blocked (unsubscribes them) or unblocked the bot."""
        await self._store.set_blocked(user_id, blocked)

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
        start = self._clock.now()
        due = schedule.due_now(await self._store.subscribers(), start, self._default_zone, ignore_time=everyone)
        if self._notes is not None:
            paused = await self._notes.paused_users([(d.subscriber.user_id, d.local_date) for d in due])
            due = [d for d in due if d.subscriber.user_id not in paused]
        served = await self._store.served({d.local_date for d in due}, _ms(start - STALE_AFTER), MAX_ATTEMPTS)
        todo = schedule.pending(due, served)
        report = RoundReport(due=len(due), already=len(due) - len(todo))
        flight = _Flight(self._store, self._clock, send, report, len(todo), progress, self._observer)
        pacer = Pacer(self._rate, self._clock, self._sleep)
        try:
            await self._dispatch(todo, flight, pacer, stop)
        finally:
            await flight.drain()
        report.stopped = report.stopped or flight.stopped
        if report.stopped:
            logger.info("push round stopped after %d of %d", flight.done, len(todo))
        elif todo:
            logger.info(
                "push round: %d due, %d sent, %d already served, %d blocked, %d failed",
                report.due,
                report.sent,
                report.already,
                report.blocked,
                report.failed,
            )
        return report

    async def _dispatch(
        self, todo: Sequence[schedule.Due], flight: _Flight, pacer: Pacer, stop: Callable[[], bool]
    ) -> None:
        """Claim a batch, start its sends one pacer slot apart with at most IN_FLIGHT unsettled; stop between two."""
        for first in range(0, len(todo), CHOICE_BATCH):
            chunk = todo[first : first + CHOICE_BATCH]
            choices = await self.choose_many([(d.subscriber.user_id, _level(d.subscriber)) for d in chunk])
            notes: Mapping[int, DailyNote] = {}
            if self._notes is not None:
                try:
                    notes = await self._notes.daily_notes([(d.subscriber.user_id, d.local_date) for d in chunk])
                except Exception:  # goals are an extra: without them everyone gets the usual question
                    logger.exception("daily sets of %d users failed; sending the usual questions", len(chunk))
                choices.update(dict.fromkeys(notes))  # their message is a note, not a daily session
            at = 0
            while at < len(chunk):
                if stop() or flight.stopped:
                    flight.report.stopped = True
                    return
                part = chunk[at : at + self._claim_size()]
                at += len(part)
                jobs = await self._claim(part, choices, flight, notes)
                checked, gone = 0, set[int]()
                for n, job in enumerate(jobs):
                    if n >= checked:
                        checked = n + self._recheck_size()
                        gone = await flight.withdrawn(jobs[n:checked])
                    if job.user_id in gone:
                        continue
                    await flight.slot()
                    await pacer.wait()
                    if stop() or flight.stopped:
                        flight.report.stopped = True
                        flight.free_slot()
                        await flight.give_back([j for j in jobs[n:] if j.user_id not in gone])
                        return
                    flight.start(job)
                    # Let the send just started reach the wire before the next slot is booked.
                    await asyncio.sleep(0)

    def _recheck_size(self) -> int:
        """How many claims to re-check at once before sending: about RECHECK_AHEAD of sends at the pace now."""
        return max(1, min(CLAIM_BATCH, int(self._rate() * RECHECK_AHEAD.total_seconds())))

    def _claim_size(self) -> int:
        """How many rows to claim at once: about CLAIM_AHEAD of sends at the pace now, within [1, CLAIM_BATCH]."""
        return max(1, min(CLAIM_BATCH, int(self._rate() * CLAIM_AHEAD.total_seconds())))

    def _plan(self, item: schedule.Due, qid: str | None) -> DailyPlan:
        question = self._interview.bank.get(qid) if qid is not None else None
        return DailyPlan(
            item.subscriber.user_id,
            item.local_date,
            _level(item.subscriber).value,
            None if question is None else question.id,
            () if question is None else shuffled_order(question, self._rng),
        )

    async def _claim(
        self,
        part: Sequence[schedule.Due],
        choices: dict[int, str | None],
        flight: _Flight,
        notes: Mapping[int, DailyNote],
    ) -> list[_Job]:
        """Claim a batch (each user alone if that fails) and turn each claim into a send to make."""
        items = {d.subscriber.user_id: d for d in part}
        plans = {uid: self._plan(d, choices[uid]) for uid, d in items.items()}
        now = self._clock.now()
        args = (_ms(now), _ms(now - STALE_AFTER), MAX_ATTEMPTS)
        failed = 0
        try:
            claims = await self._store.claim(list(plans.values()), *args)
        except Exception as exc:
            logger.warning("claiming %d daily questions at once failed (%s); claiming them one by one", len(part), exc)
            claims = []
            for uid, plan in plans.items():
                try:
                    claims += await self._store.claim([plan], *args)
                except Exception as one:
                    _log_failure(uid, one)
                    failed += 1
        flight.unclaimed(already=len(part) - len(claims) - failed, failed=failed)
        jobs = []
        for claim in claims:
            try:
                job = await self._job(items[claim.user_id], plans[claim.user_id], claim, notes.get(claim.user_id))
            except Exception as exc:
                _log_failure(claim.user_id, exc)
                job = None
            if job is None:
                await flight.settle([Settled(claim.user_id, claim.local_date, Outcome.FAILED)])
            else:
                jobs.append(job)
        return jobs

    async def _job(
        self, item: schedule.Due, plan: DailyPlan, claim: ClaimedRow, note: DailyNote | None = None
    ) -> _Job | None:
        """The send a claim asks for: a goal's note, its fresh session's question, or an earlier attempt's."""
        user_id = item.subscriber.user_id
        tz = schedule.zone(item.subscriber.timezone, self._default_zone)
        due_at = schedule.due_instant(claim.local_date, item.subscriber.daily_time, tz)
        if note is not None:
            return _Job(item.subscriber.chat_id, user_id, claim.local_date, note, due_at)
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
        return _Job(item.subscriber.chat_id, user_id, claim.local_date, view, due_at)


@dataclass(frozen=True)
class _Job:
    """One claimed send."""

    chat_id: int
    user_id: int
    local_date: dt.date
    view: QuestionView | DailyNote
    due_at: dt.datetime  # the subscriber's local time on `local_date`, in UTC: the push's lag counts from it


# How each send counts in the delivery metrics; a stopped one was not sent and counts as nothing.
_COUNTED = {
    SendStatus.SENT: SENT,
    SendStatus.UNCERTAIN: SENT,  # recorded as sent, as the rows are
    SendStatus.BLOCKED: BLOCKED,
    SendStatus.FAILED: FAILED,
}


class _Flight:
    """The sends of one round in flight: at most IN_FLIGHT sent or being sent and not yet settled.

    A send keeps its slot until its outcome is committed, so a crash leaves at most IN_FLIGHT rows that went out
    unrecorded (each resent once after the lease). Outcomes are committed together: whoever settles while no commit
    runs commits everything waiting, again and again until nothing waits (group commit).
    """

    def __init__(
        self,
        store: PushStore,
        clock: Clock,
        send: Send,
        report: RoundReport,
        total: int,
        progress: Progress | None,
        observer: DeliveryObserver = NO_METRICS,
    ) -> None:
        self._store = store
        self._observer = observer
        self._clock = clock
        self._send = send
        self.report = report
        self._total = total
        self._progress = progress
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: list[tuple[Settled, bool]] = []
        self._committing = False
        self.stopped = False  # a send came back unsent: the process is shutting down
        self.done = 0

    async def slot(self) -> None:
        """Wait until fewer than IN_FLIGHT sends are unsettled, and take a place."""
        await self._slots.acquire()

    def free_slot(self) -> None:
        """Give back a place taken for a send that will not be started."""
        self._slots.release()

    def start(self, job: _Job) -> None:
        """Send in a task of its own (it holds the place taken with `slot`)."""
        task = asyncio.create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: _Job) -> None:
        try:
            result = await self._send(job.chat_id, job.view)
        except Exception:
            logger.exception("daily question to user %s failed", job.user_id)
            result = SendResult(SendStatus.FAILED)
        if result.status is SendStatus.STOPPED:
            self.stopped = True
        counted = _COUNTED.get(result.status)
        if counted is not None:
            self._observer.on_delivery(PUSH, counted, (self._clock.now() - job.due_at).total_seconds())
        await self._settle([(_settled(job, result), True)])

    async def withdrawn(self, jobs: Sequence[_Job]) -> set[int]:
        """Re-check claims about to be sent; settle (release) and return the users who left or unsubscribed since."""
        try:
            due = await self._store.still_due([(j.user_id, j.local_date) for j in jobs])
        except Exception as exc:  # the claim checked them already: a failed re-check sends as before
            logger.warning("re-checking %d daily questions before sending failed: %s", len(jobs), exc)
            return set()
        gone = [j for j in jobs if j.user_id not in due]
        for j in gone:
            logger.info("daily question for user %s not sent: they left or unsubscribed after the claim", j.user_id)
        self.report.already += len(gone)
        self._resolved(len(gone))
        await self.settle([Settled(j.user_id, j.local_date, Outcome.RELEASED) for j in gone])
        return {j.user_id for j in gone}

    async def give_back(self, jobs: Sequence[_Job]) -> None:
        """Release claims that will not be sent this round: a later round (or `push`) sends them."""
        await self.settle([Settled(j.user_id, j.local_date, Outcome.RELEASED) for j in jobs])

    async def settle(self, outcomes: Sequence[Settled]) -> None:
        """Commit outcomes of rows that hold no place (never sent)."""
        await self._settle([(o, False) for o in outcomes])

    def unclaimed(self, already: int, failed: int) -> None:
        """Count users a claim left out (served meanwhile, unsubscribed) or could not claim (their error)."""
        self.report.already += already
        self.report.failed += failed
        self._resolved(already + failed)

    async def drain(self) -> None:
        """Wait for every send in flight and the commit of its outcome."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def _settle(self, outcomes: list[tuple[Settled, bool]]) -> None:
        self._waiting += outcomes
        if self._committing:
            return  # the commit under way takes these too
        self._committing = True
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._commit([o for o, _ in batch])
                for _, held in batch:
                    if held:
                        self._slots.release()
        finally:
            self._committing = False

    async def _commit(self, outcomes: list[Settled]) -> None:
        now_ms = _ms(self._clock.now())
        try:
            await self._store.settle(outcomes, now_ms)
            stored = outcomes
        except Exception as exc:
            logger.warning("settling %d daily questions at once failed (%s); one by one", len(outcomes), exc)
            stored = []
            for one in outcomes:
                try:
                    await self._store.settle([one], now_ms)
                    stored.append(one)
                except Exception as err:
                    # Left 'sending', the row is sent again once its lease runs out (a duplicate if it went out).
                    _log_failure(one.user_id, err)
                    self.report.failed += 1
                    self._resolved(1)
        for one in stored:
            if one.outcome is Outcome.SENT:
                self.report.sent += 1
            elif one.outcome is Outcome.BLOCKED:
                self.report.blocked += 1
            elif one.outcome is Outcome.FAILED:
                self.report.failed += 1
            if one.outcome is not Outcome.RELEASED:
                self._resolved(1)

    def _resolved(self, count: int) -> None:
        for _ in range(count):
            self.done += 1
            if self._progress is not None:
                self._progress(self.done, self._total, self.report)


def _settled(job: _Job, result: SendResult) -> Settled:
    """The stored outcome of a send."""
    session_id = job.view.session_id if isinstance(job.view, QuestionView) else None
    if result.status is SendStatus.SENT and result.message_id is not None:
        return Settled(job.user_id, job.local_date, Outcome.SENT, session_id, result.message_id)
    outcome = {
        SendStatus.UNCERTAIN: Outcome.SENT,  # may have arrived: recorded as sent, never repeated
        SendStatus.BLOCKED: Outcome.BLOCKED,
        SendStatus.STOPPED: Outcome.RELEASED,
    }.get(result.status, Outcome.FAILED)
    return Settled(job.user_id, job.local_date, outcome, session_id)


def _log_failure(user_id: int, exc: BaseException) -> None:
    """One user's failure: a line for the expected kind (their rows changed meanwhile), a traceback otherwise."""
    if isinstance(exc, sqlite3.IntegrityError):
        logger.warning("daily question for user %s skipped: their data changed meanwhile (%s)", user_id, exc)
    else:
        logger.error("daily question for user %s failed", user_id, exc_info=exc)


def _level(subscriber: schedule.Subscriber) -> Level:
    """The subscriber's last chosen level; fresher if none (or no longer known)."""
    return Level(subscriber.level) if subscriber.level in {lv.value for lv in Level} else Level.FRESHER
