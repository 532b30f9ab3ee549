"""/goal, /pause, the daily set's start button and the question after the goal date."""

from __future__ import annotations

import datetime as dt
import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import texts, texts_goal
from bot.domain import goal as goal_rules
from bot.domain.bank import Level
from bot.domain.goal import GoalOutcome
from bot.domain.progress import topics_mask
from bot.services.goal import AfterNote, DailyNote, GoalView, SetNote
from bot.telegram import chat
from bot.telegram.callback import GoalDateCb, GoalLevelCb, GoalOffCb, GoalResultCb, SetStartCb, WeakTopicsCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers.flow import ask
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services

logger = logging.getLogger(__name__)


def date_picker() -> InlineKeyboardMarkup:
    """How far away the interview is, three per row."""
    buttons = [
        InlineKeyboardButton(texts_goal.pick_label(label), callback_data=GoalDateCb(days).pack())
        for days, label in texts_goal.PICK_DAYS
    ]
    return InlineKeyboardMarkup([buttons[:3], buttons[3:]])


def level_picker(days: int) -> InlineKeyboardMarkup:
    """The target level, two per row."""
    buttons = [
        InlineKeyboardButton(texts.LEVEL_LABELS[lv.value], callback_data=GoalLevelCb(days, lv).pack()) for lv in Level
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def outcome_keyboard(goal_id: int) -> InlineKeyboardMarkup:
    """Passed / not yet / skip."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts_goal.BTN_PASSED, callback_data=GoalResultCb(goal_id, GoalOutcome.PASSED).pack()
                ),
                InlineKeyboardButton(
                    texts_goal.BTN_NOT_YET, callback_data=GoalResultCb(goal_id, GoalOutcome.NOT_YET).pack()
                ),
                InlineKeyboardButton(
                    texts_goal.BTN_SKIP, callback_data=GoalResultCb(goal_id, GoalOutcome.SKIPPED).pack()
                ),
            ]
        ]
    )


def _status(view: GoalView) -> str:
    return texts_goal.status_line(view.behind, view.reachable, view.forecast_at_date, view.bar)


def goal_message(view: GoalView) -> tuple[str, InlineKeyboardMarkup]:
    """What /goal shows, with a drill button per top topic, the set's start button and "turn off"."""
    if view.passed:
        return texts_goal.after_message(view.date, view.level.value), outcome_keyboard(view.goal_id)
    text = texts_goal.goal_view(
        view.date,
        view.level.value,
        view.days_left,
        view.forecast_now,
        view.forecast_at_date,
        view.bar,
        view.target_today,
        view.done_today,
        view.new_per_day,
        _status(view),
        [(m.topic, m.gain) for m in view.top],
        view.paused_until,
        view.streak.current,
        view.streak.freezes,
    )
    rows = [
        [
            InlineKeyboardButton(
                texts_goal.drill_button(m.topic), callback_data=WeakTopicsCb(view.level, topics_mask([m.topic])).pack()
            )
        ]
        for m in view.top
    ]
    if view.target_today > 0 and view.days_left > 0:
        rows.append([InlineKeyboardButton(texts_goal.BTN_START_SET, callback_data=SetStartCb().pack())])
    rows.append([InlineKeyboardButton(texts_goal.BTN_GOAL_OFF, callback_data=GoalOffCb().pack())])
    return text, InlineKeyboardMarkup(rows)


def note_message(note: DailyNote) -> tuple[str, InlineKeyboardMarkup]:
    """The daily message of a user with a goal: today's set with its start button, or the question after."""
    if isinstance(note, AfterNote):
        return texts_goal.after_message(note.date, note.level.value), outcome_keyboard(note.goal_id)
    assert isinstance(note, SetNote)
    view = note.view
    text = texts_goal.set_message(
        note.size,
        note.reviews,
        view.days_left,
        view.level.value,
        _status(view),
        view.forecast_at_date,
        note.frozen_yesterday,
    )
    start = InlineKeyboardButton(texts_goal.start_set_button(note.size), callback_data=SetStartCb().pack())
    return text, InlineKeyboardMarkup([[start]])


def parse_goal(args: list[str]) -> tuple[dt.date, Level] | None:
    """`YYYY-MM-DD LEVEL` (either order) as a date and a level; None if it is not that."""
    if len(args) != 2:
        return None
    known = {lv.value: lv for lv in Level}
    for first, second in (args, args[::-1]):
        level = known.get(second.lower())
        try:
            day = dt.date.fromisoformat(first)
        except ValueError:
            continue
        if level is not None:
            return day, level
    return None


async def _show(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> None:
    view = await services(context).goal.view(user_id)
    if view is None:
        await chat.send(context.bot, chat_id, texts_goal.GOAL_PICK, date_picker())
        return
    text, markup = goal_message(view)
    await chat.send(context.bot, chat_id, text, markup)


async def _subscribed(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    settings = await services(context).push.settings(user_id)
    return settings is not None and settings.daily_time is not None


async def _confirm(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, day: dt.date, level: Level) -> None:
    subscribed = await _subscribed(context, user_id)
    await chat.send(context.bot, chat_id, texts_goal.goal_set(day, level.value, subscribed))
    await _show(context, chat_id, user_id)


async def goal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the goal (or the picker), sets one from `YYYY-MM-DD LEVEL`, or clears it with `off`."""
    if update.effective_user is None:
        return
    user_id, chat_id = update.effective_user.id, chat.chat_id_of(update)
    svc = services(context).goal
    args = context.args or []
    if not args:
        await _show(context, chat_id, user_id)
        return
    if len(args) == 1 and args[0].lower() in ("off", "stop", "clear"):
        cleared = await svc.clear(user_id)
        await chat.send(context.bot, chat_id, texts_goal.GOAL_OFF if cleared else texts_goal.GOAL_NONE)
        return
    parsed = parse_goal(args)
    if parsed is None:
        await chat.send(context.bot, chat_id, texts_goal.GOAL_USAGE)
        return
    day, level = parsed
    problem = await svc.set_goal(user_id, day, level)
    if problem is not None:
        await chat.send(context.bot, chat_id, texts_goal.GOAL_PAST if problem == "past" else texts_goal.GOAL_FAR)
        return
    await _confirm(context, chat_id, user_id, day, level)


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/pause N` (1-14 days) stops the push and the streak clock; `/pause off` ends it."""
    if update.effective_user is None:
        return
    user_id, chat_id = update.effective_user.id, chat.chat_id_of(update)
    svc = services(context).goal
    args = context.args or []
    if len(args) == 1 and args[0].lower() in ("off", "stop", "end"):
        ended = await svc.resume(user_id)
        await chat.send(context.bot, chat_id, texts_goal.PAUSE_OFF if ended else texts_goal.PAUSE_NONE)
        return
    days = int(args[0]) if len(args) == 1 and args[0].isascii() and args[0].isdigit() else 0
    if not goal_rules.PAUSE_MIN <= days <= goal_rules.PAUSE_MAX:
        await chat.send(context.bot, chat_id, texts_goal.PAUSE_USAGE)
        return
    until = await svc.pause(user_id, days)
    view = await svc.view(user_id)
    if view is None or view.passed:
        await chat.send(context.bot, chat_id, texts_goal.paused_no_goal(until))
        return
    await chat.send(context.bot, chat_id, texts_goal.paused(until, view.study_days))


async def _edit_or_send(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    chat_id = chat_of(query)
    if query.message is None or not await chat.edit(context.bot, chat_id, query.message.message_id, text, markup):
        await chat.send(context.bot, chat_id, text, markup)


async def _on_date(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: GoalDateCb) -> None:
    await chat.answer(query)
    today = await services(context).goal.today(query.from_user.id)
    await _edit_or_send(
        query, context, texts_goal.pick_level(today + dt.timedelta(days=data.days)), level_picker(data.days)
    )


async def _on_level(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: GoalLevelCb) -> None:
    user_id = query.from_user.id
    svc = services(context).goal
    day = await svc.today(user_id) + dt.timedelta(days=data.days)
    problem = await svc.set_goal(user_id, day, data.level)
    if problem is not None:
        await chat.answer(query, texts.CB_INVALID)
        return
    await chat.answer(query, texts.CB_SAVED)
    await _edit_or_send(query, context, texts_goal.goal_set(day, data.level.value, await _subscribed(context, user_id)))
    await _show(context, chat_of(query), user_id)


async def _on_off(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: GoalOffCb) -> None:
    cleared = await services(context).goal.clear(query.from_user.id)
    await chat.answer(query, texts.CB_SAVED if cleared else None)
    await _edit_or_send(query, context, texts_goal.GOAL_OFF if cleared else texts_goal.GOAL_NONE)


async def _on_start(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: SetStartCb) -> None:
    svc = services(context)
    user_id = query.from_user.id
    origin = query.message.message_id if query.message else None
    started = await svc.goal.start_set(user_id, origin)
    if started.view is None:
        await chat.answer(query, texts.CB_STALE if started.already_started else None)
        if not started.already_started:
            has_goal = await svc.goal.view(user_id) is not None
            await chat.send(context.bot, chat_of(query), texts_goal.SET_NOTHING if has_goal else texts_goal.SET_NO_GOAL)
        return
    await chat.answer(query, texts.CB_ALREADY_STARTED if started.already_started else None)
    if not started.already_started or started.view.message_id is None:
        await ask(context.bot, chat_of(query), svc.interview, started.view)


async def _on_result(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: GoalResultCb) -> None:
    user_id = query.from_user.id
    saved = await services(context).goal.record_outcome(user_id, data.goal_id, data.outcome)
    await chat.answer(query, texts.CB_SAVED if saved else texts_goal.CB_OUTCOME_KNOWN)
    if saved:
        await _edit_or_send(query, context, texts_goal.GOAL_OUTCOME_SAVED, date_picker())


ROUTES: Routes = {
    GoalDateCb: _on_date,
    GoalLevelCb: _on_level,
    GoalOffCb: _on_off,
    SetStartCb: _on_start,
    GoalResultCb: _on_result,
}
