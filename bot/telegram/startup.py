"""Bringing the bot up: wait for a Bot API that is not reachable yet, and tell a rejected token apart.

A bot started at boot may run before DNS or the network is ready, and a short outage should not need a
supervisor to restart it, so network errors, 5xx and flood waits at start-up are retried with backoff for as
long as it takes (until SIGTERM). A 401/404 to getMe will not get better by asking again: it stops start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.telegram.delivery import flood_wait

logger = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_FIRST = 1.0
BACKOFF_CAP = 30.0
CONFLICT_LOG_EVERY = 60.0


class TokenRejected(Exception):
    """Telegram refused the token (401/404 to getMe); the message names the status, never the token."""


class StopRequested(Exception):
    """SIGTERM or Ctrl-C arrived while waiting for the Bot API: start-up ends quietly, exit 0."""


class ApiUnreachable(Exception):
    """The Bot API did not answer within the attempts allowed; the message says what failed last."""


def backoff(first: float = BACKOFF_FIRST, cap: float = BACKOFF_CAP) -> Iterator[float]:
    """1, 2, 4 … seconds, then `cap` for ever."""
    delay = first
    while True:
        yield min(delay, cap)
        delay *= 2


def rejection(exc: InvalidToken) -> str:
    """The status Telegram gave for a refused token, e.g. "401 Unauthorized", without the token.

    PTB re-raises the server's answer as `InvalidToken("The token `<token>` was rejected …")`, so the
    status text is read from the original exception it chains.
    """
    cause = exc.__cause__ if isinstance(exc.__cause__, InvalidToken) else None
    said = (cause.message if cause else "").lower()
    if "unauthorized" in said:
        return "401 Unauthorized"
    if "not found" in said:
        return "404 Not Found"
    return "token refused"


def _reason(exc: TelegramError) -> str:
    if isinstance(exc, RetryAfter):
        return "flood wait"
    return exc.message.splitlines()[0] if exc.message else type(exc).__name__


async def until_up(
    call: Callable[[], Awaitable[T]],
    what: str,
    stop: asyncio.Event,
    *,
    delays: Iterable[float] | None = None,
    attempts: int | None = None,
) -> T:
    """Run `call` until the Bot API answers it; StopRequested when `stop` is set first.

    Network errors, timeouts, 5xx and flood waits are retried with backoff, one warning line each; a
    rejected token raises TokenRejected at once; after `attempts` failures (None: no limit) ApiUnreachable.
    """
    for attempt, delay in enumerate(delays if delays is not None else backoff(), start=1):
        call_task = asyncio.ensure_future(call())
        stop_task = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({call_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        stop_task.cancel()
        if call_task not in done:
            call_task.cancel()
            await asyncio.gather(call_task, return_exceptions=True)
            raise StopRequested
        try:
            return call_task.result()
        except InvalidToken as exc:
            raise TokenRejected(rejection(exc)) from None
        except (NetworkError, RetryAfter) as exc:
            reason = _reason(exc)
            if isinstance(exc, RetryAfter):
                delay = max(delay, flood_wait(exc))
        if attempts is not None and attempt >= attempts:
            raise ApiUnreachable(f"{what} failed {attempt} times; last: {reason}")
        logger.warning(
            "%s: the Bot API did not answer (%s); attempt %d, retrying in %g s", what, reason, attempt, delay
        )
        try:
            await asyncio.wait_for(stop.wait(), delay)
            raise StopRequested
        except TimeoutError:
            pass
    raise ApiUnreachable(f"{what}: no attempts were allowed")


class PollingErrors:
    """Polling failures as one warning line each, a 409 Conflict at most once a minute, never a traceback.

    PTB keeps polling with its own backoff (1.5× per failure, up to 30 s) and reports each failure to the
    application's error handler, which hands it here.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_conflict: float | None = None

    def __call__(self, exc: TelegramError) -> None:
        """Log one polling failure."""
        if isinstance(exc, Conflict):
            now = self._clock()
            if self._last_conflict is None or now - self._last_conflict >= CONFLICT_LOG_EVERY:
                self._last_conflict = now
                logger.warning(
                    "another bot instance is polling with this token (409 Conflict); stop it — "
                    "this one keeps retrying with backoff"
                )
            return
        logger.warning("polling for updates failed (%s); retrying with backoff", _reason(exc))
