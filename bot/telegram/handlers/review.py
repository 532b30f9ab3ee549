"""/review: due cards on demand, and the buttons that start it."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import i18n, texts
from bot.domain import schedule
from bot.telegram import chat
from bot.telegram.callback import ReviewCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers.flow import ask
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import App, services_of


def review_button(label: str) -> InlineKeyboardButton:
    """A button that starts /review."""
    return InlineKeyboardButton(label, callback_data=ReviewCb().pack())


def more_due_markup(n: int) -> InlineKeyboardMarkup | None:
    """ "N more due" under a daily answer, when N > 0."""
    return InlineKeyboardMarkup([[review_button(texts.review_more(n))]]) if n > 0 else None


async def start_review(app: App, user_id: int, chat_id: int, origin: int | None = None) -> bool:
    """Start a review and ask its first question, or say when the next card is due; False if already started."""
    svc = services_of(app)
    started = await svc.review.start(user_id, origin)
    if started.already_started:
        if started.view is not None and started.view.message_id is None:
            await ask(app.bot, chat_id, svc.interview, started.view)
        return False
    if started.view is None:
        if started.next_due is None:
            await chat.send(app.bot, chat_id, texts.REVIEW_NONE)
        else:
            settings = await svc.push.settings(user_id)
            zone = schedule.zone(settings.timezone if settings else None, svc.push.default_zone).key
            when = i18n.format_datetime(started.next_due, zone)
            await chat.send(app.bot, chat_id, texts.review_next_due(when))
        return True
    await ask(app.bot, chat_id, svc.interview, started.view)
    return True


async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Asks the due cards now, most overdue first."""
    if update.effective_user is not None:
        await start_review(context.application, update.effective_user.id, chat.chat_id_of(update))


async def _on_review(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ReviewCb) -> None:
    user_id = query.from_user.id
    origin = query.message.message_id if query.message else None
    fresh = await start_review(context.application, user_id, chat_of(query), origin)
    await chat.answer(query, None if fresh else texts.CB_ALREADY_STARTED)


ROUTES: Routes = {ReviewCb: _on_review}
