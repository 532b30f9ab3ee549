"""The SQLite connection: pragmas, migrations and serialised transactions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Generic, TypeVar, cast

import aiosqlite

from bot.storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# How long the loop's thread waits on the spot for a call it handed to the database thread, before it awaits it.
# A quiz answer's transaction takes ~0.1-0.3 ms there. Every sqlite3 call gives up the GIL and takes it back, and
# against a busy loop thread each take was a wait, a futex wake and a thread switch, often onto the other core:
# ~0.8 ms of kernel time per answer on a 2-core VM (docs/benchmarks.md). Waiting here, with the GIL released, lets
# the database thread run its statements uncontended. Anything slower (a locked file, a checkpoint, a big read) is
# awaited after this long, so the loop is never held longer than this by the database.
WAIT_ON_THE_SPOT = 0.002

T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """DATABASE_PATH cannot be used; the message says why in one line."""


class Database:
    """One aiosqlite connection; a lock keeps coroutines from sharing a transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        # Told the seconds of each write transaction, from the call to its commit (bot/metrics.py).
        self.on_write: Callable[[float], None] | None = None

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open (creating folder and file if needed), set pragmas and migrate; DatabaseUnavailable if it can't."""
        if str(path) != ":memory:":
            ensure_folder(path.parent)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(_explain(path, exc, busy_timeout_ms)) from None
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            # Read-only checks first, so a file that is not ours (or is too new) is left exactly as it was.
            _check_version(path, await _user_version(conn))
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            db = cls(conn)
            await db._migrate(path)
        except BaseException as exc:
            # aiosqlite's worker thread keeps the process alive until the connection is closed.
            await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise DatabaseUnavailable(_explain(path, exc, busy_timeout_ms)) from None
            raise
        return db

    async def _migrate(self, path: Path) -> None:
        def work(conn: sqlite3.Connection) -> None:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            _check_version(path, version)
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                logger.info("migrating database schema to version %d", number)
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

        await self.run_write(work)

    async def run_write(self, work: Callable[[sqlite3.Connection], T], *, batching: bool = False) -> T:
        """Run `work` on the database thread inside BEGIN IMMEDIATE … COMMIT: a whole transaction in one hand-off.

        `work` is plain synchronous code given the sqlite3 connection; it must not touch the event loop. An
        error in it (or in BEGIN or COMMIT) rolls the transaction back on the thread and is raised here. A
        caller cancelled before COMMIT has its transaction rolled back; either way the lock
        is released only once the thread is done with it. A `batching` caller (a group commit) is never
        waited for on the spot: the loop runs meanwhile, so writers that end then join its next batch.
        """
        cancelled = threading.Event()
        start = time.perf_counter()
        wait = 0.0 if batching else WAIT_ON_THE_SPOT
        try:
            async with self._lock:
                return await self._on_thread(_atomically, work, cancelled, on_cancel=cancelled.set, wait=wait)
        finally:
            self._timed(start)

    def _timed(self, start: float) -> None:
        if self.on_write is not None:
            self.on_write(time.perf_counter() - start)

    async def _on_thread(
        self,
        fn: Callable[..., T],
        *args: object,
        on_cancel: Callable[[], None] | None = None,
        wait: float = WAIT_ON_THE_SPOT,
    ) -> T:
        """Run `fn(connection, *args)` on the database thread, behind every call queued before it; its result here.

        Waited for on the spot for up to `wait` seconds, then awaited. A caller cancelled while it awaits still
        waits for the call's end (`_finish`, which calls `on_cancel` first), then is told it was cancelled.
        """
        call = _Call(fn, (self._conn, *args))
        settled = self._queue(call)
        if not call.finished_within(wait):
            await self._finish(settled, on_cancel)
        return call.outcome()

    def _queue(self, call: Callable[[], None]) -> asyncio.Future[None]:
        """Put `call` on aiosqlite's queue; the future the thread settles once the call has run.

        aiosqlite runs queued calls one at a time, in order. Its Connection._tx queue, and the `_running` and
        `_connection` checks its own `_execute` makes first, have no public names in 0.21 and 0.22:
        tests/storage/test_aiosqlite_api.py pins them, and the dependency pins <0.23.
        """
        conn = self._conn
        if not conn._running or conn._connection is None:
            raise ValueError("Connection closed")
        settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        conn._tx.put_nowait((settled, call))
        return settled

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent read snapshot."""
        async with self._lock, self._transaction("BEGIN"):
            yield self._conn

    @asynccontextmanager
    async def _transaction(self, begin: str) -> AsyncIterator[None]:
        """BEGIN … COMMIT that never leaves the shared connection inside a transaction, whatever fails.

        A statement runs on aiosqlite's thread to its end even if the task awaiting it is cancelled (a BEGIN
        waiting out the busy timeout, say), so BEGIN and COMMIT are awaited to completion, through any number
        of cancellations. Whatever fails or is cancelled, the rollback is decided on the thread, queued behind
        every statement already handed to it: only there is `in_transaction` the connection's true state.
        """
        try:
            await self._finish(self._conn.execute(begin))
            yield
            await self._finish(self._conn.execute("COMMIT"))
        except BaseException:
            await self._on_thread(_rollback_open)
            raise

    @staticmethod
    async def _finish(statement: Awaitable[T], on_cancel: Callable[[], None] | None = None) -> T:
        """Await a statement to its end even if this task is cancelled meanwhile, once or more (then re-raise).

        The task keeps the lock until then, so nothing it handed to the thread can run after the next holder's work.
        """
        task = asyncio.ensure_future(statement)
        cancelled = False
        while not task.done():
            try:
                await asyncio.wait([task])
            except asyncio.CancelledError:
                if not cancelled and on_cancel is not None:
                    on_cancel()
                cancelled = True
        if cancelled:
            if not task.cancelled():
                task.exception()  # retrieved: the caller is told it was cancelled, not how the statement ended
            raise asyncio.CancelledError
        return task.result()

    async def fetch_all(self, sql: str, params: Iterable[object] = ()) -> list[aiosqlite.Row]:
        """The rows of one SELECT, in a single round trip to the database thread.

        One statement is its own consistent snapshot, so it needs no BEGIN/COMMIT (two more round trips,
        each a thread hand-off that costs far more than an indexed lookup): use `read()` for several.
        """
        async with self._lock:
            return await self._on_thread(_fetch_all, sql, tuple(params))

    async def fetch_one(self, sql: str, params: Iterable[object] = ()) -> aiosqlite.Row | None:
        """The first row of one SELECT (or None), in a single round trip."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Iterable[object] = ()) -> int:
        """One write statement as a `run_write` transaction (a single hand-off); rows changed."""
        values = tuple(params)
        return await self.run_write(lambda conn: conn.execute(sql, values).rowcount)

    async def ping(self) -> None:
        """Ask the database a question that reads the file's schema; raises when it cannot answer."""
        await self.fetch_one("SELECT COUNT(*) FROM sqlite_master")

    async def backup(self, target: Path) -> str:
        """Copy the database into the new file `target` with SQLite's online backup API; the copy's integrity verdict.

        The copy is taken in one step under one read snapshot, so it holds exactly the transactions
        committed before it began, while the bot (another connection, another process) keeps writing.
        """
        dest = await aiosqlite.connect(target, isolation_level=None, check_same_thread=False)
        try:
            async with self._lock:
                await self._conn.backup(dest)
            # A backup is one self-contained file: no -wal beside it.
            await dest.execute("PRAGMA journal_mode = DELETE")
            rows = await dest.execute_fetchall("PRAGMA integrity_check")
            return "; ".join(str(r[0]) for r in rows)
        finally:
            await dest.close()

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()


