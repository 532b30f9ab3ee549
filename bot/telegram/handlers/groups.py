"""Groups: welcome on being added, admin settings, /groupquiz, /top, votes, migration, and the poll deep link.

Group members are never registered as bot users here: someone who only votes in a group is stored as an id
and a first name (for leaderboards) when they vote, and nothing else.
"""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.domain import groups as rules
from bot.domain import polls, schedule
from bot.domain.bank import Level
from bot.domain.markup import to_html
from bot.services.group_quiz import QuizStart
from bot.services.group_settings import GroupSettings
from bot.services.group_votes import TopView
from bot.services.wiring import Groups
from bot.telegram import chat
from bot.telegram.handlers import commands, daily
from bot.telegram.polls import step_quiz
from bot.telegram.services import services

logger = logging.getLogger(__name__)

_ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
_PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED)


def _groups(context: ContextTypes.DEFAULT_TYPE) -> Groups:
    return services(context).groups


def _where(update: Update) -> tuple[Message, Chat] | None:
    message, tg_chat = update.effective_message, update.effective_chat
    if message is None or tg_chat is None or tg_chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return None
    return message, tg_chat


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """The sender is the group's creator or an administrator, or an anonymous admin posting as the group."""
    message, tg_chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or tg_chat is None:
        return False
    if message.sender_chat is not None:
        return message.sender_chat.id == tg_chat.id
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(tg_chat.id, user.id)
    except TelegramError as exc:
        logger.warning("group %s: could not check whether %s is an admin: %s", tg_chat.id, user.id, exc)
        return False
    return member.status in _ADMIN_STATUSES


async def _admin_or_refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> bool:
    if await is_admin(update, context):
        return True
    await chat.send(context.bot, chat_id, texts.GROUP_ADMINS_ONLY)
    return False


async def _admin_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[int, Groups, GroupSettings] | None:
    """For an admin command in a group: the chat id, the service and the group's settings; None otherwise."""
    where = _where(update)
    if where is None:
        return None
    chat_id = where[1].id
    if not await _admin_or_refuse(update, context, chat_id):
        return None
    svc = _groups(context)
    return chat_id, svc, await svc.settings.get(chat_id, where[1].title or "")


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help in a group: what the group can do."""
    where = _where(update)
    if where is not None:
        await chat.send(context.bot, where[1].id, texts.GROUP_HELP)


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private-chat command sent in a group (not one addressed to another bot)."""
    where = _where(update)
    if where is None or where[0].text is None:
        return
    command = where[0].text.split()[0]
    if "@" in command and command.split("@", 1)[1].lower() != (context.bot.username or "").lower():
        return
    await chat.send(context.bot, where[1].id, texts.GROUP_PRIVATE_ONLY)


async def daily_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/daily HH:MM, /daily off, or /daily to show the setting; admins only."""
    found = await _admin_group(update, context)
    if found is None:
        return
    chat_id, svc, group = found
    zone = group.zone
    args = context.args or []
    if not args:
        at = group.daily_time
        await chat.send(context.bot, chat_id, texts.group_daily_status(schedule.format_hhmm(at) if at else None, zone))
        return
    if args[0].lower() in ("off", "stop") and len(args) == 1:
        await svc.settings.set_daily(chat_id, None)
        await chat.send(context.bot, chat_id, texts.GROUP_DAILY_OFF)
        return
    parsed = schedule.parse_hhmm(args[0])
    if parsed is None or len(args) > 1:
        await chat.send(context.bot, chat_id, texts.GROUP_DAILY_BAD_TIME)
        return
    await svc.settings.set_daily(chat_id, parsed)
    await chat.send(context.bot, chat_id, texts.group_daily_on(schedule.format_hhmm(parsed), zone))


async def timezone_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timezone Area/City for the group, with the same suggestions as in private; admins only."""
    found = await _admin_group(update, context)
    if found is None:
        return
    chat_id, svc, group = found
    wanted = " ".join(context.args or []).strip()
    if not wanted:
        await chat.send(context.bot, chat_id, texts.group_timezone_status(group.zone))
        return
    name = schedule.canonical_zone(wanted)
    if name is None:
        await chat.send(context.bot, chat_id, texts.timezone_unknown(wanted[:64], schedule.suggest_zone(wanted)))
        return
    await svc.settings.set_timezone(chat_id, name)
    local = svc.settings.local_now(await svc.settings.get(chat_id))
    await chat.send(context.bot, chat_id, texts.group_timezone_set(name, schedule.format_hhmm(local.time())))


