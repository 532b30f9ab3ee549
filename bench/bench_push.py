"""Push capacity and pacing: choosing 100k subscribers' questions, the send rate unpaced, PUSH_RATE honoured.

Run on demand (not in CI): python bench/bench_push.py [--subscribers N] [--http-subscribers N] [--repeat R]

Subscribers are generated in a temporary SQLite file: the schema comes from the real migrations, the rows
by direct SQL (users with a daily time, a zone and a level; every other user with ten FSRS cards, due dates
spread over ±10 days). Then:
1. choice: PushService.choose_many (one card query per CHOICE_BATCH subscribers, then review.choose_question
   for each) over every subscriber, in batches as run_round does;
2. unpaced, in-process: a whole `run_round(everyone=True)` of the real PushService (claim, choose, store the
   daily session, mark sent) with pacing off (rate 1e9) and a no-op sender: the bot side alone (on a
   --round-subscribers database, 20k by default), with the commits and SQL statements per subscriber;
3. unpaced, over loopback HTTP: `python -m bot push --all` as a child process with PUSH_RATE=1000 (the
   highest the settings allow) and TELEGRAM_RATE_LIMITS=false against the loopback Bot API with no rate
   limit, against `bench/bare_push.py` (bare PTB) sending the very messages ours sent with the same number
   in flight (IN_FLIGHT), alternating, each --repeat times on a fresh copy of the database; the rate is
   the server's (first to last sendMessage), the ratio that of the two medians;
4. paced: the same command with PUSH_RATE=20 and 25 (Telegram's rates on) against a loopback server that
   answers 429 above 30 messages/s; the achieved rate is measured from the server's clock.
With BENCH_PYSPY=<folder>, py-spy records ours (--gil, raw format) during its first unpaced HTTP run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, TOKEN, child_env, cpu_seconds, median, peak_rss_mib, record, table
from loopback import BenchApi

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Level, load_bank
from bot.domain.clock import SystemClock
from bot.domain.delivery import IN_FLIGHT, Outcome, SendResult
from bot.domain.review import Rating, review
from bot.services.interview import InterviewService, QuestionView
from bot.services.push import CHOICE_BATCH, PushService
from bot.storage.cards import CardStore
from bot.storage.db import Database
from bot.storage.interviews import InterviewStore
from bot.storage.push import PushStore
from tests.sql_trace import count_commits

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


async def measure_inprocess(path: Path) -> tuple[int, float, float, int, int]:
    """(sent, seconds, CPU seconds, commits, SQL statements) of one unpaced round with a no-op sender."""
    db, push = await _service(path, 1e9)
    ids = itertools.count(1)
    statements: list[str] = []

    async def send(chat_id: int, view: QuestionView) -> SendResult:
        return SendResult(Outcome.SENT, next(ids))

    try:
        await db._conn.set_trace_callback(statements.append)  # what reaches SQLite (the trace costs ~nothing)
        t0, c0 = time.perf_counter(), time.process_time()
        report = await push.run_round(send, everyone=True)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.failed == 0 and report.blocked == 0, report
        return report.sent, elapsed, cpu, count_commits(statements), len(statements)
    finally:
        await db.close()


async def _sample(proc: asyncio.subprocess.Process, started: float) -> tuple[bytes, float, float]:
    """Wait for a child, sampling it while it lives (/proc is gone once it is reaped): (stdout, CPU s, peak RSS)."""
    rss = cpu = 0.0
    wait = asyncio.ensure_future(proc.communicate())
    while not wait.done():
        rss, cpu = max(rss, peak_rss_mib(proc.pid)), max(cpu, cpu_seconds(proc.pid))
        await asyncio.wait({wait}, timeout=0.2)
        if time.perf_counter() - started > 900:
            proc.kill()
    out, _ = await wait
    return out, cpu, rss


def _server_rate(api: BenchApi) -> float:
    times = api.send_times
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def measure_http(
    path: Path, subscribers: int, push_rate: float, limit: float | None, spy: Path | None = None, **env: str
) -> tuple[int, float, int, float, float, str, list[list[object]]]:
    """`python -m bot push --all` against the loopback API: (sent, rate, 429s, CPU %, peak RSS, stdout, messages)."""
    api = BenchApi(TOKEN, rate_limit=limit)
    await api.start()
    for i in range(subscribers):
        api.open_chat(BASE_UID + i)
    try:
        child = child_env(api.base_url, path, PUSH_RATE=str(push_rate), **env)
        with tempfile.TemporaryDirectory() as cwd:
            t0 = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "push",
                "--all",
                cwd=cwd,
                env=child,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            if spy is not None:
                await asyncio.create_subprocess_exec(
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--gil",
                    "-p",
                    str(proc.pid),
                    "-f",
                    "raw",
                    "-o",
                    str(spy),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            out, cpu, rss = await _sample(proc, t0)
            elapsed = time.perf_counter() - t0
        floods = sum(1 for e in api.errors if e[1] == 429)
        messages: list[list[object]] = [
            [chat_id, m.raw, m.reply_markup]
            for chat_id, chat in api.chats.items()
            for m in chat.values()
            if m.from_bot and m.raw
        ]
        summary = out.decode().replace("\n", "; ").strip("; ")
        return len(api.send_times), _server_rate(api), floods, cpu / elapsed * 100, rss, summary, messages
    finally:
        await api.close()


async def measure_bare(messages: Path, subscribers: int) -> tuple[int, float, float]:
    """bench/bare_push.py sending the same messages, IN_FLIGHT at a time: (sent, rate, CPU %)."""
    api = BenchApi(TOKEN)
    await api.start()
    for i in range(subscribers):
        api.open_chat(BASE_UID + i)
    try:
        env = child_env(api.base_url, Path(os.devnull))
        t0 = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "bare_push.py"),
            str(messages),
            str(IN_FLIGHT),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        _, cpu, _ = await _sample(proc, t0)
        elapsed = time.perf_counter() - t0
        return len(api.send_times), _server_rate(api), cpu / elapsed * 100
    finally:
        await api.close()


def main() -> None:
    """Generate, measure, print and record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--round-subscribers", type=int, default=20_000)
    parser.add_argument("--http-subscribers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="unpaced HTTP runs of each, alternating")
    parser.add_argument("--paced", type=int, default=500, help="subscribers of each paced run")
    parser.add_argument(
        "--before", type=Path, help="a checkout of the code before (its `bot` is put first on PYTHONPATH): run it too"
    )
    parser.add_argument("--title", default="Push capacity and pacing")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    spy = os.environ.get("BENCH_PYSPY")
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
        sent, elapsed, cpu, commits, statements = asyncio.run(measure_inprocess(mid_round))
        rows.append(
            [
                "whole round, pacing off, in-process no-op sender",
                f"{sent:,}",
                f"{sent / elapsed:,.0f} msg/s ({elapsed:.1f} s, CPU {cpu / elapsed * 100:.0f}%); "
                f"{commits / sent:.3f} commits and {statements / sent:.1f} SQL statements per subscriber",
                "≥ 1000 msg/s",
                "OK" if sent / elapsed >= 1000 else "MISS",
            ]
        )
        print(f"in-process: {sent / elapsed:.0f}/s, {commits / sent:.3f} commits/subscriber", file=sys.stderr)
        pristine = tmp / "http.sqlite3"
        generate(pristine, args.http_subscribers)
        messages = tmp / "messages.json"
        ours: list[float] = []
        bare: list[float] = []
        before: list[float] = []
        detail = before_detail = ""
        for run in range(args.repeat):
            copy = tmp / f"http-{run}.sqlite3"
            shutil.copy(pristine, copy)
            trace = Path(spy) / f"push-unpaced-{run}.txt" if spy and run == 0 else None
            sent, rate, _, cpu_pct, rss, out, sent_messages = asyncio.run(
                measure_http(copy, args.http_subscribers, 1000, None, trace, TELEGRAM_RATE_LIMITS="false")
            )
            assert sent == args.http_subscribers, out
            ours.append(rate)
            detail = f"bot CPU {cpu_pct:.0f}%, peak RSS {rss:.0f} MiB; {out}"
            if run == 0:
                messages.write_text(json.dumps(sent_messages))
            sent, rate, bare_cpu = asyncio.run(measure_bare(messages, args.http_subscribers))
            assert sent == args.http_subscribers, sent
            bare.append(rate)
            if args.before is not None:
                shutil.copy(pristine, copy)
                sent, rate, _, cpu_pct, _, out, _ = asyncio.run(
                    measure_http(
                        copy,
                        args.http_subscribers,
                        1000,
                        None,
                        TELEGRAM_RATE_LIMITS="false",
                        PYTHONPATH=str(args.before.resolve()),
                    )
                )
                assert sent == args.http_subscribers, out
                before.append(rate)
                before_detail = f"bot CPU {cpu_pct:.0f}%"
            print(
                f"http run {run + 1}: ours {ours[-1]:.0f}/s, bare {bare[-1]:.0f}/s"
                + (f", before {before[-1]:.0f}/s" if before else ""),
                file=sys.stderr,
            )
        ratio = median(ours) / median(bare)
        rows.append(
            [
                f"`python -m bot push --all`, PUSH_RATE=1000, TELEGRAM_RATE_LIMITS=false, {IN_FLIGHT} in flight, "
                "loopback HTTP, no server limit",
                f"{args.http_subscribers:,}",
                f"{median(ours):,.0f} msg/s (runs: {', '.join(f'{r:.0f}' for r in ours)}; {detail})",
                "",
                "",
            ]
        )
        rows.append(
            [
                f"bare PTB loop (`bench/bare_push.py`), the same messages, {IN_FLIGHT} in flight",
                f"{args.http_subscribers:,}",
                f"{median(bare):,.0f} msg/s (runs: {', '.join(f'{r:.0f}' for r in bare)}; CPU {bare_cpu:.0f}%)",
                "",
                "",
            ]
        )
        rows.append(
            [
                "unpaced push over HTTP, ours / bare (medians, same run)",
                "",
                f"**{ratio:.2f}**",
                "≥ 0.8",
                "OK" if ratio >= 0.8 else "MISS",
            ]
        )
        if before:
            rows.append(
                [
                    "before (one send at a time, 5 commits per subscriber), the same command and settings",
                    f"{args.http_subscribers:,}",
                    f"{median(before):,.0f} msg/s (runs: {', '.join(f'{r:.0f}' for r in before)}; {before_detail}); "
                    f"ours / before **{median(ours) / median(before):.2f}**, "
                    f"before / bare {median(before) / median(bare):.2f}",
                    "",
                    "",
                ]
            )
        for push_rate in (20, 25):
            small = tmp / f"paced-{push_rate}.sqlite3"
            generate(small, args.paced)
            sent, rate, floods, _, _, out, _ = asyncio.run(measure_http(small, args.paced, push_rate, 30))
            ok = abs(rate - push_rate) <= 0.05 * push_rate and floods == 0 and sent == args.paced
            rows.append(
                [
                    f"`python -m bot push --all`, PUSH_RATE={push_rate}, loopback HTTP, server 429 above 30/s",
                    f"{sent:,}",
                    f"{rate:.2f} msg/s, {floods} × 429 ({out})",
                    f"{push_rate} ± 5%, no 429",
                    "OK" if ok else "MISS",
                ]
            )
            print(f"paced {push_rate}: {rate:.2f}/s, {floods} × 429", file=sys.stderr)
    body = table(["measurement", "subscribers", "result", "goal", ""], rows)
    record(args.title, body, write=not args.no_write)


if __name__ == "__main__":
    main()
