"""Benchmark the /stats chart: a user with 10k answers; p50/p95 of drawing the PNG, and of /stats plus the chart.

Run on demand (not in CI): python bench/bench_chart.py [--heavy N] [--runs N] [--no-write]
The data goes through the real migrations into a temporary SQLite file (bench_stats.generate); the real
ProgressService builds the report and its chart data, and bot.chart.render_png draws it in a worker thread
(asyncio.to_thread), exactly as the /stats handler does. Meanwhile a ticker on the event loop records how
late it wakes up: the loop's worst lag shows whether drawing ever blocks it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_stats import HEAVY_USER, NOW, _migrate, generate
from bench.common import median, percentile, record, table
from bot import chart
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank
from bot.services.progress import FsrsCards, ProgressService
from bot.storage.db import Database
from bot.storage.progress import ProgressStore
from tests.clock import FakeClock

BUDGET_P95_MS = 300.0
TICK_S = 0.005


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    """Sleeps TICK_S again and again; records how much later than asked each wake-up came."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t0 = loop.time()
        await asyncio.sleep(TICK_S)
        lags.append((loop.time() - t0 - TICK_S) * 1000)


async def measure(path: Path, runs: int) -> dict[str, object]:
    """First chart (matplotlib's import included), then `runs` rounds of stats + chart, timed apart."""
    db = await Database.open(path)
    try:
        store = ProgressStore(db)
        svc = ProgressService(store, load_bank(DEFAULT_QUESTIONS_DIR), FakeClock(NOW), "UTC", FsrsCards(store))
        report = await svc.stats(HEAVY_USER)
        assert report.chart is not None
        t0 = time.perf_counter()
        png = await asyncio.to_thread(chart.render_png, report.chart)
        first = (time.perf_counter() - t0) * 1000
        stats_ms, render_ms, render_cpu_ms, total_ms, lags = [], [], [], [], []
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticker(lags, stop))
        for _ in range(runs):
            t0 = time.perf_counter()
            report = await svc.stats(HEAVY_USER)
            t1 = time.perf_counter()
            assert report.chart is not None
            png, cpu = await asyncio.to_thread(_timed_render, report.chart)
            t2 = time.perf_counter()
            stats_ms.append((t1 - t0) * 1000)
            render_ms.append((t2 - t1) * 1000)
            render_cpu_ms.append(cpu * 1000)
            total_ms.append((t2 - t0) * 1000)
        stop.set()
        await ticker
        # The same ticker for as long again with no drawing: the machine's own noise, to compare the lag with.
        quiet: list[float] = []
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticker(quiet, stop))
        await asyncio.sleep(sum(total_ms) / 1000)
        stop.set()
        await ticker
        return {
            "answers": sum(lp.answered for lp in report.levels),
            "topics": len(report.chart.topics),
            "days": len(report.chart.days),
            "png_bytes": len(png),
            "first_ms": first,
            "stats": stats_ms,
            "render": render_ms,
            "render_cpu": render_cpu_ms,
            "total": total_ms,
            "lags": lags,
            "quiet": quiet,
        }
    finally:
        await db.close()


def _timed_render(data: chart.ChartData) -> tuple[bytes, float]:
    c0 = time.thread_time()
    png = chart.render_png(data)
    return png, time.thread_time() - c0


def main() -> None:
    """Generate, measure, print (and append to docs/benchmarks.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--heavy", type=int, default=10_000, help="answers of the measured user")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        asyncio.run(_migrate(path))
        generate(path, 1, args.heavy, args.heavy)
        found = asyncio.run(measure(path, args.runs))
    rows = []
    for key, label in (
        ("render", "chart: render_png in a thread (wall)"),
        ("render_cpu", "chart: CPU time of the drawing thread"),
        ("stats", "/stats report with the chart's data"),
        ("total", "/stats report + chart"),
        ("lags", f"event loop: lateness of a {TICK_S * 1000:.0f} ms tick while charts are drawn"),
        ("quiet", "event loop: the same tick with nothing drawn (baseline)"),
    ):
        values = found[key]
        assert isinstance(values, list)
        rows.append(
            (
                label,
                f"{median(values):.1f}",
                f"{percentile(values, 95):.1f}",
                f"{max(values):.1f}",
            )
        )
    p95 = percentile(found["render"], 95)  # type: ignore[arg-type]
    body = (
        f"One user with {found['answers']} answers; the chart draws {found['topics']} topics and "
        f"{found['days']} days ({found['png_bytes']} bytes of PNG). {args.runs} runs after a first chart that "
        f"took {found['first_ms']:.0f} ms (matplotlib's import included).\n\n"
        + table(("what", "p50 ms", "p95 ms", "max ms"), rows)
        + f"\n\nBudget: chart p95 <= {BUDGET_P95_MS:.0f} ms: {'OK' if p95 <= BUDGET_P95_MS else 'OVER'}."
    )
    record("/stats chart (bench/bench_chart.py)", body, write=not args.no_write)


if __name__ == "__main__":
    main()
