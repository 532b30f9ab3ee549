"""Plain text: a typed answer to an open question, or a hint when nothing waits for one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.domain.interview import Mode
from bot.services.interview import Outcome
from bot.telegram import chat, render
from bot.telegram.handlers import interview, reports
from bot.telegram.handlers.flow import stored_grade
from bot.telegram.services import App, services, services_of

MAX_ANSWER_CHARS = 4000


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Takes a typed answer, shows what the grader found and asks for a self-grade."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    if await reports.take_comment(update, context, user.id, message.text):
        return
    await take_answer(context.application, message.chat_id, user.id, message.text[:MAX_ANSWER_CHARS])


async def take_answer(app: App, chat_id: int, user_id: int, text: str) -> None:
    """An answer to the waiting open question (typed, or a voice message's transcript)."""
    svc = services_of(app)
    current = await svc.interview.current(user_id)
    if current is not None and current.mode is Mode.INTERVIEW:
        if isinstance(current.question, McqQuestion):
            await chat.send(app.bot, chat_id, texts.TAP_AN_OPTION)
            return
        await interview.on_open_answer(app, chat_id, user_id, current, text)
        return
    result = await svc.interview.answer_open(user_id, text)
    if result is None:
        current = await svc.interview.current(user_id)
        hint = (
            texts.TAP_AN_OPTION if current and isinstance(current.question, McqQuestion) else texts.NO_QUESTION_WAITING
        )
        await chat.send(app.bot, chat_id, hint)
        return
    view = result.view
    question = view.question
    assert isinstance(question, OpenQuestion)
    if result.outcome is Outcome.DUPLICATE:
        await chat.send(app.bot, chat_id, texts.GRADE_FIRST)
        body, markup = render.model_answer(view, await stored_grade(svc.interview, svc.grading, view))
        await chat.send(app.bot, chat_id, body, markup)
        return
    if not svc.grading.uses_llm:
        grade = await svc.grading.grade_answer(view.session_id, view.position, question, text, user_id)
        body, markup = render.model_answer(view, grade)
        await chat.send(app.bot, chat_id, body, markup)
        return
    # An LLM may take seconds: say so at once, then edit the message into the grade.
    pending = await chat.send(app.bot, chat_id, texts.GRADING_PENDING)
    grade = await svc.grading.grade_answer(view.session_id, view.position, question, text, user_id)
    body, markup = render.model_answer(view, grade)
    await chat.edit(app.bot, chat_id, pending.message_id, body, markup)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers stickers, photos and the like with a hint."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    current = await services(context).interview.current(user.id)
    hint = texts.TAP_AN_OPTION if current and isinstance(current.question, McqQuestion) else texts.NO_QUESTION_WAITING
    await chat.send(context.bot, message.chat_id, hint)
