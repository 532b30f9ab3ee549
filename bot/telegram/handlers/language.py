"""/language: the interface language of a user (private chat) or of a group (its admins); and each update's.

The TypeHandler of group -1 (handlers/senders.py) sets each update's language before every other handler (for a
group's update through `resolve` here), so the rest of the update is rendered in it (bot/i18n.py) and no
handler has to pass it around.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import i18n, texts
from bot.i18n import Language
from bot.telegram import chat
from bot.telegram.callback import LanguageCb
from bot.telegram.handlers.groups import is_admin
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services

_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


async def resolve(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Serve an update that registers no user (a group's, say) in its language: the user's choice, the group's,
    Telegram's code, else English. Private updates get theirs as their user is registered (handlers/senders.py).
    """
    user, where = update.effective_user, update.effective_chat
    group_id = where.id if where is not None and where.type in _GROUPS else None
    if user is None and group_id is None:
        i18n.set_current(i18n.DEFAULT)
        return
    language = await services(context).languages.for_update(
        user.id if user is not None else None,
        user.language_code if user is not None else None,
        group_id,
    )
    i18n.set_current(language)


def keyboard() -> InlineKeyboardMarkup:
    """One button per language, each in its own name."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(i18n.NATIVE_NAMES[lang.value], callback_data=LanguageCb(lang).pack())
                for lang in Language
            ]
        ]
    )


def _parse(args: list[str]) -> str | None:
    return i18n.normalise(args[0]) if len(args) == 1 else None


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language shows the language and the keyboard; /language en|ru switches at once."""
    user, where = update.effective_user, update.effective_chat
    if user is None or where is None:
        return
    args = context.args or []
    if not args:
        status = texts.language_status(i18n.NATIVE_NAMES[i18n.current()])
        await chat.send(context.bot, where.id, status, keyboard())
        return
    chosen = _parse(args)
    if chosen is None:
        await chat.send(context.bot, where.id, texts.LANGUAGE_UNKNOWN)
        return
    await services(context).languages.choose(user.id, where.id, chosen)
    i18n.set_current(chosen)
    await chat.send(context.bot, where.id, texts.LANGUAGE_SET)


async def on_language_button(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: LanguageCb) -> None:
    """A tap on the /language keyboard."""
    await services(context).languages.choose(query.from_user.id, chat.chat_of(query), data.language.value)
    i18n.set_current(data.language.value)
    await chat.answer(query)
    if query.message is not None:
        await chat.edit(context.bot, query.message.chat.id, query.message.message_id, texts.LANGUAGE_SET)


async def group_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language in a group: shows the group's language; an admin's /language en|ru sets it."""
    where = update.effective_chat
    if where is None or where.type not in _GROUPS:
        return
    args = context.args or []
    if not args:
        await chat.send(context.bot, where.id, texts.language_status(i18n.NATIVE_NAMES[i18n.current()]))
        return
    if not await is_admin(update, context):
        await chat.send(context.bot, where.id, texts.GROUP_ADMINS_ONLY)
        return
    chosen = _parse(args)
    if chosen is None:
        await chat.send(context.bot, where.id, texts.LANGUAGE_UNKNOWN)
        return
    found = services(context)
    await found.groups.settings.get(where.id, where.title or "")  # creates the group's row if it is new
    await found.languages.choose_for_group(where.id, chosen)
    i18n.set_current(chosen)
    await chat.send(context.bot, where.id, texts.GROUP_LANGUAGE_SET)


ROUTES: Routes = {LanguageCb: on_language_button}
