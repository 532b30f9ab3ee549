"""The started Application (update queue, update processor, job queue) with the fake transport.

Updates go in through `update_queue` as the poller puts them, so PTB's own machinery dispatches them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator

import pytest_asyncio
from telegram.error import NetworkError

from bot.config import Settings
from bot.domain.schedule import DailySettings
from bot.telegram.concurrency import MAX_CONCURRENT_UPDATES, PerUserUpdateProcessor
from bot.telegram.jobs import run_push_round
from bot.telegram.services import App, services_of
from tests.clock import FakeClock
from tests.fake_bot_api import Call, FakeBotApi, edited_update, tap_update, text_update
from tests.flows.driver import running_app
from tests.refused import refused

ANN, BOB = 7001, 7002


@pytest_asyncio.fixture
async def running(settings: Settings, api: FakeBotApi, clock: FakeClock) -> AsyncIterator[App]:
    """The bot as `run_polling` runs it, minus the poller: initialised, post_init run, started."""
    async with running_app(settings, api, clock, seed=11) as app:
        try:
            yield app
        finally:
            for gate in api.held.values():  # replies held back would keep stop() waiting
                gate.set()


async def test_one_users_backlog_does_not_hold_other_users(running: App, api: FakeBotApi) -> None:
    slow = api.hold(ANN)  # every reply to Ann hangs until released: a flood wait, a slow network
    for _ in range(200):
        await running.update_queue.put(text_update(running.bot, ANN, "/help"))
    await running.update_queue.put(text_update(running.bot, BOB, "/help"))

    await api.wait_for(lambda: bool(api.to_chat(BOB)))
    assert "What I can do" in str(api.to_chat(BOB)[0].params["text"])
    assert len(api.to_chat(ANN)) == 1  # Ann's first reply still hangs; her other 199 updates wait their turn

    slow.set()
    await api.wait_for(lambda: len(api.to_chat(ANN)) == 200, within=30)


async def test_a_reply_whose_answer_was_lost_is_not_sent_again(running: App, api: FakeBotApi) -> None:
    api.lost_answers["sendMessage"] = 1  # Telegram delivers /help's reply, then the answer times out
    await running.update_queue.put(text_update(running.bot, ANN, "/help"))
    await running.update_queue.join()
    sent = [str(c.params["text"]) for c in api.to_chat(ANN)]
    assert len(sent) == 1 and "What I can do" in sent[0]  # the user sees it once, and no error message


async def test_a_refused_connection_is_retried(running: App, api: FakeBotApi) -> None:
    api.refused["sendMessage"] = 1  # nothing reached Telegram: safe to send again
    await running.update_queue.put(text_update(running.bot, ANN, "/help"))
    await running.update_queue.join()
    assert len(api.to_chat(ANN)) == 2
    assert len([m for (chat, _), m in api.messages.items() if chat == ANN]) == 1


async def test_a_pushed_question_whose_answer_was_lost_is_not_pushed_again(
    running: App, api: FakeBotApi, clock: FakeClock
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC))
    await running.update_queue.put(text_update(running.bot, ANN, "/daily 09:00"))
    await running.update_queue.join()
    api.lost_answers["sendMessage"] = 1
    first = await run_push_round(running)
    again = await run_push_round(running)
    assert first is not None and again is not None
    daily = [c for c in api.to_chat(ANN) if "Daily question" in str(c.params["text"])]
    assert len(daily) == 1
    assert (first.sent, again.sent, again.due) == (1, 0, 0)  # recorded as sent: due tomorrow, not looked at again


async def test_edited_commands_and_answers_do_nothing(running: App, api: FakeBotApi) -> None:
    await running.update_queue.put(text_update(running.bot, ANN, "/start"))
    await running.update_queue.join()
    calls = len(api.calls)
    for text in ("/reset", "/quiz", "/daily 10:00", "/deleteme", "/cancel", "/help", "an answer", "/nonsense"):
        await running.update_queue.put(edited_update(running.bot, ANN, text))
    await running.update_queue.join()
    assert api.calls[calls:] == []
    assert (await services_of(running).push.settings(ANN)) == DailySettings(None, None, False)


async def test_every_command_and_text_registers_the_user(running: App, api: FakeBotApi) -> None:
    for uid, text in enumerate(["/stats", "/history", "/export", "/reset", "/deleteme", "hello"], start=8001):
        await running.update_queue.put(text_update(running.bot, uid, text))
    await running.update_queue.join()
    for uid in range(8001, 8007):
        assert await services_of(running).push.settings(uid) is not None, uid


async def test_saved_is_said_after_the_setting_is_stored(running: App, api: FakeBotApi, settings: Settings) -> None:
    await running.update_queue.put(text_update(running.bot, ANN, "/daily"))
    await running.update_queue.join()
    stored_when_answered: list[object] = []

    def look(call: Call) -> None:
        if call.method == "answerCallbackQuery":
            with sqlite3.connect(settings.database_path) as conn:
                stored_when_answered.append(
                    conn.execute("SELECT daily_time FROM users WHERE user_id = ?", (ANN,)).fetchone()[0]
                )

    api.on_call = look
    menu = api.to_chat(ANN)[-1]
    data = next(b["callback_data"] for row in menu.params["reply_markup"]["inline_keyboard"] for b in row)
    message = api.messages[(ANN, max(m for c, m in api.messages if c == ANN))]
    await running.update_queue.put(tap_update(running.bot, ANN, message, data))
    await running.update_queue.join()
    assert stored_when_answered == ["07:00"]


async def test_a_failing_job_is_logged_as_that_jobs_failure(running: App) -> None:
    """PTB hands a job's error to the error handler with no update, as it does a failed getUpdates."""
    assert running.job_queue is not None
    lines = _Lines(2)
    logger = logging.getLogger("bot.telegram")  # the error handler's lines, and the poller's (startup)
    logger.addHandler(lines)
    try:

        async def broken(context: object) -> None:
            raise RuntimeError("the job broke")

        async def offline(context: object) -> None:
            raise NetworkError("aiohttp.ClientConnectorError: offline") from refused()

        running.job_queue.run_once(broken, 0, name="broken-job")
        running.job_queue.run_once(offline, 0, name="offline-job")
        await asyncio.wait_for(lines.full.wait(), 10)
    finally:
        logger.removeHandler(lines)

    said = {r.getMessage(): r for r in lines.records}
    assert said["job broken-job failed"].exc_info is not None  # a bug: its traceback
    assert said["job offline-job failed: Bot API call failed: aiohttp.ClientConnectorError: offline"].exc_info is None


