"""Steps shared by the quiz and the interview: ask a question, show what follows, finish."""

from __future__ import annotations

from telegram import Bot

from bot.domain.bank import OpenQuestion
from bot.domain.grader import Grade
from bot.domain.interview import Mode, Summary
from bot.services.grading import GradingService
from bot.services.interview import InterviewService, QuestionView
from bot.telegram import chat, render


async def ask(bot: Bot, chat_id: int, svc: InterviewService, view: QuestionView) -> None:
    """Send a question and remember its message, so its buttons work after a restart too."""
    await svc.message_sent(view, await send_question(bot, chat_id, view))


async def send_question(bot: Bot, chat_id: int, view: QuestionView) -> int:
    """Send a question; its message id, for the caller to remember."""
    text, markup = render.question_message(view)
    return (await chat.send(bot, chat_id, text, markup)).message_id


async def stored_grade(svc: InterviewService, grading: GradingService, view: QuestionView) -> Grade | None:
    """The grade of the typed answer stored for an open question (None when nothing was typed)."""
    assert isinstance(view.question, OpenQuestion)
    return await grading.grade_of(view.session_id, view.position, view.question, await svc.stored_text(view))


async def finish(bot: Bot, chat_id: int, view: QuestionView, summary: Summary) -> None:
    """Send the score as a message of its own, then the per-topic breakdown."""
    await chat.send(bot, chat_id, render.score(summary))
    await chat.send(bot, chat_id, render.summary_details(view.mode, summary))


async def follow_up(
    bot: Bot,
    chat_id: int,
    svc: InterviewService,
    view: QuestionView,
    nxt: QuestionView | None,
    summary: Summary | None,
    first_time: bool,
    remember: bool = True,
) -> int | None:
    """After a recorded answer: ask the next question, or finish; on a repeat, only mend a missing send.

    With `remember` False the next question's message id is returned instead of stored, for the caller to
    store in the transaction that ends the answer (None when no question was sent).
    """
    if nxt is not None:
        if first_time or nxt.message_id is None:
            if not remember:
                return await send_question(bot, chat_id, nxt)
            await ask(bot, chat_id, svc, nxt)
    elif summary is not None and first_time and view.mode is not Mode.DAILY:
        # A daily question is a session of one: its result is the edited message, no score card.
        await finish(bot, chat_id, view, summary)
    return None


async def resume(bot: Bot, chat_id: int, svc: InterviewService, grading: GradingService, view: QuestionView) -> None:
    """Show the current question again; an open question already answered gets its grade buttons again."""
    if await svc.awaiting_grade(view):
        text, markup = render.model_answer(view, await stored_grade(svc, grading, view))
        await chat.send(bot, chat_id, text, markup)
        return
    await ask(bot, chat_id, svc, view)
