"""The one delivery engine: claim → send → settle, for whatever a `Delivery` sends (daily question, group poll, news).

- Rows are claimed a batch at a time (at most `claim_batch`, about CLAIM_AHEAD of sends at the pace now) in one
  transaction; a batch whose claim fails is claimed one row at a time, and a row that still fails is skipped.
- Sends start one pacer slot apart (the pace is `rate()`, which the rate limiter lowers after flood waits) with at
  most IN_FLIGHT unsettled; outcomes are committed together (group commit, `pacing.Flight`).
- With `claim_when_ready`, a send waits for its slot and its pace before its row is claimed, so a delivery that
  claims one row at a time (`claim_batch = 1`) holds no claim that is not about to be sent.
- With `recheck`, claims are checked again (one query per RECHECK_AHEAD of sends) just before they are sent: a
  user who left after the claim is released, not sent to.
- The round stops between two sends when `stop()` says so or a send comes back unsent (shutdown): the sends in
  flight end, and every claim not sent is released for the next round.
- One maybe-sent rule for all (`Outcome.counts_as_sent`), one outcome enum, one report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.domain.clock import Clock
from bot.domain.delivery import CLAIM_AHEAD, CLAIM_BATCH, RECHECK_AHEAD, Outcome, RoundReport, SendResult
from bot.metrics import BLOCKED, FAILED, NO_METRICS, SENT, DeliveryObserver
from bot.services.pacing import Flight, Pacer, Progress, Rate, Sleep, log_failure

logger = logging.getLogger(__name__)

# How each send counts in the delivery metrics; one given back unsent counts as nothing.
_COUNTED = {
    Outcome.SENT: SENT,
    Outcome.UNCERTAIN: SENT,  # recorded as sent, as the rows are
    Outcome.BLOCKED: BLOCKED,
    Outcome.MOVED: FAILED,
    Outcome.FAILED: FAILED,
}

I = TypeVar("I")  # noqa: E741 - an item to claim
J = TypeVar("J")  # a claimed send


@dataclass
class Claimed(Generic[J]):
    """What one claim gave: sends to make, and claimed rows that cannot be sent (settled as failed)."""

    jobs: list[J] = field(default_factory=list)
    unsendable: list[J] = field(default_factory=list)


class Delivery(Generic[I, J]):
    """What a round sends and how its rows are claimed and settled; subclasses fill the hooks."""

    what = "delivery"  # for the logs: "daily question", "group poll", "broadcast"
    metric = "delivery"  # the kind in the delivery metrics (bot/metrics.py: PUSH, GROUP_POLL, BROADCAST)
    claim_batch = CLAIM_BATCH
    # Claim only once a send can start (a place free, its pace come): with claim_batch = 1, no claim waits unsent.
    # Off, a batch is claimed ahead while earlier sends are in flight, and the claim's time is not lost to the pace.
    claim_when_ready = False
    recheck = False
    prepare_batch = CLAIM_BATCH

    def who(self, item: I) -> int:
        """The user or chat an item is for."""
        raise NotImplementedError

    def who_job(self, job: J) -> int:
        """The user or chat a claimed send is for."""
        raise NotImplementedError

    def due_at(self, job: J) -> dt.datetime | None:
        """When the send was due, for the metrics' lag; None when it has no due time."""
        return None

    async def prepare(self, chunk: Sequence[I]) -> None:
        """Work done once for `prepare_batch` items before they are claimed (choosing questions, say)."""

    async def claim(self, part: Sequence[I]) -> Claimed[J]:
        """Claim the rows of `part` in one transaction; rows served meanwhile are left out."""
        raise NotImplementedError

    async def still_due(self, jobs: Sequence[J]) -> set[int]:
        """Of claimed sends about to go out, those whose user or chat still wants them (with `recheck`)."""
        return {self.who_job(j) for j in jobs}

    async def send(self, job: J) -> SendResult:
        """Send one claimed row's message."""
        raise NotImplementedError

    async def settle(self, results: Sequence[tuple[J, SendResult]]) -> None:
        """Record how several sends ended, in one transaction."""
        raise NotImplementedError


