"""Sending, editing and answering on behalf of handlers, with Telegram's quirks handled.

Rate limits, flood waits and retries happen below, in the bot's rate limiter (`ratelimit.Limiter`).
"""

from __future__ import annotations

import logging

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.telegram.delivery import is_gone, is_not_modified

logger = logging.getLogger(__name__)


def chat_id_of(update: Update) -> int:
    """The chat to answer an update in: where it happened, else the user's private chat."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    assert update.effective_user is not None, "updates the handlers take have a chat or a user"
    return update.effective_user.id


def chat_of(query: CallbackQuery) -> int:
    """The chat a tapped message lives in (the user's private chat if the message is too old to say)."""
    return query.message.chat.id if query.message else query.from_user.id


async def send(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Send an HTML message."""
    return await bot.send_message(chat_id, text, reply_markup=markup)


async def edit(bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """Edit a message's text (dropping its keyboard unless one is given); True if it shows the text now."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
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
        await query.answer(text)
    except TelegramError as exc:
        logger.info("callback query %s not answered: %s", query.id, exc)
