"""Progress and personal data: /stats, /history, /export, /reset, /deleteme, /privacy and their buttons."""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urlsplit

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import MessageLimit
from telegram.ext import ContextTypes

from bot import chart, i18n, texts
from bot.domain.bank import Level
from bot.domain.chart import ChartData, with_goal
from bot.domain.goal import READY_BAR
from bot.domain.interview import Mode
from bot.domain.markup import to_label, to_plain
from bot.domain.progress import Erasure, bar, chunk, topics_from_mask, topics_mask
from bot.services.progress import HistoryItem, SessionReview, StatsReport
from bot.telegram import chat
from bot.telegram.callback import EraseCb, HistoryCb, ReviewCb, WeakTopicsCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers.flow import ask
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services

logger = logging.getLogger(__name__)

# The callback prefixes this module answers; register its CallbackQueryHandler before the catch-all one.
PROMPT_CHARS = 160
ANSWER_CHARS = 300
HISTORY_BUTTONS_PER_ROW = 5
CHART_FILENAME = "stats.png"


def _short(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ids(update: Update) -> tuple[int, int] | None:
    user = update.effective_user
    return None if user is None else (user.id, chat.chat_id_of(update))


def stats_messages(report: StatsReport) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The /stats texts (split to fit Telegram's limit) and the weakest-topics button for the last one."""
    blocks = [texts.stats_header(report.streaks.current, report.streaks.best, report.due), texts.STATS_LEGEND]
    for lp in report.levels:
        lines = [texts.stats_topic(bar(t.readiness), t.readiness, t.topic, t.answered, t.accuracy) for t in lp.topics]
        blocks.append(texts.stats_level(lp.level.value, lp.answered, lp.accuracy, lines, lp.untried))
    markup = None
    if report.weakest and report.weak_level is not None:
        names = [t.topic for t in report.weakest]
        blocks.append(texts.stats_weakest(report.weak_level.value, names))
        data = WeakTopicsCb(report.weak_level, topics_mask(names)).pack()
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.BTN_WEAKEST, callback_data=data)]])
    if report.due > 0:
        rows = [list(r) for r in markup.inline_keyboard] if markup else []
        rows.append([InlineKeyboardButton(texts.review_due_button(report.due), callback_data=ReviewCb().pack())])
        markup = InlineKeyboardMarkup(rows)
    return chunk(blocks, MessageLimit.MAX_TEXT_LENGTH), markup


def history_message(items: list[HistoryItem]) -> tuple[str, InlineKeyboardMarkup]:
    """The /history list and one numbered button per session."""
    lines = [
        texts.history_line(
            n,
            i18n.format_datetime(i.started),
            i.kind,
            i.level,
            i.right,
            i.answered,
            i.size,
            texts.duration_text(i.duration_s),
            i.finished,
            i.estimate_level,
        )
        for n, i in enumerate(items, start=1)
    ]
    buttons = [
        InlineKeyboardButton(str(n), callback_data=HistoryCb(i.session_id).pack()) for n, i in enumerate(items, start=1)
    ]
    rows = [buttons[k : k + HISTORY_BUTTONS_PER_ROW] for k in range(0, len(buttons), HISTORY_BUTTONS_PER_ROW)]
    return texts.history_text(lines), InlineKeyboardMarkup(rows)


def review_messages(review: SessionReview) -> list[str]:
    """A past session's questions and answers, split to fit Telegram's limit."""
    blocks = [texts.review_header(review.mode, review.level, i18n.format_datetime(review.started))]
    blocks += [
        texts.review_item(
            n, _short(to_label(to_plain(i.prompt)), PROMPT_CHARS), _short(to_label(i.answer), ANSWER_CHARS), i.result
        )
        for n, i in enumerate(review.items, start=1)
    ]
    if not review.items:
        blocks.append(texts.HISTORY_NO_ANSWERS)
    return chunk(blocks, MessageLimit.MAX_TEXT_LENGTH)


