"""A clock tests set and move by hand, so they never sleep waiting for time to pass."""

from __future__ import annotations

import datetime as dt


class FakeClock:
    """A clock tests set and advance by hand."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        """Return the time the test last set."""
        return self._now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self._now += dt.timedelta(**delta)

    def set(self, when: dt.datetime) -> None:
        """Jump to a given aware datetime."""
        self._now = when
