"""Interview deadlines on a real SQLite file: a question is closed exactly once, whoever races for it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.storage.answers import Attempt, NewAnswer, Recorded
from bot.storage.db import Database
from bot.storage.interviews import At, InterviewStore
from bot.storage.mock_interviews import MockInterviewStore
from bot.storage.reports import ReportStore
from bot.storage.sessions import NextSlot


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.sqlite3")
    await InterviewStore(database).upsert_user(7, 70, "Ann", 0)
    yield database
    await database.close()


async def _start(db: Database, size: int, origin: int | None = None) -> int | None:
    """An interview of `size` questions whose first one, q1, is due at 91 s; None if `origin` already started one."""
    first = [NextSlot("q1", (0, 1, 2), 91_000)]
    opened = await InterviewStore(db).start_session(7, "interview", "fresher", first, origin, 1_000, size=size)
    return None if opened.already_started or opened.found is None else opened.found[0].session_id


def _tap(sid: int, position: int = 0) -> NewAnswer:
    return NewAnswer(sid, position, 7, "q1", "routing", "mcq", chosen=1, correct=True)


def _timeout(sid: int, position: int = 0) -> NewAnswer:
    return NewAnswer(sid, position, 7, "q1", "routing", "mcq", correct=False, timed_out=True)


async def _close(db: Database, answer: NewAnswer, now_ms: int, following: NextSlot | None) -> Recorded | None:
    """Close a question the way the interview does: the answer, then the next question or the end."""
    attempt = Attempt(answer, advance=True, finish=following is None, next_slot=following)
    done = await InterviewStore(db).record_answer(At(answer.session_id, answer.position), attempt, now_ms)
    return done.recorded


async def test_a_tap_and_the_deadline_race_and_one_wins(db: Database, tmp_path: Path) -> None:
    store = MockInterviewStore(db)
    sid = await _start(db, 3)
    assert sid is not None
    [pending] = await store.open_deadlines()
    assert (pending.session_id, pending.position, pending.chat_id, pending.deadline_ms) == (sid, 0, 70, 91_000)
    results = await asyncio.gather(
        _close(db, _tap(sid), 90_000, NextSlot("q2", (1, 0, 2), 180_000)),
        _close(db, _timeout(sid), 91_000, NextSlot("q3", (2, 1, 0), 181_000)),
        _close(db, _timeout(sid), 91_500, NextSlot("q4", (0, 1, 2), 181_500)),
    )
    assert sorted(r.value for r in results if r is not None) == ["duplicate", "duplicate", "recorded"]
    with sqlite3.connect(tmp_path / "m.sqlite3") as raw:
        assert raw.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 1
        assert raw.execute("SELECT COUNT(*) FROM session_questions").fetchone()[0] == 2
        assert raw.execute("SELECT position FROM sessions").fetchone()[0] == 1
        assert raw.execute("SELECT time_taken_ms FROM answers").fetchone()[0] == 89_000
    # The next question is now the only one waiting, with its own deadline.
    [pending] = await store.open_deadlines()
    assert pending.position == 1 and pending.deadline_ms == 180_000
    assert await store.asked(sid) == ["q1", "q2"]


async def test_the_last_question_finishes_and_stale_closings_change_nothing(db: Database) -> None:
    store = MockInterviewStore(db)
    sid = await _start(db, 1, origin=55)
    assert sid is not None
    assert await _start(db, 1, origin=55) is None
    assert await _close(db, _tap(sid, position=1), 2_000, None) is Recorded.STALE
    assert await _close(db, _timeout(sid), 95_000, None) is Recorded.RECORDED
    assert await _close(db, _tap(sid), 96_000, None) is Recorded.DUPLICATE
    session = await InterviewStore(db).get_session(sid)
    assert session is not None and session.status == "finished"
    assert await store.open_deadlines() == []
    [answer] = await store.answers(sid)
    assert answer.timed_out and not answer.over_time and answer.chosen is None
    await store.save_estimate(sid, "fresher", 0.2, 0.5)
    assert await store.previous_estimate(7, sid + 1) is not None and await store.previous_estimate(7, sid) is None


async def test_disabled_questions_and_reports(db: Database) -> None:
    reports = ReportStore(db)
    assert await reports.disable("q1", 42, 1) and not await reports.disable("q1", 42, 2)
    assert await reports.disabled_question_ids() == frozenset({"q1"})
    assert await reports.enable("q1") and not await reports.enable("q1")
    assert await reports.disabled_question_ids() == frozenset()
