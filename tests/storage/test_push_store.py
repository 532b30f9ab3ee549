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
from bot.storage.push import Claims, DailyPlan, Outcome, PushStore, Settled, served_on

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


def _plan(uid: int, day: dt.date = DAY, qid: str | None = None) -> DailyPlan:
    return DailyPlan(uid, day, "fresher", qid, (2, 0, 1) if qid else ())


async def _claim(store: PushStore, uid: int, now_ms: int, stale_ms: int, limit: int, day: dt.date = DAY) -> list[int]:
    """Attempt counts of the rows claimed (empty: not claimed)."""
    return [c.attempts for c in await store.claim([_plan(uid, day)], now_ms, stale_ms, limit)]


def _sent(uid: int, day: dt.date = DAY, message_id: int = 555, session_id: int | None = None) -> Settled:
    return Settled(uid, day, Outcome.SENT, session_id, message_id)


async def test_claim_once_per_user_and_local_date(db: Database, tmp_path: Path) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    assert await _claim(store, 1, 10 * MIN, 5 * MIN, 5) == [1]
    # Another process (or the next tick) while the send is in flight: taken.
    assert await _claim(store, 1, 11 * MIN, 6 * MIN, 5) == []
    await store.settle([_sent(1)], 11 * MIN)
    assert await _claim(store, 1, 60 * MIN, 55 * MIN, 5) == []
    assert await store.served([DAY], 55 * MIN, 5) == {(1, DAY)}
    # The next local date is a new row.
    assert await _claim(store, 1, 60 * MIN, 55 * MIN, 5, DAY + dt.timedelta(days=1)) == [1]
    with sqlite3.connect(tmp_path / "push.sqlite3") as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO deliveries (user_id, local_date, status, claimed_at) VALUES (1, ?, 'sent', 0)",
            (DAY.isoformat(),),
        )


async def test_a_batch_claim_opens_each_session_and_settles_together(db: Database) -> None:
    store, interviews = PushStore(db), InterviewStore(db)
    for uid in (1, 2, 3):
        await store.set_daily(uid, "09:00")
    await store.set_blocked(3, True)
    await store.claim([_plan(2, qid="q-old")], MIN, 0, 5)  # user 2's row is in flight already
    claims = await store.claim([_plan(1, qid="q1"), _plan(2, qid="q2"), _plan(3, qid="q3")], 2 * MIN, 0, 5)
    [one] = claims
    assert (one.user_id, one.attempts, one.fresh) == (1, 1, True) and one.session_id is not None
    found = await interviews.session_slot(one.session_id, 0)
    assert found is not None and found[1] is not None
    session, slot = found
    assert (session.mode, session.user_id, session.size) == ("daily", 1, 1)
    assert (slot.question_id, slot.order) == ("q1", (2, 0, 1))
    [row] = await store.deliveries(1)
    assert (row.status, row.session_id) == ("sending", one.session_id)
    await store.settle([_sent(1, session_id=one.session_id, message_id=77), Settled(2, DAY, Outcome.BLOCKED)], 3 * MIN)
    [row] = await store.deliveries(1)
    assert (row.status, row.message_id, row.sent_at) == ("sent", 77, 3 * MIN)
    found = await interviews.session_slot(one.session_id, 0)
    assert found is not None and found[1] is not None and found[1].message_id == 77
    assert [r.status for r in await store.deliveries(2)] == ["blocked"]
    assert [s.user_id for s in await store.subscribers()] == [1]


async def test_stale_sending_row_is_claimed_again_with_its_session(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    [first] = await store.claim([_plan(1, qid="q1")], 10 * MIN, 5 * MIN, 5)
    # The process died here: the row stays 'sending'. Three minutes later it is still in flight...
    assert await _claim(store, 1, 13 * MIN, 8 * MIN, 5) == []
    assert await store.served([DAY], 8 * MIN, 5) == {(1, DAY)}
    # ...six minutes later it is stale: claimed again, with the same session to resend.
    [again] = await store.claim([_plan(1, qid="q2")], 16 * MIN, 11 * MIN, 5)
    assert (again.session_id, again.attempts, again.fresh) == (first.session_id, 2, False)


async def test_failed_and_released_rows_are_claimed_again_up_to_the_limit(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    assert await _claim(store, 1, MIN, 0, 3) == [1]
    await store.settle([Settled(1, DAY, Outcome.RELEASED)], MIN)  # never sent: the attempt does not count
    for attempt in range(1, 4):
        assert await _claim(store, 1, attempt * MIN, 0, 3) == [attempt]
        await store.settle([Settled(1, DAY, Outcome.FAILED)], attempt * MIN)
    assert await _claim(store, 1, 10 * MIN, 0, 3) == []
    assert await store.served([DAY], 0, 3) == {(1, DAY)}


async def test_blocked_unsubscribes_and_claims_stop(db: Database) -> None:
    store = PushStore(db)
    await store.set_daily(1, "09:00")
    await store.set_daily(2, "09:00")
    await _claim(store, 1, MIN, 0, 5)
    await store.settle([Settled(1, DAY, Outcome.BLOCKED)], MIN)
    await store.set_blocked(2, True)
    assert await store.subscribers() == []
    assert await _claim(store, 2, MIN, 0, 5) == []
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
    await PushStore(db).claim([_plan(1, qid="q1")], MIN, 0, 5)
    await db.execute("DELETE FROM users WHERE user_id = ?", (1,))
    assert await cards.due_times(1) == {}
    assert await PushStore(db).deliveries(1) == []


async def test_served_on_reads_the_claims_tables_it_names_and_takes_no_string(db: Database, tmp_path: Path) -> None:
    day = dt.date(2026, 1, 1)
    with sqlite3.connect(tmp_path / "push.sqlite3") as raw:
        raw.execute("INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (7, 7, 'A', 0)")
        raw.execute(
            "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) VALUES (7, ?, 'sent', 1, 0)",
            (day.isoformat(),),
        )
        raw.execute(
            "INSERT INTO group_deliveries (chat_id, local_date, status, attempts, claimed_at) "
            "VALUES (-9, ?, 'sent', 1, 0)",
            (day.isoformat(),),
        )
    assert await served_on(db, Claims.PRIVATE, [day], 0, 5) == {(7, day)}
    assert await served_on(db, Claims.GROUP, [day], 0, 5) == {(-9, day)}
    with pytest.raises(TypeError):
        await served_on(db, "deliveries", [day], 0, 5)  # type: ignore[arg-type]
