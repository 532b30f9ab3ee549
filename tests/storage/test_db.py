"""The shared connection heals: a failed COMMIT or a cancelled BEGIN never leaves it inside a transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.storage.db import Database


async def _users(db: Database) -> list[int]:
    return [int(r[0]) for r in await db.fetch_all("SELECT user_id FROM users ORDER BY user_id")]


async def _add_user(db: Database, user_id: int) -> None:
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, 'U', 0)", (user_id, user_id)
        )


async def test_a_failed_commit_is_rolled_back_and_the_next_write_works(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        # A deferred foreign-key check makes COMMIT itself fail, and SQLite keeps the transaction open.
        with pytest.raises(sqlite3.IntegrityError):
            async with db.write() as conn:
                await conn.execute("PRAGMA defer_foreign_keys = ON")
                await conn.execute(
                    "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) "
                    "VALUES (404, '2026-01-01', 'sending', 1, 0)"
                )
        await _add_user(db, 1)
        assert await _users(db) == [1]
        assert not await db.fetch_all("SELECT * FROM deliveries")
    finally:
        await db.close()


async def test_a_begin_cancelled_while_it_waits_for_the_lock_is_undone(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        started = asyncio.Event()

        async def write() -> None:
            started.set()
            await _add_user(db, 2)

        task = asyncio.create_task(write())
        await started.wait()
        for _ in range(3):  # let the task hand BEGIN IMMEDIATE to the database thread
            await asyncio.sleep(0)
        task.cancel()
        blocker.execute("ROLLBACK")  # the waiting BEGIN now succeeds, on the thread, for a cancelled task
        with pytest.raises(asyncio.CancelledError):
            await task
        await _add_user(db, 3)
        assert await _users(db) == [3]
    finally:
        blocker.close()
        await db.close()


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
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        task = asyncio.create_task(db.run_write(_insert_user(2)))
        for _ in range(3):  # let the task hand its transaction to the database thread, where BEGIN waits
            await asyncio.sleep(0)
        task.cancel()
        for _ in range(3):  # let the cancelled task tell the thread its caller has gone
            await asyncio.sleep(0)
        assert not task.done()  # it holds the lock until the thread is done
        blocker.execute("ROLLBACK")  # the waiting BEGIN now succeeds, on the thread, for a cancelled caller
        with pytest.raises(asyncio.CancelledError):
            await task
        await db.run_write(_insert_user(3))
        assert await _users(db) == [3]
    finally:
        blocker.close()
        await db.close()
