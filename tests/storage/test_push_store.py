"""The push and card repositories on a real SQLite file: claims, staleness, unsubscribes, cascades."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from fsrs import Rating

from bot.domain.review import review
from bot.storage.cards import CardStore
from bot.storage.db import Database
from bot.storage.interviews import InterviewStore
from bot.storage.push import ClaimState, PushStore

DAY = dt.date(2026, 1, 1)
MIN = 60_000


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "push.sqlite3")
    for uid in (1, 2, 3):
        await InterviewStore(database).upsert_user(uid, uid, "Ann", 0)
    yield database
    await database.close()


async def test_subscribe_unsubscribe_and_zone(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:30")
    await store.set_timezone(1, "Asia/Tokyo")
    await store.set_daily(2, "07:00")
    await store.set_daily(2, None)
    settings = await store.settings(1)
    assert settings is not None and settings.daily_time == dt.time(9, 30) and settings.timezone == "Asia/Tokyo"
    assert [s.user_id for s in await store.subscribers()] == [1]
    assert await store.settings(99) is None


async def test_claim_once_per_user_and_local_date(db: Database, tmp_path: Path) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    first = await store.claim(1, DAY, 10 * MIN, 5 * MIN, 5)
    assert first.state is ClaimState.CLAIMED and first.attempts == 1
    # Another process (or the next tick) while the send is in flight: taken.
    assert (await store.claim(1, DAY, 11 * MIN, 6 * MIN, 5)).state is ClaimState.TAKEN
    await store.mark_sent(1, DAY, 555, 11 * MIN)
    assert (await store.claim(1, DAY, 60 * MIN, 55 * MIN, 5)).state is ClaimState.TAKEN
    assert await store.served([DAY], 55 * MIN, 5) == {(1, DAY)}
    # The next local date is a new row.
    assert (await store.claim(1, DAY + dt.timedelta(days=1), 60 * MIN, 55 * MIN, 5)).state is ClaimState.CLAIMED
    with sqlite3.connect(tmp_path / "push.sqlite3") as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO deliveries (user_id, local_date, status, claimed_at) VALUES (1, ?, 'sent', 0)",
            (DAY.isoformat(),),
        )


async def test_stale_sending_row_is_claimed_again_with_its_session(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    await store.claim(1, DAY, 10 * MIN, 5 * MIN, 5)
    session_id = await InterviewStore(db).create_session(1, "daily", "fresher", [("q1", (0, 1, 2))], None, 0)
    assert session_id is not None
    await store.attach_session(1, DAY, session_id)
    # The process died here: the row stays 'sending'. Three minutes later it is still in flight...
    assert (await store.claim(1, DAY, 13 * MIN, 8 * MIN, 5)).state is ClaimState.TAKEN
    assert await store.served([DAY], 8 * MIN, 5) == {(1, DAY)}
    # ...six minutes later it is stale: claimed again, with the same session to resend.
    again = await store.claim(1, DAY, 16 * MIN, 11 * MIN, 5)
    assert again.state is ClaimState.CLAIMED and again.session_id == session_id and again.attempts == 2


async def test_failed_rows_retry_up_to_the_limit(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    for attempt in range(1, 4):
        claim = await store.claim(1, DAY, attempt * MIN, 0, 3)
        assert claim.state is ClaimState.CLAIMED and claim.attempts == attempt
        await store.mark_failed(1, DAY)
    assert (await store.claim(1, DAY, 10 * MIN, 0, 3)).state is ClaimState.TAKEN
    assert await store.served([DAY], 0, 3) == {(1, DAY)}


async def test_blocked_unsubscribes_and_claims_stop(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    await store.set_daily(2, "09:00")
    await store.claim(1, DAY, MIN, 0, 5)
    await store.mark_blocked(1, DAY)
    await store.set_blocked(2, True)
    assert await store.subscribers() == []
    assert (await store.claim(2, DAY, MIN, 0, 5)).state is ClaimState.UNSUBSCRIBED
    rows = await store.deliveries(1)
    assert [r.status for r in rows] == ["blocked"]
    settings = await store.settings(2)
    assert settings is not None and settings.blocked and settings.daily_time is None
    # Subscribing again clears the flag.
    await store.set_daily(2, "10:00")
    assert [s.user_id for s in await store.subscribers()] == [2]


async def test_cards_review_in_place_and_cascade_with_the_user(db: Database) -> None:
    cards = CardStore(db)
    when = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    first = await cards.review(1, "q1", lambda stored: review(stored, Rating.Good, when))
    assert await cards.card(1, "q1") == first.card_json
    later = first.due
    second = await cards.review(1, "q1", lambda stored: review(stored, Rating.Again, later))
    assert (await cards.due_times(1)) == {"q1": second.due.replace(microsecond=(second.due.microsecond // 1000) * 1000)}
    await PushStore(db).set_daily(1, "09:00")
    await PushStore(db).claim(1, DAY, MIN, 0, 5)
    async with db.write() as conn:
        await conn.execute("DELETE FROM users WHERE user_id = ?", (1,))
    assert await cards.due_times(1) == {}
    assert await PushStore(db).deliveries(1) == []
