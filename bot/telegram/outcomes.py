"""The one mapper from a failed Bot API send to a delivery outcome, for private chats and groups alike."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.domain.delivery import Outcome, SendResult
from bot.telegram.delivery import may_have_arrived
from bot.telegram.ratelimit import BulkStopped, bulk_traffic

logger = logging.getLogger(__name__)

# Descriptions of a 400 that mean the chat will never take a message from the bot: unsubscribe it.
GONE = (
    "chat not found",
    "user is deactivated",
    "bot was blocked",
    "bot was kicked",
    "not a member",
    "group chat was deactivated",
    "peer_id_invalid",
)


def outcome_of(exc: Exception) -> SendResult:
    """How a send that raised `exc` ended: released (shutdown), blocked, moved, maybe sent, or failed."""
    if isinstance(exc, BulkStopped):
        return SendResult(Outcome.RELEASED)
    if isinstance(exc, ChatMigrated):
        return SendResult(Outcome.MOVED, moved_to=exc.new_chat_id)
    if isinstance(exc, Forbidden):
        return SendResult(Outcome.BLOCKED)
    if isinstance(exc, BadRequest):
        gone = any(marker in exc.message.lower() for marker in GONE)
        return SendResult(Outcome.BLOCKED if gone else Outcome.FAILED)
    if isinstance(exc, TelegramError):
        return SendResult(Outcome.UNCERTAIN if may_have_arrived(exc) else Outcome.FAILED)
    raise exc


def log_outcome(what: str, chat_id: int, exc: Exception, result: SendResult) -> None:
    """One log line per failed send, saying what happens next."""
    if result.outcome is Outcome.BLOCKED:
        logger.info("chat %s refuses the bot (%s); unsubscribing", chat_id, exc)
    elif result.outcome is Outcome.UNCERTAIN:
        logger.warning("%s to chat %s may have arrived (%s); not sending it again", what, chat_id, exc)
    elif result.outcome is Outcome.MOVED:
        logger.info("group %s moved to %s", chat_id, result.moved_to)
    elif result.outcome is Outcome.FAILED:
        logger.warning("%s to chat %s failed: %s; a later round retries", what, chat_id, exc)


async def send_bulk(bot: Bot, what: str, chat_id: int, html: str, markup: InlineKeyboardMarkup | None) -> SendResult:
    """One message of a delivery round (push, announcement): bulk traffic, its outcome by the one mapper.

    Parse mode and link previews are explicit, not Defaults: the CLI commands build their bot without them.
    """
    try:
        with bulk_traffic():
            message = await bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
    except (TelegramError, BulkStopped) as exc:
        result = outcome_of(exc)
        log_outcome(what, chat_id, exc, result)
        return result
    return SendResult(Outcome.SENT, message.message_id)
