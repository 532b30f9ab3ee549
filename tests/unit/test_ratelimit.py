"""The rate limiter's worst cases on a fast-forwarded event loop (looptime): no test waits in real time.

Each test runs on its own looptime loop, whose clock jumps to the next timer whenever every task waits.
(looptime's pytest plugin, looptime_plugin, is off: it made a stray event loop for hypothesis' async tests.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import looptime
import pytest
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.telegram.ratelimit import BulkStopped, Limiter, bulk_traffic
from tests.fake_bot_api import FakeBotApi
from tests.refused import refused


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


async def _send(bot: ExtBot[None], method: str) -> object:
    """One call of `method` the way the bot makes it."""
    if method == "sendMessage":
        return await bot.send_message(1, "hello")
    if method == "sendPoll":
        return await bot.send_poll(1, "Which?", ["a", "b"])
    if method == "sendDocument":
        return await bot.send_document(1, b"report", filename="report.txt")
    if method == "sendPhoto":
        return await bot.send_photo(1, b"\x89PNG")
    return await bot.edit_message_text("edited", chat_id=1, message_id=5)


@pytest.mark.parametrize(
    ("method", "status", "description", "page", "calls"),
    [
        # The server, or a proxy in front of it, took the request and failed or gave up: it may have arrived.
        ("sendMessage", 500, "Internal Server Error", False, 1),
        ("sendPoll", 504, "Gateway Timeout", False, 1),
        ("sendDocument", 504, "Gateway Time-out", True, 1),
        ("sendPhoto", 500, "Internal Server Error", True, 1),
        ("sendPhoto", 502, "Bad Gateway", True, 1),  # a proxy's page says nothing of the server behind it
        ("sendMessage", 500, "Internal Server Error: restart", False, 1),
        # The Bot API itself says it did not take the request: surely not arrived.
        ("sendMessage", 502, "Bad Gateway", False, 2),
        ("sendPoll", 503, "Service Unavailable", False, 2),
        ("sendPhoto", 502, "Bad Gateway", False, 2),
        # An edit repeated changes nothing: retried after any 5xx.
        ("editMessageText", 500, "Internal Server Error", False, 2),
        ("editMessageText", 504, "Gateway Time-out", True, 2),
    ],
)
@on_looptime
async def test_a_send_is_retried_after_a_5xx_only_when_it_surely_did_not_arrive(
    method: str, status: int, description: str, page: bool, calls: int
) -> None:
    """Through a real bot and PTB's own mapping of HTTP answers to exceptions, as the bot meets them."""
    api = FakeBotApi()
    bot: ExtBot[None] = ExtBot("1:x", request=api, get_updates_request=api, rate_limiter=Limiter())
    await bot.initialize()
    if page:
        api.fail_with_page(method, status, description)
    else:
        api.fail(method, status, description)
    if calls == 1:
        with pytest.raises(NetworkError):
            await _send(bot, method)
    else:
        assert await _send(bot, method)
    assert len(api.of(method)) == calls


@on_looptime
async def test_a_connection_never_made_is_retried_for_a_send() -> None:
    limiter, api = Limiter(), Api()
    never_made = NetworkError("aiohttp.ClientConnectorError: refused")
    never_made.__cause__ = refused()
    lost = NetworkError("aiohttp.ServerDisconnectedError: disconnected")
    lost.__cause__ = aiohttp.ServerDisconnectedError()
    api.failures = [never_made]
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


# One chat over its limit must delay only itself: the upper bounds below failed on the limiter that booked
# the overall slot at the busy chat's turn (every chat queued behind it, and the push stopped meanwhile).
OVERALL_SLOT = 1 / 28


async def _hot_chat(limiter: Limiter, api: Api, until: float) -> None:
    """One user answering as fast as the bot lets him: a reply, and at once the next, to one chat."""
    while asyncio.get_running_loop().time() < until:
        await _request(limiter, api, "sendMessage", 7)


