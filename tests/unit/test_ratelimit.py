"""The rate limiter's worst cases on a fast-forwarded event loop (looptime): no test waits in real time.

Each test runs on its own looptime loop, whose clock jumps to the next timer whenever every task waits.
(looptime's pytest plugin, looptime_plugin, is off: it made a stray event loop for hypothesis' async tests.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import looptime
import pytest
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.telegram.ratelimit import BulkStopped, Limiter, bulk_traffic


def on_looptime(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh fast-forwarded loop."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        loop = looptime.new_event_loop(_enabled=True)
        try:
            loop.run_until_complete(test(*args, **kwargs))
        finally:
            loop.close()

    return run


class Api:
    """A callback for the limiter: records when each call went out, and fails as told."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str, object]] = []
        self.failures: list[Exception] = []

    async def call(self, method: str, data: dict[str, Any]) -> bool:
        self.sent.append((asyncio.get_running_loop().time(), method, data.get("chat_id")))
        if self.failures:
            raise self.failures.pop(0)
        return True


async def _request(limiter: Limiter, api: Api, method: str, chat_id: object) -> object:
    data = {"chat_id": chat_id} if chat_id is not None else {}
    return await limiter.process_request(api.call, (method, data), {}, method, data, None)


@on_looptime
async def test_replies_overtake_a_running_push() -> None:
    limiter, api = Limiter(bulk_rate=1000), Api()

    async def push() -> None:
        with bulk_traffic():
            for chat in range(1, 301):
                await _request(limiter, api, "sendMessage", chat)

    pushing = asyncio.create_task(push())
    await asyncio.sleep(2.0)
    asked = asyncio.get_running_loop().time()
    await asyncio.gather(*(_request(limiter, api, "sendMessage", 10_000 + u) for u in range(60)))
    answered = asyncio.get_running_loop().time()
    await pushing
    during = [s for s in api.sent if asked < s[0] < answered and isinstance(s[2], int) and s[2] <= 300]
    assert len(during) <= 1  # at most the push message that had its slot already
    assert answered - asked <= 60 / 28 + 0.1  # the replies go at the full overall rate
    assert len(api.sent) == 360


@on_looptime
async def test_overall_and_per_chat_limits() -> None:
    limiter, api = Limiter(), Api()
    await asyncio.gather(*(_request(limiter, api, "sendMessage", chat) for chat in range(1, 57)))
    assert api.sent[-1][0] - api.sent[0][0] >= 55 / 28 - 1e-6  # 28 a second overall

    api.sent.clear()
    await asyncio.gather(*(_request(limiter, api, "sendMessage", 500) for _ in range(10)))
    times = [t for t, _, _ in api.sent]
    assert times[3] - times[0] >= 1 - 1e-6 and times[9] - times[0] >= 7 - 1e-6  # a burst of 3, then 1 a second

    api.sent.clear()
    await asyncio.gather(*(_request(limiter, api, "sendMessage", -100500) for _ in range(21)))
    times = [t for t, _, _ in api.sent]
    assert times[19] - times[0] < 1 and times[20] - times[0] >= 3 - 1e-6  # 20 a minute in a group


@on_looptime
async def test_a_reply_is_delayed_through_two_minutes_of_flood_waits_then_dropped() -> None:
    limiter, api = Limiter(bulk_rate=20), Api()
    api.failures = [RetryAfter(dt.timedelta(seconds=10)) for _ in range(11)]  # 110 s of flood waits
    start = asyncio.get_running_loop().time()
    assert await _request(limiter, api, "sendMessage", 1) is True
    assert asyncio.get_running_loop().time() - start >= 110
    assert len(api.sent) == 12
    assert limiter.bulk_rate == 0.5  # halved on every 429, down to the floor

    api.failures = [RetryAfter(dt.timedelta(seconds=30)) for _ in range(5)]
    with pytest.raises(RetryAfter):
        await _request(limiter, api, "sendMessage", 2)


