"""The Application factory: handlers, defaults, and resources opened in post_init."""

from __future__ import annotations

import asyncio
import logging
import random

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.clock import Clock, SystemClock
from bot.metrics import Metrics
from bot.services.push import Sleep
from bot.services.wiring import build_services
from bot.storage.db import Database
from bot.storage.operator import OperatorStore
from bot.telegram.aiohttp_request import AiohttpRequest
from bot.telegram.broadcast import cancel_background, resume_broadcasts
from bot.telegram.concurrency import PerUserUpdateProcessor
from bot.telegram.errors import on_error
from bot.telegram.handlers import (
    broadcast,
    commands,
    daily,
    goal,
    groups,
    interview,
    language,
    messages,
    progress,
    reports,
    review,
    router,
    senders,
)
from bot.telegram.in_flight import CappedRequest
from bot.telegram.jobs import schedule_push
from bot.telegram.nudges import schedule_nudges
from bot.telegram.observe import ObservedApplication
from bot.telegram.polling import CountedRequest
from bot.telegram.polls import schedule_groups
from bot.telegram.profile import publish_profile
from bot.telegram.ratelimit import Limiter
from bot.telegram.services import App, Services, attach, services, services_of
from bot.telegram.webhook import HttpListener

logger = logging.getLogger(__name__)

_HEALTH_LISTENER = "health_listener"
# Only what a handler takes: an edited message would only be ignored (no command or answer runs twice).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.POLL_ANSWER,
]


