"""Sends and edits that survive passing API failures: bounded retries with backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

ATTEMPTS = 4
BASE_DELAY = 0.5
MAX_RETRY_AFTER = 60.0


async def with_retries(
    call: Callable[[], Awaitable[T]], what: str, sleep: Sleep = asyncio.sleep, attempts: int = ATTEMPTS
) -> T:
    """Run a Bot API call, retrying flood waits, network errors and 5xx a bounded number of times."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            delay = min(
                float(
                    exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
                ),
                MAX_RETRY_AFTER,
            )
            if attempt == attempts:
                raise
            logger.warning("%s: flood wait %.1fs (attempt %d)", what, delay, attempt)
            await sleep(delay)
        except BadRequest:
            raise  # A 400 will not get better by asking again.
        except NetworkError as exc:
            if attempt == attempts:
                raise
            delay = BASE_DELAY * 2 ** (attempt - 1)
            logger.warning("%s failed (%s); retrying in %.1fs", what, exc, delay)
            await sleep(delay)
    raise AssertionError("unreachable")


def is_not_modified(exc: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing."""
    return "not modified" in exc.message.lower()


def is_gone(exc: BadRequest) -> bool:
    """The message or chat to act on no longer exists."""
    text = exc.message.lower()
    return "not found" in text or "can't be edited" in text
