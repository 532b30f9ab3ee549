"""Calibration's running answer tallies: always what a scan of the answers says, and read once however many ask.

Triggers keep `answer_tallies` in the transaction of every change to `answers` (migration 7). The reference here
is the scan calibration used to run under the database lock on every refresh (0.6 s per million answers).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Level, load_bank
from bot.services.calibration import CACHE_FOR, CalibrationService
from bot.storage.calibration import answer_tallies
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS
from tests.clock import FakeClock

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
QUESTIONS = ["q-a", "q-b", "q-c"]
LEVELS = [lv.value for lv in Level] + ["retired-level"]

_SCAN = (
    "SELECT question_id, level, COUNT(*), TOTAL(score), TOTAL(time_taken_ms) / 1000.0 FROM ("
    "SELECT question_id, level, time_taken_ms, CASE WHEN timed_out = 1 THEN 0.0 "
    "WHEN kind = 'mcq' THEN correct WHEN self_grade = 'nailed' THEN 1.0 WHEN self_grade = 'partly' THEN 0.5 "
    "WHEN self_grade = 'missed' THEN 0.0 END AS score FROM answers) WHERE score IS NOT NULL "
    "GROUP BY question_id, level"
)


def scanned(path: Path) -> set[tuple[str, str, int, float, float]]:
    """The tallies as a full scan of the answers computes them (levels the bank knows only, as calibration reads)."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(_SCAN).fetchall()
    known = {lv.value for lv in Level}
    return {(str(q), str(lv), int(n), float(s), float(t)) for q, lv, n, s, t in rows if lv in known}


async def tallied(db: Database) -> set[tuple[str, str, int, float, float]]:
    return {(t.question_id, t.session_level.value, t.answers, t.score, t.seconds) for t in await answer_tallies(db)}


def _apply(raw: sqlite3.Connection, step: tuple[str, int, int, int]) -> None:
    """One change to answers, as the bot's paths make them (or as an editor's script might)."""
    kind, a, b, c = step
    if kind == "answer":
        user = 1 + a % 3
        raw.execute(
            "INSERT OR IGNORE INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, 'U', 0)",
            (user, user),
        )
        sid = raw.execute(
            "INSERT INTO sessions (user_id, mode, level, status, position, size, started_at) "
            "VALUES (?, 'quiz', ?, 'finished', 1, 1, 0) RETURNING session_id",
            (user, LEVELS[b % len(LEVELS)]),
        ).fetchone()[0]
        qid = QUESTIONS[c % len(QUESTIONS)]
        raw.execute(
            "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at) "
            "VALUES (?, 0, ?, '0,1,2', 0)",
            (sid, qid),
        )
        mcq = c % 2 == 0
        raw.execute(
            "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, chosen, "
            "correct, answer_text, answered_at, time_taken_ms, timed_out) VALUES (?, 0, ?, ?, 'quiz', ?, 't', ?, "
            "?, ?, ?, 0, ?, ?)",
            (
                sid,
                user,
                qid,
                LEVELS[b % len(LEVELS)],
                "mcq" if mcq else "open",
                0 if mcq else None,
                (a + b) % 2 if mcq else None,
                None if mcq else "typed",
                None if a % 5 == 0 else 1000 * (a % 90),
                int(b % 7 == 0),
            ),
        )
    elif kind == "grade":
        grade = ("nailed", "partly", "missed")[b % 3]
        raw.execute(
            "UPDATE answers SET self_grade = ? WHERE answer_id = (SELECT answer_id FROM answers WHERE kind = 'open' "
            "AND self_grade IS NULL ORDER BY answer_id LIMIT 1 OFFSET ?)",
            (grade, a % 4),
        )
    elif kind == "regrade":  # what an editor's fix-up might do: every column the tallies read changes
        raw.execute(
            "UPDATE answers SET self_grade = CASE WHEN kind = 'open' THEN ? END, correct = CASE WHEN kind = 'mcq' "
            "THEN ? END, timed_out = ?, time_taken_ms = ?, question_id = ?, level = ? WHERE answer_id = "
            "(SELECT answer_id FROM answers ORDER BY answer_id LIMIT 1 OFFSET ?)",
            (
                ("nailed", "partly", "missed", None)[b % 4],
                b % 2,
                int(c % 5 == 0),
                None if c % 3 == 0 else 700 * c,
                QUESTIONS[b % len(QUESTIONS)],
                LEVELS[c % len(LEVELS)],
                a % 6,
            ),
        )
    elif kind == "delete_user":  # /deleteme
        raw.execute("DELETE FROM users WHERE user_id = ?", (1 + a % 3,))
    elif kind == "delete_session":  # cascades through session_questions to its answer
        raw.execute(
            "DELETE FROM sessions WHERE session_id = (SELECT session_id FROM sessions ORDER BY session_id "
            "LIMIT 1 OFFSET ?)",
            (a % 5,),
        )
    else:
        raw.execute("DELETE FROM answers WHERE answer_id = (SELECT MIN(answer_id) FROM answers)")


steps = st.lists(
    st.tuples(
        st.sampled_from(["answer", "answer", "answer", "grade", "regrade", "delete_user", "delete_session", "delete"]),
        st.integers(0, 1000),
        st.integers(0, 1000),
        st.integers(0, 1000),
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(steps)
def test_the_tallies_are_what_a_scan_of_the_answers_says(changes: list[tuple[str, int, int, int]]) -> None:
    async def run(path: Path) -> None:
        db = await Database.open(path)
        try:
            with sqlite3.connect(path) as raw:
                raw.execute("PRAGMA foreign_keys = ON")
                for change in changes:
                    _apply(raw, change)
            assert await tallied(db) == scanned(path)
            with sqlite3.connect(path) as raw:  # no row outlives its last answer
                assert raw.execute("SELECT COUNT(*) FROM answer_tallies WHERE answers <= 0").fetchone() == (0,)
        finally:
            await db.close()

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp) / "bot.sqlite3"))


@pytest.mark.parametrize("schema", [6, 7])  # before any tallies; with 7's score column and score tallies
async def test_the_migration_counts_the_answers_already_stored(tmp_path: Path, schema: int) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as raw:  # a database the bot left at an older schema, with answers in it
        for script in MIGRATIONS[:schema]:
            raw.executescript(script)
        raw.execute(f"PRAGMA user_version = {schema}")
        rng = random.Random(7)
        for _ in range(200):
            step = rng.choice(["answer", "answer", "grade", "regrade", "delete"])
            _apply(raw, (step, rng.randrange(1000), rng.randrange(1000), rng.randrange(1000)))
    before = scanned(path)
    assert len(before) > 3
    db = await Database.open(path)
    try:
        assert await tallied(db) == before
    finally:
        await db.close()


async def test_a_stale_calibration_reads_the_tallies_once_however_many_callers_wait(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA foreign_keys = ON")
            for n in range(400):
                _apply(raw, ("answer", n, n // 7, 2 * n))
        statements: list[str] = []
        await db._conn.set_trace_callback(statements.append)
        clock = FakeClock()
        calibration = CalibrationService(db, BANK, clock)
        first = await calibration.difficulties()
        assert len(statements) == 1
        clock.advance(seconds=CACHE_FOR.total_seconds())
        # Every interview answer in flight when the hour is up asks at once: one refresh serves them all.
        results = await asyncio.gather(*(calibration.difficulties() for _ in range(8)))
        assert all(r == first for r in results)
        assert len(statements) == 2
        assert not [s for s in statements if "FROM answers" in s]  # the answers themselves are never read
    finally:
        await db.close()
