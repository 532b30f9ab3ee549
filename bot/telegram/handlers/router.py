"""Every button tap enters here: decoded by the callback codec, then routed by payload type."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import texts
from bot.telegram import chat
from bot.telegram.callback import CallbackError, unpack
from bot.telegram.handlers import (
    broadcast,
    changes,
    daily,
    goal,
    interview,
    language,
    progress,
    reports,
    review,
    session_buttons,
)
from bot.telegram.handlers.routes import Routes

logger = logging.getLogger(__name__)

ROUTES: Routes = {
    **session_buttons.ROUTES,
    **daily.ROUTES,
    **progress.ROUTES,
    **interview.ROUTES,
    **review.ROUTES,
    **goal.ROUTES,
    **reports.ROUTES,
    **broadcast.ROUTES,
    **language.ROUTES,
    **changes.ROUTES,
}


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Decodes a tap and hands it to its handler; forged, stale-format or unknown data gets a polite answer."""
    query = update.callback_query
    if query is None:
        return
    try:
        data = unpack(query.data)
    except CallbackError as exc:
        logger.info("rejected callback data from user %s: %s", query.from_user.id, exc)
        await chat.answer(query, texts.CB_INVALID)
        return
    route = ROUTES.get(type(data))
    message = query.message
    if message is not None and message.chat.type != ChatType.PRIVATE:
        # Every keyboard the bot sends is in a private chat (groups get polls): a tap from a group is forged.
        route = None
    if route is None:
        await chat.answer(query, texts.CB_INVALID)
        return
    await route(query, context, data)
