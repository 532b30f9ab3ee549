"""Local time for the daily push: parsing HH:MM, zones, and which subscribers are due on which local date.

A user's question is due on local date D once the UTC instant of D at their HH:MM in their zone has passed.
That instant is computed afresh for every date, so it follows DST changes: 09:00 in New York is 14:00 UTC in
winter and 13:00 UTC in summer. A wall time that does not exist on a spring-forward day (02:30) is read with
the offset in force before the change, so it falls an hour later on the new wall clock; an ambiguous time on a
fall-back day is its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_HHMM = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


@dataclass(frozen=True)
class DailySettings:
    """A user's push settings."""

    daily_time: dt.time | None
    timezone: str | None
    blocked: bool


@dataclass(frozen=True)
class Subscriber:
    """A user who asked for the daily question."""

    user_id: int
    chat_id: int
    daily_time: dt.time
    timezone: str | None
    level: str | None


@dataclass(frozen=True)
class Due:
    """A subscriber whose question for `local_date` may go out now."""

    subscriber: Subscriber
    local_date: dt.date


def parse_hhmm(text: str) -> dt.time | None:
    """`9:30`, `09:30` or `21.05` as a time; None for anything else."""
    match = _HHMM.match(text.strip())
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def format_hhmm(value: dt.time) -> str:
    """A time as `HH:MM`."""
    return f"{value.hour:02d}:{value.minute:02d}"


def minutes(value: dt.time) -> int:
    """Minutes since local midnight."""
    return value.hour * 60 + value.minute


def from_minutes(total: int) -> dt.time:
    """The time `total` minutes after midnight (0 ≤ total < 1440)."""
    if not 0 <= total < 24 * 60:
        raise ValueError(f"minute of day out of range: {total}")
    return dt.time(total // 60, total % 60)


@functools.cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone(name: str | None, default: str) -> zoneinfo.ZoneInfo:
    """The user's zone, or the default if theirs is unset or no longer known."""
    for candidate in (name, default):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def canonical_zone(text: str) -> str | None:
    """The IANA name the user meant (case-insensitive), or None if there is no such zone."""
    wanted = text.strip().replace(" ", "_")
    by_lower = {z.lower(): z for z in _all_zones()}
    return by_lower.get(wanted.lower())


def suggest_zone(text: str) -> str | None:
    """The closest IANA zone name to a typo, if one is close enough."""
    wanted = text.strip().replace(" ", "_").lower()
    by_lower = {z.lower(): z for z in _all_zones()}
    close = difflib.get_close_matches(wanted, list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def local_date(now: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.date:
    """The date on the user's wall calendar at the instant `now`."""
    return now.astimezone(tz).date()


def due_instant(day: dt.date, at: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of `at` on local date `day` (first occurrence if ambiguous, pre-change offset if skipped)."""
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)


def next_due(at: dt.time, tz: zoneinfo.ZoneInfo, now: dt.datetime, served_today: bool) -> dt.datetime:
    """When the next daily post falls due: today's time (even if past: it is due now) unless today is served."""
    today = local_date(now, tz)
    return due_instant(today + dt.timedelta(days=1) if served_today else today, at, tz)


def due_now(
    subscribers: Iterable[Subscriber], now: dt.datetime, default_zone: str, ignore_time: bool = False
) -> list[Due]:
    """Subscribers whose local time has come today (all of them if `ignore_time`), with their local date."""
    result = []
    for sub in subscribers:
        tz = zone(sub.timezone, default_zone)
        today = local_date(now, tz)
        if ignore_time or now >= due_instant(today, sub.daily_time, tz):
            result.append(Due(sub, today))
    # Earliest wall time first, so those who have waited longest are served first.
    return sorted(
        result,
        key=lambda d: (
            due_instant(d.local_date, d.subscriber.daily_time, zone(d.subscriber.timezone, default_zone)),
            d.subscriber.user_id,
        ),
    )


def pending(due: Sequence[Due], served: set[tuple[int, dt.date]]) -> list[Due]:
    """The due subscribers not yet served on their local date."""
    return [d for d in due if (d.subscriber.user_id, d.local_date) not in served]