class _Abandoned(Exception):
    """The caller of `run_write` was cancelled before COMMIT."""


class _Call(Generic[T]):
    """A function for the database thread, and its outcome for whoever waits: on the spot or on the loop."""

    __slots__ = ("_args", "_done", "_error", "_fn", "_value")

    def __init__(self, fn: Callable[..., T], args: tuple[object, ...]) -> None:
        self._fn = fn
        self._args = args
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def __call__(self) -> None:
        """On the database thread: run the function and keep what came of it (it never raises to aiosqlite)."""
        try:
            self._value = self._fn(*self._args)
        except BaseException as exc:  # handed to the caller, as aiosqlite would
            self._error = exc
        finally:
            self._done.set()

    def finished_within(self, seconds: float) -> bool:
        """Wait up to `seconds`, the GIL released, for the call to end; whether it has."""
        return self._done.wait(seconds)

    def outcome(self) -> T:
        """The function's result, or its exception raised here; only once the call has ended."""
        if self._error is not None:
            raise self._error
        return cast(T, self._value)


def _fetch_all(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]) -> list[aiosqlite.Row]:
    """On the database thread: the rows of one statement."""
    rows: list[aiosqlite.Row] = conn._conn.execute(sql, params).fetchall()
    return rows


def _atomically(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T], cancelled: threading.Event) -> T:
    """On the database thread: BEGIN IMMEDIATE, `work`, COMMIT; ROLLBACK if anything fails or the caller left."""
    raw = conn._conn  # the sqlite3 connection: only this thread may use it
    try:
        raw.execute("BEGIN IMMEDIATE")
        result = work(raw)
        if cancelled.is_set():
            raise _Abandoned
        raw.execute("COMMIT")
    except BaseException:
        _rollback_open(conn)
        raise
    return result


