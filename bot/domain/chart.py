"""What the /stats chart shows: readiness per topic at one level (and a forecast), and answers per day."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.bank import TOPICS
from bot.domain.progress import BUCKET_MS

CHART_DAYS = 30


@dataclass(frozen=True)
class TopicBar:
    """One topic's readiness now, in [0, 1], and at the goal's date when a goal is set."""

    topic: str
    readiness: float
    forecast: float | None = None


@dataclass(frozen=True)
class ChartData:
    """Everything the chart draws; `goal` is the goal's date and readiness bar when one is set."""

    level: str
    topics: tuple[TopicBar, ...]
    days: tuple[tuple[dt.date, int], ...]
    goal: tuple[dt.date, float] | None = None


def daily_counts(
    buckets: Iterable[tuple[int, int]], zone: dt.tzinfo, today: dt.date, days: int = CHART_DAYS
) -> tuple[tuple[dt.date, int], ...]:
    """Answers per local day over the `days` days ending today, from (15-minute UTC bucket, count) pairs."""
    first = today - dt.timedelta(days=days - 1)
    per_day: Counter[dt.date] = Counter()
    for bucket, count in buckets:
        day = dt.datetime.fromtimestamp(bucket * BUCKET_MS / 1000, zone).date()
        if first <= day <= today:
            per_day[day] += count
    return tuple((first + dt.timedelta(days=i), per_day[first + dt.timedelta(days=i)]) for i in range(days))


def since_ms(today: dt.date, zone: dt.tzinfo, days: int = CHART_DAYS) -> int:
    """The epoch ms of the local midnight that starts the chart's first day."""
    start = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), zone)
    return int(start.timestamp() * 1000)


def with_goal(
    chart: ChartData,
    level: str,
    now: Mapping[str, float],
    at_date: Mapping[str, float],
    date: dt.date,
    bar: float,
) -> ChartData:
    """The chart for a goal: the goal level's topics, readiness now and the forecast at its date, the bar."""
    topics = tuple(TopicBar(t, now.get(t, 0.0), at_date.get(t, 0.0)) for t in TOPICS if t in now or t in at_date)
    return ChartData(level, topics, chart.days, (date, bar))
