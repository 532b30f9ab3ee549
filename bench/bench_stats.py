"""Benchmark /stats: 100k users, 1M answers, one user with 10k; prints the median time of the stats query.

Run on demand (not in CI): python bench/bench_stats.py [--users N] [--answers N] [--heavy N] [--runs N]
The data is generated into a temporary SQLite file through the real migrations, then the real
ProgressService computes the report, FSRS cards included, exactly as /stats does.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The benchmarks reuse the tests' fake clock: run from anywhere, they need the project root on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Bank, load_bank
from bot.domain.review import rating_for_mcq, review
from bot.services.progress import FsrsCards, ProgressService
from bot.storage.db import Database
from bot.storage.progress import ProgressStore
from tests.clock import FakeClock

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY_MS = 86_400_000
SESSION_SIZE = 10
HEAVY_USER = 1
BUDGET_MS = 50.0

Row = tuple[Any, ...]


def _questions(bank: Bank) -> list[tuple[str, str, str, str]]:
    return [(q.id, q.level.value, q.topic, q.kind) for q in bank]


def _answers_of(
    user_id: int, count: int, questions: list[tuple[str, str, str, str]], rng: random.Random, first_session: int
) -> Iterator[tuple[Row, list[Row], list[Row]]]:
    """Sessions of ten answers spread over the last year, each as (session row, question rows, answer rows)."""
    now_ms = int(NOW.timestamp() * 1000)
    by_level: dict[str, list[tuple[str, str, str, str]]] = {}
    for q in questions:
        by_level.setdefault(q[1], []).append(q)
    levels = sorted(by_level)
    sid = first_session
    done = 0
    while done < count:
        n = min(SESSION_SIZE, count - done)
        level = rng.choice(levels)
        pool = by_level[level]
        picked = rng.sample(pool, min(n, len(pool)))
        start = now_ms - rng.randrange(365) * DAY_MS - rng.randrange(DAY_MS)
        session: Row = (sid, user_id, "quiz", level, "finished", len(picked), len(picked), start, start + 300_000)
        slots: list[Row] = []
        answers: list[Row] = []
        for pos, (qid, lv, topic, kind) in enumerate(picked):
            at = start + (pos + 1) * 20_000
            slots.append((sid, pos, qid, "0,1,2,3", at - 20_000))
            if kind == "mcq":
                answers.append(
                    (sid, pos, user_id, qid, "quiz", lv, topic, "mcq", 0, int(rng.random() < 0.7), None, None, at)
                )
            else:
                grade = rng.choice(("nailed", "partly", "missed"))
                answers.append((sid, pos, user_id, qid, "quiz", lv, topic, "open", None, None, "typed", grade, at))
        yield session, slots, answers
        done += len(picked)
        sid += 1


def generate(path: Path, users: int, total_answers: int, heavy: int, seed: int = 1) -> None:
    """Fill the database: the heavy user gets `heavy` answers and FSRS cards, the rest share the remainder."""
    rng = random.Random(seed)
    bank = load_bank(DEFAULT_QUESTIONS_DIR)
    questions = _questions(bank)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (user_id, chat_id, first_name, level, timezone, created_at) "
        "VALUES (?, ?, 'U', 'fresher', ?, 0)",
        ((u, u, "Europe/Berlin" if u % 3 else None) for u in range(1, users + 1)),
    )
    base, extra = divmod(max(0, total_answers - heavy), max(1, users - 1))
    sid = 1
    for user_id in range(1, users + 1):
        count = heavy if user_id == HEAVY_USER else base + (1 if user_id - 1 <= extra else 0)
        for session, slots, answers in _answers_of(user_id, count, questions, rng, sid):
            conn.execute(
                "INSERT INTO sessions (session_id, user_id, mode, level, status, position, size, "
                "started_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                session,
            )
            conn.executemany(
                "INSERT INTO session_questions (session_id, position, question_id, option_order, "
                "asked_at) VALUES (?, ?, ?, ?, ?)",
                slots,
            )
            conn.executemany(
                "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, "
                "kind, chosen, correct, answer_text, self_grade, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                answers,
            )
            sid += 1
    has_cards = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'cards'").fetchone() is not None
    if has_cards:
        rows = conn.execute(
            "SELECT question_id, MAX(answered_at), correct FROM answers WHERE user_id = ? GROUP BY question_id",
            (HEAVY_USER,),
        ).fetchall()
        for qid, at, correct in rows:
            when = dt.datetime.fromtimestamp(at / 1000, dt.UTC)
            card = review(None, rating_for_mcq(bool(correct)), when)
            conn.execute(
                "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, ?, ?, ?, ?)",
                (HEAVY_USER, qid, card.card_json, int(card.due.timestamp() * 1000), at),
            )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def measure(path: Path, runs: int) -> tuple[list[float], dict[str, object]]:
    """Time ProgressService.stats for the heavy user `runs` times (after one warm-up)."""
    db = await Database.open(path)
    try:
        bank = load_bank(DEFAULT_QUESTIONS_DIR)
        store = ProgressStore(db)
        svc = ProgressService(store, bank, FakeClock(NOW), "UTC", FsrsCards(store))
        report = await svc.stats(HEAVY_USER)
        timings = []
        for _ in range(runs):
            t0 = time.perf_counter()
            await svc.stats(HEAVY_USER)
            timings.append((time.perf_counter() - t0) * 1000)
        answered = sum(lp.answered for lp in report.levels)
        info: dict[str, object] = {
            "answered": answered,
            "levels": len(report.levels),
            "due": report.due,
            "streak": [report.streaks.current, report.streaks.best],
        }
        return timings, info
    finally:
        await db.close()


def query_plans(path: Path) -> list[str]:
    """EXPLAIN QUERY PLAN of the stats queries, to show they read through indexes."""
    conn = sqlite3.connect(path)
    plans = []
    for sql in (
        "SELECT question_id, MAX(answered_at) FROM answers WHERE user_id = 1 GROUP BY question_id",
        "SELECT question_id, MAX(answered_at), kind, correct, self_grade, level, topic FROM answers "
        "WHERE user_id = 1 GROUP BY question_id",
        "SELECT DISTINCT answered_at / 900000 FROM answers WHERE user_id = 1",
        "SELECT question_id, card FROM cards WHERE user_id = 1",
        "SELECT COUNT(*) FROM cards WHERE user_id = 1 AND due_at <= 0",
    ):
        try:
            detail = "; ".join(str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        except sqlite3.OperationalError as exc:
            detail = f"n/a ({exc})"
        plans.append(f"{sql[:70]}… -> {detail}")
    conn.close()
    return plans


def main() -> None:
    """Generate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--heavy", type=int, default=10_000, help="answers of the measured user")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        asyncio.run(_migrate(path))
        t0 = time.perf_counter()
        generate(path, args.users, args.answers, args.heavy)
        total = sqlite3.connect(path).execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        print(f"generated {args.users} users, {total} answers in {time.perf_counter() - t0:.1f} s")
        timings, info = asyncio.run(measure(path, args.runs))
        for line in query_plans(path):
            print("plan:", line)
        median = statistics.median(timings)
        print(f"report for the measured user: {json.dumps(info)}")
        print(
            f"/stats for a user with {info['answered']} answers: median {median:.1f} ms over {len(timings)} runs "
            f"(min {min(timings):.1f}, max {max(timings):.1f}); budget {BUDGET_MS:.0f} ms: "
            f"{'OK' if median < BUDGET_MS else 'OVER'}"
        )


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


if __name__ == "__main__":
    main()
