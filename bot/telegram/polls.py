"""Group posts on the Telegram side: the Outbox for the group services, the daily group job and group quiz timers.

Quiz timers are JobQueue one-shot jobs; they are not persisted, so post_init re-arms one for every quiz the
database says is running, and each step re-reads the quiz from SQLite and checks the injected clock: a timer
that fires early, late or twice only moves the quiz as far as its stored state allows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, Poll
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.domain.delivery import Outcome, RoundReport
from bot.domain.polls import PollSpec
from bot.services.group_daily import GroupDailyService
from bot.services.groups import PostedPoll, Undelivered
from bot.services.pacing import Progress
from bot.telegram.jobs import stop_with
from bot.telegram.outcomes import outcome_of
from bot.telegram.ratelimit import BulkStopped, bulk_traffic
from bot.telegram.services import App, services_of

logger = logging.getLogger(__name__)

T = TypeVar("T")

GROUP_PUSH_JOB = "group-push"
GROUP_PUSH_INTERVAL = 60.0
QUIZ_JOB_PREFIX = "group-quiz-"
_LOCK_KEY = "group-push-lock"


class BotOutbox:
    """Posts in groups, turning Bot API errors into `Undelivered` with the one mapper (`outcomes.outcome_of`).

    Flood waits and retries happen below, in the bot's rate limiter (`ratelimit.Limiter`), which also keeps
    each group under Telegram's 20 messages a minute; what reaches this class has failed for good.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def _call(self, chat_id: int, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (TelegramError, BulkStopped) as exc:
            result = outcome_of(exc)
            raise Undelivered(result, f"{what}: {exc}") from exc

    async def text(self, chat_id: int, html: str) -> int:
        """Send an HTML message."""
        message = await self._call(chat_id, "sendMessage", lambda: self._bot.send_message(chat_id, html))
        return message.message_id

    async def poll(self, chat_id: int, spec: PollSpec, open_period: int | None) -> PostedPoll:
        """Send a non-anonymous quiz poll with its right option and explanation (plain text)."""
        message = await self._call(
            chat_id,
            "sendPoll",
            lambda: self._bot.send_poll(
                chat_id,
                spec.question,
                list(spec.options),
                is_anonymous=False,
                type=Poll.QUIZ,
                # PTB types ids as Literal[0..11]; build_poll only makes polls of at most 12 options.
                correct_option_ids=[spec.correct],  # type: ignore[list-item]
                explanation=spec.explanation,
                explanation_parse_mode=None,
                question_parse_mode=None,
                open_period=open_period,
            ),
        )
        assert message.poll is not None
        return PostedPoll(message.poll.id, message.message_id)

    async def stop(self, chat_id: int, message_id: int) -> None:
        """Close a poll; one already closed or deleted is fine."""
        try:
            await self._call(chat_id, "stopPoll", lambda: self._bot.stop_poll(chat_id, message_id))
        except Undelivered as exc:
            if exc.outcome in (Outcome.BLOCKED, Outcome.RELEASED):
                raise
            logger.info("group %s: poll %s not stopped: %s", chat_id, message_id, exc)


def outbox_of(app: App) -> BotOutbox:
    """The outbox on the application's bot."""
    return BotOutbox(app.bot)


async def run_group_round(app: App, stop: Callable[[], bool] = lambda: False) -> RoundReport | None:
    """One round of daily group polls (bulk traffic); None if a round is already running."""
    lock = app.bot_data.setdefault(_LOCK_KEY, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
    if lock.locked():
        return None
    async with lock:
        return await post_group_polls(services_of(app).groups.daily, app.bot, stop=stop)


async def post_group_polls(
    daily: GroupDailyService,
    bot: Bot,
    *,
    everyone: bool = False,
    progress: Progress | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> RoundReport:
    """One round of daily group polls with `bot`, at bulk priority (the bot's job and `python -m bot push`)."""
    with bulk_traffic():
        return await daily.run_round(BotOutbox(bot), bot.username, everyone=everyone, progress=progress, stop=stop)


async def group_push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Posts the daily poll in every group whose time has come."""
    async with stop_with(context.application) as stopping:
        await run_group_round(context.application, stop=stopping)


async def step_quiz(app: App, quiz_id: int) -> float | None:
    """Move a group quiz along and arm its next timer; seconds until then, None when it is over."""
    delay = await services_of(app).groups.quiz.step(outbox_of(app), quiz_id, app.bot.username)
    if delay is not None:
        arm_quiz(app, quiz_id, delay)
    return delay


async def quiz_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group quiz timer went off."""
    job = context.job
    if job is not None and isinstance(job.data, int):
        await step_quiz(context.application, job.data)


def arm_quiz(app: App, quiz_id: int, delay: float) -> None:
    """Run the quiz's next step after `delay` seconds (replacing a timer already armed)."""
    if app.job_queue is None:
        logger.warning("no job queue; group quiz %s cannot advance", quiz_id)
        return
    name = f"{QUIZ_JOB_PREFIX}{quiz_id}"
    for old in app.job_queue.get_jobs_by_name(name):
        old.schedule_removal()
    app.job_queue.run_once(quiz_job, when=max(0.0, delay), data=quiz_id, name=name)


async def schedule_groups(app: App) -> None:
    """The daily group job, and a timer for every group quiz still running (after a restart)."""
    if app.job_queue is None:
        logger.warning("no job queue (install python-telegram-bot[job-queue]); group polls will not run")
        return
    if not app.job_queue.get_jobs_by_name(GROUP_PUSH_JOB):
        app.job_queue.run_repeating(group_push_job, interval=GROUP_PUSH_INTERVAL, first=7.0, name=GROUP_PUSH_JOB)
    for quiz_id in await services_of(app).groups.quiz.running_quizzes():
        logger.info("resuming group quiz %s", quiz_id)
        arm_quiz(app, quiz_id, 0.0)