@on_looptime
async def test_the_push_pace_halves_on_a_flood_and_creeps_back() -> None:
    limiter, api = Limiter(bulk_rate=20), Api()
    api.failures = [RetryAfter(dt.timedelta(seconds=1))]
    await _request(limiter, api, "sendMessage", 1)
    assert limiter.bulk_rate == 10
    with bulk_traffic():
        for chat in range(2, 12):
            await _request(limiter, api, "sendMessage", chat)
    assert 10 < limiter.bulk_rate < 20


@on_looptime
async def test_sends_in_flight_that_meet_one_flood_halve_the_pace_once() -> None:
    limiter, api = Limiter.unpaced(bulk_rate=20), Api()
    api.failures = [RetryAfter(dt.timedelta(seconds=5)) for _ in range(8)]  # the push's 8 sends in flight
    with bulk_traffic():
        await asyncio.gather(*(_request(limiter, api, "sendMessage", chat) for chat in range(1, 9)))
    assert len(api.sent) == 16
    assert 10 < limiter.bulk_rate < 11  # halved once (not 8 times, to the floor), then crept back by 8 sends
    api.failures = [RetryAfter(dt.timedelta(seconds=5))]
    await _request(limiter, api, "sendMessage", 9)  # a later flood halves it again
    assert 5 < limiter.bulk_rate < 6


@pytest.mark.parametrize(
    ("method", "error", "calls"),
    [
        ("sendMessage", TimedOut(), 1),  # may have arrived: never sent twice
        ("sendDocument", TimedOut(), 1),
        ("editMessageText", TimedOut(), 2),  # an edit repeated changes nothing
        ("answerCallbackQuery", TimedOut(), 2),
        ("sendMessage", NetworkError("Bad Gateway"), 2),  # Telegram answered 5xx: nothing was sent
    ],
)
@on_looptime
async def test_what_is_retried(method: str, error: Exception, calls: int) -> None:
    limiter, api = Limiter(), Api()
    api.failures = [error]
    if calls == 1:
        with pytest.raises(type(error)):
            await _request(limiter, api, method, 1)
    else:
        assert await _request(limiter, api, method, 1) is True
    assert len(api.sent) == calls


@on_looptime
async def test_a_connection_never_made_is_retried_for_a_send() -> None:
    limiter, api = Limiter(), Api()
    refused = NetworkError("httpx.ConnectError: refused")
    refused.__cause__ = httpx.ConnectError("refused")
    lost = NetworkError("httpx.RemoteProtocolError: disconnected")
    lost.__cause__ = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    api.failures = [refused]
    assert await _request(limiter, api, "sendMessage", 1) is True
    api.failures = [lost]  # the request went out: it may have arrived
    with pytest.raises(NetworkError):
        await _request(limiter, api, "sendMessage", 1)
    assert len(api.sent) == 3


@on_looptime
async def test_stopping_gives_back_a_push_send_waiting_for_its_slot() -> None:
    limiter, api = Limiter(), Api()
    replies = asyncio.gather(*(_request(limiter, api, "sendMessage", 10_000 + u) for u in range(280)))

    async def push() -> None:
        with bulk_traffic():
            await _request(limiter, api, "sendMessage", 1)

    waiting = asyncio.create_task(push())
    await asyncio.sleep(1)
    limiter.stop_bulk()
    with pytest.raises(BulkStopped):
        await waiting
    await replies
    assert 1 not in [chat for _, _, chat in api.sent]

    api.failures = [RetryAfter(dt.timedelta(seconds=60))]
    started = asyncio.get_running_loop().time()
    with bulk_traffic(), pytest.raises(BulkStopped):
        await _request(limiter, api, "sendMessage", 2)  # a stopped limiter does not wait out the flood
    assert asyncio.get_running_loop().time() - started < 1


@on_looptime
async def test_unpaced_sends_a_burst_to_one_chat_at_once() -> None:
    limiter, api = Limiter.unpaced(bulk_rate=5), Api()
    start = asyncio.get_running_loop().time()
    await asyncio.gather(*(_request(limiter, api, "sendMessage", 7) for _ in range(50)))
    assert len(api.sent) == 50
    assert all(at == start for at, _, _ in api.sent)  # paced, 50 calls to one chat take ~47 s
    assert limiter.bulk_rate == 5
