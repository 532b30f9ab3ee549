"""The request every Bot API call but getUpdates goes through: at most TELEGRAM_MAX_IN_FLIGHT calls in flight at once.

A batch of updates handled at once would otherwise open a connection per call in flight, and keep them all: on
httpx, whose pool asks every idle connection at each request whether the server closed it, that was the largest
cost beyond bare PTB's with 100 users answering back to back (docs/benchmarks.md); on aiohttp
(bot/telegram/aiohttp_request.py) it is still a connection to Telegram per call. Calls past the cap wait here, in
arrival order and with no pool timeout, after the rate limiter's pacing, so a call held back by Telegram's limits
never holds a place."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import BaseRequest

from bot.telegram.wrapped_request import WrappedRequest


class CappedRequest(WrappedRequest):
    """Another request, with at most `limit` calls inside it at once; the rest wait their turn."""

    __slots__ = ("_places",)

    def __init__(self, inner: BaseRequest, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        super().__init__(inner)
        self._places = asyncio.Semaphore(limit)

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """The wrapped request's transport, once a place is free."""
        async with self._places:
            return await self._inner.do_request(url, *args, **kwargs)
