"""Scenario 2: kill -9 in the middle of a quiz and restart; SIGTERM stops cleanly after handling what it got."""

from __future__ import annotations

import pytest

from bot import texts
from tests.e2e.botapi import BotApiServer, StoredMessage
from tests.e2e.conftest import BotProcess, answered, answers_rows, right_button, wait_answered, wait_for_question

pytestmark = pytest.mark.e2e

USER = 7_100_001


def _questions(api: BotApiServer, number: int) -> list[StoredMessage]:
    return [m for m in api.bot_messages(USER) if (m.text or "").startswith(f"Question {number}/")]


async def _answer(api: BotApiServer, number: int) -> None:
    question = await wait_for_question(api, USER, number)
    query = api.tap(USER, question, right_button(question))
    await wait_answered(api, query)
    await api.wait_for(lambda: answered(question), 20, f"result of question {number}")


async def test_kill_9_mid_quiz_then_restart_continues(api: BotApiServer, bot_process: BotProcess) -> None:
    api.watch.append(USER)
    await bot_process.start()
    api.send_text(USER, "/quiz")
    await api.wait_for(lambda: api.last_with_buttons(USER) is not None, 20, "level picker")
    picker = api.last_with_buttons(USER)
    assert picker is not None
    await wait_answered(api, api.tap(USER, picker, label="Intermediate"))
    for number in (1, 2, 3):
        await _answer(api, number)
    open_question = await wait_for_question(api, USER, 4)

    # 1. kill -9 while question 4 waits: after the restart its buttons still work.
    assert await bot_process.kill() == -9
    await bot_process.start()
    query = api.tap(USER, open_question, right_button(open_question))
    await wait_answered(api, query)
    assert api.callbacks[query].answer_text == texts.CB_RECORDED_RIGHT
    await api.wait_for(lambda: answered(open_question), 20, "result of question 4 after the restart")

    # 2. kill -9 right after Telegram handed over a tap, before the bot could finish with it.
    question5 = await wait_for_question(api, USER, 5)
    data5 = right_button(question5)
    query5 = api.tap(USER, question5, data5)
    update_id = api.updates[-1]["update_id"]
    await api.wait_for(lambda: update_id in api.delivered, 20, "the tap to reach the bot")
    assert await bot_process.kill() == -9
    await bot_process.start()
    # The tap may have been lost with the process (PTB confirms a batch as soon as it fetched it):
    # then the user, still seeing the buttons, taps again.
    if not await api.until(lambda: answered(question5), 3):
        await wait_answered(api, api.tap(USER, question5, data5))
    await api.wait_for(lambda: answered(question5), 20, "result of question 5")

    # /quiz offers to resume at the same place; Resume shows question 6 again.
    await wait_for_question(api, USER, 6)
    # A crash between sending question 6 and storing its message id makes the repeated tap send it once
    # more (at least once, never lost); both copies carry the same buttons.
    sixes = len(_questions(api, 6))
    assert sixes in (1, 2)
    api.send_text(USER, "/quiz")
    await api.wait_for(
        lambda: "unfinished quiz (question 6 of 10)" in (api.bot_messages(USER)[-1].text or ""), 20, "the resume offer"
    )
    offer = api.bot_messages(USER)[-1]
    await wait_answered(api, api.tap(USER, offer, label="Resume"))
    await api.wait_for(lambda: len(_questions(api, 6)) == sixes + 1, 20, "question 6 shown again")
    for number in range(6, 11):
        question = (
            next(m for m in reversed(_questions(api, number)) if not answered(m))
            if number > 6
            else _questions(api, 6)[-1]
        )
        query = api.tap(USER, question, right_button(question))
        await wait_answered(api, query)
        if number < 10:
            await wait_for_question(api, USER, number + 1)
    await api.wait_for(lambda: any("Score: 10/10" in (m.text or "") for m in api.bot_messages(USER)), 20, "score")

    rows = answers_rows(bot_process)
    assert [r[1] for r in rows] == list(range(10)), rows  # one answer per position, none twice
    assert all(r[4] == 1 for r in rows)
    for number in range(1, 11):  # every question sent once (question 6 once more on Resume)
        assert len(_questions(api, number)) == (sixes + 1 if number == 6 else 1), number
    # /export sends the history as a file (multipart sendDocument) with the ten answers in it.
    api.send_text(USER, "/export")
    await api.wait_for(lambda: "document" in api.bot_messages(USER)[-1].extra, 20, "the export file")
    assert api.bot_messages(USER)[-1].extra["document"]["file_size"] > 0

    # Only a tap that died with the process may be left without an answer (Telegram lets it expire).
    assert [c.query_id for c in api.unanswered()] in ([], [query5])
    assert await bot_process.terminate() == 0
    assert bot_process.returncodes == [-9, -9, 0]


async def test_sigterm_stops_cleanly_after_handling_received_updates(
    api: BotApiServer, bot_process: BotProcess
) -> None:
    await bot_process.start()
    users = [7_200_000 + i for i in range(15)]
    ids = [api.send_text(uid, "/help") for uid in users]
    taps = []
    for uid in users[:5]:
        api.send_text(uid, "/quiz")

    # /help's reply has a button of its own (the Flask 2 -> 3 drill): find /quiz's level picker by its label.
    def picker_of(uid: int) -> StoredMessage | None:
        return next((m for m in api.bot_messages(uid) if any("Fresher" in t for t, _ in m.buttons)), None)

    await api.wait_for(lambda: all(picker_of(uid) for uid in users[:5]), 20, "pickers")
    for uid in users[:5]:
        picker = picker_of(uid)
        assert picker is not None
        taps.append(api.tap(uid, picker, label="Fresher"))
    ids += [u["update_id"] for u in api.updates[-5:]]
    await api.wait_for(lambda: set(ids) <= api.delivered, 20, "updates to reach the bot")
    code = await bot_process.terminate()
    assert code == 0, bot_process.stderr()
    for uid in users:
        assert any("What I can do" in (m.text or "") for m in api.bot_messages(uid)), uid
    for uid, query in zip(users[:5], taps, strict=True):
        assert api.callbacks[query].answered
        assert any((m.text or "").startswith("Question 1/") for m in api.bot_messages(uid)), uid
    # Everything handled was confirmed: a restart gets nothing twice.
    assert api.confirmed_below > max(ids)
    assert "Traceback" not in bot_process.stderr()
