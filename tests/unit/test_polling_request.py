"""getUpdates, which PTB sends around the rate limiter, is counted in /metrics as every other call is."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from bot.metrics import Metrics
from bot.telegram.polling import CountedRequest
from tests.conftest import TOKEN
from tests.fake_bot_api import FakeBotApi


def _count(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


async def test_each_get_updates_answer_is_counted_by_its_result() -> None:
    api, metrics = FakeBotApi(), Metrics()
    bot = Bot(TOKEN, request=api, get_updates_request=CountedRequest(api, metrics))
    await bot.initialize()
    try:
        assert await bot.get_updates(timeout=0) == ()
        api.fail("getUpdates", 429, "Too Many Requests: retry after 5", retry_after=5)
        with pytest.raises(RetryAfter):
            await bot.get_updates(timeout=0)
        api.fail("getUpdates", 502, "Bad Gateway")
        with pytest.raises(NetworkError):
            await bot.get_updates(timeout=0)
        api.refused["getUpdates"] = 1  # nothing reached the server
        with pytest.raises(NetworkError):
            await bot.get_updates(timeout=0)
        await bot.get_me()  # through the other request: not counted here (the limiter counts it in the bot)
    finally:
        await bot.shutdown()
    results = ("ok", "flood", "error")
    counted = {r: _count(metrics, "bot_api_calls_total", method="getUpdates", result=r) for r in results}
    assert counted == {"ok": 1, "flood": 1, "error": 2}
    waits = (_count(metrics, f"bot_api_retry_after{s}_total", method="getUpdates") for s in ("", "_seconds"))
    assert tuple(waits) == (1, 5)
    assert _count(metrics, "bot_api_calls_total", method="getMe", result="ok") == 0
