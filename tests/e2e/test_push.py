"""Scenario 4: the daily question pushed by `python -m bot push --all` beside the running bot."""

from __future__ import annotations

import pytest

from bot import texts
from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import (
    BotProcess,
    answered,
    daily_messages,
    right_button,
    run_push,
    wait_answered,
    zone_past_midnight,
)

pytestmark = pytest.mark.e2e

USERS = [9_500_000 + i for i in range(30)]


async def test_push_round_beside_the_running_bot(api: BotApiServer, bot_process: BotProcess) -> None:
    bot_process.env["PUSH_RATE"] = "20"
    # Subscribed for 23:00 where it is just past midnight: the bot's own job never pushes during the test.
    bot_process.env["DEFAULT_TIMEZONE"] = zone_past_midnight()
    api.rate_limit = 25  # the push paces itself under Telegram's rate; the bot's replies share it
    await bot_process.start()
    for uid in USERS:
        api.send_text(uid, "/daily 23:00")
    await api.wait_for(
        lambda: all("Done" in (api.bot_messages(u)[-1].text or "") for u in USERS if api.bot_messages(u)),
        30,
        "subscriptions",
    )
    await api.wait_for(lambda: all(api.bot_messages(u) for u in USERS), 30, "every /daily answered")
    api.block(USERS[-1])  # blocked after subscribing: the bot hears of it, the push must not fail on it
    api.blocked.add(USERS[-2])  # blocked without the bot noticing yet: the push gets a 403

    errors_before = len(api.errors)
    code, out, err = await run_push(bot_process, "--all")
    assert code == 0, err
    assert not [e for e in api.errors[errors_before:] if e[1] == 429], "the push outran the rate limit"
    assert "Traceback" not in err, err
    assert f"sent: {len(USERS) - 2}" in out, out
    for uid in USERS[:-2]:
        assert len(daily_messages(api, uid)) == 1, uid
    assert not daily_messages(api, USERS[-1]) and not daily_messages(api, USERS[-2])

    # The pushed question works with the running bot; a second round sends nothing twice.
    uid, message = next(
        (u, m) for u in USERS[:-2] for m in daily_messages(api, u) if m.buttons and m.buttons[0][1].startswith("a:")
    )  # an MCQ, not an open question
    query = api.tap(uid, message, right_button(message))
    await wait_answered(api, query)
    assert api.callbacks[query].answer_text == texts.CB_RECORDED_RIGHT
    await api.wait_for(lambda: answered(message), 20, "the result of the daily question")
    sends = api.calls["sendMessage"]
    code, out, err = await run_push(bot_process, "--all")
    assert code == 0 and "sent: 0" in out, out + err
    assert api.calls["sendMessage"] == sends
    assert bot_process.query("SELECT COUNT(*) FROM answers") == [(1,)]
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr()
