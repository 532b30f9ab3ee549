"""Plain text: a typed answer to an open question, or a hint when nothing waits for one."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.domain.interview import Mode
from bot.services.interview import Outcome
from bot.services.transcribe import TranscriptionFailed, fits
from bot.telegram import chat, render
from bot.telegram.handlers import interview, reports
from bot.telegram.handlers.flow import stored_grade
from bot.telegram.services import App, services, services_of

logger = logging.getLogger(__name__)

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


async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice answer to the waiting open question: transcribed (audio kept in memory only), then graded as text."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.voice is None:
        return
    svc = services(context)
    current = await svc.interview.current(user.id)
    if current is None or isinstance(current.question, McqQuestion):
        await on_other(update, context)
        return
    if current.mode is not Mode.INTERVIEW and await svc.interview.awaiting_grade(current):
        await chat.send(context.bot, message.chat_id, texts.GRADE_FIRST)
        return
    transcriber = svc.transcriber
    voice = message.voice
    # Read as sent: PTB's `duration` accessor warns until it becomes a timedelta for good.
    seconds = float(voice.to_dict().get("duration", 0))
    if transcriber is None:
        await chat.send(context.bot, message.chat_id, texts.VOICE_NEEDS_TEXT)
        return
    if not fits(seconds, voice.file_size):
        await chat.send(context.bot, message.chat_id, texts.VOICE_TOO_LONG)
        return
    if not await transcriber.allowed(user.id):
        await chat.send(context.bot, message.chat_id, texts.VOICE_OVER_QUOTA)
        return
    try:
        found = await context.bot.get_file(voice.file_id)
        audio = bytes(await found.download_as_bytearray())
    except TelegramError as exc:
        logger.warning("could not download a voice message: %s", exc)
        await chat.send(context.bot, message.chat_id, texts.VOICE_NOT_HEARD)
        return
    if not fits(seconds, len(audio)):
        await chat.send(context.bot, message.chat_id, texts.VOICE_TOO_LONG)
        return
    try:
        transcript = await transcriber.transcribe(audio)
    except TranscriptionFailed as exc:
        logger.warning("voice transcription failed: %s", exc)
        await chat.send(context.bot, message.chat_id, texts.VOICE_NOT_HEARD)
        return
    finally:
        del audio  # the audio is never stored: it goes out of scope here
    transcript = transcript[:MAX_ANSWER_CHARS]
    await chat.send(context.bot, message.chat_id, texts.voice_heard(transcript))
    await take_answer(context.application, message.chat_id, user.id, transcript)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers stickers, photos and the like with a hint."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    current = await services(context).interview.current(user.id)
    hint = texts.TAP_AN_OPTION if current and isinstance(current.question, McqQuestion) else texts.NO_QUESTION_WAITING
    await chat.send(context.bot, message.chat_id, hint)