def _rollback_open(conn: aiosqlite.Connection) -> None:
    """On the database thread: roll back the transaction open on the connection, if one is."""
    raw = conn._conn
    if raw.in_transaction:
        try:
            raw.execute("ROLLBACK")
        except sqlite3.Error as exc:
            logger.error("rollback failed: %s", exc)


def _statements(script: str) -> list[str]:
    """The statements of a migration script, in order."""
    # A trigger's body holds semicolons of its own: chunks are joined until SQLite says they make a statement.
    found: list[str] = []
    pending = ""
    for chunk in script.split(";"):
        pending += chunk
        if sqlite3.complete_statement(pending + ";"):
            if pending.strip() and not _only_comments(pending):
                found.append(pending.strip())
            pending = ""
        else:
            pending += ";"
    if pending.strip() and not _only_comments(pending):
        raise ValueError(f"incomplete statement in a migration: {pending.strip()[:80]}")
    return found


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in chunk.splitlines())


async def _user_version(conn: aiosqlite.Connection) -> int:
    cur = await conn.execute("PRAGMA user_version")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


def _check_version(path: Path, version: int) -> None:
    if version > len(MIGRATIONS):
        raise DatabaseUnavailable(
            f"{path} has schema version {version}, newer than this bot knows ({len(MIGRATIONS)}); "
            "run the newer bot or restore a backup"
        )


def _explain(path: Path, exc: sqlite3.Error, busy_timeout_ms: int) -> str:
    """One line for an operator: what is wrong with the database file."""
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text:
        return f"{path} is not an SQLite database (left as it is); point DATABASE_PATH at the bot's database file"
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another process (waited {busy_timeout_ms / 1000:g} s)"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only; the bot needs to write to it and its folder"
    if "unable to open" in text:
        return f"cannot open {path}; check that its folder exists and is writable"
    return f"{path}: {exc}"


def ensure_folder(folder: Path) -> None:
    """Create the database's folder, or raise DatabaseUnavailable saying why it can't be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(_folder_problem(folder, exc)) from None


def _folder_problem(folder: Path, exc: OSError) -> str:
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"cannot create the folder {folder}: {blocker} is a file"
    return f"cannot create the folder {folder}: {exc.strerror or exc}"
