"""/review, report-a-question with the admins' triage, and deep links, on the started Application."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from fsrs import Rating
from telegram.ext import Application

from bot.config import Settings
from bot.domain.bank import Level
from bot.domain.interview import Mode
from bot.domain.review import review
from bot.storage.cards import CardStore
from bot.telegram.callback import AnswerCb, ReportActionCb, ReportCb, ReportReasonCb, ReviewCb, unpack
from bot.telegram.handlers.daily import daily_message
from bot.telegram.services import Services
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver

ADMIN = 42


@pytest_asyncio.fixture
async def running(app: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The Application started: update processor and job queue running."""
    await app.start()
    yield app
    await app.stop()


def _svc(app: Application) -> Services:  # type: ignore[type-arg]
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


def _data(message: dict[str, Any], kind: type) -> list[str]:
    return [d for _, d in buttons(message) if isinstance(unpack(d), kind)]


async def _answer(app: Application, user: ChatDriver, right: bool) -> dict[str, Any]:  # type: ignore[type-arg]
    """Tap the right (or a wrong) option of the newest question; the question message after the edit."""
    question = user.last_with_buttons()
    view = await _svc(app).interview.current(user.user_id)
    assert view is not None
    correct = view.question.correct_index  # type: ignore[union-attr]
    shown = view.order.index(correct) if right else (view.order.index(correct) + 1) % len(view.order)
    await user.tap(question, _data(question, AnswerCb)[shown])
    return user.api.messages[(user.user_id, question["message_id"])]


def _count(path: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute(sql, args).fetchone()[0])


async def test_review_with_nothing_then_with_due_cards(
    running: Application,
    api: FakeBotApi,
    clock: FakeClock,
    settings: Settings,  # type: ignore[type-arg]
) -> None:
    user = ChatDriver(running, api)
    await user.say("/review")
    assert "no review cards yet" in user.last()["text"]
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    for i in range(10):
        clock.advance(seconds=10)
        await _answer(running, user, right=i >= 3)
    wrong = [
        r[0]
        for r in sqlite3.connect(settings.database_path).execute(
            "SELECT question_id FROM answers WHERE correct = 0 ORDER BY answered_at"
        )
    ]
    # The three mistakes are due a minute later (FSRS "Again"), the right answers later: /review asks the
    # mistakes, most overdue first.
    clock.advance(minutes=3)
    await user.say("/review")
    assert user.last()["text"].startswith("<b>Question 1/3</b>")
    for n in range(3):
        view = await _svc(running).interview.current(user.user_id)
        assert view is not None and view.question.id == wrong[n]
        result = await _answer(running, user, right=True)
        assert "✅" in result["text"] and _data(result, ReportCb)  # explanation shown, as in /quiz
    assert any("Score: 3/3" in t for t in api.sent_texts())
    await user.say("/review")
    assert "Nothing is due for review right now. Your next card is due" in user.last()["text"]
    clock.advance(days=400)  # every card is due now
    await user.say("/stats")
    stats = user.last()
    [review] = _data(stats, ReviewCb)
    assert "Review 10 due" in next(label for label, d in buttons(stats) if d == review)
    await user.tap(stats, review)
    assert user.last()["text"].startswith("<b>Question 1/10</b>")
    await user.tap(stats, review)  # a second tap on the same button starts nothing new
    assert user.answers()[-1] == "Already started: your current question is in the chat."
    await user.say("/history")
    assert "· review ·" in user.last()["text"]


