"""The push tick when nobody is due: what one minute's look for due subscribers costs at 100k subscribers.

Run on demand (not in CI): python bench/bench_due.py [--subscribers N] [--ticks T] [--before DIR]

A temporary SQLite file gets N subscribers (the schema from the real migrations, the rows by direct SQL) at
random times in four zones, at a fixed instant: everyone whose time has come today was already served (a `sent`
row for their local date), everyone else is due later. Then the real `PushService.run_round` runs T times on
that clock (a tick of the bot's job: nobody to send to), after one first tick that is reported apart (after the
due-index migration it is the one that stores every subscriber's next due time). Per tick:
- wall: the tick's duration;
- loop CPU: CPU time of the event-loop thread (time.thread_time on it): the Python work on the loop, filtering
  the subscribers included;
- database CPU: the rest of the process's CPU time in the tick, which is the aiosqlite thread's (SQL, rows).
With --before DIR (a checkout of the code before), the same runs with DIR's `bot` first on PYTHONPATH, in a child.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", None)
BASE_UID = 100_000_000


class _Clock:
    def now(self) -> dt.datetime:
        return NOW


async def _migrate(path: Path) -> None:
    from bot.storage.db import Database

    db = await Database.open(path)
    await db.close()


def generate(path: Path, subscribers: int, seed: int = 7) -> int:
    """Subscribers at random times; those whose time has passed today were served. The number served."""
    import zoneinfo

    asyncio.run(_migrate(path))
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("BEGIN")
    users, deliveries = [], []
    for i in range(subscribers):
        uid = BASE_UID + i
        zone = rng.choice(ZONES)
        at = dt.time(rng.randrange(24), rng.randrange(60))
        tz = zoneinfo.ZoneInfo(zone or "UTC")
        today = NOW.astimezone(tz).date()
        users.append((uid, uid, f"u{i}", "fresher", f"{at.hour:02d}:{at.minute:02d}", zone, 0))
        if dt.datetime.combine(today, at, tzinfo=tz) <= NOW:
            deliveries.append((uid, today.isoformat(), "sent", 1, 0))
    conn.executemany(
        "INSERT INTO users (user_id, chat_id, first_name, level, daily_time, timezone, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        users,
    )
    conn.executemany(
        "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) VALUES (?, ?, ?, ?, ?)", deliveries
    )
    conn.commit()
    conn.close()
    return len(deliveries)


async def _tick(push: Any) -> dict[str, float]:
    async def send(chat_id: int, view: object) -> Any:  # never called: nobody is due
        raise AssertionError(f"sent to {chat_id}")

    cpu, loop_cpu, wall = time.process_time(), time.thread_time(), time.perf_counter()
    report = await push.run_round(send)
    wall, loop_cpu, cpu = time.perf_counter() - wall, time.thread_time() - loop_cpu, time.process_time() - cpu
    assert report.sent == 0
    return {"wall": wall * 1000, "loop": loop_cpu * 1000, "db": max(0.0, cpu - loop_cpu) * 1000, "due": report.due}


async def measure(path: Path, ticks: int) -> dict[str, Any]:
    """One first tick, then `ticks` more; their figures in ms."""
    from bot.config import DEFAULT_QUESTIONS_DIR, Settings
    from bot.domain.bank import load_bank
    from bot.services.wiring import build_services
    from bot.storage.db import Database

    settings = Settings(_env_file=None, database_path=path, default_timezone="UTC")  # type: ignore[call-arg]
    db = await Database.open(path)
    try:
        services = build_services(settings, db, load_bank(DEFAULT_QUESTIONS_DIR), _Clock(), random.Random(1))  # type: ignore[arg-type]
        first = await _tick(services.push)
        later = [await _tick(services.push) for _ in range(ticks)]
    finally:
        await db.close()
    return {"first": first, "ticks": later}


def _child(args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(args.before.resolve()))
    out = subprocess.run(
        [sys.executable, __file__, "--subscribers", str(args.subscribers), "--ticks", str(args.ticks), "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _run(subscribers: int, ticks: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bot.sqlite3"
        served = generate(path, subscribers)
        result = asyncio.run(measure(path, ticks))
        result["served"] = served
        return result


def _median(result: dict[str, Any], key: str) -> float:
    return statistics.median(t[key] for t in result["ticks"])


def main() -> None:
    """Measure the current code (and the code before), print and record the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a checkout of the code before: run it too (in a child)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (for --before)")
    parser.add_argument("--title", default="Push tick with nobody due (issue 21: due selection by index)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    ours = _run(args.subscribers, args.ticks)
    if args.json:
        print(json.dumps(ours))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from common import record, table

    runs = [("before", _child(args))] if args.before is not None else []
    runs.append(("after", ours))
    rows = []
    for label, found in runs:
        first = found["first"]
        rows.append(
            (
                label,
                f"{args.subscribers:,} ({found['served']:,} served today)",
                f"{_median(found, 'wall'):.2f}",
                f"{_median(found, 'loop'):.2f}",
                f"{_median(found, 'db'):.2f}",
                f"{first['wall']:.0f} / {first['loop']:.0f} / {first['db']:.0f}",
                ", ".join(f"{t['wall']:.2f}" for t in found["ticks"]),
            )
        )
    body = table(
        [
            "code",
            "subscribers",
            "tick wall ms (median)",
            "event loop CPU ms",
            "database thread CPU ms",
            "first tick wall / loop / db ms",
            "ticks (wall ms)",
        ],
        rows,
    )
    body += f"\n\nGoal: a tick with nobody due ≤ 20 ms, no filtering on the loop; {args.ticks} ticks after the first."
    record(args.title, body, write=not args.no_write)


if __name__ == "__main__":
    main()
