"""Sending, editing and answering on behalf of handlers, with retries and Telegram's quirks handled."""

from __future__ import annotations

import logging

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, TelegramError

from bot.telegram.delivery import is_gone, is_not_modified, with_retries

logger = logging.getLogger(__name__)


async def send(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Send an HTML message, retrying passing failures."""
    return await with_retries(lambda: bot.send_message(chat_id, text, reply_markup=markup), "sendMessage")


async def edit(bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """Edit a message's text (dropping its keyboard unless one is given); True if it shows the text now."""
    try:
        await with_retries(
            lambda: bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup),
            "editMessageText",
        )
    except BadRequest as exc:
        if is_not_modified(exc):
            return True
        if is_gone(exc):
            logger.info("message %s in chat %s is gone; not edited", message_id, chat_id)
            return False
        raise
    return True


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a callback query; an old or already answered query is not worth an error."""
    try:
        await with_retries(lambda: query.answer(text), "answerCallbackQuery", attempts=2)
    except TelegramError as exc:
        logger.info("callback query %s not answered: %s", query.id, exc)
