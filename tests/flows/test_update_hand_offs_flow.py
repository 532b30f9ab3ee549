"""Trips to the database thread per update, through the real Application: the sender is registered and their
language read in one, only when what is stored about them changes, and a quiz answer costs two in all (issue 21:
answer throughput against the bare bot).

Each hand-off costs the event loop a thread wake-up and the GIL a round trip; bench/bench_throughput.py
shows what they cost together, this test keeps their number from creeping back up.
"""

from __future__ import annotations

import sqlite3

from telegram import Update
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


def _user_row(app: Application) -> tuple[object, ...] | None:  # type: ignore[type-arg]
    with sqlite3.connect(services_of(app).settings.database_path) as conn:
        row = conn.execute(
            "SELECT first_name, language, language_code FROM users WHERE user_id = ?", (USER,)
        ).fetchone()
    return None if row is None else tuple(row)


def _marks(app: Application, upto: int) -> list[tuple[int, int, int]]:  # type: ignore[type-arg]
    """(position, message id stored, result shown) of the user's newest session, up to position `upto`."""
    with sqlite3.connect(services_of(app).settings.database_path) as conn:
        rows = conn.execute(
            "SELECT position, message_id IS NOT NULL, result_shown FROM session_questions "
            "WHERE session_id = (SELECT MAX(session_id) FROM sessions WHERE user_id = ?) AND position <= ? "
            "ORDER BY position",
            (USER, upto),
        ).fetchall()
    return [tuple(r) for r in rows]


def _answers(app: Application) -> int:  # type: ignore[type-arg]
    with sqlite3.connect(services_of(app).settings.database_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM answers WHERE user_id = ?", (USER,)).fetchone()[0])


async def test_a_private_update_registers_its_sender_in_one_hand_off(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    calls = HandOffs(services_of(app).db)
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot))
    assert calls.take() == 1  # the user is created, the Telegram code stored, the language read: together
    assert _language_code(app) == "ru"
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "en-GB", app.bot))
    assert calls.take() == 1
    assert _language_code(app) == "en"  # a changed code is still kept, in the same hand-off
    await app.process_update(text_update(app.bot, USER, "/help"))  # a client that sends no code
    assert calls.take() == 0  # nothing stored would change
    assert _language_code(app) == "en"
    assert "What I can do" in api.sent_texts()[-1]


async def test_an_unchanged_sender_costs_no_hand_off_until_something_changes(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    calls = HandOffs(services_of(app).db)
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot))
    assert calls.take() == 1
    for _ in range(3):
        await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot))
        assert calls.take() == 0
    assert "/quiz" in api.sent_texts()[-1]  # still answered in Russian, from memory (commands stay in Latin)
    renamed = with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot).to_dict()
    renamed["message"]["from"]["first_name"] = "Anna"
    await app.process_update(Update.de_json(renamed, app.bot))
    assert calls.take() == 1 and _user_row(app) == ("Anna", None, "ru")  # a new name is written
    await app.process_update(with_language_code(text_update(app.bot, USER, "/language en"), "ru", app.bot))
    assert _user_row(app) == ("Ann", "en", "ru")
    calls.take()
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot))
    assert calls.take() == 1  # the choice made the memory stale: read again once
    await app.process_update(with_language_code(text_update(app.bot, USER, "/help"), "ru", app.bot))
    assert calls.take() == 0
    assert "What I can do" in api.sent_texts()[-1]  # the choice (English) wins over Telegram's code


async def test_a_deleted_user_is_registered_again_by_their_next_update(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api, USER)
    await user.say("/help")
    assert await services_of(app).progress.delete(USER)
    assert _user_row(app) is None
    await user.say("/quiz")  # remembered before the deletion; must not be taken as still stored
    assert _user_row(app) == ("Ann", None, None)
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    assert user.last()["text"].startswith("<b>Question 1/")


async def test_a_quiz_answer_takes_two_hand_offs(app: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(app, api, USER)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    calls = HandOffs(services_of(app).db)
    for _ in range(3):
        question = user.last_with_buttons()
        await user.tap(question, buttons(question)[0][1])
        # The answer with what follows; then the next question's message id and the result shown, together.
        assert calls.take() == 2
    assert _answers(app) == 3
    marks = _marks(app, 3)
    assert marks == [(0, 1, 1), (1, 1, 1), (2, 1, 1), (3, 1, 0)]


async def test_a_lost_edit_still_stores_the_next_question_and_a_second_tap_mends_it(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
) -> None:
    user = ChatDriver(app, api, USER)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    question = user.last_with_buttons()
    api.fail("editMessageText", 400, "Bad Request: message can't be edited")  # an error the bot does not retry
    await user.tap(question, buttons(question)[0][1])
    marks = _marks(app, 1)
    assert marks == [(0, 1, 0), (1, 1, 0)]  # the next question's message is known although the edit failed
    await user.tap(question, buttons(question)[0][1])  # the same tap again
    asked = [t for t in api.sent_texts() if t.startswith("<b>Question 2/")]
    assert len(asked) == 1  # its message id was stored: not sent twice
    assert len(api.of("editMessageText")) == 3  # the picker, the failed edit, and the mending one
    shown = _marks(app, 0)[0][2]
    assert shown == 1
    assert _answers(app) == 1
