"""`python -m bot` with LLM_BASE_URL on the loopback fake LLM: a mock interview through the loopback Bot API,
its open answers graded by the LLM in the background, a follow-up asked, the debrief showing the LLM's grade."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.botapi import BotApiServer, StoredMessage
from tests.e2e.conftest import BotProcess, wait_answered
from tests.fake_llm import FakeLlm

pytestmark = pytest.mark.e2e

USER = 7_300_023


def _question(api: BotApiServer, number: int) -> StoredMessage | None:
    return next((m for m in api.bot_messages(USER) if (m.text or "").startswith(f"Question {number}/10")), None)


async def test_interview_graded_by_the_llm_through_the_real_process(
    api: BotApiServer, bot_process: BotProcess, fake_llm: FakeLlm
) -> None:
    api.watch.append(USER)
    bot_process.env.update({"LLM_BASE_URL": fake_llm.base_url, "LLM_MODEL": "test-model", "LLM_API_KEY": "sk-e2e"})
    await bot_process.start()
    api.send_text(USER, "/interview")
    await api.wait_for(lambda: api.last_with_buttons(USER) is not None, 30, "the interview intro")
    intro = api.last_with_buttons(USER)
    assert intro is not None
    await wait_answered(api, api.tap(USER, intro, label="Fresher"))
    for number in range(1, 11):
        await api.wait_for(lambda n=number: _question(api, n) is not None, 60, f"question {number}")
        question = _question(api, number)
        assert question is not None
        if question.buttons:
            await wait_answered(api, api.tap(USER, question, question.buttons[0][1]))
        else:
            # Vague on purpose: it misses the key points, so the offline grade asks a follow-up next.
            api.send_text(USER, "I am not sure, it is something Flask does for you.")
    await api.wait_for(lambda: any("Estimated level:" in (m.text or "") for m in api.bot_messages(USER)), 60, "report")
    debrief = next(m for m in api.bot_messages(USER) if (m.text or "").startswith("Debrief 1/10"))
    # Page through the debrief until an open answer's page, graded by the (fake) LLM.
    for _ in range(9):
        shown = api.chats[USER][debrief.message_id]
        if "AI grader" in (shown.text or ""):
            break
        await wait_answered(api, api.tap(USER, shown, label="▶"))
    shown = api.chats[USER][debrief.message_id]
    assert "Some of it is there." in (shown.text or "") and "Suggested: 🤏 Partly (the AI grader)" in (shown.text or "")
    assert any(label.startswith("👉") for label, _ in shown.buttons)
    with sqlite3.connect(bot_process.db_path) as raw:
        asked = [r[0] for r in raw.execute("SELECT question_id FROM session_questions ORDER BY position")]
        graders = {r[0] for r in raw.execute("SELECT grader FROM answer_grades")}
    assert any("/" in qid for qid in asked), asked  # a follow-up was asked
    assert graders == {"llm"} and len(fake_llm.requests) >= 3
    assert all(h.get("Authorization") == "Bearer sk-e2e" for h in fake_llm.headers)
    assert "sk-e2e" not in bot_process.stderr()