def file_url(base_url: str) -> str:
    """The Bot API's file URL for an API URL: its last `/bot` segment becomes `/file/bot`."""
    head, found, tail = base_url.rpartition("/bot")
    if not found:
        raise ValueError(f"a Bot API URL ends in /bot (optionally followed by a token template): {base_url!r}")
    return f"{head}/file/bot{tail}"


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    request: BaseRequest | None = None,
    sleep: Sleep | None = None,
    limiter: Limiter | None = None,
    webhook: bool = False,
) -> App:
    """Build the bot; the database and bank are opened in post_init and closed in post_shutdown.

    With `webhook` there is no Updater: bot/telegram/webhook.py feeds the update queue.
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to run the Telegram bot")
    bank = load_bank(settings.questions_dir)
    the_clock = clock or SystemClock()
    the_rng = rng or random.Random()
    the_limiter = limiter or Limiter.from_settings(settings, sleep)
    metrics = Metrics()
    the_limiter.metrics = metrics

    async def post_init(app: App) -> None:
        db = await Database.open(settings.database_path)
        db.on_write = metrics.on_db_write
        metrics.count_sessions_with(OperatorStore(db).open_sessions)
        rate = lambda: the_limiter.bulk_rate  # noqa: E731
        attach(
            app.bot_data,
            build_services(
                settings,
                db,
                bank,
                the_clock,
                the_rng,
                sleep or asyncio.sleep,
                rate,
                observer=metrics,
                on_grade=metrics.on_grade,
            ),
        )
        await services_of(app).languages.warm()
        schedule_push(app)
        schedule_nudges(app)
        await schedule_groups(app)
        await interview.rearm_all(app)
        await resume_broadcasts(app)
        await publish_profile(app.bot)
        if settings.webhook_url is None and settings.health_port is not None:
            listener = HttpListener(app, settings.webhook_listen, settings.health_port)
            await listener.start()
            app.bot_data[_HEALTH_LISTENER] = listener
        logger.info("bot ready: %d questions, database %s", len(bank), settings.database_path)

    async def post_shutdown(app: App) -> None:
        await cancel_background(app)
        listener = app.bot_data.pop(_HEALTH_LISTENER, None)
        if isinstance(listener, HttpListener):
            await listener.stop()
        found = app.bot_data.get("services")
        if isinstance(found, Services):
            # Background grades stop first: they write to the database.
            await interview.stop_watchers(app)
            await found.grading.aclose()
            if found.transcriber is not None:
                await found.transcriber.aclose()
            await found.db.close()

    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(file_url(settings.telegram_base_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .concurrent_updates(PerUserUpdateProcessor())
        .rate_limiter(the_limiter)
        .application_class(ObservedApplication, {"metrics": metrics})
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request).updater(None)
    else:
        cap = settings.telegram_max_in_flight
        builder = builder.request(CappedRequest(AiohttpRequest(cap), cap))
        if webhook:
            builder = builder.updater(None)
        else:
            # getUpdates gets a request of its own (one connection), counted in /metrics like every other call.
            builder = builder.get_updates_request(CountedRequest(AiohttpRequest(1), metrics))
    app = builder.build()
    register_handlers(app)
    return app


def register_handlers(app: App) -> None:
    """Wire every handler; private chats get the interview, groups polls and leaderboards; edits nothing."""
    app.add_handler(TypeHandler(Update, senders.remember_user), group=-1)
    # A command's `filters` replace PTB's default UpdateType.MESSAGES, which would let edits run it again.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    in_group = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", groups.explain, filters=private & filters.Regex(r"^/start q-")))
    app.add_handler(CommandHandler("start", commands.start, filters=private))
    app.add_handler(CommandHandler("help", commands.help_, filters=private))
    app.add_handler(CommandHandler("quiz", commands.quiz, filters=private))
    app.add_handler(CommandHandler("interview", commands.interview, filters=private))
    app.add_handler(CommandHandler("review", review.review, filters=private))
    app.add_handler(CommandHandler("reports", reports.reports, filters=private))
    app.add_handler(CommandHandler("enable", reports.enable, filters=private))
    app.add_handler(CommandHandler("cancel", commands.cancel, filters=private))
    app.add_handler(CommandHandler("admin", commands.admin_stats, filters=private))
    app.add_handler(CommandHandler("stats", progress.stats, filters=private))
    app.add_handler(CommandHandler("history", progress.history, filters=private))
    app.add_handler(CommandHandler("export", progress.export, filters=private))
    app.add_handler(CommandHandler("reset", progress.reset, filters=private))
    app.add_handler(CommandHandler("deleteme", progress.deleteme, filters=private))
    app.add_handler(CommandHandler("privacy", progress.privacy, filters=private))
    app.add_handler(CommandHandler("daily", daily.daily, filters=private))
    app.add_handler(CommandHandler("timezone", daily.timezone, filters=private))
    app.add_handler(CommandHandler("goal", goal.goal, filters=private))
    app.add_handler(CommandHandler("pause", goal.pause, filters=private))
    app.add_handler(CommandHandler("broadcast", broadcast.broadcast, filters=private))
    app.add_handler(CommandHandler("news", broadcast.news, filters=private))
    app.add_handler(CommandHandler("language", language.language, filters=private))
    app.add_handler(CommandHandler(["start", "help"], groups.help_, filters=in_group))
    app.add_handler(CommandHandler("daily", groups.daily_cmd, filters=in_group))
    app.add_handler(CommandHandler("timezone", groups.timezone_cmd, filters=in_group))
    app.add_handler(CommandHandler("level", groups.level_cmd, filters=in_group))
    app.add_handler(CommandHandler("groupquiz", groups.groupquiz_cmd, filters=in_group))
    app.add_handler(CommandHandler("top", groups.top_cmd, filters=in_group))
    app.add_handler(CommandHandler("language", language.group_language, filters=in_group))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migrate))
    app.add_handler(PollAnswerHandler(groups.on_poll_answer))
    app.add_handler(ChatMemberHandler(groups.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CallbackQueryHandler(router.on_callback))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.COMMAND, commands.unknown))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT, messages.on_text))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.VOICE, messages.on_voice))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, messages.on_other))
    app.add_handler(MessageHandler(in_group & filters.COMMAND, groups.private_only))
    app.add_error_handler(on_error)


__all__ = ["ALLOWED_UPDATES", "build_application", "register_handlers", "services"]
