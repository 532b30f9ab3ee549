"""Session basics through the real Application: /cancel, the admin command, groups."""

from __future__ import annotations

from telegram.ext import Application

from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver


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


async def test_start_and_help_describe_the_mock_interview_as_it_runs(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    for command in ("/start", "/help"):
        await user.say(command)
        said = next(m["text"] for m in reversed(user.messages()) if "/interview" in m["text"])
        line = next(x for x in said.splitlines() if x.lstrip("• ").startswith("/interview"))
        assert "timed" in line, line
        assert "estimate" in said and ("adapt" in said or "harder" in said), said
        assert "compare them with a model answer" not in said  # the old, untimed interview
