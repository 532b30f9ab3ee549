"""A whole quiz through the real Application: /start, level, ten taps, score; restarts and bad taps."""

from __future__ import annotations

import random
import re
from pathlib import Path

import aiosqlite
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.app import build_application
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons, unthrottled
from tests.flows.driver import ChatDriver


async def _right_index(app: Application, message: dict[str, object], wrong: bool = False) -> str:  # type: ignore[type-arg]
    from bot.domain.bank import McqQuestion
    from bot.telegram.callback import AnswerCb, unpack
    from bot.telegram.services import Services

    data = [d for _, d in buttons(message)]
    first = unpack(data[0])
    assert isinstance(first, AnswerCb)
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    view = await services.interview.view(first.session_id, first.position)
    assert view is not None and isinstance(view.question, McqQuestion)
    right_shown = view.order.index(view.question.correct_index)
    index = (right_shown + 1) % len(view.order) if wrong else right_shown
    return data[index]


async def _answer_count(path: Path) -> int:
    async with aiosqlite.connect(path) as conn:
        cur = await conn.execute("SELECT COUNT(*) FROM answers")
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


async def test_start_registers_commands_and_offers_levels(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await user.say("/start")
    menu = [c["command"] for c in api.of("setMyCommands")[0].params["commands"]]
    assert menu[:3] == ["quiz", "interview", "cancel"] and menu[-1] == "help"
    assert "news" in menu  # the opt-out of announcements is findable without reading one
    labels = [label for label, _ in buttons(user.last())]
    for level in ("Fresher", "Intermediate", "Experienced", "Advanced"):
        assert any(level in label for label in labels)


async def test_whole_quiz_scores_right_answers(app: Application, api: FakeBotApi, settings: Settings) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await user.say("/quiz")
    picker = user.last()
    fresher = next(d for label, d in buttons(picker) if "Fresher" in label)
    await user.tap(picker, fresher)
    right = 0
    for i in range(10):
        question = user.last_with_buttons()
        assert question["text"].startswith(f"<b>Question {i + 1}/10</b>")
        wrong = i % 3 == 0
        await user.tap(question, await _right_index(app, question, wrong=wrong))
        edited = api.messages[(user.user_id, question["message_id"])]
        # Only the Report button is left under a result.
        assert [label for label, _ in buttons(edited)] == ["🚩 Report"]
        if wrong:
            assert "❌" in edited["text"]
        else:
            right += 1
            assert "✅" in edited["text"] and "❌" not in edited["text"]
    texts = api.sent_texts()
    score = [t for t in texts if "Score:" in t]
    assert len(score) == 1 and f"Score: {right}/10" in score[0]
    assert "by topic" in texts[-1]
    assert await _answer_count(settings.database_path) == 10
    # Every callback query was answered.
    assert len(api.of("answerCallbackQuery")) == 11


async def test_double_tap_and_redelivery_record_once(app: Application, api: FakeBotApi, settings: Settings) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, buttons(picker)[0][1], update_id=500)
    await user.tap(picker, buttons(picker)[0][1], update_id=500)  # redelivered level tap
    questions = [m for m in user.messages() if m["text"].startswith("<b>Question 1/")]
    assert len(questions) == 1
    question = questions[0]
    data = await _right_index(app, question)
    await user.tap(question, data, update_id=501)
    sent_before = len(api.of("sendMessage"))
    await user.tap(question, data, update_id=501)
    await user.tap(question, data)
    assert await _answer_count(settings.database_path) == 1
    assert user.answers()[-1] == "You already answered this question."
    assert len(api.of("sendMessage")) == sent_before


async def test_stale_forged_and_foreign_taps_are_answered(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    user = ChatDriver(app, api)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, buttons(picker)[1][1])
    question = user.last_with_buttons()
    await user.tap(question, "a:1:2")
    await user.tap(question, "zz:" + "9" * 70)
    await user.tap(question, "a:999999:0:0")
    other = ChatDriver(app, api, user_id=2002)
    await other.tap(question, buttons(question)[0][1])
    data = await _right_index(app, question)
    first = data.split(":")
    await user.tap(question, f"a:{first[1]}:{int(first[2]) + 1}:0")  # a later question, not current
    assert user.answers() == [
        None,
        "This button is not valid any more.",
        "This button is not valid any more.",
        "This question is no longer active.",
        "These buttons belong to someone else's session.",
        "This question is no longer active.",
    ]
    assert await _answer_count(settings.database_path) == 0


async def test_quiz_resumes_after_restart(settings: Settings, api: FakeBotApi, clock: FakeClock) -> None:
    app1 = build_application(settings, clock=clock, rng=random.Random(1), request=api, limiter=unthrottled(settings))
    await app1.initialize()
    assert app1.post_init is not None
    await app1.post_init(app1)
    user = ChatDriver(app1, api)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, buttons(picker)[0][1])
    for _ in range(3):
        q = user.last_with_buttons()
        await user.tap(q, await _right_index(app1, q))
    current = user.last_with_buttons()
    await app1.shutdown()
    assert app1.post_shutdown is not None
    await app1.post_shutdown(app1)

    app2 = build_application(settings, clock=clock, rng=random.Random(2), request=api, limiter=unthrottled(settings))
    await app2.initialize()
    assert app2.post_init is not None
    await app2.post_init(app2)
    try:
        user2 = ChatDriver(app2, api)
        # The buttons of the question that was open before the restart still work.
        await user2.tap(current, await _right_index(app2, current))
        assert re.search(r"<b>Question 5/10</b>", user2.last()["text"])
        # /quiz now offers Resume or Start over; Resume shows the current question again.
        await user2.say("/quiz")
        offer = user2.last()
        assert [label for label, _ in buttons(offer)] == ["▶️ Resume", "🔄 Start over"]
        await user2.tap(offer, buttons(offer)[0][1])
        assert user2.last()["text"].startswith("<b>Question 5/10</b>")
        assert await _answer_count(settings.database_path) == 4
    finally:
        await app2.shutdown()
        assert app2.post_shutdown is not None
        await app2.post_shutdown(app2)


async def test_start_over_cancels_and_shows_picker(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, buttons(picker)[0][1])
    old_question = user.last_with_buttons()
    await user.say("/interview")
    offer = user.last()
    await user.tap(offer, buttons(offer)[1][1])
    assert "Mock interview" in user.last()["text"]
    await user.tap(old_question, buttons(old_question)[0][1])
    assert user.answers()[-1] == "This question is no longer active."


async def test_text_without_question_gets_hint(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await user.say("hello there <b>")
    assert "not waiting for an answer" in user.last()["text"]
    await user.say("/nonsense")
    assert "don't know that command" in user.last()["text"]


async def test_passing_server_errors_are_retried(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    api.fail("sendMessage", 502, "Bad Gateway")
    await user.say("/help")
    assert len(api.of("sendMessage")) == 2
    assert "What I can do" in user.last()["text"]
