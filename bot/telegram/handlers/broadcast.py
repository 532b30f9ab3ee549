"""/broadcast for admins (preview, confirm, stop), /news for everyone, and the opt-out button under a broadcast."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import texts
from bot.telegram import chat
from bot.telegram.broadcast import news_markup, start_in_app
from bot.telegram.callback import BroadcastAction, BroadcastCb, NewsOffCb
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services

logger = logging.getLogger(__name__)


def _admin(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    return user_id in services(context).settings.admin_ids


async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast TEXT: check it, show it as users will see it, and ask to confirm; /broadcast stop."""
    message, user = update.message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    if not _admin(context, user.id):
        await chat.send(context.bot, message.chat.id, texts.NOT_ADMIN)
        return
    svc = services(context).broadcast
    # The text after the command, as typed: HTML the admin wrote, checked before anything goes out.
    text = message.text.partition(" ")[2].strip() if " " in message.text.strip() else ""
    if not text:
        await chat.send(context.bot, message.chat.id, texts.BROADCAST_USAGE)
        return
    if text == "stop":
        stopped = await svc.stop()
        await chat.send(
            context.bot, message.chat.id, texts.BROADCAST_STOPPED if stopped else texts.BROADCAST_NONE_RUNNING
        )
        return
    draft = await svc.draft(text, user.id)
    if draft.broadcast_id is None:
        await chat.send(context.bot, message.chat.id, texts.broadcast_problems(draft.problems))
        return
    try:
        await chat.send(context.bot, message.chat.id, text, news_markup())
    except BadRequest as exc:  # Telegram refused what the check let through: say so, send nothing
        await svc.cancel(draft.broadcast_id)
        await chat.send(context.bot, message.chat.id, texts.broadcast_problems([exc.message]))
        return
    buttons = [
        InlineKeyboardButton(
            texts.BTN_BROADCAST_SEND, callback_data=BroadcastCb(BroadcastAction.SEND, draft.broadcast_id).pack()
        ),
        InlineKeyboardButton(
            texts.BTN_BROADCAST_CANCEL, callback_data=BroadcastCb(BroadcastAction.CANCEL, draft.broadcast_id).pack()
        ),
    ]
    await chat.send(
        context.bot, message.chat.id, texts.broadcast_confirm(draft.recipients), InlineKeyboardMarkup([buttons])
    )


async def _on_broadcast(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: BroadcastCb) -> None:
    if not _admin(context, query.from_user.id):
        await chat.answer(query, texts.NOT_ADMIN)
        return
    svc = services(context).broadcast
    where = chat.chat_of(query)
    await chat.answer(query)
    if data.action is BroadcastAction.CANCEL:
        done = await svc.cancel(data.broadcast_id)
        text = texts.BROADCAST_CANCELLED if done else texts.BROADCAST_GONE
    elif await svc.confirm(data.broadcast_id):
        view = await svc.view(data.broadcast_id)
        text = texts.broadcast_started(view.remaining if view else 0)
        start_in_app(context.application, data.broadcast_id, report_to=where)
    else:
        text = texts.BROADCAST_GONE
    if query.message is not None:
        await chat.edit(context.bot, where, query.message.message_id, text)
    else:
        await chat.send(context.bot, where, text)


async def news(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/news on|off: the bot's announcements."""
    message, user = update.message, update.effective_user
    if message is None or user is None:
        return
    svc = services(context).broadcast
    args = [a.lower() for a in (context.args or [])]
    if args in (["on"], ["off"]):
        await svc.set_news(user.id, args == ["on"])
        await chat.send(context.bot, message.chat.id, texts.NEWS_ON if args == ["on"] else texts.NEWS_OFF)
        return
    await chat.send(context.bot, message.chat.id, texts.news_usage(await svc.news(user.id)))


async def _on_news_off(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: NewsOffCb) -> None:
    await services(context).broadcast.set_news(query.from_user.id, False)
    await chat.answer(query, texts.NEWS_OFF_TAPPED)
    if query.message is not None:
        try:
            await context.bot.edit_message_reply_markup(chat.chat_of(query), query.message.message_id)
        except BadRequest as exc:  # the button is gone already: the setting is what matters
            logger.info("broadcast button of user %s not removed: %s", query.from_user.id, exc.message)


ROUTES: Routes = {BroadcastCb: _on_broadcast, NewsOffCb: _on_news_off}
