"""Telegram's pacing as the product ships it: one hot chat must not slow the calm chats or the bot's own push.

The real process under the default limits (TELEGRAM_RATE_LIMITS on), against a Bot API that answers 429
above 30 messages/s, while the bot's own push job serves due subscribers: calm users take questions alone,
then other calm users do the same beside a user who answers as fast as the bot lets him. Their delays and
the push's pace are read off the server's clock and compared, as ratios, between the two phases.
"""

from __future__ import annotations

import asyncio
import statistics

import pytest

from bot import texts
from tests.e2e.botapi import BotApiServer, StoredMessage
from tests.e2e.conftest import (
    LEVELS,
    BotProcess,
    daily_messages,
    right_button,
    subscribe,
    wait_for_question,
    zone_past_midnight,
)

pytestmark = pytest.mark.e2e

CALM = 8
HOT = 7_199_999
SUBSCRIBERS = [7_200_000 + k for k in range(600)]  # more than the test's ~30 s serve: the push runs all along
PUSH_RATE = 15  # with the calm users (~5 messages/s) and the hot one (~1/s), under the limiter's 28/s
CALM_TAPS = 4
THINK = 2.5  # seconds a calm user reads before tapping: a tap costs two messages, within 1/s a chat


async def _start_quiz(api: BotApiServer, uid: int, k: int) -> None:
    """Send /quiz and pick a level once the (new) level picker shows."""
    seen = {m.message_id for m in api.bot_messages(uid)}
    api.send_text(uid, "/quiz")
    found: list[StoredMessage] = []

    def picker() -> bool:
        found[:] = [m for m in api.bot_messages(uid) if m.message_id not in seen and m.buttons]
        return bool(found)

    await api.wait_for(picker, 60, f"level picker for {uid}")
    assert found[0].text == texts.PICK_LEVEL["quiz"]
    api.tap(uid, found[0], label=LEVELS[k % len(LEVELS)])


async def _answer(
    api: BotApiServer, uid: int, taps: int, think: float, stop: asyncio.Event | None = None
) -> list[float]:
    """Answer up to `taps` questions of the quiz under way; each tap's delay until the next question arrived."""
    delays: list[float] = []
    question = await wait_for_question(api, uid, 1, within=60)
    for number in range(1, taps + 1):
        await asyncio.sleep(think)
        query = api.tap(uid, question, right_button(question))
        if number == 10 or (stop is not None and stop.is_set()):
            break
        question = await wait_for_question(api, uid, number + 1, within=60)
        delays.append(question.created - api.callbacks[query].created)
    return delays


async def _hot_user(api: BotApiServer, stop: asyncio.Event) -> None:
    """Quiz after quiz, each answer tapped the moment its question shows."""
    k = 0
    while not stop.is_set():
        await _start_quiz(api, HOT, k)
        await _answer(api, HOT, 10, 0.0, stop)
        if stop.is_set():
            return
        await api.wait_for(lambda: "by topic" in (api.bot_messages(HOT)[-1].text or ""), 60, "the hot quiz's score")
        k += 1


async def _calm_phase(api: BotApiServer, first_user: int) -> tuple[list[float], float, int]:
    """Calm users take a few questions each: their delays, the push's pace meanwhile, and the hot user's taps."""
    loop = asyncio.get_running_loop()
    began = loop.time()  # the test and the server share one monotonic clock

    async def calm(k: int, uid: int) -> list[float]:
        await _start_quiz(api, uid, k)
        return await _answer(api, uid, CALM_TAPS, THINK)

    delays = [d for found in await asyncio.gather(*(calm(k, first_user + k) for k in range(CALM))) for d in found]
    ended = loop.time()
    pushed = [m.created for u in SUBSCRIBERS for m in daily_messages(api, u) if began <= m.created <= ended]
    hot_taps = [c for c in api.callbacks.values() if c.user_id == HOT and began <= c.created <= ended]
    return delays, len(pushed) / (ended - began), len(hot_taps)


async def test_a_hot_chat_slows_neither_the_calm_chats_nor_the_push(api: BotApiServer, bot_process: BotProcess) -> None:
    api.rate_limit = 30  # Telegram's ~30 messages/s overall: 429 + retry_after above
    bot_process.env["PUSH_RATE"] = str(PUSH_RATE)
    await bot_process.start()
    await bot_process.terminate()  # the database exists now: subscribe while the bot is down
    subscribe(bot_process, SUBSCRIBERS, "00:00", zone_past_midnight())  # due now: the bot's own job pushes
    await bot_process.start()
    await api.wait_for(lambda: any(daily_messages(api, u) for u in SUBSCRIBERS), 60, "the push under way")

    alone, pace_alone, _ = await _calm_phase(api, 7_100_000)
    stop = asyncio.Event()
    hot = asyncio.create_task(_hot_user(api, stop))
    await api.wait_for(lambda: _taps(api, HOT) >= 3, 60, "the hot user past his chat's burst")
    beside, pace_beside, hot_taps = await _calm_phase(api, 7_110_000)
    stop.set()
    await hot
    assert await bot_process.terminate() == 0

    summary = (
        f"calm tap->next median {statistics.median(alone):.3f}s alone, {statistics.median(beside):.3f}s beside a hot "
        f"chat ({hot_taps} taps meanwhile); p90 {_p90(alone):.3f}s / {_p90(beside):.3f}s; "
        f"push {pace_alone:.1f}/s alone, {pace_beside:.1f}/s beside"
    )
    print(summary)
    assert len(alone) == len(beside) == CALM * CALM_TAPS
    assert hot_taps >= 3, summary  # the hot user really was answering while the calm ones played
    served = [len(daily_messages(api, u)) for u in SUBSCRIBERS]
    assert sum(served) < len(SUBSCRIBERS) and max(served) == 1, summary  # the push ran all along, once each
    # Ratios within this test, generous for a shared machine. The limiter that queued every chat behind the
    # busiest one gave 8x the median (0.06 s -> 0.49 s) and stopped the push (10.4/s -> 0.0/s).
    assert statistics.median(beside) <= 3 * statistics.median(alone), summary
    assert pace_beside >= 0.6 * pace_alone, summary
    assert not [e for e in api.errors if e[1] == 429], api.errors  # the pacing kept under Telegram's limit
    assert "Traceback" not in bot_process.stderr(), bot_process.stderr()[-3000:]


def _taps(api: BotApiServer, uid: int) -> int:
    return sum(1 for c in api.callbacks.values() if c.user_id == uid)


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]
