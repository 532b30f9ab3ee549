"""The daily question: /daily, /timezone, their buttons, "Show answer" on a pushed question, blocks."""

from __future__ import annotations

import datetime as dt
import logging

from telegram import CallbackQuery, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import texts, texts_goal
from bot.domain import schedule
from bot.domain.bank import OpenQuestion
from bot.domain.markup import to_html
from bot.services.goal import DailyNote
from bot.services.interview import Outcome, QuestionView
from bot.services.push import PushService
from bot.telegram import chat, render
from bot.telegram.callback import DailyOffCb, DailyTimeCb, RevealCb, ZoneCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers import goal as goal_flow
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services

logger = logging.getLogger(__name__)


COMMON_TIMES = (dt.time(7), dt.time(8), dt.time(9), dt.time(12), dt.time(18), dt.time(21))
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
)


def _push(context: ContextTypes.DEFAULT_TYPE) -> PushService:
    return services(context).push


def time_keyboard(subscribed: bool) -> InlineKeyboardMarkup:
    """Common times, three per row, and "Turn off" when subscribed."""
    buttons = [
        InlineKeyboardButton(schedule.format_hhmm(t), callback_data=DailyTimeCb(schedule.minutes(t)).pack())
        for t in COMMON_TIMES
    ]
    rows = [buttons[:3], buttons[3:]]
    if subscribed:
        rows.append([InlineKeyboardButton(texts.BTN_DAILY_OFF, callback_data=DailyOffCb().pack())])
    return InlineKeyboardMarkup(rows)


def zone_keyboard() -> InlineKeyboardMarkup:
    """Common zones, two per row."""
    buttons = [InlineKeyboardButton(z, callback_data=ZoneCb(i).pack()) for i, z in enumerate(COMMON_ZONES)]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def daily_message(view: QuestionView | DailyNote) -> tuple[str, InlineKeyboardMarkup | None]:
    """The pushed question (an MCQ as in a quiz, an open question with "Show answer"), or a goal's daily set."""
    if not isinstance(view, QuestionView):
        return goal_flow.note_message(view)
    if isinstance(view.question, OpenQuestion):
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.BTN_SHOW_ANSWER, callback_data=RevealCb(view.session_id, view.position).pack()
                    )
                ]
            ]
        )
        return f"{texts.DAILY_HEADER}\n\n{render.question_body(view)}", markup
    text, mcq_markup = render.question_message(view)
    return f"{texts.DAILY_HEADER}\n\n{text}", mcq_markup


async def _zone_name(push: PushService, user_id: int) -> str:
    found = await push.settings(user_id)
    return schedule.zone(found.timezone if found else None, push.default_zone).key


