"""Observed question difficulty from stored answers, cached for the interview's estimate."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.domain.bank import Bank
from bot.domain.calibration import Observed, difficulties, flagged, observe
from bot.domain.clock import Clock
from bot.storage.calibration import answer_tallies
from bot.storage.db import Database

# Reading the running tallies costs a row per question and level, whatever the number of answers; the hour keeps
# an interview's difficulties steady while it runs.
CACHE_FOR = dt.timedelta(hours=1)


class CalibrationService:
    """Computes observed difficulties, at most once per CACHE_FOR, once however many callers find them stale."""

    def __init__(self, db: Database, bank: Bank, clock: Clock) -> None:
        self._db = db
        self._bank = bank
        self._clock = clock
        self._cached: dict[str, float] | None = None
        self._at: dt.datetime | None = None
        self._refreshing = asyncio.Lock()

    async def observed(self) -> dict[str, Observed]:
        """Every question with enough answers, freshly computed."""
        return observe(self._bank, await answer_tallies(self._db))

    async def difficulties(self) -> dict[str, float]:
        """Question id to observed difficulty (cached)."""
        cached = self._fresh()
        if cached is not None:
            return cached
        async with self._refreshing:
            cached = self._fresh()  # whoever refreshed while this caller waited
            if cached is None:
                now = self._clock.now()
                cached = self._cached = difficulties(await self.observed())
                self._at = now
        return cached

    def _fresh(self) -> dict[str, float] | None:
        if self._cached is None or self._at is None or self._clock.now() - self._at >= CACHE_FOR:
            return None
        return self._cached

    async def flagged(self) -> list[Observed]:
        """Questions editors should look at."""
        return flagged(await self.observed())
