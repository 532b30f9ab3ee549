"""Slash commands: /start, /help, /quiz, /interview, /cancel, /stats_admin and unknown ones."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.domain import deeplink
from bot.domain.bank import Level
from bot.domain.interview import Mode
from bot.telegram import chat, render
from bot.telegram.handlers import changes as changes_flow
from bot.telegram.handlers import interview as interview_flow
from bot.telegram.handlers import review as review_flow
from bot.telegram.handlers.flow import ask
from bot.telegram.services import App, services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greets the user and offers the level picker for a quiz."""
    user = update.effective_user
    if user is None:
        return
    link = deeplink.parse(context.args[0]) if context.args and len(context.args) == 1 else None
    if link is not None:
        await _follow(update, context, link, user.id, chat.chat_id_of(update))
        return
    await chat.send(
        context.bot, chat.chat_id_of(update), texts.greeting(user.first_name or "there"), render.level_picker(Mode.QUIZ)
    )


async def _follow(
    update: Update, context: ContextTypes.DEFAULT_TYPE, link: deeplink.DeepLink, user_id: int, chat_id: int
) -> None:
    """Start what a deep link asks for."""
    if link.kind == "review":
        await review_flow.start_review(context.application, user_id, chat_id)
        return
    if link.kind == "changes":
        await changes_flow.start_drill(context.application, user_id, chat_id)
        return
    if link.kind == "interview":
        await _begin(update, context, Mode.INTERVIEW)
        return
    svc = services(context).interview
    if await svc.open_session(user_id) is not None:
        await _begin(update, context, Mode.QUIZ)
        return
    if link.level is not None:
        started = await svc.start(user_id, Mode.QUIZ, link.level)
    else:
        preferred = await svc.preferred_level(user_id)
        levels = sorted(Level, key=lambda lv: lv is not preferred)
        for level in levels:
            started = await svc.start(user_id, Mode.QUIZ, level, topics=[link.topic or ""])
            if started.view is not None:
                break
    if started.view is None:
        await chat.send(context.bot, chat_id, texts.EMPTY_LEVEL)
        return
    await ask(context.bot, chat_id, svc, started.view)


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists the commands, with a button for the Flask 2 → 3 drill."""
    if update.effective_chat:
        await chat.send(context.bot, update.effective_chat.id, texts.help_text(), changes_flow.help_markup())


async def _begin(update: Update, context: ContextTypes.DEFAULT_TYPE, mode: Mode) -> None:
    if update.effective_user is None:
        return
    chat_id = chat.chat_id_of(update)
    svc = services(context).interview
    session = await svc.open_session(update.effective_user.id)
    if session is not None:
        text = texts.RESUME_OR_RESTART.format(
            mode=texts.MODE_NAMES[session.mode.value], pos=session.position + 1, size=session.size
        )
        await chat.send(context.bot, chat_id, text, render.resume_or_restart(session.session_id, mode))
        return
    await picker(context.application, chat_id, mode)


async def picker(app: App, chat_id: int, mode: Mode) -> None:
    """The interview's intro and picker, or the quiz's level picker."""
    if mode is Mode.INTERVIEW:
        await interview_flow.begin(app, chat_id)
    else:
        await chat.send(app.bot, chat_id, texts.PICK_LEVEL[mode.value], render.level_picker(mode))


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
    if await services(context).reports.skip_comment(update.effective_user.id):
        await chat.send(context.bot, chat.chat_id_of(update), texts.REPORT_COMMENT_SKIPPED)
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
