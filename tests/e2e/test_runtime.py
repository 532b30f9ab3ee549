"""The runtime's worst cases against the real process: quizzes during a push under Telegram's limits, answers
lost after delivery, and SIGTERM in the middle of a push round."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, daily_messages, run_push, subscribe, take_quiz, zone_past_midnight

pytestmark = pytest.mark.e2e

QUIZZERS = [6_100_000 + k for k in range(60)]
SUBSCRIBERS = [6_200_000 + k for k in range(300)]


async def test_quizzes_complete_while_push_all_serves_300(api: BotApiServer, bot_process: BotProcess) -> None:
    api.rate_limit = 30  # Telegram's budget for the whole bot, push and replies together: 429 + retry_after above
    api.flaky(0.02, ["sendMessage", "editMessageText", "answerCallbackQuery"], seed=11)  # and random 5xx
    await bot_process.start()
    subscribe(bot_process, SUBSCRIBERS, "23:00", zone_past_midnight())  # not due by the clock: only --all sends

    started = time.monotonic()
    push = asyncio.create_task(run_push(bot_process, "--all", within=300))
    await api.wait_for(lambda: sum(len(daily_messages(api, u)) for u in SUBSCRIBERS) >= 20, 60, "the push under way")
    rights = await asyncio.gather(*(take_quiz(api, uid, k) for k, uid in enumerate(QUIZZERS)))
    code, out, err = await push
    elapsed = time.monotonic() - started

    assert code == 0, err
    assert "sent: 300\n" in out, out
    assert [len(daily_messages(api, u)) for u in SUBSCRIBERS] == [1] * 300  # exactly once each
    for uid, right in zip(QUIZZERS, rights, strict=True):
        scores = [m.text or "" for m in api.bot_messages(uid) if "Score:" in (m.text or "")]
        assert len(scores) == 1 and re.search(rf"\bScore: {right}/10\b", scores[0]), (uid, scores)
    assert not api.unanswered()
    floods = sum(1 for e in api.errors if e[1] == 429)
    assert floods and any(e[1] == 502 for e in api.errors)  # the limits and faults were really met
    assert "Traceback" not in err
    assert "went wrong" not in "".join(m.text or "" for u in QUIZZERS for m in api.bot_messages(u))
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr(), bot_process.stderr()[-3000:]
    print(f"60 quizzes beside a 300-subscriber push in {elapsed:.0f}s; 429s: {floods}")


async def test_a_send_whose_answer_is_lost_is_not_sent_again(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start()
    uid = SUBSCRIBERS[0]
    api.lose_answers("sendMessage")  # carried out, then the bot's read timeout expires
    api.send_text(uid, "/help")
    api.send_text(uid, "/start")  # the same user's next update runs once /help's handling is over
    # /help's reply carries the drill button too: wait for /start's greeting itself.
    await api.wait_for(
        lambda: any((m.text or "").startswith("Hi, ") for m in api.bot_messages(uid)), 60, "the reply to /start"
    )
    shown = [m.text or "" for m in api.bot_messages(uid)]
    assert len(shown) == 2 and "What I can do" in shown[0], shown  # /help's reply once, no apology, then /start's

    subscribe(bot_process, [SUBSCRIBERS[1]], "23:00", zone_past_midnight())
    api.lose_answers("sendMessage")
    code, out, err = await run_push(bot_process, "--all")
    assert code == 0 and "sent: 1\n" in out, out + err
    code, out, err = await run_push(bot_process, "--all")
    assert code == 0 and "sent: 0\n" in out, out + err
    assert len(daily_messages(api, SUBSCRIBERS[1])) == 1
    assert len(api.lost) == 2
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr()


async def test_sigterm_stops_a_push_round_between_sends(api: BotApiServer, bot_process: BotProcess) -> None:
    users = SUBSCRIBERS[:40]
    bot_process.env["PUSH_RATE"] = "1"  # a round of 40 takes 40 s
    await bot_process.start()
    await bot_process.terminate()  # the database now exists: subscribe while the bot is down
    subscribe(bot_process, users, "00:00", zone_past_midnight())  # due now, whatever the time of day
    await bot_process.start()
    await api.wait_for(lambda: sum(len(daily_messages(api, u)) for u in users) >= 3, 60, "the round under way")

    asked = time.monotonic()
    assert await bot_process.terminate(within=10) == 0
    assert time.monotonic() - asked < 10
    served = sum(len(daily_messages(api, u)) for u in users)
    assert served < len(users)
    assert bot_process.query("SELECT COUNT(*) FROM deliveries WHERE status = 'sending'") == [(0,)]
    assert "Traceback" not in bot_process.stderr()

    bot_process.env["PUSH_RATE"] = "25"
    code, out, err = await run_push(bot_process)  # the next round sends the rest, nobody twice
    assert code == 0 and f"sent: {len(users) - served}\n" in out, out + err
    assert [len(daily_messages(api, u)) for u in users] == [1] * len(users)
