"""Scenario 6: at LOG_LEVEL=DEBUG the token appears nowhere in the bot's output, not even its secret half."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import TOKEN, TOKEN_HASH, BotProcess, wait_answered

pytestmark = pytest.mark.e2e

USER = 9_900_001
OTHER = 9_900_002


async def test_debug_logs_never_show_the_token(api: BotApiServer, bot_process: BotProcess) -> None:
    bot_process.env["LOG_LEVEL"] = "DEBUG"
    await bot_process.start()
    api.send_text(USER, "/start")
    await api.wait_for(lambda: api.last_with_buttons(USER) is not None, 20, "greeting")
    picker = api.last_with_buttons(USER)
    assert picker is not None
    # Errors log URLs and tracebacks too: a 5xx, a dropped connection, a forged tap, a blocked user.
    api.fail("editMessageText", 500, "Internal Server Error")
    api.drop("sendMessage")
    await wait_answered(api, api.tap(USER, picker, label="Fresher"))
    await wait_answered(api, api.tap(USER, picker, "zz:forged", force=True))
    api.drop("getUpdates")  # the poll after the next update dies with its connection
    api.send_text(USER, f"my token is not {TOKEN[::-1]}")
    api.block(USER)
    api.send_text(USER, "/help")
    api.send_text(OTHER, "/help")
    # Users are served concurrently, so wait for both: OTHER's reply and the 403 for the blocked USER.
    await api.wait_for(
        lambda: (
            any("What I can do" in (m.text or "") for m in api.bot_messages(OTHER))
            and any(e[1] == 403 for e in api.errors)
        ),
        30,
        "polling to get past a dropped connection",
    )
    assert any(e[1] == 403 for e in api.errors) and api.pending_faults("getUpdates") == 0
    assert await bot_process.terminate() == 0

    output = bot_process.stdout() + bot_process.stderr()
    assert "DEBUG" in output and "getUpdates" in output, "DEBUG logging was not on"
    for secret in {TOKEN, TOKEN_HASH, quote(TOKEN, safe=""), TOKEN_HASH[:16], TOKEN_HASH[-16:]}:
        assert secret not in output, f"{secret!r} leaked"
