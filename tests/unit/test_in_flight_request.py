"""At most TELEGRAM_MAX_IN_FLIGHT Bot API calls are inside the HTTP request at once; the rest wait in arrival order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.request import BaseRequest

from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.in_flight import CappedRequest
from tests.conftest import TOKEN
from tests.fake_bot_api import FakeBotApi


class _Held(BaseRequest):
    """A transport whose calls stay inside until released one by one; it records who entered and the peak inside."""

    def __init__(self) -> None:
        self.entered: list[str] = []
        self.inside = 0
        self.peak = 0
        self._gates: dict[str, asyncio.Event] = {}
        self.fail: set[str] = set()

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.entered.append(url)
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        try:
            await self._gates.setdefault(url, asyncio.Event()).wait()
            if url in self.fail:
                raise OSError("connection reset")
            return 200, b'{"ok": true, "result": true}'
        finally:
            self.inside -= 1

    def release(self, url: str) -> None:
        self._gates.setdefault(url, asyncio.Event()).set()


async def _turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_calls_past_the_cap_wait_and_enter_in_arrival_order() -> None:
    inner = _Held()
    capped = CappedRequest(inner, 3)
    calls = [asyncio.ensure_future(capped.do_request(f"u{i}", "POST")) for i in range(8)]
    await _turns()
    assert inner.entered == ["u0", "u1", "u2"]  # three inside, five waiting
    for i in range(8):
        inner.release(f"u{i}")
        await _turns()
    assert [await c for c in calls] == [(200, b'{"ok": true, "result": true}')] * 8
    assert inner.entered == [f"u{i}" for i in range(8)]
    assert inner.peak == 3


async def test_a_failed_or_cancelled_call_gives_its_place_back() -> None:
    inner = _Held()
    capped = CappedRequest(inner, 1)
    inner.fail.add("broken")
    broken = asyncio.ensure_future(capped.do_request("broken", "POST"))
    waiting = asyncio.ensure_future(capped.do_request("gone", "POST"))
    last = asyncio.ensure_future(capped.do_request("last", "POST"))
    await _turns()
    waiting.cancel()  # cancelled while it waits for a place: it never enters
    inner.release("broken")
    with pytest.raises(OSError):
        await broken
    inner.release("last")
    assert await last == (200, b'{"ok": true, "result": true}')
    assert waiting.cancelled()
    assert inner.entered == ["broken", "last"] and inner.peak == 1


async def test_a_bot_calls_through_it_and_the_cap_must_be_positive() -> None:
    api = FakeBotApi()
    bot = Bot(TOKEN, request=CappedRequest(api, 2), get_updates_request=api)
    await bot.initialize()
    try:
        me = await bot.get_me()
        assert me.is_bot
    finally:
        await bot.shutdown()
    with pytest.raises(ValueError, match="at least 1"):
        CappedRequest(api, 0)


def test_the_bot_sends_through_a_request_capped_at_the_setting(tmp_path: Path) -> None:
    settings = Settings(
        telegram_bot_token=TOKEN, database_path=tmp_path / "b.sqlite3", telegram_max_in_flight=5, _env_file=None
    )
    app = build_application(settings)
    request = app.bot.request
    assert isinstance(request, CappedRequest)
    assert request._places._value == 5
