"""The adaptive mock interview in chat: intro and picker, timed questions, timeouts, debrief and report."""

from __future__ import annotations

import logging
import math

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.ext import ContextTypes

from bot import i18n, texts
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.domain.grading import SelfGrade
from bot.domain.markup import to_html
from bot.domain.mock_interview import INTERVIEW_QUESTIONS, OPEN_POSITIONS, InterviewReport, StartPick
from bot.domain.progress import topics_mask
from bot.services.interview import Outcome, QuestionView
from bot.services.mock_interview import DebriefPage, MockInterviewService, Step
from bot.telegram import chat, render, results
from bot.telegram.callback import (
    DebriefCb,
    DebriefGradeCb,
    InterviewAnswerCb,
    InterviewStartCb,
    ShareCb,
    TranscriptCb,
    WeakTopicsCb,
)
from bot.telegram.chat import chat_of
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import App, Jobs, services, services_of

logger = logging.getLogger(__name__)


def _job_name(session_id: int, position: int) -> str:
    return f"deadline-{session_id}-{position}"


def intro(svc: MockInterviewService) -> tuple[str, InlineKeyboardMarkup]:
    """The intro and the level picker with "Not sure"."""
    b = svc.budgets
    n_open = len(OPEN_POSITIONS)
    minutes = math.ceil(((INTERVIEW_QUESTIONS - n_open) * b.mcq + n_open * b.open) / 60 / 2)
    buttons = [
        InlineKeyboardButton(
            texts.LEVEL_LABELS[p.value] if p is not StartPick.UNSURE else texts.BTN_UNSURE,
            callback_data=InterviewStartCb(p).pack(),
        )
        for p in StartPick
    ]
    markup = InlineKeyboardMarkup([buttons[:2], buttons[2:4], buttons[4:]])
    return texts.interview_intro(INTERVIEW_QUESTIONS, minutes, b.mcq, b.open), markup


def arm(job_queue: Jobs | None, session_id: int, position: int, seconds: float) -> None:
    """Schedule a question's deadline on PTB's job queue (the database keeps it for restarts)."""
    if job_queue is None:
        logger.warning("no job queue: interview deadlines are only enforced after a restart")
        return
    name = _job_name(session_id, position)
    for old in job_queue.get_jobs_by_name(name):
        old.schedule_removal()
    job_queue.run_once(deadline_job, when=max(0.0, seconds), data=(session_id, position), name=name)


def disarm(job_queue: Jobs | None, session_id: int, position: int) -> None:
    """Drop the deadline job of a question that was answered."""
    if job_queue is not None:
        for job in job_queue.get_jobs_by_name(_job_name(session_id, position)):
            job.schedule_removal()


async def ask(app: App, chat_id: int, view: QuestionView) -> None:
    """Arm an interview question's deadline, then send it with its time budget and remember its message."""
    svc = services_of(app).mock
    text, markup = render.question_message(view, InterviewAnswerCb)
    if isinstance(view.question, OpenQuestion):
        text = render.question_body(view) + "\n\n" + texts.open_prompt_hint()
    due = await svc.deadline_of(view)
    left = svc.budgets.of(view.question.kind) if due is None else (due - svc.now()).total_seconds()
    # Armed first: a send that fails must not leave the question without a deadline until the next restart.
    arm(app.job_queue, view.session_id, view.position, left)
    text = f"{text}\n\n{texts.interview_budget(max(0, round(left)))}"
    message = await chat.send(app.bot, chat_id, text, markup)
    await services_of(app).interview.message_sent(view, message.message_id)


async def _after(app: App, chat_id: int, step: Step) -> None:
    """Ask the next question, or finish with the debrief and the report."""
    if step.next is not None:
        await ask(app, chat_id, step.next)
    elif step.finished and step.view is not None:
        await finish(app.bot, chat_id, services_of(app).mock, step.view.session_id)


async def finish(bot: Bot, chat_id: int, svc: MockInterviewService, session_id: int) -> None:
    """Send the first debrief page and the report."""
    pages = await svc.debrief_pages_of(session_id)
    await chat.send(bot, chat_id, texts.INTERVIEW_OVER)
    if pages:
        text, markup = debrief_message(pages, 0)
        await chat.send(bot, chat_id, text, markup)
    report_text, report_markup = report_message(await svc.report(session_id), session_id)
    message = await chat.send(bot, chat_id, report_text, report_markup)
    await svc.report_sent(session_id, message.message_id)