class _Lines(logging.Handler):
    """Keeps the error handler's records; `full` is set once it has `count` of them."""

    def __init__(self, count: int) -> None:
        super().__init__(logging.DEBUG)
        self.count = count
        self.records: list[logging.LogRecord] = []
        self.full = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name not in ("bot.telegram.errors", "bot.telegram.startup"):
            return
        self.records.append(record)
        if len(self.records) >= self.count:
            self.full.set()


async def test_the_started_application_caps_concurrent_updates_and_keeps_each_users_order(
    running: App, api: FakeBotApi
) -> None:
    processor = running.update_processor
    assert isinstance(processor, PerUserUpdateProcessor)
    users = [8000 + k for k in range(MAX_CONCURRENT_UPDATES + 6)]
    gates = [api.hold(u) for u in users]  # every reply hangs: each update keeps its slot until released
    for u in users:
        await running.update_queue.put(text_update(running.bot, u, "/help"))
    for u in users[:3] + users[-3:]:  # a second update each, behind the first (some of which wait for a slot)
        await running.update_queue.put(text_update(running.bot, u, "/start"))

    await api.wait_for(lambda: len(api.of("sendMessage")) >= MAX_CONCURRENT_UPDATES)
    await api.wait_for(lambda: processor.active_owners() == len(users))  # every update is in the processor
    assert processor.current_concurrent_updates == MAX_CONCURRENT_UPDATES
    assert len(api.of("sendMessage")) == MAX_CONCURRENT_UPDATES  # the other 6 users wait for a slot

    for gate in gates:
        gate.set()
    await running.update_queue.join()
    assert len(api.of("sendMessage")) == len(users) + 6
    for u in users[:3] + users[-3:]:
        replies = [str(c.params["text"]) for c in api.to_chat(u)]
        assert len(replies) == 2 and "What I can do" in replies[0] and "What I can do" not in replies[1], replies
    assert processor.current_concurrent_updates == 0 and processor.active_owners() == 0
