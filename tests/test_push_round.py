"""The push round's batches and sends in flight, on a real SQLite file with a fake sender: pacing on an injected
clock, the bound on sends in flight, fewer commits, two rounds at once, kill -9 and SIGTERM in the middle."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.cli.push import run_push
from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.delivery import IN_FLIGHT, Outcome, SendResult
from bot.services.interview import QuestionView
from bot.services.push import PushService
from bot.services.wiring import build_services
from bot.storage.db import Database
from tests.clock import FakeClock
from tests.fake_bot_api import Call, FakeBotApi
from tests.sql_trace import count_commits

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
USERS = [5000 + i for i in range(100)]


class Sleeper:
    """The injected sleep: moves the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


class Sender:
    """A fake Bot API side: records each send; with `waves`, holds sends until IN_FLIGHT of them are out."""

    def __init__(self, clock: FakeClock, total: int = 0, waves: bool = False) -> None:
        self.clock = clock
        self.total = total
        self.waves = waves
        self.started: list[dt.datetime] = []
        self.sent: list[int] = []
        self.in_flight = 0
        self.peak = 0
        self._gate = asyncio.Event()

    async def __call__(self, chat_id: int, view: QuestionView) -> SendResult:
        self.started.append(self.clock.now())
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.waves:
                if self.in_flight == IN_FLIGHT or len(self.started) == self.total:
                    self._gate.set()
                    gate, self._gate = self._gate, asyncio.Event()
                else:
                    gate = self._gate
                await gate.wait()
            else:
                await asyncio.sleep(0)
            self.sent.append(chat_id)
            return SendResult(Outcome.SENT, len(self.sent))
        finally:
            self.in_flight -= 1


async def _subscribe(path: Path, users: list[int]) -> None:
    db = await Database.open(path)
    await db.close()
    with sqlite3.connect(path) as raw:
        raw.executemany(
            "INSERT INTO users (user_id, chat_id, first_name, level, daily_time, created_at) "
            "VALUES (?, ?, 'Ann', 'fresher', '09:00', 0)",
            [(uid, uid) for uid in users],
        )


def _service(settings: Settings, db: Database, clock: FakeClock, rate: float | None = None) -> PushService:
    bank = load_bank(settings.questions_dir)
    sleep = Sleeper(clock)
    return build_services(settings, db, bank, clock, random.Random(5), sleep, lambda: rate or settings.push_rate).push


def _rows(path: Path) -> list[tuple[int, str, int]]:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT user_id, status, attempts FROM deliveries ORDER BY user_id").fetchall()


@pytest_asyncio.fixture
async def subscribed(settings: Settings) -> Settings:
    """The bot's database with USERS subscribed at 09:00 UTC."""
    await _subscribe(settings.database_path, USERS)
    return settings


@pytest_asyncio.fixture
async def db(subscribed: Settings) -> AsyncIterator[Database]:
    """An open connection to the subscribed database."""
    database = await Database.open(subscribed.database_path)
    yield database
    await database.close()


async def test_sends_start_one_pacer_slot_apart_with_a_bounded_number_in_flight(
    settings: Settings, db: Database
) -> None:
    clock = FakeClock(START)
    sender = Sender(clock, total=len(USERS), waves=True)
    report = await _service(settings, db, clock).run_round(sender)
    assert (report.sent, report.failed) == (len(USERS), 0)
    assert sorted(sender.sent) == USERS
    assert sender.peak == IN_FLIGHT  # reached, never passed
    gaps = {(b - a).total_seconds() for a, b in zip(sender.started, sender.started[1:], strict=False)}
    assert gaps == {1 / settings.push_rate}  # PUSH_RATE on the injected clock, sends in flight or not
    assert {s for _, s, _ in _rows(settings.database_path)} == {"sent"}


async def test_a_round_commits_far_less_than_once_per_subscriber(settings: Settings, db: Database) -> None:
    statements: list[str] = []
    await db._conn.set_trace_callback(statements.append)  # the statements that reach SQLite
    clock = FakeClock(START)
    report = await _service(settings, db, clock, rate=1e9).run_round(Sender(clock))
    assert report.sent == len(USERS)
    commits = count_commits(statements)
    # One claim per batch of 64 and one settle per group of sends that ended together (was 5 per subscriber).
    assert commits <= len(USERS) // 2, commits


async def test_two_rounds_at_once_send_each_subscriber_once(settings: Settings, db: Database) -> None:
    other = await Database.open(settings.database_path)  # another process's connection to the same file
    try:
        clock = FakeClock(START)
        first, second = Sender(clock), Sender(clock)
        reports = await asyncio.gather(
            _service(settings, db, clock, rate=1e9).run_round(first),
            _service(settings, other, clock, rate=1e9).run_round(second),
        )
    finally:
        await other.close()
    assert sorted(first.sent + second.sent) == USERS
    assert sum(r.sent for r in reports) == len(USERS)
    assert {(s, a) for _, s, a in _rows(settings.database_path)} == {("sent", 1)}


