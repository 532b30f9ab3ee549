"""Who sent an update: the user behind every private message or tap is created or refreshed, once, here,
and the language the update is answered in is resolved (handlers/language.py).

Registered as a TypeHandler in group -1, it runs before the handlers of group 0, so each of them may
rely on the user's row existing.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.telegram.chat import chat_id_of
from bot.telegram.handlers import language
from bot.telegram.services import services


async def remember_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Creates or refreshes the user of a private message or of a tap, then sets the update's language."""
    await language.resolve(update, context, await _register(update, context))


async def _register(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Creates or refreshes the user of a private message or of a tap; the chat to reach them in, if so."""
    user = update.effective_user
    if user is None or user.is_bot or (update.message is None and update.callback_query is None):
        return None
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        return None  # The chat to push to is the private one; a group says nothing about it.
    chat_id = chat_id_of(update)
    await services(context).interview.register(user.id, chat_id, user.first_name or "")
    return chat_id
