"""The interface language through the real Application: Telegram's code, /language in private and in a group,
and the push and group posts, which have no update, in each recipient's language."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from telegram.ext import Application

from bot import i18n, texts
from bot.config import Settings
from bot.domain import polls
from bot.domain.bank import load_bank
from bot.telegram.jobs import run_push_round
from bot.telegram.polls import QUIZ_JOB_PREFIX, run_group_round
from bot.telegram.services import services_of
from tests.clock import FakeClock
from tests.fake_bot_api import (
    FakeBotApi,
    bot_membership_update,
    buttons,
    group_update,
    tap_update,
    text_update,
    with_language_code,
)
from tests.flows.driver import Sleeper, started_app, stop_app

UTC = dt.UTC
G = -1009876543
ADMIN = 1


@pytest_asyncio.fixture
async def lapp(settings: Settings, api: FakeBotApi, clock: FakeClock) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = await started_app(settings.model_copy(update={"group_quiz_seconds": 5}), api, clock, Sleeper(clock))
    yield app
    await stop_app(app)


async def _say(app: Application, user: int, text: str, code: str | None) -> None:  # type: ignore[type-arg]
    await app.process_update(with_language_code(text_update(app.bot, user, text), code, app.bot))


async def _group_say(app: Application, user: int, text: str, code: str | None = "en") -> None:  # type: ignore[type-arg]
    await app.process_update(with_language_code(group_update(app.bot, user, G, text, "Ada"), code, app.bot))


def _texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [str(m["text"]) for (c, _), m in sorted(api.messages.items()) if c == chat_id and "text" in m]


def _last(api: FakeBotApi, chat_id: int) -> dict[str, Any]:
    return [m for (c, _), m in sorted(api.messages.items()) if c == chat_id][-1]


def _russian(text: str) -> bool:
    return any("а" <= ch <= "я" for ch in text.lower())


async def test_telegram_russian_gets_russian_until_language_en(lapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    await _say(lapp, 501, "/start", "ru-RU")
    greeting = _last(api, 501)
    assert greeting["text"].startswith("Привет, Ann!")
    with i18n.use("ru"):
        assert [b["text"] for row in greeting["reply_markup"]["inline_keyboard"] for b in row] == list(
            texts.LEVEL_LABELS.values()
        )
    await _say(lapp, 501, "/help", "ru")
    assert _last(api, 501)["text"].startswith("<b>Что я умею</b>")

    await _say(lapp, 501, "/language en", "ru")
    assert _last(api, 501)["text"] == texts.LANGUAGE_SET  # said in the new language, English
    await _say(lapp, 501, "/help", "ru")  # the choice beats Telegram's code
    assert _last(api, 501)["text"] == texts.help_text()

    # /language alone: the current language, what stays English, and a keyboard; a tap switches back.
    await _say(lapp, 501, "/language", "ru")
    shown = _last(api, 501)
    assert "stay in English" in shown["text"]
    assert [label for label, _ in buttons(shown)] == ["English", "Русский"]
    russian = next(data for label, data in buttons(shown) if label == "Русский")
    await lapp.process_update(with_language_code(tap_update(lapp.bot, 501, shown, russian), "en", lapp.bot))
    assert _texts(api, 501)[-1].startswith("🌐 Готово: теперь я говорю с вами по-русски")
    await _say(lapp, 501, "/cancel", "en")
    with i18n.use("ru"):
        assert _last(api, 501)["text"] == texts.NOTHING_TO_CANCEL

    await _say(lapp, 501, "/language de", "en")
    assert _russian(_last(api, 501)["text"]) and "<code>ru</code>" in _last(api, 501)["text"]


async def test_unknown_or_missing_code_is_english_and_the_choice_survives_a_restart(
    settings: Settings, api: FakeBotApi, clock: FakeClock
) -> None:
    app = await started_app(settings, api, clock, Sleeper(clock))
    await _say(app, 502, "/help", "pt-br")
    assert _last(api, 502)["text"] == texts.help_text()
    await _say(app, 503, "/help", None)
    assert _last(api, 503)["text"] == texts.help_text()
    await _say(app, 503, "/language ru", None)
    await stop_app(app)
    app = await started_app(settings, api, clock, Sleeper(clock))
    try:
        await _say(app, 503, "/help", "en")
        assert _last(api, 503)["text"].startswith("<b>Что я умею</b>")
    finally:
        await stop_app(app)


async def test_a_russian_group_gets_its_polls_and_ranking_in_russian_an_english_user_english(
    lapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    settings: Settings,
) -> None:
    await lapp.process_update(bot_membership_update(lapp.bot, G, "left", "member", by=ADMIN))
    api.admins.add((G, ADMIN))
    await _group_say(lapp, 7, "/language ru")
    assert _texts(api, G)[-1] == texts.GROUP_ADMINS_ONLY  # in English: the member and the group have none
    await _group_say(lapp, ADMIN, "/language ru")
    assert _texts(api, G)[-1].startswith("🌐 Готово: язык этой группы — русский")

    # A private English user at the same time gets English.
    await _say(lapp, 601, "/start", "en")
    assert _last(api, 601)["text"].startswith("Hi, Ann!")

    # A daily poll whose question needs a lead message: the poll's stem points at it in Russian.
    bank = load_bank(settings.questions_dir)
    lead = next(
        q
        for q in polls.eligible(bank)
        if polls.build_poll(q, list(range(len(q.options))), "b", see_above="?", more="").lead_html is not None
    )
    with sqlite3.connect(settings.database_path) as raw:
        raw.executemany(
            "INSERT INTO disabled_questions (question_id, disabled_at) VALUES (?, 0)",
            [(q.id,) for q in bank if q.id != lead.id],
        )
    clock.set(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await _group_say(lapp, ADMIN, "/daily 09:00", code="en")
    report = await run_group_round(lapp)
    assert report is not None and report.sent == 1
    (daily,) = [c.params for c in api.of("sendPoll") if int(c.params["chat_id"]) == G]
    with i18n.use("ru"):
        assert daily["question"] == texts.POLL_SEE_ABOVE == "Ваш ответ на вопрос выше?"

    # A group quiz: the ranking at the end is Russian, whoever started it.
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DELETE FROM disabled_questions")
    await _group_say(lapp, ADMIN, "/groupquiz fresher 1", code="en")
    with sqlite3.connect(settings.database_path) as raw:
        (quiz_id,) = raw.execute("SELECT quiz_id FROM group_quizzes").fetchone()
    clock.advance(seconds=6)
    assert lapp.job_queue is not None
    (job,) = lapp.job_queue.get_jobs_by_name(f"{QUIZ_JOB_PREFIX}{quiz_id}")
    await job.run(lapp)
    assert _texts(api, G)[-1].startswith("🏁 <b>Групповой квиз окончен</b>")
    assert _texts(api, G)[-1].endswith("В этот раз никто не ответил.")

    # The next day's round closes yesterday's poll with its result line in Russian.
    clock.advance(days=1)
    await run_group_round(lapp)
    assert any(t.startswith("📊 Прошлый вопрос") for t in _texts(api, G))
    # Meanwhile the English user is still answered in English.
    await _say(lapp, 601, "/help", "en")
    assert _last(api, 601)["text"] == texts.help_text()


async def test_the_push_reaches_each_recipient_in_their_own_language(
    lapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    clock.set(dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    users = {701: "ru", 702: "en", 703: None, 704: "ru-RU"}
    for uid, code in users.items():
        await _say(lapp, uid, "/daily 09:00", code)
    await _say(lapp, 702, "/language ru", "en")  # a choice beats the code
    await _say(lapp, 704, "/language en", "ru")
    clock.set(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    report = await run_push_round(lapp)
    assert report is not None and report.sent == 4
    heads = {uid: _last(api, uid)["text"].split("\n")[0] for uid in users}
    assert heads == {
        701: "📅 <b>Вопрос дня</b>",
        702: "📅 <b>Вопрос дня</b>",
        703: "📅 <b>Daily question</b>",
        704: "📅 <b>Daily question</b>",
    }


async def test_the_push_cache_follows_deleteme_and_a_new_code(
    lapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
) -> None:
    languages = services_of(lapp).languages
    await _say(lapp, 801, "/language ru", "en")
    assert languages.cached(801) == "ru"
    await languages.warm()  # what a restart loads
    assert languages.cached(801) == "ru"
    await _say(lapp, 801, "/deleteme", "en")
    confirm = next(data for label, data in buttons(_last(api, 801)) if "🗑" in label)
    await lapp.process_update(with_language_code(tap_update(lapp.bot, 801, _last(api, 801), confirm), "en", lapp.bot))
    await _say(lapp, 801, "/help", "en")  # back as a new user, with no choice stored
    assert languages.cached(801) == "en" and _last(api, 801)["text"] == texts.help_text()
    await _say(lapp, 801, "/help", "ru")
    assert languages.cached(801) == "ru"
    await languages.warm()
    assert languages.cached(801) == "ru"


async def test_start_up_publishes_the_menu_and_descriptions_per_language(lapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    menus = {(c.params.get("language_code"), str(c.params.get("scope"))): c.params for c in api.of("setMyCommands")}
    assert {code for code, _ in menus} == {None, "ru"}
    descriptions = {c.params.get("language_code"): c.params["description"] for c in api.of("setMyDescription")}
    shorts = {c.params.get("language_code"): c.params["short_description"] for c in api.of("setMyShortDescription")}
    assert descriptions[None] == texts.BOT_DESCRIPTION and shorts[None] == texts.BOT_SHORT_DESCRIPTION
    assert _russian(descriptions["ru"]) and _russian(shorts["ru"])
    private_ru = next(p for (code, scope), p in menus.items() if code == "ru" and "group" not in scope)
    commands = private_ru["commands"]
    commands = [c if isinstance(c, dict) else c.to_dict() for c in commands]
    assert [c["command"] for c in commands] == [name for name, _ in texts.COMMANDS]
    assert all(_russian(c["description"]) for c in commands)


async def test_an_interview_deadline_job_speaks_the_users_language(
    lapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    await _say(lapp, 901, "/interview", "ru")
    intro = _last(api, 901)
    assert intro["text"].startswith("🎤 <b>Пробное собеседование</b>")
    await lapp.process_update(
        with_language_code(tap_update(lapp.bot, 901, intro, buttons(intro)[0][1]), "ru", lapp.bot)
    )
    found = services_of(lapp)
    view = await found.interview.current(901)
    assert view is not None and lapp.job_queue is not None
    [job] = lapp.job_queue.get_jobs_by_name(f"deadline-{view.session_id}-0")
    clock.advance(seconds=found.mock.budgets.of(view.question.kind) + 1)
    with i18n.use("en"):  # whatever the language of the task that runs the job
        await job.run(lapp)
    assert any(t.startswith("⏰ Время на вопрос 1 вышло") for t in _texts(api, 901))
    assert _texts(api, 901)[-1].startswith("<b>Вопрос 2/")
