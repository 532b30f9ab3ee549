"""Who sent an update and where to answer: registers the user on every command or tap that needs it."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.telegram.services import services


def chat_of(query: CallbackQuery) -> int:
    """The chat a tapped message lives in (the user's private chat if the message is too old to say)."""
    return query.message.chat.id if query.message else query.from_user.id


async def register_sender(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[int, int] | None:
    """Create or refresh the sender of a message; (user id, chat id), or None for updates without one."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return None
    await services(context).interview.register(user.id, message.chat_id, user.first_name or "")
    return user.id, message.chat_id


async def register_tapper(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Create or refresh the user who tapped; their id."""
    await services(context).interview.register(query.from_user.id, chat_of(query), query.from_user.first_name or "")
    return query.from_user.id