_CRASHING_ROUND = """
import asyncio, datetime as dt, os, random, signal, sys
from pathlib import Path
from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.delivery import IN_FLIGHT, Outcome, SendResult
from bot.services.wiring import build_services
from bot.storage.db import Database
from tests.clock import FakeClock

path, log, crash_at = Path(sys.argv[1]), open(sys.argv[2], "a"), int(sys.argv[3])
waiting = []


async def send(chat_id, view):
    gate = asyncio.get_running_loop().create_future()
    waiting.append(gate)
    if len(waiting) == IN_FLIGHT:  # the sends go out together, IN_FLIGHT of them at a time
        for g in waiting:
            g.set_result(None)
        waiting.clear()
    await gate
    log.write(f"{chat_id}\\n")
    log.flush()
    if sum(1 for _ in open(sys.argv[2])) == crash_at:
        os.kill(os.getpid(), signal.SIGKILL)  # the process dies with sends in flight and a batch half sent
    return SendResult(Outcome.SENT, chat_id)


async def main():
    settings = Settings(database_path=path, _env_file=None)
    db = await Database.open(path)
    clock = FakeClock(dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC))
    bank = load_bank(settings.questions_dir)
    services = build_services(settings, db, bank, clock, random.Random(1), push_rate=lambda: 1e9)
    await services.push.run_round(send)


asyncio.run(main())
"""


async def test_kill_9_in_the_middle_of_a_batch_loses_none_and_repeats_at_most_the_sends_in_flight(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    log = tmp_path / "sent.log"
    crash_at = 2 * IN_FLIGHT + 3  # in the third group of sends of the first claimed batch
    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", textwrap.dedent(_CRASHING_ROUND), str(settings.database_path), str(log), str(crash_at)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    before = [int(line) for line in log.read_text().split()]
    assert len(before) == crash_at and len(set(before)) == crash_at
    rows = _rows(settings.database_path)
    stuck = [uid for uid, status, _ in rows if status == "sending"]
    settled = [uid for uid, status, _ in rows if status == "sent"]
    assert stuck and settled  # the dead process's claims: sent but unsettled, or claimed and never sent

    # Restarted a minute later: the dead process's claims may still be in flight, so only the rest go out.
    clock = FakeClock(START + dt.timedelta(minutes=1))
    soon = Sender(clock)
    await _service(settings, db, clock, rate=1e9).run_round(soon)
    assert not set(soon.sent) & set(stuck) and sorted(soon.sent + stuck + settled) == USERS
    # Once their lease ran out, a round sends each of them: the never-sent ones for the first time.
    clock.advance(minutes=5)
    later = Sender(clock)
    report = await _service(settings, db, clock, rate=1e9).run_round(later)
    assert sorted(later.sent) == sorted(stuck) and report.sent == len(stuck)
    assert sorted(set(before) | set(soon.sent) | set(later.sent)) == USERS  # none lost
    repeated = set(before) & set(later.sent)
    assert 1 <= len(repeated) <= IN_FLIGHT  # at most one repeat per send in flight when it died
    assert {s for _, s, _ in _rows(settings.database_path)} == {"sent"}


async def test_sigterm_in_the_middle_of_a_batch_stops_between_sends_and_releases_the_rest(
    subscribed: Settings, api: FakeBotApi
) -> None:
    settings = subscribed.model_copy(update={"telegram_rate_limits": False})  # the fake API enforces no rate
    clock = FakeClock(START)
    slow = [USERS[4], USERS[5], USERS[6]]
    gates = [api.hold(uid) for uid in slow]  # three sends on the wire when the signal comes

    def on_call(call: Call) -> None:
        if call.method == "sendMessage" and call.params["chat_id"] == USERS[7]:
            os.kill(os.getpid(), signal.SIGTERM)
            asyncio.get_running_loop().call_soon(lambda: [g.set() for g in gates])

    api.on_call = on_call
    out = io.StringIO()
    code = await run_push(settings, True, request=api, clock=clock, sleep=Sleeper(clock), out=out, err=io.StringIO())
    assert code == 0 and "stopped early" in out.getvalue()
    sent = [int(c.params["chat_id"]) for c in api.of("sendMessage")]
    assert set(USERS[:8]) <= set(sent) and len(sent) <= 8 + IN_FLIGHT and len(set(sent)) == len(sent)
    rows = _rows(settings.database_path)
    assert not [r for r in rows if r[1] == "sending"]
    assert [r for r in rows if r[1:] == ("failed", 0)]  # claimed, not sent, given back: the attempt does not count
    assert {uid for uid, status, _ in rows if status == "sent"} == set(sent)

    api.on_call = None
    out = io.StringIO()
    code = await run_push(settings, True, request=api, clock=clock, sleep=Sleeper(clock), out=out, err=io.StringIO())
    assert code == 0 and f"sent: {len(USERS) - len(sent)}\n" in out.getvalue()
    assert sorted(int(c.params["chat_id"]) for c in api.of("sendMessage")) == USERS  # each once
    assert {(s, a) for _, s, a in _rows(settings.database_path)} == {("sent", 1)}


async def test_users_who_leave_or_unsubscribe_after_the_claim_are_not_sent_to(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(START)
    push = _service(settings, db, clock)
    store = push._store
    claim = type(store).claim
    left, unsubscribed = USERS[3], USERS[40]

    async def claim_then_change(self: object, *args: object) -> object:
        found = await claim(self, *args)  # type: ignore[arg-type]
        with sqlite3.connect(settings.database_path) as raw:  # another process: /deleteme and /daily off
            raw.execute("PRAGMA foreign_keys = ON")
            raw.execute("DELETE FROM users WHERE user_id = ?", (left,))
            raw.execute("UPDATE users SET daily_time = NULL WHERE user_id = ?", (unsubscribed,))
        return found

    monkeypatch.setattr(type(store), "claim", claim_then_change)
    sender = Sender(clock)
    report = await push.run_round(sender)
    assert left not in sender.sent and unsubscribed not in sender.sent
    assert (report.sent, report.already, report.failed) == (len(USERS) - 2, 2, 0)
    rows = {uid: (status, attempts) for uid, status, attempts in _rows(settings.database_path)}
    assert left not in rows and rows[unsubscribed] == ("failed", 0)  # released: a /daily on today sends it