def report_message(report: InterviewReport, session_id: int | None = None) -> tuple[str, InlineKeyboardMarkup | None]:
    """The report text, one quiz button per weak topic, and (in a chat) Transcript and Share."""
    est = report.estimate
    change = None
    if report.previous is not None:
        change = texts.estimate_change(
            report.previous.level.value, est.level.value, est.ability - report.previous.ability
        )
    text = texts.report_text(
        est.level.value,
        [(e.level.value, e.asked, e.right) for e in report.evidence],
        texts.CONFIDENCE_WORDS[est.confidence],
        est.se,
        [t.topic for t in report.strongest],
        [t.topic for t in report.weakest],
        texts.duration_text(report.total_seconds),
        report.timed_out,
        report.over_time,
        change,
        report.ungraded,
    )
    buttons = [
        [
            InlineKeyboardButton(
                texts.weak_topic_button(t.topic), callback_data=WeakTopicsCb(est.level, topics_mask([t.topic])).pack()
            )
        ]
        for t in report.weakest
    ]
    if session_id is not None:
        buttons.append(
            [
                InlineKeyboardButton(texts.BTN_TRANSCRIPT, callback_data=TranscriptCb(session_id).pack()),
                InlineKeyboardButton(texts.BTN_SHARE, callback_data=ShareCb(session_id).pack()),
            ]
        )
    return text, InlineKeyboardMarkup(buttons) if buttons else None


def debrief_message(pages: list[DebriefPage], index: int) -> tuple[str, InlineKeyboardMarkup]:
    """One debrief page with ◀ ▶, the self-grade buttons of an ungraded open answer, and Report."""
    page = pages[index]
    view, a, q = page.view, page.answer, page.view.question
    parts = results.debrief_parts(page)
    body = texts.debrief_page(
        index + 1,
        len(pages),
        q.level.value,
        q.topic,
        parts.prompt_html,
        parts.answer_html,
        parts.verdict_html,
        round(a.time_taken_ms / 1000),
        a.over_time,
        parts.explanation_html,
    )
    rows: list[list[InlineKeyboardButton]] = []
    if isinstance(q, OpenQuestion) and not a.timed_out and a.self_grade is None:
        rows.append(
            [
                InlineKeyboardButton(
                    texts.GRADE_LABELS[g.value], callback_data=DebriefGradeCb(view.session_id, a.position, g).pack()
                )
                for g in SelfGrade
            ]
        )
    nav = []
    if index > 0:
        nav.append(InlineKeyboardButton(texts.BTN_PREV, callback_data=DebriefCb(view.session_id, index - 1).pack()))
    nav.append(render.report_button(view.session_id, a.position))
    if index + 1 < len(pages):
        nav.append(InlineKeyboardButton(texts.BTN_NEXT, callback_data=DebriefCb(view.session_id, index + 1).pack()))
    rows.append(nav)
    return render.clip(body), InlineKeyboardMarkup(rows)


async def begin(app: App, chat_id: int) -> None:
    """Send the intro and the level picker."""
    text, markup = intro(services_of(app).mock)
    await chat.send(app.bot, chat_id, text, markup)


async def _on_start(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: InterviewStartCb) -> None:
    await start_from_pick(query, context, data.pick)


async def start_from_pick(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, pick: StartPick) -> None:
    """Start an interview from a tap on the level picker (a repeated tap starts nothing new)."""
    svc = services(context)
    user_id = query.from_user.id
    chat_id = chat_of(query)
    origin = query.message.message_id if query.message else None
    view = await svc.mock.start(user_id, pick.level, origin)
    if view is None:
        current = await svc.interview.current(user_id)
        await chat.answer(query, texts.CB_ALREADY_STARTED if current else texts.EMPTY_LEVEL)
        if current is not None and current.mode.value == "interview" and current.message_id is None:
            await ask(context.application, chat_id, current)
        return
    await chat.answer(query)
    if query.message is not None:
        label = texts.LEVEL_LABELS.get(pick.value, texts.BTN_UNSURE)
        await chat.edit(context.bot, chat_id, query.message.message_id, texts.interview_started(label))
    await ask(context.application, chat_id, view)


async def _on_answer(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: InterviewAnswerCb) -> None:
    svc = services(context).mock
    step = await svc.answer_mcq(query.from_user.id, data.session_id, data.position, data.option)
    if step.outcome is not Outcome.RECORDED or step.view is None or step.chosen is None:
        await chat.answer(query, render.outcome_text(step.outcome))
        return
    await chat.answer(query, texts.CB_SAVED)
    disarm(context.job_queue, data.session_id, data.position)
    chat_id = chat_of(query)
    q = step.view.question
    assert isinstance(q, McqQuestion)
    if query.message is not None:
        letter = texts.OPTION_LETTERS[step.view.order.index(step.chosen)]
        text = (
            render.question_body(step.view)
            + "\n\n"
            + texts.interview_chosen(letter, to_html(q.options[step.chosen].text), step.over_time)
        )
        await chat.edit(context.bot, chat_id, query.message.message_id, render.clip(text))
    await _after(context.application, chat_id, step)


