"""Slash commands: /start, /help, /quiz, /interview, /cancel, /stats_admin and unknown ones."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.domain.interview import Mode
from bot.telegram import chat, render
from bot.telegram.services import services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greets the user and offers the level picker for a quiz."""
    user = update.effective_user
    if user is None:
        return
    await chat.send(
        context.bot, chat.chat_id_of(update), texts.greeting(user.first_name or "there"), render.level_picker(Mode.QUIZ)
    )


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists the commands."""
    if update.effective_chat:
        await chat.send(context.bot, update.effective_chat.id, texts.HELP)


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE, mode: Mode) -> None:
    if update.effective_user is None:
        return
    chat_id = chat.chat_id_of(update)
    svc = services(context).interview
    session = await svc.open_session(update.effective_user.id)
    if session is not None:
        text = texts.RESUME_OR_RESTART.format(
            mode=texts.MODE_NAMES[session.mode], pos=session.position + 1, size=session.size
        )
        await chat.send(context.bot, chat_id, text, render.resume_or_restart(session.session_id, mode))
        return
    await chat.send(context.bot, chat_id, texts.PICK_LEVEL[mode.value], render.level_picker(mode))


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Starts a quiz: level picker, or resume / start over if a session is open."""
    await _begin(update, context, Mode.QUIZ)


async def interview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Starts a mock interview: level picker, or resume / start over if a session is open."""
    await _begin(update, context, Mode.INTERVIEW)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ends the open session."""
    if update.effective_user is None:
        return
    ended = await services(context).interview.cancel(update.effective_user.id)
    await chat.send(context.bot, chat.chat_id_of(update), texts.CANCELLED if ended else texts.NOTHING_TO_CANCEL)


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a command the bot does not know."""
    if update.effective_chat:
        await chat.send(context.bot, update.effective_chat.id, texts.UNKNOWN_COMMAND)


async def admin_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows operators how many users, sessions and answers the bot holds."""
    user, tg_chat = update.effective_user, update.effective_chat
    if user is None or tg_chat is None:
        return
    svc = services(context)
    if user.id not in svc.settings.admin_ids:
        await chat.send(context.bot, tg_chat.id, texts.NOT_ADMIN)
        return
    users, sessions, answers = await svc.interview.totals()
    await chat.send(context.bot, tg_chat.id, texts.admin_stats(users, sessions, answers))
