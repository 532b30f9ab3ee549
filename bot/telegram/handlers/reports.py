"""Reporting a question (Report → reason → optional comment) and the admins' triage: /reports, /enable."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import i18n, texts
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.domain.markup import to_html
from bot.domain.report_reason import Reason, ReportAction
from bot.services.reports import ReportGroup
from bot.telegram import chat, render
from bot.telegram.callback import ReportActionCb, ReportCb, ReportReasonCb
from bot.telegram.chat import chat_of
from bot.telegram.handlers.routes import Routes
from bot.telegram.services import services

logger = logging.getLogger(__name__)

MAX_GROUPS_SHOWN = 20


def _is_admin(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    return user_id in services(context).settings.admin_ids


async def _admin_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The chat of an admin's command; anyone else gets the usual "unknown command" and None."""
    user, tg_chat = update.effective_user, update.effective_chat
    if user is None or tg_chat is None:
        return None
    if not _is_admin(context, user.id):
        await chat.send(context.bot, tg_chat.id, texts.UNKNOWN_COMMAND)
        return None
    return tg_chat.id


async def _on_report(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ReportCb) -> None:
    user_id = query.from_user.id
    if await services(context).reports.question_of(user_id, data.session_id, data.position) is None:
        await chat.answer(query, texts.CB_INVALID)
        return
    await chat.answer(query)
    buttons = [
        InlineKeyboardButton(label, callback_data=ReportReasonCb(data.session_id, data.position, Reason(r)).pack())
        for r, label in texts.REPORT_REASONS.items()
    ]
    markup = InlineKeyboardMarkup([buttons[:3], buttons[3:]])
    await chat.send(context.bot, chat_of(query), texts.REPORT_ASK, markup)


async def _on_reason(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ReportReasonCb) -> None:
    svc = services(context)
    user_id = query.from_user.id
    filed = await svc.reports.file(user_id, data.session_id, data.position, data.reason)
    if filed is None:
        await chat.answer(query, texts.CB_INVALID)
        return
    await chat.answer(query, texts.CB_REPORTED)
    chat_id = chat_of(query)
    if query.message is None or not await chat.edit(
        context.bot, chat_id, query.message.message_id, texts.REPORT_THANKS
    ):
        await chat.send(context.bot, chat_id, texts.REPORT_THANKS)
    logger.info("user %s reported %s (%s)", user_id, filed.question_id, data.reason.value)
    if filed.first_today:
        for admin in sorted(svc.settings.admin_ids):
            try:
                with i18n.use(svc.languages.cached(admin)):  # the admin's language, not the reporter's
                    notice = texts.report_notice(filed.question_id, data.reason.value)
                await chat.send(context.bot, admin, notice)
            except Exception as exc:  # an admin who never started the bot cannot be messaged; that is fine
                logger.info("could not notify admin %s: %s", admin, exc)


async def take_comment(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int, text: str) -> bool:
    """Store the text as the comment of the report waiting for one; False if none waits."""
    if not await services(context).reports.comment(user_id, text):
        return False
    if update.effective_chat:
        await chat.send(context.bot, update.effective_chat.id, texts.REPORT_COMMENT_SAVED)
    return True


def _group_markup(group: ReportGroup) -> InlineKeyboardMarkup:
    rid = group.latest_report_id
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.BTN_DISABLE, callback_data=ReportActionCb(ReportAction.DISABLE, rid).pack()),
                InlineKeyboardButton(texts.BTN_DISMISS, callback_data=ReportActionCb(ReportAction.DISMISS, rid).pack()),
            ],
            [InlineKeyboardButton(texts.BTN_SHOW, callback_data=ReportActionCb(ReportAction.SHOW, rid).pack())],
        ]
    )


async def reports(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists open reports grouped by question, for admins; everyone else gets "unknown command"."""
    chat_id = await _admin_chat(update, context)
    if chat_id is None:
        return
    svc = services(context)
    groups = await svc.reports.open_groups()
    if not groups:
        await chat.send(context.bot, chat_id, texts.REPORTS_EMPTY)
        return
    disabled = await svc.reports.disabled_question_ids()
    for g in groups[:MAX_GROUPS_SHOWN]:
        changed = g.current_hash is not None and any(h != g.current_hash for h in g.hashes)
        text = texts.report_group(g.question_id, g.count, g.reasons, g.comments, g.question_id in disabled, changed)
        await chat.send(context.bot, chat_id, text, _group_markup(g))


def question_text(question: McqQuestion | OpenQuestion) -> str:
    """A question as editors need to see it: prompt, options with the right one marked, explanation."""
    parts = [texts.question_heading(question.id, question.level.value, question.topic), to_html(question.prompt)]
    if isinstance(question, McqQuestion):
        parts.append("\n".join(f"{'✅' if o.correct else '▫️'} {to_html(o.text)}" for o in question.options))
        parts.append(to_html(question.explanation))
    else:
        parts.append(to_html(question.model_answer))
    return render.clip("\n\n".join(parts))


async def _on_action(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, data: ReportActionCb) -> None:
    if not _is_admin(context, query.from_user.id):
        await chat.answer(query, texts.CB_INVALID)
        return
    svc = services(context)
    qid = await svc.reports.question_of_report(data.report_id)
    if qid is None:
        await chat.answer(query, texts.CB_STALE)
        return
    await chat.answer(query)
    chat_id = chat_of(query)
    if data.action is ReportAction.SHOW:
        question = svc.interview.bank.get(qid)
        await chat.send(context.bot, chat_id, question_text(question) if question else texts.unknown_question(qid))
        return
    if data.action is ReportAction.DISABLE:
        await svc.reports.disable(qid, query.from_user.id)
        text = texts.question_disabled(qid)
        logger.info("admin %s disabled question %s", query.from_user.id, qid)
    else:
        text = texts.reports_dismissed(qid, await svc.reports.dismiss(qid))
    if query.message is None or not await chat.edit(context.bot, chat_id, query.message.message_id, text):
        await chat.send(context.bot, chat_id, text)


async def enable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Brings a disabled question back, for admins; everyone else gets "unknown command"."""
    chat_id = await _admin_chat(update, context)
    if chat_id is None:
        return
    args = context.args or []
    if len(args) != 1:
        await chat.send(context.bot, chat_id, texts.ENABLE_USAGE)
        return
    svc = services(context)
    qid = args[0][:64]
    if qid not in svc.interview.bank:
        await chat.send(context.bot, chat_id, texts.unknown_question(qid))
        return
    await chat.send(context.bot, chat_id, texts.question_enabled(qid, await svc.reports.enable(qid)))


ROUTES: Routes = {ReportCb: _on_report, ReportReasonCb: _on_reason, ReportActionCb: _on_action}
