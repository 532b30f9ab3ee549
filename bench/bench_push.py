"""Push capacity and pacing: choosing 100k subscribers' questions, the send rate unpaced, PUSH_RATE honoured.

Run on demand (not in CI): python bench/bench_push.py [--subscribers N] [--http-subscribers N] [--paced N]

Subscribers are generated in a temporary SQLite file: the schema comes from the real migrations, the rows
by direct SQL (users with a daily time, a zone and a level; every other user with ten FSRS cards, due dates
spread over ±10 days). Then:
1. choice: PushService.choose_many (one card query per CHOICE_BATCH subscribers, then review.choose_question
   for each) over every subscriber, in batches as run_round does;
2. unpaced, in-process: a whole `run_round(everyone=True)` of the real PushService (claim, choose, store the
   daily session, mark sent) with pacing off (rate 1e9) and a no-op sender: the bot side alone (on a
   --round-subscribers database, 20k by default, to keep the run to minutes);
3. unpaced, over loopback HTTP: `python -m bot push --all` as a child process with PUSH_RATE=1000 (the
   highest the settings allow) against the loopback Bot API with no rate limit, on a smaller database;
4. paced: the same command with PUSH_RATE=25 against a loopback server that answers 429 above 30
   messages/s; the achieved rate is measured from the server's clock (first to last sendMessage).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import TOKEN, child_env, cpu_seconds, peak_rss_mib, record, table
from loopback import BenchApi

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Level, load_bank
from bot.domain.clock import SystemClock
from bot.domain.review import Rating, review
from bot.services.interview import InterviewService, QuestionView
from bot.services.push import CHOICE_BATCH, PushService, SendResult, SendStatus
from bot.storage.cards import CardStore
from bot.storage.db import Database
from bot.storage.interviews import InterviewStore
from bot.storage.push import PushStore

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", None)
CARDS_PER_USER = 10
BASE_UID = 100_000_000


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def generate(path: Path, subscribers: int, seed: int = 7) -> None:
    """`subscribers` users subscribed at random times; every other one has CARDS_PER_USER cards."""
    asyncio.run(_migrate(path))
    rng = random.Random(seed)
    bank = load_bank(DEFAULT_QUESTIONS_DIR)
    by_level = {lv: [q.id for q in bank.of_level(lv)] for lv in Level}
    now = dt.datetime.now(dt.UTC)
    template = review(None, Rating.Good, now).card_json
    now_ms = int(now.timestamp() * 1000)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    users = []
    cards = []
    for i in range(subscribers):
        uid = BASE_UID + i
        level = rng.choice(list(Level))
        users.append((uid, uid, level.value, ZONES[i % len(ZONES)], f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"))
        if i % 2 == 0:
            for qid in rng.sample(by_level[level], min(CARDS_PER_USER, len(by_level[level]))):
                due = now_ms + rng.randrange(-10 * 86_400_000, 10 * 86_400_000)
                cards.append((uid, qid, template, due, now_ms - 86_400_000))
    conn.executemany(
        "INSERT INTO users (user_id, chat_id, first_name, level, timezone, daily_time, created_at) "
        "VALUES (?, ?, 'U', ?, ?, ?, 0)",
        users,
    )
    conn.executemany(
        "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, ?, ?, ?, ?)", cards
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def _service(path: Path, rate: float) -> tuple[Database, PushService]:
    db = await Database.open(path)
    bank = load_bank(DEFAULT_QUESTIONS_DIR)
    clock = SystemClock()
    cards = CardStore(db)
    interview = InterviewService(InterviewStore(db), bank, clock, random.Random(1), cards=cards)
    push = PushService(PushStore(db), cards, interview, clock, random.Random(2), "UTC", rate, asyncio.sleep)
    return db, push


async def measure_choice(path: Path) -> tuple[int, float, float]:
    """(subscribers, seconds to list them, seconds to choose every one's question)."""
    db, push = await _service(path, 1e9)
    try:
        t0 = time.perf_counter()
        subs = await PushStore(db).subscribers()
        listed = time.perf_counter() - t0
        t0 = time.perf_counter()
        chosen = 0
        for first in range(0, len(subs), CHOICE_BATCH):
            batch = subs[first : first + CHOICE_BATCH]
            choices = await push.choose_many([(s.user_id, Level(s.level or "fresher")) for s in batch])
            chosen += sum(1 for qid in choices.values() if qid is not None)
        assert chosen == len(subs), (chosen, len(subs))
        return len(subs), listed, time.perf_counter() - t0
    finally:
        await db.close()


async def measure_inprocess(path: Path) -> tuple[int, float, float]:
    """(sent, seconds, CPU seconds) of one unpaced round with a no-op sender."""
    db, push = await _service(path, 1e9)
    ids = itertools.count(1)

    async def send(chat_id: int, view: QuestionView) -> SendResult:
        return SendResult(SendStatus.SENT, next(ids))

    try:
        t0, c0 = time.perf_counter(), time.process_time()
        report = await push.run_round(send, everyone=True)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.failed == 0 and report.blocked == 0, report
        return report.sent, elapsed, cpu
    finally:
        await db.close()


async def measure_http(
    path: Path, subscribers: int, push_rate: float, limit: float | None
) -> tuple[int, float, int, float, float, str]:
    """`python -m bot push --all` against the loopback API: (sent, rate, 429s, bot CPU %, peak RSS, stdout)."""
    api = BenchApi(TOKEN, rate_limit=limit)
    await api.start()
    for i in range(subscribers):
        api.open_chat(BASE_UID + i)
    try:
        env = child_env(api.base_url, path, PUSH_RATE=str(push_rate))
        with tempfile.TemporaryDirectory() as cwd:
            t0 = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "push",
                "--all",
                cwd=cwd,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            rss = cpu = 0.0
            wait = asyncio.ensure_future(proc.communicate())
            while not wait.done():  # sample the child while it lives: /proc is gone once it is reaped
                rss, cpu = max(rss, peak_rss_mib(proc.pid)), max(cpu, cpu_seconds(proc.pid))
                await asyncio.wait({wait}, timeout=0.2)
                if time.perf_counter() - t0 > 900:
                    proc.kill()
            out, _ = await wait
            elapsed = time.perf_counter() - t0
        times = api.send_times
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        floods = sum(1 for e in api.errors if e[1] == 429)
        return len(times), rate, floods, cpu / elapsed * 100, rss, out.decode().replace("\n", "; ").strip("; ")
    finally:
        await api.close()


def main() -> None:
    """Generate, measure, print and record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--round-subscribers", type=int, default=20_000)
    parser.add_argument("--http-subscribers", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=500, help="subscribers of the PUSH_RATE=25 run")
    parser.add_argument("--title", default="Push capacity and pacing")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        big = tmp / "big.sqlite3"
        t0 = time.perf_counter()
        generate(big, args.subscribers)
        print(f"generated {args.subscribers} subscribers in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        n, listed, chose = asyncio.run(measure_choice(big))
        rows.append(
            [
                f"choose every subscriber's question (PushService.choose_many, batches of {CHOICE_BATCH})",
                f"{n:,}",
                f"{chose:.2f} s (+{listed:.2f} s listing them)",
                "under 5 s",
                "OK" if chose + listed < 5 else "MISS",
            ]
        )
        print(f"choice: {chose:.2f} s", file=sys.stderr)
        mid_round = tmp / "round.sqlite3"
        generate(mid_round, args.round_subscribers)
        sent, elapsed, cpu = asyncio.run(measure_inprocess(mid_round))
        rows.append(
            [
                "whole round, pacing off, in-process no-op sender",
                f"{sent:,}",
                f"{sent / elapsed:,.0f} msg/s ({elapsed:.1f} s, CPU {cpu / elapsed * 100:.0f}%)",
                "≥ 1000 msg/s",
                "OK" if sent / elapsed >= 1000 else "MISS",
            ]
        )
        print(f"in-process: {sent / elapsed:.0f}/s", file=sys.stderr)
        mid = tmp / "http.sqlite3"
        generate(mid, args.http_subscribers)
        sent, rate, floods, cpu_pct, rss, out = asyncio.run(measure_http(mid, args.http_subscribers, 1000, None))
        rows.append(
            [
                "`python -m bot push --all`, PUSH_RATE=1000, loopback HTTP, no server limit",
                f"{sent:,}",
                f"{rate:,.0f} msg/s (bot CPU {cpu_pct:.0f}%, peak RSS {rss:.0f} MiB; {out})",
                "≥ 1000 msg/s",
                "OK" if rate >= 1000 else "MISS",
            ]
        )
        print(f"http: {rate:.0f}/s", file=sys.stderr)
        small = tmp / "paced.sqlite3"
        generate(small, args.paced)
        sent, rate, floods, cpu_pct, rss, out = asyncio.run(measure_http(small, args.paced, 25, 30))
        rows.append(
            [
                "`python -m bot push --all`, PUSH_RATE=25, loopback HTTP, server 429 above 30/s",
                f"{sent:,}",
                f"{rate:.2f} msg/s, {floods} × 429 ({out})",
                "25 ± 5%, no 429",
                "OK" if abs(rate - 25) <= 1.25 and floods == 0 else "MISS",
            ]
        )
    body = table(["measurement", "subscribers", "result", "goal", ""], rows)
    record(args.title, body, write=not args.no_write)


if __name__ == "__main__":
    main()
