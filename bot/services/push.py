"""One round of the daily push: who is due, which question, claim, send, mark; no Telegram in sight.

Delivery policy: every subscriber gets at most one question per local date, and none is lost.
- Before sending, the (user, local date) row is claimed with status `sending` in a BEGIN IMMEDIATE transaction;
  after the send it becomes `sent` (or `blocked`, which also unsubscribes, or `failed`).
- A `failed` row is claimed again by a later round (every minute), up to MAX_ATTEMPTS claims a day.
- A `sending` row older than STALE_AFTER means a process died between its send and its commit: it is claimed
  again and the same daily session is sent once more. So a crash can duplicate a message that was in flight at
  that moment (at most once per such message) but never loses one.
- The local date of each user is fixed when the round starts, so a round that crosses a user's midnight still
  sends (and records) the day it started on.
- A user whose time came while the bot was down gets the question when it is back, the same local day.
- A send that may have arrived although it failed (a timeout) is recorded as sent (`uncertain`), never
  repeated: a missed question is better than a duplicate one.
- A round stops between two sends when `stop()` says so (shutdown); a claim whose send was refused
  because of the stop is released, so the next round or `push` sends it.
- One user's failure (their data deleted by /deleteme between two steps, say) is logged and skipped; the
  round goes on. The push and the same user's handlers are not serialised (the push may run in another
  process): each step is its own transaction and re-checks the user, so either order is safe.
Sends are paced at `rate()` per second (the rate limiter lowers it after flood waits) with an injected
clock and sleep, so tests never wait.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.domain import review, schedule
from bot.domain.bank import Level
from bot.domain.clock import Clock
from bot.services.interview import InterviewService, QuestionView
from bot.storage.cards import CardStore
from bot.storage.push import ClaimState, DailySettings, PushStore

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Questions are chosen for this many subscribers at a time, with one card query: one query per subscriber
# (a thread round trip each) made choosing for 100k users take 11 s. At 25 messages/s a batch's card data is at
# most ~10 s old when its last user is served.
CHOICE_BATCH = 256

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


Send = Callable[[int, QuestionView], Awaitable[SendResult]]


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
    ) -> None:
        self._store = store
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
        served = await self._store.served({d.local_date for d in due}, _ms(start - STALE_AFTER), MAX_ATTEMPTS)
        todo = schedule.pending(due, served)
        report = RoundReport(due=len(due), already=len(due) - len(todo))
        pacer = Pacer(self._rate, self._clock, self._sleep)
        for first in range(0, len(todo), CHOICE_BATCH):
            batch = todo[first : first + CHOICE_BATCH]
            choices = await self.choose_many([(d.subscriber.user_id, _level(d.subscriber)) for d in batch])
            for i, item in enumerate(batch, start=first + 1):
                await pacer.wait()
                if stop() or await self._guarded(item, send, report, choices[item.subscriber.user_id]):
                    report.stopped = True
                    logger.info("push round stopped after %d of %d", i - 1, len(todo))
                    return report
                if progress is not None:
                    progress(i, len(todo), report)
        if todo:
            logger.info(
                "push round: %d due, %d sent, %d already served, %d blocked, %d failed",
                report.due,
                report.sent,
                report.already,
                report.blocked,
                report.failed,
            )
        return report

    async def _guarded(self, item: schedule.Due, send: Send, report: RoundReport, choice: str | None) -> bool:
        """Deliver to one user; their failure is logged and counted, never the end of the round. True: stop."""
        user_id = item.subscriber.user_id
        try:
            return await self._deliver(item, send, report, choice)
        except sqlite3.IntegrityError as exc:
            # Expected: the user's rows went (/deleteme, /reset) between two steps of their delivery.
            logger.warning("daily question for user %s skipped: their data changed meanwhile (%s)", user_id, exc)
        except Exception:
            logger.exception("daily question for user %s failed", user_id)
        report.failed += 1
        try:
            await self._store.mark_failed(user_id, item.local_date)
        except Exception as exc:
            logger.warning("could not mark the daily question of user %s failed: %s", user_id, exc)
        return False

    async def _deliver(self, item: schedule.Due, send: Send, report: RoundReport, choice: str | None) -> bool:
        user_id, day = item.subscriber.user_id, item.local_date
        now = self._clock.now()
        claim = await self._store.claim(user_id, day, _ms(now), _ms(now - STALE_AFTER), MAX_ATTEMPTS)
        if claim.state is not ClaimState.CLAIMED:
            report.already += 1
            return False
        view = await self._interview.view(claim.session_id, 0) if claim.session_id is not None else None
        if view is None:
            view = await self._new_question(item, choice)
            if view is None:
                logger.warning("no question to push to user %s", user_id)
                await self._store.mark_failed(user_id, day)
                report.failed += 1
                return False
            await self._store.attach_session(user_id, day, view.session_id)
        elif claim.attempts > 1:
            logger.info("resending the daily question of user %s for %s (attempt %d)", user_id, day, claim.attempts)
        try:
            result = await send(item.subscriber.chat_id, view)
        except Exception:
            logger.exception("daily question to user %s failed", user_id)
            result = SendResult(SendStatus.FAILED)
        if result.status is SendStatus.STOPPED:
            await self._store.release(user_id, day)
            return True
        if result.status is SendStatus.SENT and result.message_id is not None:
            await self._interview.message_sent(view, result.message_id)
            await self._store.mark_sent(user_id, day, result.message_id, _ms(self._clock.now()))
            report.sent += 1
        elif result.status is SendStatus.UNCERTAIN:
            await self._store.mark_sent(user_id, day, None, _ms(self._clock.now()))
            report.sent += 1
        elif result.status is SendStatus.BLOCKED:
            await self._store.mark_blocked(user_id, day)
            report.blocked += 1
        else:
            await self._store.mark_failed(user_id, day)
            report.failed += 1
        return False

    async def _new_question(self, item: schedule.Due, qid: str | None) -> QuestionView | None:
        if qid is None:
            return None
        return await self._interview.start_daily(item.subscriber.user_id, _level(item.subscriber), qid)


def _level(subscriber: schedule.Subscriber) -> Level:
    """The subscriber's last chosen level; fresher if none (or no longer known)."""
    return Level(subscriber.level) if subscriber.level in {lv.value for lv in Level} else Level.FRESHER
