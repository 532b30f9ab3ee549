"""The shared connection heals: a failed COMMIT or a cancelled BEGIN never leaves it inside a transaction.

The cancellation tests wait on the database thread's real state: a trace callback, run on that thread as a
statement starts, sets a `threading.Event`, so a cancel is known to arrive while BEGIN IMMEDIATE is waiting
there for another connection's lock (not merely queued, or not yet handed over).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.storage.db import Database


class _Trace:
    """What the database thread runs, recorded on that thread; `began` is set once BEGIN IMMEDIATE starts."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.began = threading.Event()

    def __call__(self, sql: str) -> None:
        self.statements.append(sql)
        if sql.startswith("BEGIN IMMEDIATE"):
            self.began.set()

    async def wait_for_begin(self) -> None:
        """Until BEGIN IMMEDIATE runs on the database thread (where it then waits out the other lock)."""
        assert await asyncio.to_thread(self.began.wait, 10), "BEGIN IMMEDIATE never reached the database thread"


async def _traced(db: Database) -> _Trace:
    trace = _Trace()
    await db._conn.set_trace_callback(trace)
    return trace


@dataclass
class _Waiting:
    """A write whose BEGIN IMMEDIATE runs on the database thread, waiting for the lock `blocker` holds."""

    db: Database
    blocker: sqlite3.Connection
    trace: _Trace
    task: asyncio.Task[object]


@asynccontextmanager
async def _begin_waits(path: Path, write: Callable[[Database], Awaitable[object]]) -> AsyncIterator[_Waiting]:
    db = await Database.open(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        trace = await _traced(db)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        task: asyncio.Task[object] = asyncio.ensure_future(write(db))
        await trace.wait_for_begin()
        yield _Waiting(db, blocker, trace, task)
    finally:
        blocker.close()
        await db.close()


async def _turn() -> None:
    """One turn of the event loop: a task just cancelled has taken the CancelledError by the time this returns."""
    await asyncio.sleep(0)


async def _users(db: Database) -> list[int]:
    return [int(r[0]) for r in await db.fetch_all("SELECT user_id FROM users ORDER BY user_id")]


async def _add_user(db: Database, user_id: int) -> None:
    await db.run_write(_insert_user(user_id))


def _insert_user(user_id: int) -> Callable[[sqlite3.Connection], None]:
    def work(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, 'U', 0)", (user_id, user_id)
        )

    return work


async def test_run_write_rolls_back_a_failed_commit_and_the_next_write_works(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute(
                "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) "
                "VALUES (404, '2026-01-01', 'sending', 1, 0)"
            )

        with pytest.raises(sqlite3.IntegrityError):
            await db.run_write(work)
        await db.run_write(_insert_user(1))
        assert await _users(db) == [1]
        assert not await db.fetch_all("SELECT * FROM deliveries")
    finally:
        await db.close()


async def test_run_write_cancelled_while_begin_waits_is_rolled_back(tmp_path: Path) -> None:
    async with _begin_waits(tmp_path / "bot.sqlite3", lambda db: db.run_write(_insert_user(2))) as w:
        w.task.cancel()
        await _turn()  # the cancelled task tells the thread its caller has gone
        assert not w.task.done()  # it holds the lock until the thread is done
        w.blocker.execute("ROLLBACK")  # the waiting BEGIN now succeeds, on the thread, for a cancelled caller
        with pytest.raises(asyncio.CancelledError):
            await w.task
        # The work ran after BEGIN, and the thread rolled it back because its caller had left.
        assert [s.split()[0] for s in w.trace.statements] == ["BEGIN", "INSERT", "ROLLBACK"]
        await w.db.run_write(_insert_user(3))
        assert await _users(w.db) == [3]


async def _committed_users(path: Path) -> list[int]:
    """Users another connection sees: what was committed."""
    with sqlite3.connect(path) as other:
        return [int(r[0]) for r in other.execute("SELECT user_id FROM users ORDER BY user_id")]


async def test_a_second_cancel_while_begin_waits_orphans_no_transaction(tmp_path: Path) -> None:
    async with _begin_waits(tmp_path / "bot.sqlite3", lambda db: db.run_write(_insert_user(2))) as w:
        w.task.cancel()
        await _turn()
        assert not w.task.done()  # the first cancel is taken while BEGIN still waits on the thread
        w.task.cancel()
        await _turn()
        assert not w.task.done()  # so is the second: the lock is kept until the thread is done
        w.blocker.execute("ROLLBACK")  # the waiting BEGIN now succeeds, on the thread, for a cancelled task
        with pytest.raises(asyncio.CancelledError):
            await w.task
        # The next write must commit in its own transaction, not land in one left open (0 rows). `execute` is a
        # `run_write` of one statement since issue 21 (one transaction style), so it has its own BEGIN … COMMIT.
        insert = "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (3, 3, 'U', 0)"
        assert await w.db.execute(insert) == 1
        assert await _committed_users(tmp_path / "bot.sqlite3") == [3]
        assert [s.split()[0] for s in w.trace.statements[-4:]] == ["ROLLBACK", "BEGIN", "INSERT", "COMMIT"]


async def test_a_write_slower_than_the_wait_on_the_spot_is_awaited_and_the_loop_runs_meanwhile(tmp_path: Path) -> None:
    # The loop's thread waits only WAIT_ON_THE_SPOT for a call on the database thread. Here BEGIN IMMEDIATE waits
    # there for another connection's lock (`_begin_waits` itself needs the loop to turn to see that): the write
    # is awaited, other coroutines run, and it ends with its commit once the lock is free.
    async with _begin_waits(tmp_path / "bot.sqlite3", lambda db: db.run_write(_insert_user(2))) as w:
        others = [asyncio.ensure_future(asyncio.sleep(0, result=n)) for n in range(3)]
        assert await asyncio.gather(*others) == [0, 1, 2]
        assert not w.task.done()
        w.blocker.execute("ROLLBACK")
        await w.task
        assert await _committed_users(tmp_path / "bot.sqlite3") == [2]
