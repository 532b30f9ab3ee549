"""Trips to the database thread per update, through the real Application: the sender is registered and their
language read in one, and a quiz answer costs four in all (issue 21: answer throughput against the bare bot).

Each hand-off costs the event loop a thread wake-up and the GIL a round trip; bench/bench_throughput.py
shows what they cost together, this test keeps their number from creeping back up.
"""

from __future__ import annotations

import sqlite3

from telegram.ext import Application

from bot.telegram.services import services_of
from tests.fake_bot_api import FakeBotApi, buttons, text_update, with_language_code
from tests.flows.driver import ChatDriver
from tests.storage.test_one_transaction import HandOffs

USER = 4242


def _language_code(app: Application) -> str | None:  # type: ignore[type-arg]
    """Read on a connection of its own, so the read is no hand-off of the bot's."""
    with sqlite3.connect(services_of(app).settings.database_path) as conn:
        row = conn.execute("SELECT language_code FROM users WHERE user_id = ?", (USER,)).fetchone()
    assert row is not None
    return None if row[0] is None else str(row[0])


async def test_a_private_update_registers_its_sender_in_one_hand_off(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    calls = HandOffs(services_of(app).db)
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot))
    assert calls.take() == 1  # the user is created, the Telegram code stored, the language read: together
    assert _language_code(app) == "ru"
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "en-GB", app.bot))
    assert calls.take() == 1
    assert _language_code(app) == "en"  # a changed code is still kept, in the same hand-off
    await app.process_update(text_update(app.bot, USER, "/help"))  # a client that sends no code
    assert calls.take() == 1
    assert _language_code(app) == "en"


async def test_a_quiz_answer_takes_four_hand_offs(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api, USER)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    calls = HandOffs(services_of(app).db)
    for _ in range(3):
        question = user.last_with_buttons()
        await user.tap(question, buttons(question)[0][1])
        # The sender, the answer with what follows, the next question's message id, the result shown.
        assert calls.take() == 4
    path = services_of(app).settings.database_path
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers WHERE user_id = ?", (USER,)).fetchone()[0] == 3