async def on_open_answer(app: App, chat_id: int, user_id: int, view: QuestionView, text: str) -> None:
    """Take a typed answer to an interview's open question: acknowledge it and move on."""
    step = await services_of(app).mock.answer_open(user_id, view, text)
    if step.outcome is not Outcome.RECORDED:
        await chat.send(app.bot, chat_id, texts.NO_QUESTION_WAITING)
        return
    disarm(app.job_queue, view.session_id, view.position)
    await chat.send(app.bot, chat_id, texts.open_received(step.over_time))
    await _after(app, chat_id, step)


async def expire(app: App, session_id: int, position: int) -> None:
    """Close a question whose time is up (if nobody did yet), tell the user and move on."""
    svc = services_of(app)
    verdict = await svc.mock.expire(session_id, position)
    if verdict.wait_seconds is not None:
        arm(app.job_queue, session_id, position, verdict.wait_seconds)
        return
    step = verdict.step
    if step is None or step.view is None:
        return
    chat_id = await svc.interview.chat_of_session(session_id)
    if chat_id is None:
        return
    with i18n.use(await svc.languages.of_chat(chat_id)):  # a job, not an update: the user's own language
        await _expired(app, chat_id, step)


async def _expired(app: App, chat_id: int, step: Step) -> None:
    view = step.view
    assert view is not None
    if view.message_id is not None:
        await chat.edit(
            app.bot,
            chat_id,
            view.message_id,
            render.clip(render.question_body(view) + "\n\n" + texts.TIMED_OUT_EDIT),
        )
    await chat.send(app.bot, chat_id, texts.timed_out(view.position + 1))
    await _after(app, chat_id, step)


async def deadline_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job queue's side of a deadline."""
    job = context.job
    if job is None or not isinstance(job.data, tuple):
        return
    session_id, position = job.data
    await expire(context.application, int(session_id), int(position))


async def rearm_all(app: App) -> None:
    """After a start: close the questions whose time ran out while the bot was down, re-arm the others."""
    for d in await services_of(app).mock.open_deadlines():
        if d.seconds_left <= 0:
            try:
                await expire(app, d.session_id, d.position)
            except Exception:
                logger.exception("could not close overdue question %s/%s", d.session_id, d.position)
        else:
            arm(app.job_queue, d.session_id, d.position, d.seconds_left)


async def _on_debrief(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: DebriefCb) -> None:
    pages = await services(context).mock.debrief(query.from_user.id, data.session_id)
    if pages is None or not 0 <= data.page < len(pages):
        await chat.answer(query, texts.CB_STALE if pages is None else texts.CB_INVALID)
        return
    await chat.answer(query)
    text, markup = debrief_message(pages, data.page)
    if query.message is not None:
        await chat.edit(context.bot, chat_of(query), query.message.message_id, text, markup)


async def _on_debrief_grade(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: DebriefGradeCb) -> None:
    svc = services(context).mock
    user_id = query.from_user.id
    if not await svc.grade(user_id, data.session_id, data.position, data.grade):
        await chat.answer(query, texts.CB_ALREADY_ANSWERED)
        return
    await chat.answer(query, texts.CB_GRADED)
    pages = await svc.debrief(user_id, data.session_id) or []
    chat_id = chat_of(query)
    index = next((i for i, p in enumerate(pages) if p.answer.position == data.position), None)
    if index is not None and query.message is not None:
        text, markup = debrief_message(pages, index)
        await chat.edit(context.bot, chat_id, query.message.message_id, text, markup)
    report_id = await svc.report_message(data.session_id)
    if report_id is not None:
        text, rmarkup = report_message(await svc.report(data.session_id), data.session_id)
        await chat.edit(context.bot, chat_id, report_id, text, rmarkup)


async def _on_transcript(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: TranscriptCb) -> None:
    found = await services(context).mock.results(query.from_user.id, data.session_id)
    if found is None:
        await chat.answer(query, texts.CB_STALE)
        return
    await chat.answer(query)
    name, payload = results.transcript_file(found, context.bot.username)
    await context.bot.send_document(chat_of(query), InputFile(payload, filename=name), caption=texts.TRANSCRIPT_CAPTION)


async def _on_share(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ShareCb) -> None:
    found = await services(context).mock.results(query.from_user.id, data.session_id)
    if found is None:
        await chat.answer(query, texts.CB_STALE)
        return
    await chat.answer(query)
    line = results.share_line(found, context.bot.username)
    pick = results.share_picker_url(found, context.bot.username)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.BTN_SHARE_PICK_CHAT, url=pick)]])
    await chat.send(context.bot, chat_of(query), texts.share_message(line), markup)


ROUTES: Routes = {
    TranscriptCb: _on_transcript,
    ShareCb: _on_share,
    InterviewStartCb: _on_start,
    InterviewAnswerCb: _on_answer,
    DebriefCb: _on_debrief,
    DebriefGradeCb: _on_debrief_grade,
}
