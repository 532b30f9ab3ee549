"""The rate limiter every Bot API call of a process goes through: the bot's replies, its push, `push` alone.

Our own rather than PTB's AIORateLimiter because that one has no priority (a long push starves the
replies), pauses every request while one waits out a 429, and has no limit per private chat.

- Overall: `overall` calls with a chat id per second, spaced evenly (Telegram allows about 30).
- Per chat: about one message a second in a private chat (with a short burst), 20 a minute in a group.
- Independence: a reply first waits for its own chat's turn, then books the next overall slot, so a chat
  over its limit delays only itself: another chat's reply waits at most for the overall slots already
  taken (about 1/overall each), never for the busy chat's backlog.
- Priority: calls made inside `bulk_traffic()` (the daily push) only take a slot no reply is waiting
  for (a reply waiting for an overall slot, not one waiting for its own chat's turn), so replies overtake
  a running push and a busy chat does not stop it; every flood (429), a reply's or the push's, halves the
  push's pace (`bulk_rate`, read by its pacer), which creeps back with every push message that goes out.
  The 429s of calls in flight together that meet one flood (before its wait is over) halve it once.
- Failures: a 429 is waited out and retried (at most MAX_FLOOD_WAIT in total per call); other failures
  follow `delivery.retry_delay`, which never repeats a send that may have arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.config import Settings
from bot.metrics import Metrics
from bot.telegram.delivery import MAX_FLOOD_WAIT, flood_wait, retry_delay

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

OVERALL_RATE = 28.0  # a little under Telegram's ~30/s, so timing jitter does not cost a 429
PRIVATE_RATE = 1.0
PRIVATE_BURST = 3
GROUP_RATE = 20 / 60
GROUP_BURST = 20
MIN_BULK_RATE = 0.5
BULK_RECOVERY = 0.05  # messages/s the push's pace regains per message delivered after a flood wait

_bulk: ContextVar[bool] = ContextVar("bulk_traffic", default=False)


@contextlib.contextmanager
def bulk_traffic() -> Iterator[None]:
    """Calls made inside this block (in this task) are bulk: they go after every waiting reply."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


class BulkStopped(Exception):
    """Bulk traffic was stopped (shutdown) before this call was sent: nothing went out."""


@dataclass
class _Gcra:
    """One limit as a generic cell rate: `rate` calls a second, bursts of up to `burst`."""

    rate: float
    burst: int
    tat: float = 0.0  # the theoretical arrival time of the next call

    def free_at(self) -> float:
        """The earliest time the next call may go."""
        return self.tat - (self.burst - 1) / self.rate

    def book(self, start: float) -> None:
        """Take the slot of a call going at `start` (not before `free_at()`)."""
        self.tat = max(self.tat, start) + 1 / self.rate


@dataclass
class _ChatCell(_Gcra):
    """A chat's limit, and its queue: the chat's replies take their turns one after another, in order."""

    turns: asyncio.Lock = field(default_factory=asyncio.Lock)


def chat_of(data: dict[str, Any]) -> int | str | None:
    """The chat a call is about, as Telegram counts limits; None for calls without one."""
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return str(chat_id)