async def daily(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribes at HH:MM, turns off with `off`, or shows the setting with buttons for common times."""
    if update.effective_user is None:
        return
    user_id, chat_id = update.effective_user.id, chat.chat_id_of(update)
    push = _push(context)
    args = context.args or []
    zone = await _zone_name(push, user_id)
    if not args:
        found = await push.settings(user_id)
        at = found.daily_time if found else None
        await chat.send(
            context.bot,
            chat_id,
            texts.daily_status(schedule.format_hhmm(at) if at else None, zone),
            time_keyboard(at is not None),
        )
        return
    if args[0].lower() == "remind":
        await _remind(context, user_id, chat_id, args[1:], zone)
        return
    if args[0].lower() in ("off", "stop"):
        await push.unsubscribe(user_id)
        await chat.send(context.bot, chat_id, texts.DAILY_OFF)
        return
    parsed = schedule.parse_hhmm(args[0])
    if parsed is None or len(args) > 1:
        await chat.send(context.bot, chat_id, texts.DAILY_BAD_TIME)
        return
    await push.subscribe(user_id, parsed)
    await chat.send(context.bot, chat_id, texts.daily_on(schedule.format_hhmm(parsed), zone))


async def _remind(context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int, args: list[str], zone: str) -> None:
    """`/daily remind HH:MM` or `/daily remind off`: the streak nudge."""
    svc = services(context).goal
    if len(args) == 1 and args[0].lower() in ("off", "stop"):
        await svc.set_reminder(user_id, None)
        await chat.send(context.bot, chat_id, texts_goal.REMIND_OFF)
        return
    parsed = schedule.parse_hhmm(args[0]) if len(args) == 1 else None
    if parsed is None:
        await chat.send(context.bot, chat_id, texts_goal.REMIND_USAGE)
        return
    await svc.set_reminder(user_id, parsed)
    await chat.send(context.bot, chat_id, texts_goal.remind_on(schedule.format_hhmm(parsed), zone))


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sets the user's IANA zone, suggesting a close match for a typo, or offers common zones."""
    if update.effective_user is None:
        return
    user_id, chat_id = update.effective_user.id, chat.chat_id_of(update)
    push = _push(context)
    wanted = " ".join(context.args or []).strip()
    if not wanted:
        await chat.send(context.bot, chat_id, texts.timezone_status(await _zone_name(push, user_id)), zone_keyboard())
        return
    name = schedule.canonical_zone(wanted)
    if name is None:
        await chat.send(context.bot, chat_id, texts.timezone_unknown(wanted[:64], schedule.suggest_zone(wanted)))
        return
    await push.set_timezone(user_id, name)
    await chat.send(context.bot, chat_id, _zone_set_text(context, name))


def _zone_set_text(context: ContextTypes.DEFAULT_TYPE, name: str) -> str:
    local = _push(context).now().astimezone(schedule.zone(name, "UTC"))
    return texts.timezone_set(name, schedule.format_hhmm(local.time()))


async def _saved(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Show the new setting in place of the buttons (or as a new message if that one is gone)."""
    chat_id = chat_of(query)
    if query.message is None or not await chat.edit(context.bot, chat_id, query.message.message_id, text):
        await chat.send(context.bot, chat_id, text)


async def _on_time(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: DailyTimeCb) -> None:
    user_id = query.from_user.id
    push = _push(context)
    at = schedule.from_minutes(data.minute)
    await push.subscribe(user_id, at)
    await chat.answer(query, texts.CB_SAVED)
    await _saved(query, context, texts.daily_on(schedule.format_hhmm(at), await _zone_name(push, user_id)))


async def _on_off(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: DailyOffCb) -> None:
    await _push(context).unsubscribe(query.from_user.id)
    await chat.answer(query, texts.CB_SAVED)
    await _saved(query, context, texts.DAILY_OFF)


async def _on_zone(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ZoneCb) -> None:
    if not 0 <= data.index < len(COMMON_ZONES):
        await chat.answer(query, texts.CB_INVALID)
        return
    name = COMMON_ZONES[data.index]
    await _push(context).set_timezone(query.from_user.id, name)
    await chat.answer(query, texts.CB_SAVED)
    await _saved(query, context, _zone_set_text(context, name))


async def _on_reveal(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: RevealCb) -> None:
    svc = services(context).interview
    res = await svc.reveal_open(query.from_user.id, data.session_id, data.position)
    if res is None:
        await chat.answer(query, texts.CB_STALE)
        return
    if res.outcome is not Outcome.RECORDED:
        await chat.answer(query, texts.CB_ALREADY_ANSWERED if res.outcome is Outcome.DUPLICATE else texts.CB_STALE)
        return
    await chat.answer(query)
    view = res.view
    assert isinstance(view.question, OpenQuestion)
    chat_id = chat_of(query)
    if query.message is not None:
        await chat.edit(
            context.bot, chat_id, query.message.message_id, f"{texts.DAILY_HEADER}\n\n{render.question_body(view)}"
        )
    _, grade_markup = render.model_answer(view, None)
    text = texts.reveal_text(to_html(view.question.model_answer), [kp.point for kp in view.question.key_points])
    await chat.send(context.bot, chat_id, text, grade_markup)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribes a user who blocked the bot; clears the flag when they unblock it."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    if status == ChatMember.BANNED:
        logger.info("user %s blocked the bot; daily question off", change.from_user.id)
        await _push(context).set_blocked(change.chat.id, True)
    elif status == ChatMember.MEMBER:
        await _push(context).set_blocked(change.chat.id, False)


ROUTES: Routes = {DailyTimeCb: _on_time, DailyOffCb: _on_off, ZoneCb: _on_zone, RevealCb: _on_reveal}
