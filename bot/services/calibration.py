"""Observed question difficulty from stored answers, cached for the interview's estimate."""

from __future__ import annotations

import datetime as dt

from bot.domain.bank import Bank
from bot.domain.calibration import Observed, difficulties, flagged, observe
from bot.domain.clock import Clock
from bot.storage.calibration import answer_tallies
from bot.storage.db import Database

# Scanning every answer is cheap now and grows with use; an hour-old calibration is good enough.
CACHE_FOR = dt.timedelta(hours=1)


class CalibrationService:
    """Computes observed difficulties, at most once per CACHE_FOR."""

    def __init__(self, db: Database, bank: Bank, clock: Clock) -> None:
        self._db = db
        self._bank = bank
        self._clock = clock
        self._cached: dict[str, float] | None = None
        self._at: dt.datetime | None = None

    async def observed(self) -> dict[str, Observed]:
        """Every question with enough answers, freshly computed."""
        return observe(self._bank, await answer_tallies(self._db))

    async def difficulties(self) -> dict[str, float]:
        """Question id to observed difficulty (cached)."""
        now = self._clock.now()
        if self._cached is None or self._at is None or now - self._at >= CACHE_FOR:
            self._cached = difficulties(await self.observed())
            self._at = now
        return self._cached

    async def flagged(self) -> list[Observed]:
        """Questions editors should look at."""
        return flagged(await self.observed())
