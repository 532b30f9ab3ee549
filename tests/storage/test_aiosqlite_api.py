"""The private aiosqlite API that bot/storage/db.py relies on, pinned so an upgrade fails here, not in production.

`Database.run_write` and the rollback of `Database._transaction` queue a plain function for aiosqlite's thread
with `Connection._execute(fn, *args)` and use the sqlite3 connection behind `Connection._conn`; aiosqlite 0.21 and
0.22 have no public name for either. pyproject.toml pins aiosqlite below 0.23: before raising that pin, this test
must pass on the new version (or db.py must move to whatever replaced these names).
"""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from pathlib import Path

import aiosqlite


def test_the_names_and_the_signature() -> None:
    execute = inspect.getattr_static(aiosqlite.Connection, "_execute")
    assert inspect.iscoroutinefunction(execute)
    assert str(inspect.signature(execute)) == "(self, fn, *args, **kwargs)"
    assert isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property)


async def test_execute_runs_a_function_on_the_connection_thread_in_queue_order(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "x.sqlite3", isolation_level=None) as conn:
        seen: list[tuple[int, bool, object]] = []

        def probe(c: aiosqlite.Connection, label: str) -> str:
            raw = c._conn
            assert isinstance(raw, sqlite3.Connection)
            seen.append((threading.get_ident(), raw.in_transaction, label))
            return label

        # Queued right behind BEGIN, without awaiting it first (gather starts them in this order): the function
        # runs after BEGIN and sees the transaction it opened.
        probed = conn._execute(probe, conn, "after begin")  # type: ignore[no-untyped-call]
        _, label = await asyncio.gather(conn.execute("BEGIN IMMEDIATE"), probed)
        assert label == "after begin"
        await conn.execute("ROLLBACK")
        assert seen[0][0] != threading.get_ident()  # not the event loop's thread
        assert seen[0][1:] == (True, "after begin")