async def level_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/level fresher|intermediate|experienced|advanced|mixed; admins only."""
    found = await _admin_group(update, context)
    if found is None:
        return
    chat_id, svc, group = found
    args = context.args or []
    if not args:
        await chat.send(context.bot, chat_id, texts.group_level(group.level, changed=False))
        return
    parsed = rules.parse_level(args[0]) if len(args) == 1 else None
    if parsed is None:
        await chat.send(context.bot, chat_id, texts.GROUP_LEVEL_BAD)
        return
    level = parsed if isinstance(parsed, Level) else None
    await svc.settings.set_level(chat_id, level)
    await chat.send(context.bot, chat_id, texts.group_level(None if level is None else level.value, changed=True))


async def groupquiz_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/groupquiz [level] [n] starts a quiz of polls; /groupquiz admins|everyone says who may (admins only)."""
    where = _where(update)
    if where is None:
        return
    chat_id = where[1].id
    svc = _groups(context)
    group = await svc.settings.get(chat_id, where[1].title or "")
    args = [a.lower() for a in context.args or []]
    if args in (["admins"], ["everyone"]):
        if await _admin_or_refuse(update, context, chat_id):
            await svc.settings.set_quiz_admins_only(chat_id, args == ["admins"])
            await chat.send(
                context.bot, chat_id, texts.GROUPQUIZ_ADMINS if args == ["admins"] else texts.GROUPQUIZ_EVERYONE
            )
        return
    if group.quiz_admins_only and not await _admin_or_refuse(update, context, chat_id):
        return
    parsed = rules.parse_quiz_args(args)
    if isinstance(parsed, rules.QuizArgsError):
        await chat.send(context.bot, chat_id, texts.GROUPQUIZ_USAGE)
        return
    started = await svc.quiz.start_quiz(chat_id, parsed)
    if started.outcome is QuizStart.RUNNING:
        await chat.send(context.bot, chat_id, texts.GROUPQUIZ_RUNNING)
        return
    if started.outcome is QuizStart.EMPTY or started.quiz_id is None:
        await chat.send(context.bot, chat_id, texts.GROUPQUIZ_EMPTY)
        return
    await chat.send(context.bot, chat_id, texts.groupquiz_intro(started.size, started.level, svc.quiz.quiz_seconds))
    await step_quiz(context.application, started.quiz_id)


def _rows(table: list[rules.Score]) -> list[tuple[int, str, int, int]]:
    return [(i, s.first_name, s.points, s.answered) for i, s in enumerate(table, start=1)]


def top_message(view: TopView, first_name: str) -> str:
    """/top as text."""
    week = (view.my_week[0], view.my_week[1].points) if view.my_week else None
    every = (view.my_all_time[0], view.my_all_time[1].points) if view.my_all_time else None
    return texts.top_text(_rows(view.week), _rows(view.all_time), texts.top_mine(first_name, week, every))


async def top_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/top: this week's and all-time leaderboards of the group, and the caller's place."""
    where = _where(update)
    user = update.effective_user
    if where is None or user is None:
        return
    view = await _groups(context).votes.top(where[1].id, user.id)
    await chat.send(context.bot, where[1].id, top_message(view, user.first_name or ""))


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A vote on one of the bot's polls: the first one per member counts."""
    answer = update.poll_answer
    if answer is None or answer.user is None:
        return  # a vote cast as a chat, not a person: no one to score
    await _groups(context).votes.vote(answer.poll_id, answer.user.id, answer.user.first_name or "", answer.option_ids)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot added to a group (welcome) or removed from one (unsubscribe); private chats go to daily."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == ChatType.PRIVATE:
        await daily.on_my_chat_member(update, context)
        return
    if change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    svc = _groups(context)
    was, now = change.old_chat_member.status, change.new_chat_member.status
    if now in (ChatMember.LEFT, ChatMember.BANNED):
        await svc.settings.leave(change.chat.id)
    elif now in _PRESENT and was not in _PRESENT:
        await svc.settings.join(change.chat.id, change.chat.title or "")
        await chat.send(context.bot, change.chat.id, texts.group_welcome())


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its settings and scores follow it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        await _groups(context).settings.migrate(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id is not None:
        await _groups(context).settings.migrate(message.migrate_from_chat_id, message.chat.id)


async def explain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start q-<question id> (the link under a poll's explanation): the question's full explanation."""
    message = update.effective_message
    payload = (context.args or [""])[0]
    qid = polls.question_of_payload(payload)
    if message is None:
        return
    if qid is None:
        await commands.start(update, context)  # not a question link after all: the usual greeting
        return
    question = _groups(context).quiz.full_explanation(qid)
    if question is None:
        await chat.send(context.bot, message.chat_id, texts.DEEP_LINK_GONE)
        return
    right = question.options[question.correct_index].text
    await chat.send(
        context.bot,
        message.chat_id,
        texts.full_explanation(to_html(question.prompt), to_html(right), to_html(question.explanation)),
    )
