"""Due selection by index: `next_due_at` follows subscriptions, settings and settled sends; the tick reads an index."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.domain.delivery import Outcome
from bot.storage.db import Database
from bot.storage.group_settings import GroupSettingsStore
from bot.storage.interviews import InterviewStore
from bot.storage.push import NextDue, PushStore, Settled

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def _path(tmp_path: Path) -> Path:
    return tmp_path / "due.sqlite3"


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(_path(tmp_path))
    for uid in (1, 2, 3):
        await InterviewStore(database).upsert_user(uid, uid, "Ann", 0)
    yield database
    await database.close()


async def _due(store: PushStore, when: dt.datetime) -> list[int]:
    return [s.user_id for s in await store.due_subscribers(_ms(when))]


async def test_next_due_follows_subscription_zone_and_settle(db: Database, tmp_path: Path) -> None:
    store = PushStore(db, "UTC")
    await store.set_daily(1, "09:00")
    await store.set_daily(2, "07:00")
    assert await _due(store, NOW) == [1, 2]  # not known yet: looked at now
    await store.refresh([1, 2, 3], NOW, 5)
    assert await _due(store, NOW) == [2]  # 07:00 has passed today; 09:00 has not
    assert await _due(store, NOW + dt.timedelta(hours=1)) == [2, 1]  # by due time
    # A change of zone, by whatever code, clears the time: the row is looked at again at once.
    await store.set_timezone(1, "Asia/Tokyo")
    assert await _due(store, NOW) == [1, 2]
    await store.refresh([1], NOW, 5)  # 09:00 in Tokyo on 1 Jan is 00:00 UTC: passed today, not served: due now
    assert await _due(store, NOW) == [1, 2]
    # A settled send moves the user to tomorrow's time; a failure under the attempt limit keeps them due.
    day = dt.date(2026, 1, 1)
    for uid in (1, 2):
        with sqlite3.connect(_path(tmp_path)) as raw:
            raw.execute(
                "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) "
                "VALUES (?, ?, 'sending', 1, 0)",
                (uid, day.isoformat()),
            )
    tomorrow_tokyo_nine = dt.datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
    sent = Settled(1, day, Outcome.SENT, None, 7, NextDue(_ms(tomorrow_tokyo_nine), "09:00", "Asia/Tokyo"))
    await store.settle([sent, Settled(2, day, Outcome.FAILED)], _ms(NOW))
    assert await _due(store, NOW) == [2]
    assert await _due(store, tomorrow_tokyo_nine) == [2, 1]
    # A settle that saw settings changed since (here the time) stores nothing: the row stays "look now".
    await store.set_daily(1, "10:00")
    await store.settle([sent], _ms(NOW))
    assert await _due(store, NOW) == [1, 2]
    # Unsubscribed or blocked: never selected.
    await store.set_daily(2, None)
    await store.set_blocked(1, True)
    assert await _due(store, NOW + dt.timedelta(days=3)) == []


async def test_groups_have_their_own_next_due(db: Database, tmp_path: Path) -> None:
    groups = GroupSettingsStore(db, "UTC")
    await groups.join(-100, "G", 0)
    await groups.set_daily(-100, "10:00")
    await groups.refresh([-100], NOW, 5)
    with sqlite3.connect(_path(tmp_path)) as raw:
        (due,) = raw.execute("SELECT next_due_at FROM groups WHERE chat_id = -100").fetchone()
    assert due == _ms(dt.datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    assert await groups.leave(-100, 0)
    with sqlite3.connect(_path(tmp_path)) as raw:
        assert raw.execute("SELECT next_due_at FROM groups WHERE chat_id = -100").fetchone() == (None,)


async def test_the_tick_reads_indexes_only(db: Database, tmp_path: Path) -> None:
    """The tick's query searches two partial indexes: it never scans the subscribers."""
    store = PushStore(db, "UTC")
    plans: list[str] = []
    await db._conn.set_trace_callback(plans.append)
    await store.due_subscribers(_ms(NOW))
    (sql,) = [s for s in plans if "next_due_at" in s]
    with sqlite3.connect(_path(tmp_path)) as raw:
        plan = [str(r[3]) for r in raw.execute("EXPLAIN QUERY PLAN " + sql.replace(str(_ms(NOW)), "?"), (0,))]
    # A search of the due-time index, and a walk of the partial index that holds only rows not known yet.
    reads = [p for p in plan if p.startswith(("SEARCH", "SCAN"))]
    assert reads == [
        "SEARCH users USING INDEX users_next_due (next_due_at<?)",
        "SCAN users USING INDEX users_due_unknown",
    ], plan
