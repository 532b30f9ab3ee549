"""A mock interview through the real Application: typed answers, key points, self-grades, summary."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
from telegram.ext import Application

from bot.config import Settings
from bot.domain.bank import McqQuestion
from bot.telegram.callback import AnswerCb, unpack
from bot.telegram.services import Services
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver


async def _grades(path: Path) -> list[tuple[str, str | None, str | None]]:
    async with aiosqlite.connect(path) as conn:
        cur = await conn.execute("SELECT kind, answer_text, self_grade FROM answers ORDER BY position")
        return [(r[0], r[1], r[2]) for r in await cur.fetchall()]


async def test_interview_with_open_questions_and_self_grades(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    user = ChatDriver(app, api)
    await user.say("/interview")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Intermediate" in label))
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    saw_open = False
    for _ in range(8):
        view = await services.interview.current(user.user_id)
        assert view is not None
        if isinstance(view.question, McqQuestion):
            await user.say("I think it is B")
            assert "Tap one of the buttons" in user.last()["text"]
            question = user.last_with_buttons()
            assert isinstance(unpack(buttons(question)[0][1]), AnswerCb)
            await user.tap(question, buttons(question)[0][1])
            continue
        saw_open = True
        keyword = view.question.key_points[0].keywords[0]
        await user.say(f"My answer <script>: {keyword}")
        model = user.last()
        assert "Model answer" in model["text"] and "☑️" in model["text"]
        assert [label for label, _ in buttons(model)] == ["💪 Nailed it", "🤏 Partly", "🙈 Missed"]
        await user.say("typing again before grading")
        assert "grade your answer" in api.sent_texts()[-2]
        await user.tap(model, buttons(model)[1][1])
        await user.tap(model, buttons(model)[0][1])
        assert user.answers()[-1] == "You already answered this question."
        graded = api.messages[(user.user_id, model["message_id"])]
        assert "Your grade: <b>🤏 Partly</b>" in graded["text"] and "reply_markup" not in graded
    assert saw_open
    texts = api.sent_texts()
    assert any("Score:" in t for t in texts)
    assert "Multiple choice:" in texts[-1] and "🤏 Partly:" in texts[-1]
    rows = await _grades(settings.database_path)
    assert len(rows) == 8
    opens = [r for r in rows if r[0] == "open"]
    assert opens and all(r[2] == "partly" for r in opens)
    # The typed text is stored as sent; escaping happens only when rendering.
    assert all("<script>" in (r[1] or "") for r in opens)


async def test_cancel_ends_session(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await user.say("/cancel")
    assert "no session to end" in user.last()["text"]
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, buttons(picker)[0][1])
    question = user.last_with_buttons()
    await user.say("/cancel")
    assert "Session ended" in user.last()["text"]
    await user.tap(question, buttons(question)[0][1])
    assert user.answers()[-1] == "This question is no longer active."


async def test_admin_command_checks_admin_ids(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    stranger = ChatDriver(app, api, user_id=5)
    await stranger.say("/start")
    await stranger.say("/admin")
    assert "for the bot's operators" in stranger.last()["text"]
    admin = ChatDriver(app, api, user_id=42)
    await admin.say("/admin")
    assert "Users: 2\n" in admin.last()["text"]  # every user who writes is registered


async def test_group_gets_private_only_notice(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    from tests.fake_bot_api import text_update

    await app.process_update(text_update(app.bot, 77, "/quiz", chat_type="group"))
    assert "private chat" in api.sent_texts()[-1]
