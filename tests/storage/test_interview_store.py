"""The storage layer on a real SQLite file: migrations, constraints, idempotent answers."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.storage.answers import Attempt, NewAnswer, Recorded
from bot.storage.cards import PendingReview
from bot.storage.db import Database
from bot.storage.interviews import At, InterviewStore
from bot.storage.migrations import MIGRATIONS


async def _record(
    store: InterviewStore, answer: NewAnswer, now_ms: int, advance: bool, review: PendingReview | None = None
) -> Recorded | None:
    """Record an answer through the one answer path."""
    at = At(answer.session_id, answer.position)
    return (await store.record_answer(at, Attempt(answer, advance=advance, review=review), now_ms)).recorded


PLAN = [("q1", (1, 0, 2)), ("q2", (0, 1, 2))]


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "sub" / "t.sqlite3")
    yield database
    await database.close()


def _answer(session_id: int, position: int, qid: str, correct: bool = True) -> NewAnswer:
    return NewAnswer(session_id, position, 7, qid, "routing", "mcq", chosen=0, correct=correct)


async def test_schema_version_and_pragmas(tmp_path: Path, db: Database) -> None:
    with sqlite3.connect(tmp_path / "sub" / "t.sqlite3") as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reopen_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "again.sqlite3"
    first = await Database.open(path)
    await InterviewStore(first).upsert_user(7, 7, "Ann", 1)
    await first.close()
    second = await Database.open(path)
    assert (await InterviewStore(second).get_user(7)) is not None
    await second.close()


async def test_answer_recorded_once_and_session_advances(db: Database) -> None:
    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    sid = await store.create_session(7, "quiz", "fresher", PLAN, origin_message_id=55, now_ms=1000)
    assert sid is not None
    assert await _record(store, _answer(sid, 0, "q1"), 4000, advance=True) is Recorded.RECORDED
    assert await _record(store, _answer(sid, 0, "q1", correct=False), 5000, advance=True) is Recorded.DUPLICATE
    assert await _record(store, _answer(sid, 0, "q1"), 5000, advance=True) is Recorded.DUPLICATE
    session = await store.get_session(sid)
    assert session is not None and session.position == 1 and session.status == "open"
    answers = await store.answers(sid)
    assert len(answers) == 1 and answers[0].correct is True
    assert await _record(store, _answer(sid, 1, "q2"), 6000, advance=True) is Recorded.RECORDED
    session = await store.get_session(sid)
    assert session is not None and session.status == "finished"
    assert await _record(store, _answer(sid, 1, "q2"), 7000, advance=True) is Recorded.DUPLICATE


async def test_time_taken_is_measured_from_asked(db: Database, tmp_path: Path) -> None:
    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    sid = await store.create_session(7, "quiz", "fresher", PLAN, None, now_ms=1000)
    assert sid is not None
    await _record(store, _answer(sid, 0, "q1"), 4500, advance=True)
    with sqlite3.connect(tmp_path / "sub" / "t.sqlite3") as raw:
        assert raw.execute("SELECT time_taken_ms FROM answers").fetchone()[0] == 3500


async def test_future_question_is_stale(db: Database) -> None:
    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    sid = await store.create_session(7, "quiz", "fresher", PLAN, None, 1000)
    assert sid is not None
    assert await _record(store, _answer(sid, 1, "q2"), 2000, advance=True) is Recorded.STALE
    assert await store.answers(sid) == []


async def test_database_constraint_blocks_second_answer(db: Database, tmp_path: Path) -> None:
    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    sid = await store.create_session(7, "quiz", "fresher", PLAN, None, 1000)
    await _record(store, _answer(sid or 0, 0, "q1"), 2000, advance=False)
    with sqlite3.connect(tmp_path / "sub" / "t.sqlite3") as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(
            "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, "
            "answered_at) VALUES (?, 0, 7, 'q1', 'quiz', 'fresher', 'routing', 'mcq', 3000)",
            (sid,),
        )


async def test_one_open_session_and_origin_used_once(db: Database, tmp_path: Path) -> None:
    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    first = await store.create_session(7, "quiz", "fresher", PLAN, 10, 1000)
    again = await store.create_session(7, "quiz", "fresher", PLAN, 10, 1001)
    second = await store.create_session(7, "interview", "advanced", PLAN, 11, 1002)
    assert first is not None and again is None and second is not None
    old = await store.get_session(first)
    assert old is not None and old.status == "cancelled"
    open_now = await store.open_session(7)
    assert open_now is not None and open_now.session_id == second
    with sqlite3.connect(tmp_path / "sub" / "t.sqlite3") as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute("UPDATE sessions SET status = 'open' WHERE session_id = ?", (first,))


async def test_self_grade_recorded_once(db: Database) -> None:
    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    sid = await store.create_session(7, "interview", "fresher", [("o1", ())], None, 1000)
    assert sid is not None
    text = NewAnswer(sid, 0, 7, "o1", "contexts", "open", answer_text="my answer")
    assert await _record(store, text, 2000, advance=False) is Recorded.RECORDED
    assert (
        await store.record_answer(At(sid, 0), Attempt(grade="partly", advance=True), 3000)
    ).recorded is Recorded.RECORDED
    assert (
        await store.record_answer(At(sid, 0), Attempt(grade="nailed", advance=True), 3001)
    ).recorded is Recorded.DUPLICATE
    answers = await store.answers(sid)
    assert answers[0].self_grade == "partly"


async def test_answer_and_its_card_review_commit_together(db: Database) -> None:
    from bot.storage.cards import CardStore

    store = InterviewStore(db)
    await store.upsert_user(7, 7, "Ann", 1)
    sid = await store.create_session(7, "quiz", "fresher", PLAN, None, 1000)
    assert sid is not None

    def broken(stored: str | None) -> object:
        raise RuntimeError("review failed")

    with pytest.raises(RuntimeError):
        await _record(store, _answer(sid, 0, "q1"), 2000, advance=True, review=PendingReview(7, "q1", broken))  # type: ignore[arg-type]
    # The failed review rolled the answer and the advance back with it.
    assert await store.answers(sid) == []
    session = await store.get_session(sid)
    assert session is not None and session.position == 0
    assert await CardStore(db).card(7, "q1") is None
