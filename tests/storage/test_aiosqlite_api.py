"""The private aiosqlite API that bot/storage/db.py relies on, pinned so an upgrade fails here, not in production.

`Database._queue` puts a (future, function) pair on aiosqlite's `Connection._tx` queue, after the same
`_running` / `_connection` checks aiosqlite's own `_execute` makes, and the queued functions use the sqlite3
connection behind `Connection._conn`; aiosqlite 0.21 and 0.22 have no public name for any of these.
pyproject.toml pins aiosqlite below 0.23: before raising that pin, this test must pass on the new version (or
db.py must move to whatever replaced these names).
"""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from pathlib import Path
from queue import SimpleQueue

import aiosqlite


async def test_the_names(tmp_path: Path) -> None:
    assert isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property)
    conn = await aiosqlite.connect(tmp_path / "x.sqlite3", isolation_level=None)
    assert isinstance(conn._tx, SimpleQueue)
    assert conn._running is True
    assert isinstance(conn._connection, sqlite3.Connection)
    await conn.close()
    assert conn._running is False
    assert conn._connection is None


async def test_a_queued_function_runs_on_the_connection_thread_in_queue_order(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "x.sqlite3", isolation_level=None) as conn:
        seen: list[tuple[int, bool, str]] = []

        def probe(label: str) -> str:
            raw = conn._conn
            assert isinstance(raw, sqlite3.Connection)
            seen.append((threading.get_ident(), raw.in_transaction, label))
            return label

        # Queued right behind BEGIN, before BEGIN is awaited: the function runs after BEGIN and sees its transaction.
        begin = asyncio.ensure_future(conn.execute("BEGIN IMMEDIATE"))
        await asyncio.sleep(0)  # BEGIN is on the queue
        settled: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        conn._tx.put_nowait((settled, lambda: probe("after begin")))
        await begin
        assert await settled == "after begin"  # the thread settles the future with the function's result
        await conn.execute("ROLLBACK")
        assert seen[0][0] != threading.get_ident()  # not the event loop's thread
        assert seen[0][1:] == (True, "after begin")
