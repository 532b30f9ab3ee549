"""Progress and personal data through the real Application: /stats, /history, /export, /reset, /deleteme."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import threading
from pathlib import Path
from typing import Any

import PIL.Image
import pytest
from telegram.ext import Application

from bot import chart
from bot.config import DEFAULT_QUESTIONS_DIR, Settings
from bot.domain.bank import McqQuestion, load_bank
from bot.domain.chart import ChartData
from bot.domain.goal import READY_BAR
from bot.domain.progress import Erasure, topics_from_mask
from bot.telegram.callback import AnswerCb, EraseCb, HistoryCb, WeakTopicsCb, unpack
from bot.telegram.services import Services
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver


async def _tap_answer(user: ChatDriver, question: dict[str, Any], right: bool) -> None:
    services = user.app.bot_data["services"]
    assert isinstance(services, Services)
    data = [d for _, d in buttons(question)]
    first = unpack(data[0])
    assert isinstance(first, AnswerCb)
    view = await services.interview.view(first.session_id, first.position)
    assert view is not None and isinstance(view.question, McqQuestion)
    shown = view.order.index(view.question.correct_index)
    await user.tap(question, data[shown if right else (shown + 1) % len(data)])


async def _quiz(user: ChatDriver, clock: FakeClock, wrong_every: int = 3) -> None:
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    for i in range(10):
        clock.advance(seconds=20)
        await _tap_answer(user, user.last_with_buttons(), right=i % wrong_every != 0)


def _count(path: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute(sql, args).fetchone()[0])


def _with_data(message: dict[str, Any], kind: type) -> str:
    return next(d for _, d in buttons(message) if isinstance(unpack(d), kind))


async def test_a_new_user_is_invited_not_shown_empty_tables(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    for command in ("/stats", "/history", "/export"):
        await user.say(command)
    sent = api.sent_texts()
    assert len(sent) == 3 and all("/quiz" in t for t in sent)
    assert not api.of("sendDocument")


async def test_stats_after_a_quiz_and_the_weakest_topics_button(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    await user.say("/stats")
    stats = user.last()
    text = stats["text"]
    assert "Your progress" in text and "Streak: <b>1</b> day" in text and "best 1" in text
    assert "Reviews due: <b>" in text and "Fresher" in text and "▰" in text
    assert "Work on next" in text
    (label, packed), *others = buttons(stats)
    assert all("Review" in other for other, _ in others)
    data = unpack(packed)
    assert isinstance(data, WeakTopicsCb) and "weakest" in label and len(packed.encode()) <= 64
    weak = topics_from_mask(data.topics)
    assert 1 <= len(weak) <= 3 and all(t in text.split("Work on next")[1] for t in weak)
    await user.tap(stats, _with_data(stats, WeakTopicsCb))
    question = user.last_with_buttons()
    assert question["text"].startswith("<b>Question 1/")
    assert any(f"· {t}" in question["text"] for t in weak)


async def test_streak_counts_the_next_local_day(app: Application, api: FakeBotApi, clock: FakeClock) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    clock.advance(days=1)
    await _quiz(user, clock)
    await user.say("/stats")
    assert "Streak: <b>2</b> days" in user.last()["text"]
    clock.advance(days=2)
    await user.say("/stats")
    assert "Streak: <b>0</b> days · best 2" in user.last()["text"]


async def test_history_lists_sessions_and_shows_answers(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    await user.say("/history")
    listing = user.last()
    assert "Your last sessions" in listing["text"] and "quiz" in listing["text"]
    assert "3 min" in listing["text"]  # ten answers, 20 s apart
    data = _with_data(listing, HistoryCb)
    await user.tap(listing, data)
    detail = user.last()["text"]
    assert detail.count("Your answer:") == 10 and detail.count("❌") == 4 and detail.count("✅") == 6
    other = ChatDriver(app, api, user_id=2002)
    await other.tap(listing, data)
    assert other.answers()[-1] == "That session is no longer stored."


async def test_export_sends_a_csv_document_of_every_answer(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
    settings: Settings,
) -> None:
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    await user.say("/export")
    [call] = api.of("sendDocument")
    [(filename, content)] = call.files.values()
    assert filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(content.decode(), newline="")))
    assert len(rows) == 10
    assert sum(r["result"] == "right" for r in rows) == 6
    stored = _count(settings.database_path, "SELECT COUNT(*) FROM answers WHERE user_id = ?", user.user_id)
    assert stored == len(rows)
    assert {r["mode"] for r in rows} == {"quiz"} and all(r["answered_at"].endswith("Z") for r in rows)


async def test_reset_asks_first_and_keeps_settings(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
    settings: Settings,
) -> None:
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE users SET timezone = 'Europe/Berlin' WHERE user_id = ?", (user.user_id,))
    await user.say("/reset")
    confirm = user.last()
    keep = next(d for _, d in buttons(confirm) if unpack(d) == EraseCb(Erasure.RESET, 0))
    await user.tap(confirm, keep)
    assert api.messages[(user.user_id, confirm["message_id"])]["text"] == "Nothing was erased."
    assert _count(settings.database_path, "SELECT COUNT(*) FROM answers") == 10
    await user.say("/reset")
    confirm = user.last()
    yes = next(d for _, d in buttons(confirm) if d.endswith(":1"))
    await user.tap(confirm, yes)
    assert "10 answers erased" in api.messages[(user.user_id, confirm["message_id"])]["text"]
    assert _count(settings.database_path, "SELECT COUNT(*) FROM answers") == 0
    assert _count(settings.database_path, "SELECT COUNT(*) FROM sessions") == 0
    assert _count(settings.database_path, "SELECT COUNT(*) FROM users WHERE timezone = 'Europe/Berlin'") == 1
    await user.say("/stats")
    assert "not answered any questions yet" in user.last()["text"]


async def test_deleteme_erases_everything_and_start_begins_clean(
    app: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
    settings: Settings,
) -> None:
    user = ChatDriver(app, api)
    other = ChatDriver(app, api, user_id=3003)
    await _quiz(other, clock)
    await _quiz(user, clock)
    await user.say("/deleteme")
    confirm = user.last()
    await user.tap(confirm, next(d for _, d in buttons(confirm) if d.endswith(":1")))
    assert "deleted" in api.messages[(user.user_id, confirm["message_id"])]["text"]
    with sqlite3.connect(settings.database_path) as raw:
        tables = [
            r[0]
            for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        for table in tables:
            cols = [c[0] for c in raw.execute("SELECT name FROM pragma_table_info(?)", (table,))]
            for col in ("user_id", "chat_id"):
                if col in cols:
                    left = raw.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{col}" = ?', (user.user_id,))
                    assert left.fetchone()[0] == 0, table
        assert raw.execute("SELECT COUNT(*) FROM answers WHERE user_id = ?", (other.user_id,)).fetchone()[0] == 10
    await user.say("/start")
    await user.say("/stats")
    assert "not answered any questions yet" in user.last()["text"]
    assert _count(settings.database_path, "SELECT COUNT(*) FROM users WHERE user_id = ?", user.user_id) == 1


async def test_stats_sends_the_chart_as_a_photo_drawn_off_the_event_loop(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn_in: list[int] = []
    real = chart.render_png

    def spy(data: ChartData) -> bytes:
        drawn_in.append(threading.get_ident())
        return real(data)

    monkeypatch.setattr(chart, "render_png", spy)
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    clock.advance(days=2)
    await _quiz(user, clock)
    await _quiz(user, clock)
    await user.say("/stats")
    # Drawn once, in a worker thread: the loop (this thread) went on serving meanwhile.
    assert drawn_in and drawn_in[0] != threading.get_ident() and len(drawn_in) == 1
    [photo] = api.of("sendPhoto")
    assert int(photo.params["chat_id"]) == user.user_id and "30 days" in str(photo.params["caption"])
    [(filename, png)] = photo.files.values()
    assert filename.endswith(".png")
    image = PIL.Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 800 and image.height > 600
    # The text stays and comes after the picture, with the buttons at the bottom.
    calls = [c.method for c in api.calls if c.method in ("sendPhoto", "sendMessage")]
    assert calls[-2:] == ["sendPhoto", "sendMessage"] and "Your progress" in user.last()["text"]
    # What the picture draws: every Fresher topic of the bank, and the 30 answers on their two days.
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    report = await services.progress.stats(user.user_id)
    assert report.chart is not None and report.chart.level == "fresher"
    bank_topics = {q.topic for q in load_bank(DEFAULT_QUESTIONS_DIR) if q.level.value == "fresher"}
    assert {t.topic for t in report.chart.topics} == bank_topics
    tried = {t.topic: t.readiness for lp in report.levels for t in lp.topics}
    assert all(t.readiness == tried.get(t.topic, 0.0) for t in report.chart.topics)
    per_day = [n for _, n in report.chart.days]
    assert len(per_day) == 30 and per_day[-1] == 20 and per_day[-3] == 10 and sum(per_day) == 30


async def test_stats_text_still_goes_when_the_chart_fails(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(data: ChartData) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(chart, "render_png", broken)
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    await user.say("/stats")
    assert "Your progress" in user.last()["text"] and not api.of("sendPhoto")
    assert "could not send the /stats chart" in caplog.text


async def test_stats_chart_with_a_goal_draws_the_forecast_at_the_date(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[ChartData] = []
    real = chart.render_png

    def spy(data: ChartData) -> bytes:
        drawn.append(data)
        return real(data)

    monkeypatch.setattr(chart, "render_png", spy)
    user = ChatDriver(app, api)
    await _quiz(user, clock)
    date = (clock.now() + dt.timedelta(days=30)).date()
    await user.say(f"/goal {date.isoformat()} intermediate")
    await user.say("/stats")
    [data] = drawn
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    goal = await services.goal.view(user.user_id)
    assert goal is not None
    # The goal's level, its bar and date, and per topic both readiness now and the forecast at the date.
    assert data.level == "intermediate" and data.goal == (date, READY_BAR)
    assert data.topics and all(t.topic in goal.topics_now or t.topic in goal.topics_at_date for t in data.topics)
    assert [t.readiness for t in data.topics] == [goal.topics_now.get(t.topic, 0.0) for t in data.topics]
    assert [t.forecast for t in data.topics] == [goal.topics_at_date.get(t.topic, 0.0) for t in data.topics]
    assert api.of("sendPhoto")
