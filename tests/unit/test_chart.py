"""The /stats chart: its data (answers per local day) and its cost for a user with 10k answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import statistics
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import PIL.Image

from bench.bench_stats import HEAVY_USER, NOW, generate
from bot import chart
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank
from bot.domain.chart import ChartData, TopicBar, daily_counts, since_ms, with_goal
from bot.domain.progress import BUCKET_MS
from bot.services.progress import FsrsCards, ProgressService
from bot.storage.db import Database
from bot.storage.progress import ProgressStore
from tests.clock import FakeClock

LIGHT_USER = 2
RUNS = 7


def _bucket(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000) // BUCKET_MS


def test_daily_counts_are_local_days_ending_today() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    today = dt.date(2026, 3, 10)
    buckets = [
        (_bucket(dt.datetime(2026, 3, 9, 15, 30, tzinfo=dt.UTC)), 4),  # 00:30 on the 10th in Tokyo
        (_bucket(dt.datetime(2026, 3, 9, 14, 45, tzinfo=dt.UTC)), 2),  # 23:45 on the 9th in Tokyo
        (_bucket(dt.datetime(2026, 2, 8, 14, 0, tzinfo=dt.UTC)), 9),  # 23:00 on 8 Feb: before the 30 days
    ]
    days = daily_counts(buckets, tokyo, today)
    assert len(days) == 30 and days[0][0] == dt.date(2026, 2, 9) and days[-1] == (today, 4)
    assert days[-2] == (dt.date(2026, 3, 9), 2) and sum(n for _, n in days) == 6
    start = dt.datetime.fromtimestamp(since_ms(today, tokyo) / 1000, tokyo)
    assert start == dt.datetime(2026, 2, 9, tzinfo=tokyo)


def test_render_draws_a_png_with_and_without_a_forecast() -> None:
    days = tuple((dt.date(2026, 3, 1) + dt.timedelta(days=i), i % 4) for i in range(30))
    plain = ChartData("fresher", (TopicBar("routing", 0.5), TopicBar("basics", 0.0)), days)
    goal = ChartData("advanced", (TopicBar("routing", 0.5, 0.9),), days, (dt.date(2026, 4, 1), 0.8))
    empty = ChartData("fresher", (), tuple((d, 0) for d, _ in days))
    for data in (plain, goal, empty):
        image = PIL.Image.open(io.BytesIO(chart.render_png(data)))
        assert image.format == "PNG" and image.width == 800


async def test_chart_cost_does_not_grow_with_history(tmp_path: Path) -> None:
    """/stats data + chart for 10k answers against the same for 100 answers, measured in the same run."""
    path = tmp_path / "bench.sqlite3"
    db = await Database.open(path)
    await db.close()
    generate(path, users=2, total_answers=10_100, heavy=10_000)
    db = await Database.open(path)
    try:
        store = ProgressStore(db)
        svc = ProgressService(store, load_bank(DEFAULT_QUESTIONS_DIR), FakeClock(NOW), "UTC", FsrsCards(store))

        async def stats_and_chart(user_id: int) -> float:
            t0 = time.perf_counter()
            report = await svc.stats(user_id)
            assert report.chart is not None
            await asyncio.to_thread(chart.render_png, report.chart)
            return time.perf_counter() - t0

        heavy_report = await svc.stats(HEAVY_USER)
        assert sum(lp.answered for lp in heavy_report.levels) == 10_000
        await stats_and_chart(LIGHT_USER)  # warm-up: matplotlib's import and font cache
        heavy, light = [], []
        for _ in range(RUNS):
            heavy.append(await stats_and_chart(HEAVY_USER))
            light.append(await stats_and_chart(LIGHT_USER))
    finally:
        await db.close()
    ratio = statistics.median(heavy) / statistics.median(light)
    assert ratio < 3.0, f"10k answers cost {ratio:.2f}x what 100 answers cost"


def test_with_goal_draws_the_goal_level_now_and_at_the_date() -> None:
    days = tuple((dt.date(2026, 3, 1) + dt.timedelta(days=i), 1) for i in range(30))
    base = ChartData("fresher", (TopicBar("routing", 0.5),), days)
    goal = with_goal(
        base, "advanced", {"routing": 0.2, "async": 0.1}, {"async": 0.7, "routing": 0.9}, dt.date(2026, 5, 1), 0.8
    )
    assert goal.level == "advanced" and goal.days == days and goal.goal == (dt.date(2026, 5, 1), 0.8)
    assert goal.topics == (TopicBar("routing", 0.2, 0.9), TopicBar("async", 0.1, 0.7))  # in bank topic order