class Limiter(BaseRateLimiter[None]):
    """Telegram's limits for one process, replies before the push, and the retry policy."""

    def __init__(
        self,
        *,
        overall: float = OVERALL_RATE,
        private_rate: float = PRIVATE_RATE,
        group_rate: float = GROUP_RATE,
        bulk_rate: float = 20.0,
        max_flood_wait: float = MAX_FLOOD_WAIT,
        sleep: Sleep | None = None,
    ) -> None:
        self._overall = _Gcra(overall, 1)
        self._private_rate = private_rate
        self._group_rate = group_rate
        self._chats: dict[int | str, _ChatCell] = {}
        self._bulk_ceiling = bulk_rate
        self._bulk_rate = bulk_rate
        self._max_flood_wait = max_flood_wait
        self._sleep = sleep
        self._replies_waiting = 0
        self._stopped = asyncio.Event()
        self._flood_until = float("-inf")  # loop time the last flood wait that halved the pace ends
        # Every request but getUpdates passes here: the place to count them (PTB sends getUpdates around the
        # limiter; bot/telegram/polling.py counts those).
        self.metrics: Metrics | None = None

    @classmethod
    def from_settings(cls, settings: Settings, sleep: Sleep | None = None) -> Limiter:
        """The limiter a process runs with: Telegram's rates, or none (TELEGRAM_RATE_LIMITS=false)."""
        make = cls if settings.telegram_rate_limits else cls.unpaced
        return make(bulk_rate=settings.push_rate, sleep=sleep)

    @classmethod
    def unpaced(cls, *, bulk_rate: float = 20.0, sleep: Sleep | None = None) -> Limiter:
        """No rate of Telegram's (TELEGRAM_RATE_LIMITS=false): priority, flood waits and retries as usual."""
        return cls(overall=math.inf, private_rate=math.inf, group_rate=math.inf, bulk_rate=bulk_rate, sleep=sleep)

    async def initialize(self) -> None:
        """Accept bulk traffic (again, after a shutdown)."""
        self._stopped.clear()

    async def shutdown(self) -> None:
        """Release bulk callers still waiting for a slot."""
        self.stop_bulk()

    @property
    def bulk_rate(self) -> float:
        """The push's pace now: its configured rate, halved by each flood wait and regained slowly."""
        return self._bulk_rate

    def stop_bulk(self) -> None:
        """Make bulk callers waiting for a slot, and those that come later, raise BulkStopped."""
        self._stopped.set()

    def _chat_limit(self, chat: int | str) -> _ChatCell:
        found = self._chats.get(chat)
        if found is None:
            group = isinstance(chat, str) or chat < 0
            found = _ChatCell(self._group_rate, GROUP_BURST) if group else _ChatCell(self._private_rate, PRIVATE_BURST)
            self._chats[chat] = found
            if len(self._chats) > 10_000:
                self._forget_idle(asyncio.get_running_loop().time())
        return found

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._chats.items() if v.tat < now and not v.turns.locked()]:
            del self._chats[key]

    async def _wait(self, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)

    async def _reply_slot(self, chat: int | str | None) -> None:
        if chat is None:
            return
        loop = asyncio.get_running_loop()
        limit = self._chat_limit(chat)
        async with limit.turns:
            # First the chat's own turn, which holds up nobody else: booking the overall slot at that turn
            # would queue every other chat's replies behind the busiest chat, and counting this wait as a
            # reply waiting would stop the push for as long. (A push send may take the chat's slot
            # meanwhile: hence the loop.)
            turn = limit.free_at()
            while turn > loop.time():
                await self._wait(turn - loop.time())
                if limit.free_at() <= turn:
                    break
                turn = limit.free_at()
            now = max(loop.time(), turn)  # a timer may wake a hair early
            # Then the next overall slot, at most a few 1/overall away: only this wait holds back the push.
            # The chat's slot is booked at the time the call goes, so its next turn counts from then.
            start = max(now, self._overall.free_at())
            limit.book(start)
            self._overall.book(start)
            if start <= loop.time():
                return
            self._replies_waiting += 1
            try:
                await self._wait(start - loop.time())
            finally:
                self._replies_waiting -= 1

    async def _bulk_slot(self, chat: int | str | None) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._stopped.is_set():
                raise BulkStopped
            now = loop.time()
            limit = self._chat_limit(chat) if chat is not None else None
            ready = max(self._overall.free_at(), limit.free_at() if limit else now)
            if ready <= now and not self._replies_waiting:
                if limit is not None:
                    limit.book(now)
                self._overall.book(now)
                return
            # Replies first: look again one overall slot later.
            delay = max(ready - now, 1 / self._overall.rate)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)

    async def _pause(self, seconds: float, bulk: bool) -> None:
        """Wait before trying again; bulk traffic gives up (nothing was sent) if it is stopped meanwhile."""
        sleep = self._sleep or asyncio.sleep
        if not bulk:
            await sleep(seconds)
            return
        pause = asyncio.ensure_future(sleep(seconds))
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({pause, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pause.cancel()
            stopped.cancel()
        if self._stopped.is_set():
            raise BulkStopped

    def _flooded(self, wait: float) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._flood_until:
            return  # a call in flight beside the one that met this flood: the pace is halved already
        self._flood_until = now + wait
        halved = max(MIN_BULK_RATE, self._bulk_rate / 2)
        if halved < self._bulk_rate:
            logger.info("flood wait %.1fs: push pace %.1f/s -> %.1f/s", wait, self._bulk_rate, halved)
        self._bulk_rate = halved

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the call's slot, make it, and retry as the policy allows."""
        bulk = _bulk.get()
        chat = chat_of(data)
        flood_waited = 0.0
        attempt = 0
        while True:
            await (self._bulk_slot(chat) if bulk else self._reply_slot(chat))
            attempt += 1
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = flood_wait(exc)
                if self.metrics is not None:
                    self.metrics.on_api_call(endpoint, "flood")
                    self.metrics.on_flood(endpoint, wait)
                self._flooded(wait)
                flood_waited += wait
                if flood_waited > self._max_flood_wait:
                    logger.warning("%s to chat %s: flood waits passed %.0fs; giving up", endpoint, chat, flood_waited)
                    raise
                logger.info("%s to chat %s: flood wait %.1fs", endpoint, chat, wait)
                await self._pause(wait, bulk)
                continue
            except Exception as exc:
                if self.metrics is not None:
                    self.metrics.on_api_call(endpoint, "error")
                if not isinstance(exc, TelegramError):
                    raise
                delay = retry_delay(endpoint, exc, attempt)
                if delay is None:
                    raise
                logger.warning("%s to chat %s failed (%s); retrying in %.1fs", endpoint, chat, exc, delay)
                await self._pause(delay, bulk)
                continue
            if self.metrics is not None:
                self.metrics.on_api_call(endpoint, "ok")
            if bulk and self._bulk_rate < self._bulk_ceiling:
                self._bulk_rate = min(self._bulk_ceiling, self._bulk_rate + BULK_RECOVERY)
            return result
