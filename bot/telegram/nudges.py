"""Streak nudges: once a minute, a message to each user whose nudge time has come and whose streak ends tonight.

Each nudge is recorded before it is sent, so a user gets at most one a day (a send that fails is not retried).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts_goal
from bot.telegram import chat
from bot.telegram.callback import SetStartCb
from bot.telegram.ratelimit import BulkStopped, bulk_traffic
from bot.telegram.services import App, services_of

logger = logging.getLogger(__name__)

JOB_NAME = "streak-nudges"
JOB_INTERVAL = 60.0


async def run_nudges(app: App) -> int:
    """Send the nudges due now; how many went out."""
    svc = services_of(app).goal
    sent = 0
    for nudge in await svc.due_nudges():
        if not await svc.claim_nudge(nudge):
            continue
        markup = None
        if nudge.left:
            start = InlineKeyboardButton(texts_goal.start_set_button(nudge.left), callback_data=SetStartCb().pack())
            markup = InlineKeyboardMarkup([[start]])
        try:
            with bulk_traffic():
                await chat.send(app.bot, nudge.chat_id, texts_goal.nudge(nudge.streak, nudge.left), markup)
        except BulkStopped:
            return sent  # shutting down; this one was recorded, so it is skipped today
        except TelegramError as exc:
            logger.warning("streak nudge to user %s failed: %s", nudge.user_id, exc)
            continue
        sent += 1
    return sent


async def nudge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job queue's tick."""
    await run_nudges(context.application)


def schedule_nudges(app: App) -> None:
    """Run the nudges every minute on the job queue (none without the job-queue extra)."""
    if app.job_queue is not None and not app.job_queue.get_jobs_by_name(JOB_NAME):
        app.job_queue.run_repeating(nudge_job, interval=JOB_INTERVAL, first=20.0, name=JOB_NAME)
