"""Opening a database that cannot be used: one clear reason, the file untouched, no thread left behind."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.instance import AlreadyRunning, InstanceLock
from bot.storage.db import Database, DatabaseUnavailable
from bot.storage.migrations import MIGRATIONS


def _threads() -> int:
    # A closed connection's worker thread ends just after close() returns: join it before counting.
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(5)
    return threading.active_count()


async def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    path.write_bytes(content)
    before = _threads()
    with pytest.raises(DatabaseUnavailable, match="is not an SQLite database"):
        await Database.open(path)
    assert path.read_bytes() == content
    assert _threads() == before, "the connection's worker thread was left running (the old hang)"


async def test_a_schema_newer_than_the_code_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    with pytest.raises(DatabaseUnavailable, match=f"schema version {len(MIGRATIONS) + 1}, newer than"):
        await Database.open(path)
    assert path.read_bytes() == content


async def test_a_folder_blocked_by_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(DatabaseUnavailable, match="data is a file"):
        await Database.open(tmp_path / "data" / "sub" / "bot.sqlite3")


async def test_a_database_locked_beyond_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    before = _threads()
    try:
        with pytest.raises(DatabaseUnavailable, match="locked by another process"):
            await Database.open(path, busy_timeout_ms=200)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _threads() == before
    db = await Database.open(path)
    await db.close()


def test_one_bot_process_per_database(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path / "data" / "bot.sqlite3")
    first.acquire()
    try:
        second = InstanceLock(tmp_path / "data" / "bot.sqlite3")
        with pytest.raises(AlreadyRunning) as caught:
            second.acquire()
        assert caught.value.pid is not None and caught.value.pid > 0
    finally:
        first.release()
    again = InstanceLock(tmp_path / "data" / "bot.sqlite3")
    again.acquire()
    again.release()