async def test_report_triage_disable_and_the_question_never_comes_back(
    running: Application,
    api: FakeBotApi,
    settings: Settings,  # type: ignore[type-arg]
) -> None:
    user = ChatDriver(running, api)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    view = await _svc(running).interview.current(user.user_id)
    assert view is not None
    qid = view.question.id
    result = await _answer(running, user, right=False)
    [report] = _data(result, ReportCb)
    await user.tap(result, report)
    reasons = user.last()
    assert "What is wrong" in reasons["text"] and len(_data(reasons, ReportReasonCb)) == 5
    await user.tap(reasons, _data(reasons, ReportReasonCb)[0])
    assert "Thank you" in api.messages[(user.user_id, reasons["message_id"])]["text"]
    assert any(
        f"New report on <code>{qid}</code>" in c.params["text"]
        for c in api.of("sendMessage")
        if c.params["chat_id"] == ADMIN
    )
    await user.say("<b>option C</b> is right " + "x" * 1200)
    assert "comment is saved" in user.last()["text"]
    # A second report by the same user replaces the first; only one notice a day per question.
    await user.tap(result, report)
    await user.tap(user.last(), _data(user.last(), ReportReasonCb)[1])
    await user.say("/cancel")
    assert "without a comment" in user.last()["text"]
    assert _count(settings.database_path, "SELECT COUNT(*) FROM reports") == 1
    assert sum(1 for c in api.of("sendMessage") if c.params["chat_id"] == ADMIN) == 1
    # Forged and foreign buttons do nothing.
    await user.tap(
        result, ReportReasonCb(view.session_id + 50, 0, unpack(_data(reasons, ReportReasonCb)[0]).reason).pack()
    )  # type: ignore[attr-defined]
    assert user.answers()[-1] == "This button is not valid any more."
    stranger = ChatDriver(running, api, user_id=77)
    await stranger.tap(result, report)
    assert stranger.answers()[-1] == "This button is not valid any more."

    await user.say("/reports")
    assert "don't know that command" in user.last()["text"]
    await user.say(f"/enable {qid}")
    assert "don't know that command" in user.last()["text"]
    admin = ChatDriver(running, api, user_id=ADMIN)
    await admin.say("/reports")
    listing = admin.last()
    assert qid in listing["text"] and "1 report" in listing["text"] and "Unclear" in listing["text"]
    actions = _data(listing, ReportActionCb)
    assert len(actions) == 3
    await user.tap(listing, actions[0])  # a learner tapping an admin button: refused
    assert user.answers()[-1] == "This button is not valid any more."
    await admin.tap(listing, actions[2])
    assert "✅" in admin.last()["text"] and qid in admin.last()["text"]
    await admin.tap(listing, actions[0])
    assert "is disabled" in api.messages[(ADMIN, listing["message_id"])]["text"]
    await admin.say("/reports")
    assert "No open reports" in admin.last()["text"]

    # Disabled at once, in the database: no new quiz, interview, review or push asks it.
    svc = _svc(running)
    assert qid in await svc.reports.disabled_question_ids()
    learner = 5000
    await svc.interview.register(learner, learner, "L")
    for _ in range(8):  # 80 questions from a level of about 60: every other fresher MCQ is asked
        started = await svc.interview.start(learner, Mode.QUIZ, Level.FRESHER)
        assert started.view is not None
    asked = {r[0] for r in sqlite3.connect(settings.database_path).execute("SELECT question_id FROM session_questions")}
    assert qid in asked  # from before it was disabled
    assert (
        _count(
            settings.database_path,
            "SELECT COUNT(*) FROM session_questions q JOIN sessions s USING (session_id) "
            "WHERE s.user_id = ? AND q.question_id = ?",
            learner,
            qid,
        )
        == 0
    )
    for _ in range(10):
        assert (await svc.push.choose_many([(learner, Level.FRESHER)]))[learner] != qid
    await svc.review.start(user.user_id)
    assert (
        _count(
            settings.database_path,
            "SELECT COUNT(*) FROM session_questions q JOIN sessions s USING (session_id) "
            "WHERE s.purpose = 'review' AND q.question_id = ?",
            qid,
        )
        == 0
    )

    await admin.say(f"/enable {qid}")
    assert "enabled again" in admin.last()["text"]
    await admin.say("/enable no-such-question")
    assert "no question" in admin.last()["text"]
    assert qid not in await svc.reports.disabled_question_ids()


async def test_deep_links_start_things_directly(running: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    quizzer = ChatDriver(running, api, user_id=301)
    await quizzer.say("/start quiz-advanced")
    assert quizzer.last()["text"].startswith("<b>Question 1/10</b> · advanced")
    topical = ChatDriver(running, api, user_id=302)
    await topical.say("/start topic-cli")
    assert "· cli" in topical.last()["text"].split("\n")[0]
    interviewee = ChatDriver(running, api, user_id=303)
    await interviewee.say("/start interview")
    assert "Mock interview" in interviewee.last()["text"]
    reviewer = ChatDriver(running, api, user_id=304)
    await reviewer.say("/start review")
    assert "review" in reviewer.last()["text"]
    for bad in ("/start quiz-expert", "/start " + "a" * 70, "/start topic-<b>"):
        other = ChatDriver(running, api, user_id=305)
        await other.say(bad)
        assert other.last()["text"].startswith("Hi, ")
    # A link while a session is open offers to resume rather than dropping it.
    await quizzer.say("/start topic-routing")
    assert "unfinished quiz" in quizzer.last()["text"]


async def test_a_daily_answer_offers_the_other_due_cards(
    running: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    svc = _svc(running)
    user = ChatDriver(running, api, user_id=401)
    await user.say("/help")  # registers the user
    qids = [q.id for q in svc.interview.bank.of_level(Level.FRESHER, "mcq")[:3]]
    long_ago = clock.now() - dt.timedelta(days=30)
    for qid in qids:
        await CardStore(svc.db).review(user.user_id, qid, lambda stored: review(stored, Rating.Again, long_ago))
    view = await svc.interview.start_daily(user.user_id, Level.FRESHER, qids[0])
    assert view is not None
    text, markup = daily_message(view)
    sent = await running.bot.send_message(user.user_id, text, reply_markup=markup)
    await svc.interview.message_sent(view, sent.message_id)
    pushed = user.last_with_buttons()
    right = view.order.index(view.question.correct_index)  # type: ignore[union-attr]
    await user.tap(pushed, _data(pushed, AnswerCb)[right])
    result = api.messages[(user.user_id, pushed["message_id"])]
    more = [label for label, d in buttons(result) if isinstance(unpack(d), ReviewCb)]
    assert more == ["🔁 2 more due"] and _data(result, ReportCb)
    await user.tap(result, _data(result, ReviewCb)[0])
    assert user.last()["text"].startswith("<b>Question 1/2</b>")
