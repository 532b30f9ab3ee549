"""`python -m bot backup` and `python -m bot stats`: what an operator runs beside the live bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import random
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cli.backup import run_backup
from bot.cli.stats import run_stats
from bot.config import DEFAULT_QUESTIONS_DIR, Settings
from bot.domain.bank import Level, load_bank
from bot.domain.clock import SystemClock
from bot.domain.interview import Mode
from bot.services.wiring import build_services
from bot.storage.db import Database
from bot.storage.interviews import InterviewStore
from bot.storage.push import DailyPlan, Outcome, PushStore, Settled
from tests.clock import FakeClock
from tests.conftest import TOKEN

REPO = Path(__file__).resolve().parent.parent


def _answer_keys(path: Path) -> set[tuple[int, int]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return {(int(s), int(p)) for s, p in conn.execute("SELECT session_id, position FROM answers")}
    finally:
        conn.close()


async def test_backup_during_a_burst_of_answers_holds_every_earlier_answer(settings: Settings, tmp_path: Path) -> None:
    db = await Database.open(settings.database_path)
    svc = build_services(settings, db, load_bank(DEFAULT_QUESTIONS_DIR), SystemClock(), random.Random(3)).interview
    written = 0
    launched = asyncio.Event()
    warmed_up = asyncio.Event()
    after_launch = 0
    done = asyncio.Event()

    async def burst() -> None:
        nonlocal written, after_launch
        user = 0
        # Keeps answering until the backup process has exited and plenty of answers landed after its launch.
        while not (done.is_set() and after_launch >= 30):
            user += 1
            await svc.register(user, user, "Ann")
            start = await svc.start(user, Mode.QUIZ, Level.FRESHER)
            assert start.view is not None
            for position in range(start.view.size):
                outcome = await svc.answer_mcq(user, start.view.session_id, position, 0)
                assert outcome.chosen is not None
                written += 1
                if written >= 50:
                    warmed_up.set()
                if launched.is_set():
                    after_launch += 1

    writer = asyncio.create_task(burst())
    try:
        await asyncio.wait_for(warmed_up.wait(), 120)
        committed_before = _answer_keys(settings.database_path)
        copy = tmp_path / "backups" / "bot-copy.sqlite3"
        env = {**os.environ, "DATABASE_PATH": str(settings.database_path), "TELEGRAM_BOT_TOKEN": ""}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "backup", str(copy), env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        launched.set()
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        done.set()
        await asyncio.wait_for(writer, 120)
    finally:
        writer.cancel()
        await db.close()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == f"backup: wrote {copy} ({copy.stat().st_size} bytes)"
    in_copy = _answer_keys(copy)
    assert committed_before <= in_copy
    assert in_copy <= _answer_keys(settings.database_path)
    assert len(committed_before) >= 50 and after_launch >= 30
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()
    assert not list(copy.parent.glob(".*partial"))


async def test_backup_refuses_an_existing_path_unless_forced(settings: Settings, tmp_path: Path) -> None:
    db = await Database.open(settings.database_path)
    await InterviewStore(db).upsert_user(1, 1, "Ann", 0)
    await db.close()
    target = tmp_path / "copy.sqlite3"
    target.write_text("keep me")
    out, err = io.StringIO(), io.StringIO()
    # The command runs its own event loop, as `python -m bot backup` does.
    assert await asyncio.to_thread(run_backup, settings, target, False, out=out, err=err) == 1
    assert "exists; add --force" in err.getvalue() and target.read_text() == "keep me"
    assert await asyncio.to_thread(run_backup, settings, target, True, out=out, err=err) == 0
    assert f"backup: wrote {target} (" in out.getvalue()
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT user_id FROM users").fetchall() == [(1,)]
    finally:
        conn.close()


def test_backup_without_a_database_says_so(settings: Settings, tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_backup(settings, tmp_path / "copy.sqlite3", force=False, err=err) == 1
    assert "no database at" in err.getvalue()
    assert not settings.database_path.exists()  # a backup never creates an empty database


async def test_stats_prints_the_operator_figures(settings: Settings) -> None:
    clock = FakeClock(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC))
    now_ms = int(clock.now().timestamp() * 1000)
    day = 24 * 3600 * 1000
    db = await Database.open(settings.database_path)
    store, push = InterviewStore(db), PushStore(db)
    for uid in (1, 2, 3, 4):
        await store.upsert_user(uid, uid, "Ann", now_ms - 30 * day)
    svc = build_services(settings, db, load_bank(DEFAULT_QUESTIONS_DIR), clock, random.Random(1)).interview
    start = await svc.start(1, Mode.QUIZ, Level.FRESHER)  # user 1 is active today: a session and two answers
    assert start.view is not None
    await svc.answer_mcq(1, start.view.session_id, 0, 0)
    await svc.answer_mcq(1, start.view.session_id, 1, 0)
    await push.set_daily(2, "09:00")
    await push.set_daily(3, "10:00")
    await push.set_blocked(3, True)
    await push.set_blocked(4, True)
    today = clock.now().date()
    yesterday = today - dt.timedelta(days=1)
    for when, sent_ms in ((yesterday, now_ms - day), (today, now_ms - 3600_000)):  # yesterday's is not today's
        assert len(await push.claim([DailyPlan(2, when, "fresher", None)], sent_ms, 0, 3)) == 1
        await push.settle([Settled(2, when, Outcome.SENT, None, 77)], sent_ms)
    await db.close()
    out = io.StringIO()
    assert await asyncio.to_thread(run_stats, settings, clock=clock, out=out) == 0
    figures = dict(line.split(":", 1) for line in out.getvalue().splitlines())
    assert {k: int(v) for k, v in figures.items()} == {
        "users": 4,
        "active in the last 7 days": 1,
        "sessions": 1,
        "answers": 2,
        "daily subscribers": 1,
        "pushes sent today (UTC)": 1,
        "blocked users": 2,
    }


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "ftp://bot.example.org/hook", "WEBHOOK_SECRET": "ok"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "bot.example.org/hook", "WEBHOOK_SECRET": "ok"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://bot.example.org/healthz", "WEBHOOK_SECRET": "ok"}, "WEBHOOK_URL"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
        ({"HEALTH_PORT": "port"}, "HEALTH_PORT"),
    ],
)
def test_bad_webhook_settings_stop_start_up_with_one_line(
    env: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO / "tests")  # no .env here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"Invalid configuration: {named}: ")
    assert "x" * 20 not in err and "has space" not in err
