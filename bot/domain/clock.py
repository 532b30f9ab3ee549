"""Time as a dependency, so tests move it instead of sleeping."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> dt.datetime:
        """Return the current aware UTC datetime."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """Return the current aware UTC datetime."""
        return dt.datetime.now(dt.UTC)
