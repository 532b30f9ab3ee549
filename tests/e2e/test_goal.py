"""/goal through the loopback Bot API: the picker, the view with its drill and start buttons, the set, off."""

from __future__ import annotations

import pytest

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, wait_answered

pytestmark = pytest.mark.e2e

ANN = 8_200_001


def _texts(api: BotApiServer) -> list[str]:
    return [m.text or "" for m in api.bot_messages(ANN)]


async def test_goal_picker_view_set_and_off(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start()
    api.send_text(ANN, "/goal")
    await api.wait_for(lambda: any("When is your interview?" in t for t in _texts(api)), 30, "the goal picker")
    picker = api.bot_messages(ANN)[-1]
    await wait_answered(api, api.tap(ANN, picker, label="2 weeks"))

    def edited() -> str:
        return next(m.text or "" for m in api.bot_messages(ANN) if m.message_id == picker.message_id)

    await api.wait_for(lambda: "Which level" in edited(), 20, "the picker's level step")
    levels = next(m for m in api.bot_messages(ANN) if m.message_id == picker.message_id)
    await wait_answered(api, api.tap(ANN, levels, label="Intermediate"))
    await api.wait_for(lambda: any("days left" in t for t in _texts(api)), 30, "the goal view")
    view = next(m for m in reversed(api.bot_messages(ANN)) if "days left" in (m.text or ""))
    text = view.text or ""
    assert "Intermediate by" in text and "14 days left" in text
    assert "Forecast now: 0%" in text and "Behind by" in text
    labels = [label for label, _ in view.buttons]
    assert sum(label.startswith("🏋 Drill") for label in labels) == 3
    assert "▶ Start today's set" in labels
    rows = bot_process.query("SELECT level, status FROM goals WHERE user_id = ?", ANN)
    assert rows == [("intermediate", "active")]

    await wait_answered(api, api.tap(ANN, view, label="Start today's set"))
    await api.wait_for(lambda: any(t.startswith("Question 1/") for t in _texts(api)), 30, "the set's first question")
    size = int(next(t for t in _texts(api) if t.startswith("Question 1/")).split("/")[1].split()[0])
    assert 1 <= size <= 10
    sessions = bot_process.query("SELECT mode, purpose, size FROM sessions WHERE user_id = ?", ANN)
    assert sessions == [("quiz", "set", size)]

    api.send_text(ANN, "/goal off")
    await api.wait_for(lambda: any("Goal off" in t for t in _texts(api)), 30, "goal off")
    assert bot_process.query("SELECT status FROM goals WHERE user_id = ?", ANN) == [("off",)]
    assert "Traceback" not in bot_process.stderr()
