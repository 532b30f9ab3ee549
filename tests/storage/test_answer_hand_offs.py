"""One answer path: an answer is one hand-off to the database thread in every mode (quiz, review, daily, interview).

The quiz has its own, older test (tests/storage/test_one_transaction.py); this one covers the other modes through
the services the handlers call, on a real SQLite file, counting every function queued for aiosqlite's thread.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Level, McqQuestion, OpenQuestion, load_bank
from bot.domain.grading import SelfGrade
from bot.domain.mock_interview import Budgets
from bot.services.calibration import CalibrationService
from bot.services.interview import InterviewService, Outcome, QuestionView
from bot.services.mock_interview import MockInterviewService
from bot.services.review import ReviewService
from bot.storage.cards import CardStore
from bot.storage.db import Database
from bot.storage.interviews import InterviewStore
from bot.storage.mock_interviews import MockInterviewStore
from bot.storage.reports import ReportStore
from tests.clock import FakeClock
from tests.storage.test_one_transaction import HandOffs

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
USER = 7
BUDGETS = Budgets(mcq=60, open=300)


@dataclass
class Bot:
    """The services an answer goes through, on one database."""

    db: Database
    clock: FakeClock
    store: InterviewStore
    quiz: InterviewService
    mock: MockInterviewService
    review: ReviewService
    calibration: CalibrationService


@pytest_asyncio.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    clock = FakeClock()
    rng = random.Random(11)
    store = InterviewStore(db)
    await store.upsert_user(USER, USER, "Ann", 0)
    cards = CardStore(db)
    quiz = InterviewService(store, BANK, clock, rng, cards=cards, reports=ReportStore(db))
    calibration = CalibrationService(db, BANK, clock)
    mock = MockInterviewService(
        MockInterviewStore(db), store, quiz, BANK, clock, rng, BUDGETS, calibration.difficulties
    )
    review = ReviewService(store, cards, quiz, BANK, clock, rng)
    yield Bot(db, clock, store, quiz, mock, review, calibration)
    await db.close()


def _tap(view: QuestionView) -> int:
    """The shown index of the right option."""
    assert isinstance(view.question, McqQuestion)
    return next(i for i, original in enumerate(view.order) if view.question.options[original].correct)


async def test_every_interview_answer_is_one_hand_off(bot: Bot) -> None:
    await bot.calibration.difficulties()  # the estimate's difficulties are cached for an hour: read once, here
    calls = HandOffs(bot.db)
    view = await bot.mock.start(USER, Level.INTERMEDIATE, origin_message_id=10)
    assert calls.take() == 1
    assert view is not None
    steps = 0
    while view is not None:
        bot.clock.advance(seconds=20)
        for attempt in ("first", "again"):  # again: a double tap or a redelivered message records nothing
            if isinstance(view.question, OpenQuestion):
                step = await bot.mock.answer_open(USER, view, "the app context holds current_app and g")
            else:
                step = await bot.mock.answer_mcq(USER, view.session_id, view.position, _tap(view))
            assert calls.take() == 1, f"question {view.position}, {attempt}"
            assert step.outcome is (Outcome.RECORDED if attempt == "first" else Outcome.DUPLICATE)
            if attempt == "first":
                answered = step
        steps += 1
        view = answered.next
        assert answered.finished is (view is None)
    assert steps == 10
    # The last answer stored the estimate, in its own transaction: the report computes the same one.
    session = await bot.store.open_session(USER)
    assert session is None
    [finished] = await bot.db.fetch_all("SELECT session_id, estimate, estimate_se FROM sessions")
    report = await bot.mock.report(int(finished[0]))
    assert (float(finished[1]), float(finished[2])) == (report.estimate.ability, report.estimate.se)
    # A self-grade in the debrief: one hand-off, and the stored estimate follows it.
    pages = await bot.mock.debrief(USER, int(finished[0]))
    assert pages is not None
    typed = next(p for p in pages if p.answer.kind == "open")
    calls.take()
    assert await bot.mock.grade(USER, int(finished[0]), typed.answer.position, SelfGrade.MISSED)
    assert calls.take() == 1
    assert not await bot.mock.grade(USER, int(finished[0]), typed.answer.position, SelfGrade.NAILED)
    assert calls.take() == 1
    [regraded] = await bot.db.fetch_all("SELECT estimate, estimate_se FROM sessions")
    report = await bot.mock.report(int(finished[0]))
    assert (float(regraded[0]), float(regraded[1])) == (report.estimate.ability, report.estimate.se)


async def test_a_deadline_is_one_hand_off_whether_it_waits_or_closes(bot: Bot) -> None:
    await bot.calibration.difficulties()
    view = await bot.mock.start(USER, Level.FRESHER)
    assert view is not None
    calls = HandOffs(bot.db)
    early = await bot.mock.expire(view.session_id, 0)
    assert calls.take() == 1
    assert early.step is None and early.wait_seconds is not None and early.wait_seconds > 0
    bot.clock.advance(seconds=BUDGETS.open + 1)
    expired = await bot.mock.expire(view.session_id, 0)
    assert calls.take() == 1
    assert expired.step is not None and expired.step.timed_out and expired.step.next is not None
    assert (await bot.mock.expire(view.session_id, 0)).step is None  # the deadline job again: nothing twice
    assert calls.take() == 1
    if isinstance(view.question, McqQuestion):
        assert (await bot.mock.answer_mcq(USER, view.session_id, 0, 0)).outcome is Outcome.DUPLICATE
    else:
        assert (await bot.mock.answer_open(USER, view, "late")).outcome is Outcome.DUPLICATE
    assert len(await bot.store.answers(view.session_id)) == 1


async def test_a_daily_answer_is_one_hand_off(bot: Bot) -> None:
    qid = next(q.id for q in BANK.of_level(Level.FRESHER) if isinstance(q, McqQuestion))
    calls = HandOffs(bot.db)
    view = await bot.quiz.start_daily(USER, Level.FRESHER, qid)
    assert calls.take() == 1
    assert view is not None
    res = await bot.quiz.answer_mcq(USER, view.session_id, 0, _tap(view))
    assert calls.take() == 1
    assert res.outcome is Outcome.RECORDED and res.correct and res.summary is not None
    twice = await bot.quiz.answer_mcq(USER, view.session_id, 0, 0)
    assert calls.take() == 1
    assert twice.outcome is Outcome.DUPLICATE and twice.correct


async def test_a_review_answer_is_one_hand_off(bot: Bot) -> None:
    qid = next(q.id for q in BANK.of_level(Level.FRESHER) if isinstance(q, McqQuestion))
    first = await bot.quiz.start_daily(USER, Level.FRESHER, qid)
    assert first is not None and isinstance(first.question, McqQuestion)
    wrong = next(i for i, original in enumerate(first.order) if not first.question.options[original].correct)
    await bot.quiz.answer_mcq(USER, first.session_id, 0, wrong)  # a mistake: its card is due again soon
    bot.clock.advance(days=2)
    started = await bot.review.start(USER)
    view = started.view
    assert view is not None and view.question.id == qid
    calls = HandOffs(bot.db)
    res = await bot.quiz.answer_mcq(USER, view.session_id, view.position, _tap(view))
    assert calls.take() == 1
    assert res.outcome is Outcome.RECORDED and res.correct
