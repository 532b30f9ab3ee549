"""Group posts on the Telegram side: the Outbox for GroupService, the daily group job and group quiz timers.

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
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.domain.polls import PollSpec
from bot.metrics import BLOCKED, FAILED, GROUP_POLL, SENT
from bot.services.groups import ChatGone, ChatMoved, DailyReport, PostedPoll, SendFailed
from bot.telegram.delivery import may_have_arrived
from bot.telegram.observe import metrics_of
from bot.telegram.services import App, services_of

logger = logging.getLogger(__name__)

T = TypeVar("T")

GROUP_PUSH_JOB = "group-push"
GROUP_PUSH_INTERVAL = 60.0
QUIZ_JOB_PREFIX = "group-quiz-"
_GONE = ("chat not found", "bot was kicked", "not a member", "group chat was deactivated", "peer_id_invalid")
_LOCK_KEY = "group-push-lock"


class BotOutbox:
    """Posts in groups, turning Bot API errors into the service's outcomes.

    Flood waits and retries happen below, in the bot's rate limiter (`ratelimit.Limiter`), which also keeps
    each group under Telegram's 20 messages a minute; what reaches this class has failed for good.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def _call(self, chat_id: int, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except ChatMigrated as exc:
            raise ChatMoved(exc.new_chat_id) from exc
        except Forbidden as exc:
            logger.info("group %s refuses the bot (%s)", chat_id, exc.message)
            raise ChatGone(exc.message) from exc
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in _GONE):
                raise ChatGone(exc.message) from exc
            raise SendFailed(f"{what}: {exc.message}") from exc
        except TelegramError as exc:
            # A timeout may have delivered the poll: the caller must never post it again.
            raise SendFailed(f"{what}: {exc}", maybe_sent=may_have_arrived(exc)) from exc

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
        except SendFailed as exc:
            logger.info("group %s: poll %s not stopped: %s", chat_id, message_id, exc)


def outbox_of(app: App) -> BotOutbox:
    """The outbox on the application's bot."""
    return BotOutbox(app.bot)


async def run_group_round(app: App) -> DailyReport | None:
    """One round of daily group polls; None if a round is already running."""
    lock = app.bot_data.setdefault(_LOCK_KEY, asyncio.Lock())
    assert isinstance(lock, asyncio.Lock)
    if lock.locked():
        return None
    async with lock:
        report = await services_of(app).groups.run_daily_round(outbox_of(app), app.bot.username)
    metrics = metrics_of(app)
    if metrics is not None:  # until the delivery engine reports each send (with its lag) itself
        for outcome, count in ((SENT, report.posted), (BLOCKED, report.gone), (FAILED, report.failed)):
            for _ in range(count):
                metrics.on_delivery(GROUP_POLL, outcome)
    return report


async def group_push_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Posts the daily poll in every group whose time has come."""
    await run_group_round(context.application)


async def step_quiz(app: App, quiz_id: int) -> float | None:
    """Move a group quiz along and arm its next timer; seconds until then, None when it is over."""
    delay = await services_of(app).groups.step(outbox_of(app), quiz_id, app.bot.username)
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
    for quiz_id in await services_of(app).groups.running_quizzes():
        logger.info("resuming group quiz %s", quiz_id)
        arm_quiz(app, quiz_id, 0.0)