def _confirm(what: Erasure) -> InlineKeyboardMarkup:
    label = texts.BTN_CONFIRM_RESET if what is Erasure.RESET else texts.BTN_CONFIRM_DELETE
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=EraseCb(what, 1).pack()),
                InlineKeyboardButton(texts.BTN_KEEP, callback_data=EraseCb(what, 0).pack()),
            ]
        ]
    )


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows readiness by level and topic, streaks, due reviews and the weakest topics."""
    ids = _ids(update)
    if ids is None:
        return
    report = await services(context).progress.stats(ids[0])
    if report.empty:
        await chat.send(context.bot, ids[1], texts.STATS_EMPTY)
        return
    if report.chart is not None:
        # With a goal the picture shows the goal level's topics: readiness now beside the forecast at the date.
        goal = await services(context).goal.view(ids[0])
        data = report.chart
        if goal is not None:
            data = with_goal(data, goal.level.value, goal.topics_now, goal.topics_at_date, goal.date, READY_BAR)
        await _send_chart(context, ids[1], data)
    messages, markup = stats_messages(report)
    for n, text in enumerate(messages, start=1):
        await chat.send(context.bot, ids[1], text, markup if n == len(messages) else None)


async def _send_chart(context: ContextTypes.DEFAULT_TYPE, chat_id: int, data: ChartData) -> None:
    """The chart above the text (which stays, for accessibility, and keeps the buttons at the bottom)."""
    try:
        # ~0.1 s of CPU: a worker thread draws while the event loop serves everyone else.
        png = await asyncio.to_thread(chart.render_png, data)
        await context.bot.send_photo(
            chat_id, InputFile(png, filename=CHART_FILENAME), caption=texts.STATS_CHART_CAPTION
        )
    except Exception:
        # The picture is extra: whatever fails here, the text still goes out.
        logger.exception("could not send the /stats chart to chat %s", chat_id)


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists the last sessions with a button to review each."""
    ids = _ids(update)
    if ids is None:
        return
    items = await services(context).progress.history(ids[0])
    if not items:
        await chat.send(context.bot, ids[1], texts.HISTORY_EMPTY)
        return
    text, markup = history_message(items)
    await chat.send(context.bot, ids[1], text, markup)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends every answer as a CSV document; `/export json` every stored row about the user."""
    ids = _ids(update)
    if ids is None:
        return
    form = " ".join(context.args or ()).strip().lower()
    if form == "json":
        await _export_json(context, *ids)
        return
    if form not in ("", "csv"):
        await chat.send(context.bot, ids[1], texts.EXPORT_USAGE)
        return
    data = await services(context).progress.export_csv(ids[0])
    if data is None:
        await chat.send(context.bot, ids[1], texts.EXPORT_EMPTY)
        return
    payload = data.encode("utf-8")
    await context.bot.send_document(
        ids[1], InputFile(payload, filename=texts.EXPORT_FILENAME), caption=texts.EXPORT_CAPTION
    )
    logger.info("exported %d bytes of answers for user %s", len(payload), ids[0])


async def _export_json(context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int) -> None:
    payload = (await services(context).export.user_json(user_id)).encode("utf-8")
    await context.bot.send_document(
        chat_id, InputFile(payload, filename=texts.EXPORT_JSON_FILENAME), caption=texts.EXPORT_JSON_CAPTION
    )
    logger.info("exported %d bytes of JSON for user %s", len(payload), user_id)


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What is stored, for how long, where typed answers may go, and who runs the bot."""
    ids = _ids(update)
    if ids is None:
        return
    settings = services(context).settings
    llm_host = urlsplit(settings.llm_base_url).hostname if settings.llm_base_url else None
    voice = settings.transcribe_model is not None
    await chat.send(context.bot, ids[1], texts.privacy(settings.privacy_contact, llm_host, voice))


async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Asks to confirm erasing the progress."""
    ids = _ids(update)
    if ids is not None:
        await chat.send(context.bot, ids[1], texts.RESET_CONFIRM, _confirm(Erasure.RESET))


async def deleteme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Asks to confirm erasing every row about the user."""
    ids = _ids(update)
    if ids is not None:
        await chat.send(context.bot, ids[1], texts.DELETE_CONFIRM, _confirm(Erasure.DELETE))


async def _on_weak(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: WeakTopicsCb) -> None:
    topics = topics_from_mask(data.topics)
    if not topics:
        await chat.answer(query, texts.CB_INVALID)
        return
    svc = services(context).interview
    user, message = query.from_user, query.message
    chat_id = chat_of(query)
    origin = message.message_id if message else None
    started = await svc.start(user.id, Mode.QUIZ, Level(data.level), origin_message_id=origin, topics=topics)
    if started.view is None:
        await chat.answer(query, texts.CB_STALE if started.already_started else texts.CB_WEAK_EMPTY)
        return
    await chat.answer(query, texts.CB_ALREADY_STARTED if started.already_started else None)
    if not started.already_started or started.view.message_id is None:
        await ask(context.bot, chat_id, svc, started.view)


async def _on_history(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: HistoryCb) -> None:
    review = await services(context).progress.review(query.from_user.id, data.session_id)
    if review is None:
        await chat.answer(query, texts.HISTORY_GONE)
        return
    await chat.answer(query)
    chat_id = chat_of(query)
    for text in review_messages(review):
        await chat.send(context.bot, chat_id, text)


async def _on_erase(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: EraseCb) -> None:
    await chat.answer(query)
    svc = services(context).progress
    user_id = query.from_user.id
    if data.confirm != 1:
        text = texts.ERASE_KEPT
    elif data.what is Erasure.RESET:
        text = texts.reset_done(await svc.reset(user_id))
        logger.info("user %s reset their progress", user_id)
    else:
        await svc.delete(user_id)
        text = texts.DELETE_DONE
        logger.info("user %s deleted their data", user_id)
    message = query.message
    chat_id = chat_of(query)
    if message is None or not await chat.edit(context.bot, chat_id, message.message_id, text):
        await chat.send(context.bot, chat_id, text)


ROUTES: Routes = {WeakTopicsCb: _on_weak, HistoryCb: _on_history, EraseCb: _on_erase}