async def _calm_chats(limiter: Limiter, api: Api, until: float) -> list[float]:
    """40 users, one reply every 5 s each, spread evenly; how long each reply waited for its slot."""
    loop = asyncio.get_running_loop()
    waits: list[float] = []

    async def user(n: int) -> None:
        await asyncio.sleep(n * 5 / 40)
        while (asked := loop.time()) < until:
            await _request(limiter, api, "sendMessage", 1000 + n)
            waits.append(loop.time() - asked)
            await asyncio.sleep(5 - (loop.time() - asked))

    await asyncio.gather(*(user(n) for n in range(40)))
    return waits


async def _push(limiter: Limiter, api: Api, until: float) -> int:
    """The push as PushService runs it: a send every 1/bulk_rate s, 8 in flight at most; how many went."""
    loop = asyncio.get_running_loop()
    in_flight = asyncio.Semaphore(8)
    sent = 0

    async def send(chat: int) -> None:
        nonlocal sent
        try:
            with bulk_traffic():
                await _request(limiter, api, "sendMessage", chat)
            sent += 1
        finally:
            in_flight.release()

    tasks = []
    chat = 100_000
    while loop.time() < until:
        await in_flight.acquire()
        chat += 1
        tasks.append(asyncio.create_task(send(chat)))
        await asyncio.sleep(1 / limiter.bulk_rate)
    await asyncio.gather(*tasks)
    return sent


@on_looptime
async def test_a_saturated_chat_delays_another_chats_first_message_by_one_overall_slot_at_most() -> None:
    limiter, api = Limiter(), Api()
    busy = asyncio.gather(*(_request(limiter, api, "sendMessage", 7) for _ in range(10)))  # 7 s of backlog
    await asyncio.sleep(2.5)  # its burst is spent: chat 7 now sends once a second for the next 5 s
    asked = asyncio.get_running_loop().time()
    await _request(limiter, api, "sendMessage", 8)
    assert asyncio.get_running_loop().time() - asked <= OVERALL_SLOT + 1e-6
    await busy


@on_looptime
async def test_a_hot_chat_beside_calm_chats_leaves_their_delays_as_they_were() -> None:
    loop = asyncio.get_running_loop()
    limiter, api = Limiter(), Api()
    alone = sorted(await _calm_chats(limiter, api, loop.time() + 60))

    limiter = Limiter()
    until = loop.time() + 65
    hot = asyncio.create_task(_hot_chat(limiter, api, until))
    await asyncio.sleep(5)  # hot already: its burst is spent, it sends once a second
    beside = sorted(await _calm_chats(limiter, api, until))
    await hot
    assert len(beside) == len(alone) == 480
    # The hot chat takes one overall slot a second: a calm reply may meet it, and wait that one slot.
    assert beside[len(beside) // 2] <= alone[len(alone) // 2] + OVERALL_SLOT + 1e-6
    assert beside[-1] <= alone[-1] + OVERALL_SLOT + 1e-6


@on_looptime
async def test_a_push_beside_a_hot_chat_keeps_its_pace() -> None:
    loop = asyncio.get_running_loop()
    limiter, api = Limiter(bulk_rate=20), Api()
    alone = await _push(limiter, api, loop.time() + 30)

    limiter = Limiter(bulk_rate=20)
    until = loop.time() + 30
    hot = asyncio.create_task(_hot_chat(limiter, api, until))
    beside = await _push(limiter, api, until)
    await hot
    assert alone >= 0.95 * 20 * 30
    assert beside >= 0.8 * alone


@on_looptime
async def test_quick_taps_do_not_stall_a_running_push() -> None:
    loop = asyncio.get_running_loop()
    limiter, api = Limiter(bulk_rate=20), Api()
    pushing = asyncio.create_task(_push(limiter, api, loop.time() + 10))
    await asyncio.sleep(3)
    await asyncio.gather(*(_request(limiter, api, "sendMessage", 7) for _ in range(8)))  # 8 taps: 5 s of turns
    await pushing
    pushed = [at for at, _, chat in api.sent if isinstance(chat, int) and chat > 100_000]
    assert max(b - a for a, b in itertools.pairwise(pushed)) <= 8 * OVERALL_SLOT  # the taps' slots, no more
