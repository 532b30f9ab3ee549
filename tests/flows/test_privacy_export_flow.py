"""/privacy and /export json through the real Application."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from telegram.ext import Application

from bot import texts
from bot.config import Settings
from bot.storage.export import CHILD_TABLES, USER_TABLES
from bot.telegram.app import build_application
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, unthrottled
from tests.flows.driver import ChatDriver, Sleeper
from tests.flows.test_progress_flow import _quiz


def _count(path: Path, table: str, column: str, value: int) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (value,)).fetchone()[0])


async def test_export_json_holds_every_row_about_the_user_and_csv_stays(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    settings: Settings,
) -> None:
    ann, bob = ChatDriver(app, api, 1001), ChatDriver(app, api, 1002)
    await _quiz(ann, clock)
    await _quiz(bob, clock)
    await ann.say("/daily 09:30")
    await ann.say("/export json")
    [call] = api.of("sendDocument")
    assert call.params["caption"] == texts.EXPORT_JSON_CAPTION
    [(filename, content)] = call.files.values()
    assert filename == texts.EXPORT_JSON_FILENAME
    document = json.loads(content.decode("utf-8"))
    assert document["user_id"] == 1001 and document["format"] == "flask-interview-bot/user-data"
    tables = document["tables"]
    assert set(tables) == {t for t, _ in USER_TABLES} | {t for t, *_ in CHILD_TABLES}
    assert [(u["user_id"], u["daily_time"]) for u in tables["users"]] == [(1001, "09:30")]
    for table in ("sessions", "answers", "cards"):
        assert len(tables[table]) == _count(settings.database_path, table, "user_id", 1001) > 0, table
        assert {row["user_id"] for row in tables[table]} == {1001}, table
    assert len(tables["answers"]) == 10
    [session] = tables["sessions"]
    assert {q["session_id"] for q in tables["session_questions"]} == {session["session_id"]}
    assert len(tables["session_questions"]) == 10

    await ann.say("/export")  # plain /export: the CSV of answers, as before
    assert api.of("sendDocument")[-1].files and next(iter(api.of("sendDocument")[-1].files.values()))[0].endswith(
        ".csv"
    )
    await ann.say("/export yaml")
    assert ann.last()["text"] == texts.EXPORT_USAGE
    assert len(api.of("sendDocument")) == 2


async def test_privacy_names_the_contact_and_the_llm_host(
    settings: Settings, api: FakeBotApi, clock: FakeClock
) -> None:
    configured = settings.model_copy(
        update={"privacy_contact": "@flask_ops <admin>", "llm_base_url": "https://llm.example.org/v1", "llm_model": "m"}
    )
    app = build_application(configured, clock=clock, request=api, limiter=unthrottled(configured, Sleeper(clock)))
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    try:
        user = ChatDriver(app, api, 1001)
        await user.say("/privacy")
        text = user.last()["text"]
    finally:
        await app.shutdown()
        await app.post_shutdown(app)
    assert "run by @flask_ops &lt;admin&gt;." in text  # the operator's text is escaped like any other
    assert "llm.example.org" in text
    assert "/deleteme" in text and "/export json" in text


async def test_privacy_without_a_contact_says_so(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api, 1001)
    await user.say("/privacy")
    text = user.last()["text"]
    assert "has not published a contact" in text and "sent to" not in text