class Engine:
    """Runs delivery rounds at a pace, on an injected clock and sleep."""

    def __init__(self, clock: Clock, rate: Rate, sleep: Sleep, observer: DeliveryObserver = NO_METRICS) -> None:
        self._clock = clock
        self._rate = rate
        self._sleep = sleep
        self._observer = observer

    async def run(
        self,
        delivery: Delivery[I, J],
        todo: Sequence[I],
        report: RoundReport,
        *,
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> RoundReport:
        """Claim, send and settle every item of `todo`, unless stopped; the report, counted in."""

        def observe(job: J, result: SendResult) -> None:
            counted = _COUNTED.get(result.outcome)
            if counted is not None:
                due = delivery.due_at(job)
                lag = None if due is None else (self._clock.now() - due).total_seconds()
                self._observer.on_delivery(delivery.metric, counted, lag)

        flight: Flight[J] = Flight(
            delivery.send, delivery.settle, delivery.who_job, delivery.what, report, len(todo), progress, observe
        )
        pacer = Pacer(self._rate, self._clock, self._sleep)
        try:
            await self._dispatch(delivery, todo, flight, pacer, stop)
        finally:
            await flight.drain()
        report.stopped = report.stopped or flight.stopped
        if report.stopped:
            logger.info("%s round stopped after %d of %d", delivery.what, flight.done, len(todo))
        elif todo:
            logger.info(
                "%s round: %d due, %d sent, %d already served, %d blocked, %d failed",
                delivery.what,
                report.due,
                report.sent,
                report.already,
                report.blocked,
                report.failed,
            )
        return report

    async def _dispatch(
        self,
        delivery: Delivery[I, J],
        todo: Sequence[I],
        flight: Flight[J],
        pacer: Pacer,
        stop: Callable[[], bool],
    ) -> None:
        for first in range(0, len(todo), delivery.prepare_batch):
            chunk = todo[first : first + delivery.prepare_batch]
            await delivery.prepare(chunk)
            at = 0
            while at < len(chunk):
                if stop() or flight.stopped:
                    flight.report.stopped = True
                    return
                held = delivery.claim_when_ready
                if held:  # the send takes its place and its pace before the claim (see the module doc)
                    await flight.slot()
                    await pacer.wait()
                    if stop() or flight.stopped:
                        flight.report.stopped = True
                        flight.free_slot()
                        return
                part = chunk[at : at + self._size(delivery.claim_batch, CLAIM_AHEAD.total_seconds())]
                at += len(part)
                jobs = await self._claim(delivery, part, flight)
                if not jobs:
                    if held:
                        flight.free_slot()
                    continue
                if not await self._send_all(delivery, jobs, flight, pacer, stop, held):
                    return

    async def _send_all(
        self,
        delivery: Delivery[I, J],
        jobs: list[J],
        flight: Flight[J],
        pacer: Pacer,
        stop: Callable[[], bool],
        holding: bool,
    ) -> bool:
        """Start the sends of a claimed batch (`holding`: the first one's place is taken); False if it stops."""
        checked, gone = 0, set[int]()
        for n, job in enumerate(jobs):
            if delivery.recheck and n >= checked:
                checked = n + self._size(CLAIM_BATCH, RECHECK_AHEAD.total_seconds())
                gone = await self._withdrawn(delivery, jobs[n:checked], flight)
            if delivery.who_job(job) in gone:
                continue
            if not holding:
                await flight.slot()
                await pacer.wait()
            holding = False
            if stop() or flight.stopped:
                flight.report.stopped = True
                flight.free_slot()
                await flight.release([j for j in jobs[n:] if delivery.who_job(j) not in gone])
                return False
            flight.start(job)
            # Let the send just started reach the wire before the next slot is booked.
            await asyncio.sleep(0)
        if holding:
            flight.free_slot()
        return True

    def _size(self, most: int, seconds: float) -> int:
        """About `seconds` of sends at the pace now, within [1, most]."""
        return max(1, min(most, int(self._rate() * seconds)))

    async def _claim(self, delivery: Delivery[I, J], part: Sequence[I], flight: Flight[J]) -> list[J]:
        """Claim a batch (each row alone if that fails); settle as failed the claims that cannot be sent."""
        failed = 0
        try:
            claimed = await delivery.claim(part)
        except Exception as exc:
            logger.warning("claiming %d of %s at once failed (%s); one by one", len(part), delivery.what, exc)
            claimed = Claimed[J]()
            for item in part:
                try:
                    one = await delivery.claim([item])
                except Exception as err:
                    log_failure(delivery.what, delivery.who(item), err)
                    failed += 1
                    continue
                claimed.jobs += one.jobs
                claimed.unsendable += one.unsendable
        already = len(part) - len(claimed.jobs) - len(claimed.unsendable) - failed
        flight.report.already += already
        flight.report.failed += failed
        flight.resolved(already + failed)
        if claimed.unsendable:
            await flight.settle([(j, SendResult(Outcome.FAILED)) for j in claimed.unsendable])
        return claimed.jobs

    async def _withdrawn(self, delivery: Delivery[I, J], jobs: Sequence[J], flight: Flight[J]) -> set[int]:
        """Re-check claims about to be sent; release those whose user left or unsubscribed since."""
        try:
            due = await delivery.still_due(jobs)
        except Exception as exc:  # the claim checked them already: a failed re-check sends as before
            logger.warning("re-checking %d of %s before sending failed: %s", len(jobs), delivery.what, exc)
            return set()
        gone = [j for j in jobs if delivery.who_job(j) not in due]
        for j in gone:
            logger.info(
                "%s for %s not sent: they left or unsubscribed after the claim", delivery.what, delivery.who_job(j)
            )
        flight.report.already += len(gone)
        flight.resolved(len(gone))
        await flight.release(gone)
        return {delivery.who_job(j) for j in gone}
