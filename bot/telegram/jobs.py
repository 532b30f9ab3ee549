"""The daily push on the Telegram side: a sender that turns Bot API outcomes into results, and the job.

The job runs every JOB_INTERVAL seconds on PTB's job queue, outside any update handler; its sends are bulk
traffic for the rate limiter, so replies overtake them. A round still running makes the next tick a no-op.
On shutdown (`Application.stop` clears `running`) the round stops between two sends, and a send still
waiting for its slot is given back, so JobQueue.stop, which waits for the job, returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from telegram import Bot
from telegram.ext import ContextTypes

from bot.domain.delivery import RoundReport, SendResult
from bot.services.goal import DailyNote
from bot.services.interview import QuestionView
from bot.services.push import Send
from bot.telegram.handlers.daily import daily_message
from bot.telegram.outcomes import send_bulk
from bot.telegram.ratelimit import Limiter
from bot.telegram.services import App, services_of

logger = logging.getLogger(__name__)

JOB_NAME = "daily-push"
JOB_INTERVAL = 60.0
STOP_POLL = 0.25


def make_sender(bot: Bot) -> Send:
    """A `send` for PushService: bulk traffic for the rate limiter, Bot API errors turned into outcomes."""

    async def send(chat_id: int, view: QuestionView | DailyNote) -> SendResult:
        text, markup = daily_message(view)
        return await send_bulk(bot, "daily question", chat_id, text, markup)

    return send


@contextlib.asynccontextmanager
async def stop_with(app: App) -> AsyncIterator[Callable[[], bool]]:
    """While the block runs, tell the rate limiter to give back bulk sends once the application stops."""

    async def watch() -> None:
        while app.running:  # noqa: ASYNC110 - Application.stop() sets no event, only this flag
            await asyncio.sleep(STOP_POLL)
        limiter = app.bot.rate_limiter
        if isinstance(limiter, Limiter):
            limiter.stop_bulk()

    watcher = asyncio.create_task(watch())
    try:
        yield lambda: not app.running
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def run_push_round(
    app: App, everyone: bool = False, stop: Callable[[], bool] = lambda: False
) -> RoundReport | None:
    """One push round with the application's bot; None if a round is already running."""
    found = services_of(app)
    if found.push_lock.locked():
        logger.info("previous push round still running; skipping this tick")
        return None
    async with found.push_lock:
        send = found.languages.speaking(make_sender(app.bot))
        return await found.push.run_round(send, everyone=everyone, stop=stop)


async def push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends today's question to every subscriber whose local time has come."""
    async with stop_with(context.application) as stopping:
        await run_push_round(context.application, stop=stopping)


def schedule_push(app: App) -> None:
    """Run the push every minute on the job queue (a warning if the job-queue extra is missing)."""
    if app.job_queue is None:
        logger.warning("no job queue (install python-telegram-bot[job-queue]); the daily push will not run")
        return
    if not app.job_queue.get_jobs_by_name(JOB_NAME):
        app.job_queue.run_repeating(push_job, interval=JOB_INTERVAL, first=5.0, name=JOB_NAME)
