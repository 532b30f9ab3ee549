"""The daily push on the Telegram side: a sender that turns Bot API errors into outcomes, and the job.

The job runs every JOB_INTERVAL seconds on PTB's job queue, outside any update handler, so interactive
replies keep flowing while a round paces its sends; a round still running makes the next tick a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.services.interview import QuestionView
from bot.services.push import RoundReport, Send, SendResult, SendStatus, Sleep
from bot.telegram.handlers.daily import daily_message
from bot.telegram.services import services_of

logger = logging.getLogger(__name__)

JOB_NAME = "daily-push"
JOB_INTERVAL = 60.0
FLOOD_WAITS = 5
NETWORK_ATTEMPTS = 3
BASE_DELAY = 1.0
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


def _seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def make_sender(bot: Bot, sleep: Sleep) -> Send:
    """A `send` for PushService: flood waits honoured, blocked chats reported, network errors retried a little."""

    async def send(chat_id: int, view: QuestionView) -> SendResult:
        text, markup = daily_message(view)
        floods = failures = 0
        while True:
            try:
                message = await bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
                return SendResult(SendStatus.SENT, message.message_id)
            except RetryAfter as exc:
                floods += 1
                if floods > FLOOD_WAITS:
                    logger.warning("chat %s: still flood-limited after %d waits", chat_id, FLOOD_WAITS)
                    return SendResult(SendStatus.FAILED)
                logger.info("flood wait %.1fs before retrying chat %s", _seconds(exc.retry_after), chat_id)
                await sleep(_seconds(exc.retry_after))
            except Forbidden as exc:
                logger.info("chat %s refuses messages (%s); unsubscribing", chat_id, exc.message)
                return SendResult(SendStatus.BLOCKED)
            except BadRequest as exc:
                if any(marker in exc.message.lower() for marker in _GONE):
                    logger.info("chat %s is gone (%s); unsubscribing", chat_id, exc.message)
                    return SendResult(SendStatus.BLOCKED)
                logger.warning("daily question to chat %s rejected: %s", chat_id, exc.message)
                return SendResult(SendStatus.FAILED)
            except NetworkError as exc:
                failures += 1
                if failures >= NETWORK_ATTEMPTS:
                    logger.warning("chat %s: %s after %d attempts; next round retries", chat_id, exc, failures)
                    return SendResult(SendStatus.FAILED)
                await sleep(BASE_DELAY * 2 ** (failures - 1))
            except TelegramError as exc:
                logger.warning("daily question to chat %s failed: %s", chat_id, exc)
                return SendResult(SendStatus.FAILED)

    return send


async def run_push_round(app: Application, everyone: bool = False) -> RoundReport | None:  # type: ignore[type-arg]
    """One push round with the application's bot; None if a round is already running."""
    found = services_of(app)
    if found.push_lock.locked():
        logger.info("previous push round still running; skipping this tick")
        return None
    async with found.push_lock:
        return await found.push.run_round(make_sender(app.bot, found.push.sleep), everyone=everyone)


async def push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends today's question to every subscriber whose local time has come."""
    await run_push_round(context.application)


def schedule_push(app: Application) -> None:  # type: ignore[type-arg]
    """Run the push every minute on the job queue (a warning if the job-queue extra is missing)."""
    if app.job_queue is None:
        logger.warning("no job queue (install python-telegram-bot[job-queue]); the daily push will not run")
        return
    if not app.job_queue.get_jobs_by_name(JOB_NAME):
        app.job_queue.run_repeating(push_job, interval=JOB_INTERVAL, first=5.0, name=JOB_NAME)
