"""The Flask 2 → 3 drill on a real Application: the /help button, /start changes, the questions it asks."""

from __future__ import annotations

import sqlite3
from typing import Any

from telegram.ext import Application

from bot import texts
from bot.config import Settings
from bot.domain.bank import Level, McqQuestion
from bot.domain.changes import drill_pool, is_change
from bot.telegram.callback import AnswerCb, ChangesCb, unpack
from bot.telegram.services import Services
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver


def _svc(app: Application) -> Services:  # type: ignore[type-arg]
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


async def _answer_all(app: Application, user: ChatDriver) -> list[str]:  # type: ignore[type-arg]
    """Tap the right option of every question of the open drill; the ids asked, in order."""
    asked: list[str] = []
    size = None
    while True:
        view = await _svc(app).interview.current(user.user_id)
        if view is None:
            return asked
        size = size or view.size
        question = user.last_with_buttons()
        assert question["text"].startswith(f"<b>Question {len(asked) + 1}/{size}</b>")
        assert isinstance(view.question, McqQuestion)
        asked.append(view.question.id)
        data = [d for _, d in buttons(question) if isinstance(unpack(d), AnswerCb)]
        await user.tap(question, data[view.order.index(view.question.correct_index)])


def _session(settings: Settings, user_id: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.database_path) as raw:
        return raw.execute(
            "SELECT mode, level, purpose, status, size FROM sessions WHERE user_id = ? ORDER BY session_id", (user_id,)
        ).fetchall()


async def test_the_help_button_runs_a_whole_drill(app: Application, api: FakeBotApi, settings: Settings) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api, user_id=501)
    await user.say("/help")
    help_message = user.last()
    assert "What I can do" in help_message["text"] and "Flask 2 to 3" in help_message["text"]
    [(label, data)] = buttons(help_message)
    assert label == texts.BTN_CHANGES and unpack(data) == ChangesCb()

    await user.tap(help_message, data)
    intro, first = user.messages()[-2:]
    assert intro["text"] == texts.changes_intro(10)
    assert first["text"].startswith("<b>Question 1/10</b>")
    # A double tap on the same button starts nothing new.
    await user.tap(help_message, data)
    assert user.answers()[-1] == texts.CB_ALREADY_STARTED
    assert len(_session(settings, user.user_id)) == 1

    asked = await _answer_all(app, user)
    bank = _svc(app).interview.bank
    assert len(asked) == len(set(asked)) == 10
    assert all(is_change(bank[qid]) for qid in asked)
    ranks = [list(Level).index(bank[qid].level) for qid in asked]
    assert ranks == sorted(ranks)  # from the easiest level up
    assert "Score: 10/10" in "\n".join(api.sent_texts())
    # A newcomer's drill keeps the level of its first question; the history names the drill.
    assert _session(settings, user.user_id) == [("quiz", bank[asked[0]].level.value, "changes", "finished", 10)]
    await user.say("/history")
    assert "Flask 2 → 3 drill" in user.last()["text"]

    # The spent button says so; /start changes then brings questions not asked yet.
    await user.tap(help_message, data)
    assert user.answers()[-1] == texts.CB_CHANGES_USED
    await user.say("/start changes")
    assert user.messages()[-2]["text"] == texts.changes_intro(10)
    second = await _answer_all(app, user)
    assert len(second) == 10 and not set(second) & set(asked)
    assert set(second) <= {q.id for q in drill_pool(bank)}


async def test_the_deep_link_keeps_the_users_level_and_replaces_an_open_quiz(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    settings: Settings,
) -> None:
    user = ChatDriver(app, api, user_id=502)
    await user.say("/start quiz-advanced")
    assert user.last()["text"].startswith("<b>Question 1/10</b> · advanced")
    await user.say("/start changes")
    assert user.messages()[-2]["text"] == texts.changes_intro(10)
    sessions = _session(settings, user.user_id)
    assert [(s[2], s[3]) for s in sessions] == [(None, "cancelled"), ("changes", "open")]
    # The drill mixes levels but stays filed under the level the user chose.
    assert sessions[1][1] == "advanced"
    view = await _svc(app).interview.current(user.user_id)
    assert view is not None and is_change(view.question)
