"""Plain text: a typed answer to an open question, or a hint when nothing waits for one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.domain.bank import McqQuestion
from bot.domain.interview import Mode
from bot.services.interview import Outcome
from bot.telegram import chat, render
from bot.telegram.handlers import interview, reports
from bot.telegram.services import services

MAX_ANSWER_CHARS = 4000


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Takes a typed answer, shows the model answer and asks for a self-grade."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    if await reports.take_comment(update, context, user.id, message.text):
        return
    svc = services(context).interview
    current = await svc.current(user.id)
    if current is not None and current.mode is Mode.INTERVIEW:
        if isinstance(current.question, McqQuestion):
            await chat.send(context.bot, message.chat_id, texts.TAP_AN_OPTION)
            return
        await interview.on_open_answer(
            context.application, message.chat_id, user.id, current, message.text[:MAX_ANSWER_CHARS]
        )
        return
    result = await svc.answer_open(user.id, message.text[:MAX_ANSWER_CHARS])
    if result is None:
        current = await svc.current(user.id)
        hint = (
            texts.TAP_AN_OPTION if current and isinstance(current.question, McqQuestion) else texts.NO_QUESTION_WAITING
        )
        await chat.send(context.bot, message.chat_id, hint)
        return
    if result.outcome is Outcome.DUPLICATE:
        await chat.send(context.bot, message.chat_id, texts.GRADE_FIRST)
    text, markup = render.model_answer(result.view, result.covered)
    await chat.send(context.bot, message.chat_id, text, markup)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers stickers, photos and the like with a hint."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    current = await services(context).interview.current(user.id)
    hint = texts.TAP_AN_OPTION if current and isinstance(current.question, McqQuestion) else texts.NO_QUESTION_WAITING
    await chat.send(context.bot, message.chat_id, hint)
