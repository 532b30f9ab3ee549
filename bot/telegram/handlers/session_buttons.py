"""Buttons of a quiz or interview: answers, self-grades, level picks, resume and start over."""

from __future__ import annotations

import asyncio

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot import texts
from bot.domain.interview import Mode
from bot.domain.mock_interview import StartPick
from bot.services.interview import InterviewService, OpenSession, Outcome, QuestionView
from bot.telegram import chat, render
from bot.telegram.callback import AnswerCb, GradeCb, LevelCb, ResumeCb, StartOverCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers import interview as interview_flow
from bot.telegram.handlers import review as review_flow
from bot.telegram.handlers.commands import picker
from bot.telegram.handlers.flow import ask, follow_up, resume, stored_grade
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services


async def _on_answer(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: AnswerCb) -> None:
    svc = services(context).interview
    res = await svc.answer_mcq(query.from_user.id, data.session_id, data.position, data.option)
    if res.outcome not in (Outcome.RECORDED, Outcome.DUPLICATE):
        await chat.answer(query, render.outcome_text(res.outcome))
        return
    assert res.view is not None and res.chosen is not None and res.correct is not None
    toast = (
        render.outcome_text(Outcome.DUPLICATE)
        if res.outcome is Outcome.DUPLICATE
        else texts.CB_RECORDED_RIGHT
        if res.correct
        else texts.CB_RECORDED_WRONG
    )
    chat_id = chat_of(query)
    shown = res.view.result_shown or query.message is None
    # Ask the next question (or send the score) before the edit takes the buttons away: if the process
    # dies in between, the buttons are still there and a second tap mends what is missing. Until the
    # result is shown, the score may not have been sent either. The tap's answer goes out alongside:
    # it never depends on the send, and overlapping the two saves a round trip per answer.
    _, asked = await asyncio.gather(
        chat.answer(query, toast),
        follow_up(
            context.bot,
            chat_id,
            svc,
            res.view,
            res.next,
            res.summary,
            first_time=res.outcome is Outcome.RECORDED or (res.next is None and not shown),
            remember=False,
        ),
    )
    edited = False
    try:
        edited = (
            not shown
            and query.message is not None
            and await chat.edit(
                context.bot,
                chat_id,
                query.message.message_id,
                render.mcq_result(res.view, res.chosen, res.correct),
                await _result_keyboard(context, query.from_user.id, res.view),
            )
        )
    finally:
        # The next question's message and the shown result are stored together: one write per answer, not
        # two. Until it lands, a second tap re-sends a question whose id is missing and edits again.
        await svc.answer_shown(res.view if edited else None, res.next, asked)


async def _result_keyboard(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, view: QuestionView
) -> InlineKeyboardMarkup:
    """Report under every result; a daily answer also offers the other due cards."""
    extra = None
    if view.mode is Mode.DAILY:
        due = await services(context).review.due_count(user_id)
        if due > 0:
            extra = [review_flow.review_button(texts.review_more(due))]
    return render.result_keyboard(view, extra)


async def _on_grade(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: GradeCb) -> None:
    svc = services(context).interview
    res = await svc.grade_open(query.from_user.id, data.session_id, data.position, data.grade)
    await chat.answer(query, texts.CB_GRADED if res.outcome is Outcome.RECORDED else render.outcome_text(res.outcome))
    if res.outcome not in (Outcome.RECORDED, Outcome.DUPLICATE) or res.view is None or res.grade is None:
        return
    message = query.message
    chat_id = chat_of(query)
    if res.outcome is Outcome.RECORDED and message is not None:
        grade = await stored_grade(svc, services(context).grading, res.view)
        text, _ = render.model_answer(res.view, grade)
        await chat.edit(
            context.bot,
            chat_id,
            message.message_id,
            render.graded(text, res.grade),
            await _result_keyboard(context, query.from_user.id, res.view),
        )
    await follow_up(
        context.bot, chat_id, svc, res.view, res.next, res.summary, first_time=res.outcome is Outcome.RECORDED
    )


async def _on_level(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: LevelCb) -> None:
    if data.mode is Mode.INTERVIEW:
        # A picker sent before interviews became adaptive: start the adaptive one.
        await interview_flow.start_from_pick(query, context, StartPick(data.level.value))
        return
    svc = services(context).interview
    message = query.message
    chat_id = chat_of(query)
    user_id = query.from_user.id
    origin = message.message_id if message else None
    started = await svc.start(user_id, data.mode, data.level, origin_message_id=origin)
    if started.view is None:
        await chat.answer(query, texts.EMPTY_LEVEL if not started.already_started else texts.CB_STALE)
        return
    await chat.answer(query, texts.CB_ALREADY_STARTED if started.already_started else None)
    if started.already_started:
        if started.view.message_id is None:
            await ask(context.bot, chat_id, svc, started.view)
        return
    if message is not None:
        label = texts.LEVEL_LABELS[data.level.value]
        await chat.edit(context.bot, chat_id, message.message_id, f"{texts.PICK_LEVEL[data.mode.value]} {label}")
    await ask(context.bot, chat_id, svc, started.view)


async def _still_open(query: CallbackQuery, svc: InterviewService, session_id: int) -> OpenSession | None:
    """The tapper's open session if the button is about it; otherwise say the button is stale."""
    session = await svc.open_session(query.from_user.id)
    if session is None or session.session_id != session_id:
        await chat.answer(query, texts.CB_STALE)
        return None
    await chat.answer(query)
    return session


async def _on_resume(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ResumeCb) -> None:
    svc = services(context).interview
    session = await _still_open(query, svc, data.session_id)
    if session is None:
        return
    view = await svc.current(query.from_user.id)
    chat_id = chat_of(query)
    if view is None:
        # The bank no longer has the question this session stopped at: offer a fresh start.
        await svc.cancel(query.from_user.id)
        await picker(context.application, chat_id, session.mode)
        return
    if view.mode is Mode.INTERVIEW:
        await interview_flow.ask(context.application, chat_id, view)
        return
    await resume(context.bot, chat_id, svc, services(context).grading, view)


async def _on_start_over(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: StartOverCb) -> None:
    svc = services(context).interview
    if await _still_open(query, svc, data.session_id) is None:
        return
    await svc.cancel(query.from_user.id)
    await picker(context.application, chat_of(query), Mode(data.mode))


ROUTES: Routes = {
    AnswerCb: _on_answer,
    GradeCb: _on_grade,
    LevelCb: _on_level,
    ResumeCb: _on_resume,
    StartOverCb: _on_start_over,
}
