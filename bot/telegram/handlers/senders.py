"""Who sent an update: the user behind every private message or tap is created or refreshed, once, here,
and the language the update is answered in is set (services/languages.py): one hand-off to the database for
both. Updates from groups or from no user only get their language (handlers/language.py).

Registered as a TypeHandler in group -1, it runs before the handlers of group 0, so each of them may
rely on the user's row existing.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import i18n
from bot.telegram.chat import chat_id_of
from bot.telegram.handlers import language
from bot.telegram.services import services


async def remember_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Creates or refreshes the user of a private message or of a tap, then sets the update's language."""
    user = update.effective_user
    chat = update.effective_chat
    private = chat is None or chat.type == ChatType.PRIVATE  # the chat to push to is the private one
    if user is None or user.is_bot or not private or (update.message is None and update.callback_query is None):
        await language.resolve(update, context)
        return
    found = await services(context).languages.for_sender(
        user.id, chat_id_of(update), user.first_name or "", user.language_code
    )
    i18n.set_current(found)
