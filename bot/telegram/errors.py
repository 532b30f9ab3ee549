"""The one error handler: log with update and user ids (or the job), tell the user, answer a pending tap."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.telegram.observe import metrics_of
from bot.telegram.startup import PollingErrors

logger = logging.getLogger(__name__)

_POLLING_ERRORS = "polling_errors"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the failure with its traceback and tells the user something went wrong."""
    metrics = metrics_of(context.application)
    kind = error_kind(update, context)
    if metrics is not None:
        metrics.on_error(kind)
    if not isinstance(update, Update):
        error = context.error
        if context.job is not None:
            # PTB reports a job's failure with no update, as it does a poller's: tell them apart first.
            if isinstance(error, TelegramError):
                logger.warning("job %s failed: Bot API call failed: %s", context.job.name, error)
            else:
                logger.error("job %s failed", context.job.name, exc_info=error)
            return
        if isinstance(error, TelegramError):
            # run_polling hands getUpdates failures here; PTB retries them with backoff, so one line each.
            polling_errors = context.bot_data.setdefault(_POLLING_ERRORS, PollingErrors())
            polling_errors(error)
            return
        logger.error("error outside an update", exc_info=error)
        return
    user_id = update.effective_user.id if update.effective_user else None
    if isinstance(context.error, Forbidden):
        # The user blocked the bot (or left the chat): expected, and there is nobody to tell.
        logger.info("update %s: user %s cannot be reached: %s", update.update_id, user_id, context.error)
        return
    if isinstance(context.error, (NetworkError, RetryAfter)) and not isinstance(context.error, BadRequest):
        # The rate limiter already retried what could be; a reply that may have arrived is not repeated, and
        # an apology would be the next casualty of the same outage.
        logger.warning("update %s from user %s: Bot API call failed: %s", update.update_id, user_id, context.error)
        return
    logger.error("update %s from user %s failed", update.update_id, user_id, exc_info=context.error)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR)
        elif update.effective_chat is not None and update.effective_message is not None:
            await context.bot.send_message(update.effective_chat.id, texts.ERROR)
    except TelegramError as exc:
        logger.warning("could not tell user %s about the error: %s", user_id, exc)


def error_kind(update: object, context: ContextTypes.DEFAULT_TYPE) -> str:
    """A bounded label for a failure: where it happened and whether the Bot API or our code failed."""
    error = context.error
    api = isinstance(error, TelegramError)
    if not isinstance(update, Update):
        if context.job is not None:
            return "job_bot_api" if api else "job"
        return "polling" if api else "outside_update"
    if isinstance(error, Forbidden):
        return "user_unreachable"
    if isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, BadRequest):
        return "bot_api"
    return "bad_request" if isinstance(error, BadRequest) else "handler"
