"""Broadcasts on the Telegram side: the sender (bulk traffic, the opt-out button), and runs in the background.

A confirmed broadcast runs in a task of its own (Application.create_task, which Application.stop waits for),
outside any handler, one at a time per process; post_init resumes a broadcast that was being sent when the bot
stopped. On shutdown it stops between two sends, as the push does, and what was not sent waits for the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot import texts
from bot.domain.delivery import RoundReport, SendResult
from bot.services.broadcast import BroadcastService, SendNews
from bot.services.pacing import Progress
from bot.telegram.callback import NewsOffCb
from bot.telegram.jobs import stop_with
from bot.telegram.outcomes import send_bulk
from bot.telegram.services import App, services_of

logger = logging.getLogger(__name__)

_LOCK_KEY = "broadcast-lock"
_TASKS_KEY = "broadcast-tasks"


def news_markup() -> InlineKeyboardMarkup:
    """The opt-out button under every broadcast."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BTN_NEWS_OFF, callback_data=NewsOffCb().pack())]])


def make_news_sender(bot: Bot) -> SendNews:
    """A `send` for BroadcastService: bulk traffic, the opt-out button, Bot API errors turned into outcomes."""

    async def send(chat_id: int, html: str) -> SendResult:
        return await send_bulk(bot, "announcement", chat_id, html, news_markup())

    return send


async def send_broadcast(
    service: BroadcastService,
    bot: Bot,
    broadcast_id: int,
    *,
    progress: Progress | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> RoundReport:
    """Run one broadcast with `bot` (the bot's task and `python -m bot broadcast`)."""
    return await service.run(broadcast_id, make_news_sender(bot), progress=progress, stop=stop)


async def run_in_app(app: App, broadcast_id: int, report_to: int | None = None) -> RoundReport | None:
    """Run a broadcast with the application's bot, one at a time; tell `report_to` how it ended."""
    lock = app.bot_data.setdefault(_LOCK_KEY, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
    service = services_of(app).broadcast
    async with lock:
        if app.running:
            async with stop_with(app) as stopping:
                report = await send_broadcast(service, app.bot, broadcast_id, stop=stopping)
        else:  # an application driven without start() (process_update alone): only the admin stops it
            report = await send_broadcast(service, app.bot, broadcast_id)
    if report_to is not None:
        view = await service.view(broadcast_id)
        if view is not None:
            try:
                await app.bot.send_message(
                    report_to, texts.broadcast_finished(view.sent, view.blocked, view.failed, report.stopped)
                )
            except TelegramError as exc:
                logger.warning("broadcast %s: the summary for admin %s was not sent: %s", broadcast_id, report_to, exc)
    return report


def start_in_app(app: App, broadcast_id: int, report_to: int | None = None) -> asyncio.Task[RoundReport | None]:
    """Run a broadcast in the background; Application.stop waits for it (it stops between two sends)."""
    name = f"broadcast-{broadcast_id}"
    if app.running:
        return app.create_task(run_in_app(app, broadcast_id, report_to), name=name)
    # Not started (updates fed to process_update alone): a task of our own, referenced until it ends.
    tasks = app.bot_data.setdefault(_TASKS_KEY, set())
    assert isinstance(tasks, set)
    task = asyncio.create_task(run_in_app(app, broadcast_id, report_to), name=name)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


async def resume_broadcasts(app: App) -> None:
    """post_init: go on with every broadcast that was being sent when the bot stopped."""
    for broadcast_id in await services_of(app).broadcast.sending():
        logger.info("resuming broadcast %s", broadcast_id)
        start_in_app(app, broadcast_id)


async def cancel_background(app: App) -> None:
    """post_shutdown of an application that was never started: end the broadcasts it ran in its own tasks.

    (A started one's Application.stop has waited for them already.) A send cut short stays `sending`: it counts
    as sent, as after a crash.
    """
    tasks = app.bot_data.get(_TASKS_KEY)
    if not tasks:
        return
    for task in list(tasks):
        task.cancel()
    await asyncio.gather(*list(tasks), return_exceptions=True)
