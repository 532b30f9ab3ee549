"""Scenario 1: twenty users take a whole /quiz at the same time against the real bot process."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, answered, answers_rows, take_quiz

pytestmark = pytest.mark.e2e

USERS = 20


async def test_twenty_users_take_a_whole_quiz(api: BotApiServer, bot_process: BotProcess) -> None:
    api.rate_limit = 30  # Telegram's ~30 messages/s: the bot must ride out the 429s it causes.
    await bot_process.start()
    started = time.monotonic()
    users = [5_000_000 + k for k in range(USERS)]
    rights = await asyncio.gather(*(take_quiz(api, uid, k) for k, uid in enumerate(users)))
    elapsed = time.monotonic() - started

    for uid, right in zip(users, rights, strict=True):
        scores = [m.text for m in api.bot_messages(uid) if "Score:" in (m.text or "")]
        assert len(scores) == 1, scores
        assert re.search(rf"\bScore: {right}/10\b", scores[0] or ""), (uid, right, scores)
        assert "by topic" in (api.bot_messages(uid)[-1].text or "")
        # No option buttons are left behind: every result keeps only its Report button.
        assert all(answered(m) for m in api.bot_messages(uid))

    assert not api.unanswered()
    assert api.calls["answerCallbackQuery"] == USERS * 11
    rows = answers_rows(bot_process)
    assert len(rows) == USERS * 10
    assert len({(r[0], r[1]) for r in rows}) == USERS * 10
    for uid, right in zip(users, rights, strict=True):
        assert sum(1 for r in rows if r[2] == uid and r[4] == 1) == right
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr()
    print(f"20 quizzes in {elapsed:.1f}s, 429s sent: {sum(1 for e in api.errors if e[1] == 429)}")
