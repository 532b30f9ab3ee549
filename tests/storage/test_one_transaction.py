"""Each answer, self-grade and start is one transaction in one hand-off to the database thread."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Level, McqQuestion, OpenQuestion, load_bank
from bot.domain.grading import SelfGrade
from bot.domain.interview import Mode
from bot.domain.review import ReviewedCard
from bot.services.interview import InterviewService, Outcome
from bot.storage.cards import CardStore, PendingReview
from bot.storage.db import Database
from bot.storage.interviews import InterviewStore
from bot.storage.reports import ReportStore
from tests.clock import FakeClock

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
USER = 7


class HandOffs:
    """Counts the functions queued for aiosqlite's thread: every statement, fetch, BEGIN or COMMIT is one.

    They reach its queue two ways: aiosqlite's own API (Connection._execute) and Database._queue.
    """

    def __init__(self, db: Database) -> None:
        conn = db._conn
        real_execute: Callable[..., Any] = conn._execute
        real_queue = db._queue
        self.count = 0

        async def counting_execute(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await real_execute(fn, *args, **kwargs)

        def counting_queue(call: Callable[[], None]) -> asyncio.Future[None]:
            self.count += 1
            return real_queue(call)

        conn._execute = counting_execute  # type: ignore[method-assign]
        db._queue = counting_queue  # type: ignore[method-assign]

    def take(self) -> int:
        """The hand-offs since the last call."""
        count, self.count = self.count, 0
        return count


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


@pytest_asyncio.fixture
async def svc(db: Database) -> InterviewService:
    store = InterviewStore(db)
    await store.upsert_user(USER, USER, "Ann", 0)
    return InterviewService(store, BANK, FakeClock(), random.Random(5), cards=CardStore(db), reports=ReportStore(db))


def _right(question: McqQuestion | OpenQuestion, order: tuple[int, ...]) -> int:
    assert isinstance(question, McqQuestion)
    return next(i for i, original in enumerate(order) if question.options[original].correct)


async def test_a_whole_quiz_is_one_hand_off_per_start_and_per_answer(db: Database, svc: InterviewService) -> None:
    calls = HandOffs(db)
    started = await svc.start(USER, Mode.QUIZ, Level.FRESHER, origin_message_id=100)
    assert calls.take() == 1
    view = started.view
    assert view is not None and not started.already_started
    # The same picker tapped again: nothing new, the open session's question comes back (still one hand-off).
    again = await svc.start(USER, Mode.QUIZ, Level.FRESHER, origin_message_id=100)
    assert calls.take() == 1
    assert again.already_started and again.view is not None and again.view.session_id == view.session_id
    for position in range(view.size):
        assert view is not None and view.position == position
        res = await svc.answer_mcq(USER, view.session_id, position, _right(view.question, view.order))
        assert calls.take() == 1
        assert res.outcome is Outcome.RECORDED and res.correct is True
        # A double tap: recorded nothing, same verdict, same follow-up, one hand-off.
        twice = await svc.answer_mcq(USER, view.session_id, position, 0)
        assert calls.take() == 1
        assert twice.outcome is Outcome.DUPLICATE and (twice.chosen, twice.correct) == (res.chosen, res.correct)
        assert twice.next == res.next and twice.summary == res.summary
        view = res.next
    assert res.view is not None and res.summary is not None
    assert res.summary.mcq_right == res.summary.mcq_total == res.summary.asked == res.view.size
    answers = await svc._store.answers(res.view.session_id)
    assert len(answers) == res.view.size
    # Every answer's card review was stored in its transaction.
    assert {a.question_id for a in answers} <= set(await CardStore(db).due_times(USER))


async def test_refusals_write_nothing(db: Database, svc: InterviewService) -> None:
    started = await svc.start(USER, Mode.QUIZ, Level.FRESHER)
    view = started.view
    assert view is not None
    calls = HandOffs(db)
    assert (await svc.answer_mcq(USER + 1, view.session_id, 0, 0)).outcome is Outcome.NOT_YOURS
    assert (await svc.answer_mcq(USER, view.session_id, 0, 99)).outcome is Outcome.INVALID
    assert (await svc.answer_mcq(USER, view.session_id, 1, 0)).outcome is Outcome.STALE
    assert (await svc.answer_mcq(USER, view.session_id + 50, 0, 0)).outcome is Outcome.STALE
    assert calls.take() == 4
    assert await svc._store.answers(view.session_id) == []


async def test_concurrent_double_tap_records_once(svc: InterviewService) -> None:
    started = await svc.start(USER, Mode.QUIZ, Level.FRESHER)
    view = started.view
    assert view is not None
    first, second = await asyncio.gather(
        svc.answer_mcq(USER, view.session_id, 0, 0), svc.answer_mcq(USER, view.session_id, 0, 1)
    )
    assert sorted([first.outcome.value, second.outcome.value]) == ["duplicate", "recorded"]
    assert (first.chosen, first.correct) == (second.chosen, second.correct)
    assert len(await svc._store.answers(view.session_id)) == 1


async def test_typed_answer_and_self_grade_are_one_hand_off_each(db: Database, svc: InterviewService) -> None:
    started = await svc.start(USER, Mode.INTERVIEW, Level.FRESHER)
    view = started.view
    assert view is not None and isinstance(view.question, McqQuestion)
    res = await svc.answer_mcq(USER, view.session_id, 0, 0)
    nxt = res.next
    assert nxt is not None and isinstance(nxt.question, OpenQuestion)
    calls = HandOffs(db)
    typed = await svc.answer_open(USER, "a typed answer")
    assert calls.take() == 1
    assert typed is not None and typed.outcome is Outcome.RECORDED
    again = await svc.answer_open(USER, "another")
    assert calls.take() == 1
    assert again is not None and again.outcome is Outcome.DUPLICATE
    assert (await svc.grade_open(USER + 1, nxt.session_id, 1, SelfGrade.NAILED)).outcome is Outcome.NOT_YOURS
    graded = await svc.grade_open(USER, nxt.session_id, 1, SelfGrade.PARTLY)
    assert calls.take() == 2
    assert graded.outcome is Outcome.RECORDED and graded.next is not None and graded.next.position == 2
    twice = await svc.grade_open(USER, nxt.session_id, 1, SelfGrade.MISSED)
    assert calls.take() == 1
    assert twice.outcome is Outcome.DUPLICATE and twice.grade is SelfGrade.PARTLY and twice.next == graded.next
    stale = await svc.grade_open(USER, nxt.session_id, 5, SelfGrade.MISSED)
    assert stale.outcome is Outcome.STALE


async def test_a_failing_review_leaves_nothing(svc: InterviewService) -> None:
    started = await svc.start(USER, Mode.QUIZ, Level.FRESHER)
    view = started.view
    assert view is not None

    def broken(stored: str | None) -> ReviewedCard:
        raise RuntimeError("review failed")

    svc._review = lambda *_: PendingReview(USER, view.question.id, broken)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await svc.answer_mcq(USER, view.session_id, 0, 0)
    assert await svc._store.answers(view.session_id) == []
    current = await svc.current(USER)
    assert current is not None and current.position == 0
