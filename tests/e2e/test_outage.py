"""Scenario 5: the Bot API goes away (an outage, 5xx, dropped connections) and comes back; the bot recovers alone.

The outage lasts E2E_OUTAGE_SECONDS (default 5 s to keep the suite short; the brief's 30 s is
`E2E_OUTAGE_SECONDS=30 pytest -m e2e tests/e2e/test_outage.py`). PTB's polling backs off by 1.5x per
failure up to 30 s, so a 30 s outage may take up to ~30 s more to notice; the deadline allows for it.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from bot import texts
from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, wait_answered, wait_for_question

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = float(os.environ.get("E2E_OUTAGE_SECONDS", "5"))
USERS = [9_100_000 + i for i in range(5)]


async def test_bot_recovers_after_outage_without_losing_updates(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start()
    for uid in USERS:
        api.send_text(uid, "/quiz")
    await api.wait_for(lambda: all(api.last_with_buttons(uid) for uid in USERS), 20, "level pickers")

    # Passing failures first: 5xx on sends (nothing was sent: retried), a dropped long poll.
    api.fail("sendMessage", 502, "Bad Gateway", times=2)
    api.drop("getUpdates")
    api.send_text(USERS[0], "/help")
    await api.wait_for(
        lambda: "What I can do" in (api.bot_messages(USERS[0])[-1].text or ""),
        30,
        "/help through 5xx and a dropped long poll",
    )
    assert api.pending_faults("sendMessage") == 0
    # A send whose connection drops after the request went out may have arrived: it is not repeated.
    api.drop("sendMessage")
    sends = api.calls["sendMessage"]
    api.send_text(USERS[1], "/help")
    await api.wait_for(lambda: "Bot API call failed" in bot_process.stderr(), 30, "the lost /help reply logged")
    assert api.calls["sendMessage"] == sends + 1

    await api.go_down()
    # While the API is down, users keep writing and tapping: Telegram stores it all.
    held: list[int] = []
    taps: list[str] = []
    for uid in USERS:
        # The level picker from /quiz: /help's reply carries a button of its own (the Flask 2 -> 3 drill).
        picker = next(m for m in reversed(api.bot_messages(uid)) if any("Experienced" in t for t, _ in m.buttons))
        taps.append(api.tap(uid, picker, label="Experienced"))
        held.append(api.updates[-1]["update_id"])
        held.append(api.send_text(uid, "/help"))
    await asyncio.sleep(OUTAGE_SECONDS)
    polls_before = api.calls["getUpdates"]
    await api.come_up()

    # Back up: the same process picks everything up, in order, without help.
    await api.wait_for(lambda: api.calls["getUpdates"] > polls_before, 35 + OUTAGE_SECONDS, "polling to resume")
    for uid, query in zip(USERS, taps, strict=True):
        await wait_answered(api, query)
        await wait_for_question(api, uid, 1)
        await api.wait_for(
            lambda u=uid: "What I can do" in (api.bot_messages(u)[-1].text or ""), 20, f"/help for {uid}"
        )
        assert api.callbacks[query].answer_text in (None, texts.CB_ALREADY_STARTED)
    assert set(held) <= api.delivered
    assert bot_process.proc is not None and bot_process.proc.returncode is None  # no restart was needed
    assert not api.unanswered()
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr(), bot_process.stderr()[-3000:]
