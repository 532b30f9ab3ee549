"""The "what changed from Flask 2 to 3" drill: reached by `/start changes` and the button under /help."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot import texts
from bot.telegram import chat
from bot.telegram.callback import ChangesCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers.flow import ask
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import App, services_of


def help_markup() -> InlineKeyboardMarkup:
    """The buttons under /help."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BTN_CHANGES, callback_data=ChangesCb().pack())]])


async def start_drill(app: App, user_id: int, chat_id: int, origin: int | None = None) -> str | None:
    """Start the drill and ask its first question; what to answer a tap on a button that already started one."""
    svc = services_of(app).interview
    started = await svc.start_drill(user_id, origin)
    if started.already_started:
        if started.view is None:
            return texts.CB_CHANGES_USED
        if started.view.message_id is None:
            await ask(app.bot, chat_id, svc, started.view)
        return texts.CB_ALREADY_STARTED
    if started.view is None:
        await chat.send(app.bot, chat_id, texts.CHANGES_EMPTY)
        return None
    await chat.send(app.bot, chat_id, texts.changes_intro(started.view.size))
    await ask(app.bot, chat_id, svc, started.view)
    return None


async def _on_changes(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ChangesCb) -> None:
    origin = query.message.message_id if query.message else None
    await chat.answer(query, await start_drill(context.application, query.from_user.id, chat_of(query), origin))


ROUTES: Routes = {ChangesCb: _on_changes}
