"""The push machinery under every delivery round: the pacer, and the window of sends in flight with group commit."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from bot.domain.clock import Clock
from bot.domain.delivery import IN_FLIGHT, Outcome, RoundReport, SendResult

logger = logging.getLogger(__name__)

J = TypeVar("J")
Sleep = Callable[[float], Awaitable[None]]
Rate = Callable[[], float]
Progress = Callable[[int, int, RoundReport], None]
# Commits the outcomes of several sends in one transaction; raises if that failed.
Commit = Callable[[Sequence[tuple[J, SendResult]]], Awaitable[None]]


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


class Flight(Generic[J]):
    """The sends of one round in flight: at most IN_FLIGHT sent or being sent and not yet settled.

    A send keeps its slot until its outcome is committed, so a crash leaves at most IN_FLIGHT rows that went out
    unrecorded. Outcomes are committed together: whoever settles while no commit runs commits everything waiting,
    again and again until nothing waits (group commit). A batch whose commit fails is committed one at a time.
    """

    def __init__(
        self,
        send: Callable[[J], Awaitable[SendResult]],
        commit: Commit[J],
        who: Callable[[J], int],
        what: str,
        report: RoundReport,
        total: int,
        progress: Progress | None,
        observe: Callable[[J, SendResult], None] = lambda job, result: None,
    ) -> None:
        self._send = send
        self._observe = observe
        self._commit_many = commit
        self._who = who
        self._what = what
        self.report = report
        self._total = total
        self._progress = progress
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: list[tuple[J, SendResult, bool]] = []
        self._committing = False
        self.stopped = False  # a send came back unsent: the process is shutting down
        self.done = 0

    async def slot(self) -> None:
        """Wait until fewer than IN_FLIGHT sends are unsettled, and take a place."""
        await self._slots.acquire()

    def free_slot(self) -> None:
        """Give back a place taken for a send that will not be started."""
        self._slots.release()

    def start(self, job: J) -> None:
        """Send in a task of its own (it holds the place taken with `slot`)."""
        task = asyncio.create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: J) -> None:
        try:
            result = await self._send(job)
        except Exception:
            logger.exception("%s to %s failed", self._what, self._who(job))
            result = SendResult(Outcome.FAILED)
        if result.outcome is Outcome.RELEASED:
            self.stopped = True
        self._observe(job, result)
        await self._settle([(job, result, True)])

    async def settle(self, outcomes: Sequence[tuple[J, SendResult]]) -> None:
        """Commit outcomes of rows that hold no place (never sent)."""
        await self._settle([(job, result, False) for job, result in outcomes])

    async def release(self, jobs: Sequence[J]) -> None:
        """Give claims back unsent: a later round sends them."""
        await self.settle([(j, SendResult(Outcome.RELEASED)) for j in jobs])

    def resolved(self, count: int) -> None:
        """Count rows done without a send (left out by a claim, withdrawn, failed before sending)."""
        for _ in range(count):
            self.done += 1
            if self._progress is not None:
                self._progress(self.done, self._total, self.report)

    async def drain(self) -> None:
        """Wait for every send in flight and the commit of its outcome."""
        while self._tasks:
            await asyncio.gather(*self._tasks)

    async def _settle(self, outcomes: list[tuple[J, SendResult, bool]]) -> None:
        self._waiting += outcomes
        if self._committing:
            return  # the commit under way takes these too
        self._committing = True
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._commit([(j, r) for j, r, _ in batch])
                for _, _, held in batch:
                    if held:
                        self._slots.release()
        finally:
            self._committing = False

    async def _commit(self, outcomes: list[tuple[J, SendResult]]) -> None:
        try:
            await self._commit_many(outcomes)
            stored = outcomes
        except Exception as exc:
            logger.warning("settling %d of %s at once failed (%s); one by one", len(outcomes), self._what, exc)
            stored = []
            for one in outcomes:
                try:
                    await self._commit_many([one])
                    stored.append(one)
                except Exception as err:
                    # Left 'sending': the lease decides what a later round does with it.
                    log_failure(self._what, self._who(one[0]), err)
                    self.report.failed += 1
                    self.resolved(1)
        for _, result in stored:
            if result.outcome.counts_as_sent:
                self.report.sent += 1
            elif result.outcome is Outcome.BLOCKED:
                self.report.blocked += 1
            elif result.outcome is not Outcome.RELEASED:
                self.report.failed += 1
            if result.outcome is not Outcome.RELEASED:
                self.resolved(1)


def log_failure(what: str, who: int, exc: BaseException) -> None:
    """One row's failure: a line for the expected kind (its rows changed meanwhile), a traceback otherwise."""
    if isinstance(exc, sqlite3.IntegrityError):
        logger.warning("%s for %s skipped: their data changed meanwhile (%s)", what, who, exc)
    else:
        logger.error("%s for %s failed", what, who, exc_info=exc)
