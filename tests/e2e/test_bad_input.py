"""Scenario 3: everything a user (or a forger) can throw at the bot; every tap answered, no traceback, state intact."""

from __future__ import annotations

import pytest

from bot import texts
from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, answered, answers_rows, right_button, wait_answered, wait_for_question

pytestmark = pytest.mark.e2e

ANN, BOB, CAT = 8_100_001, 8_100_002, 8_100_003
GROUP = -100_555_000_111


async def _settle(api: BotApiServer, user: int) -> None:
    """Updates are handled in order: once a /help sent now is answered, everything before it was handled."""
    before = sum("What I can do" in (m.text or "") for m in api.bot_messages(user))
    api.send_text(user, "/help")
    await api.wait_for(
        lambda: sum("What I can do" in (m.text or "") for m in api.bot_messages(user)) > before,
        30,
        "the bot to catch up",
    )


def _last_text(api: BotApiServer, user: int) -> str:
    return api.bot_messages(user)[-1].text or ""


async def test_bad_input_is_answered_and_changes_nothing(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start()
    api.send_text(ANN, "/quiz")
    await api.wait_for(lambda: api.last_with_buttons(ANN) is not None, 20, "level picker")
    picker = api.last_with_buttons(ANN)
    assert picker is not None
    level_data = picker.buttons[0][1]
    await wait_answered(api, api.tap(ANN, picker, level_data))
    q1 = await wait_for_question(api, ANN, 1)
    q1_data = right_button(q1)
    await wait_answered(api, api.tap(ANN, q1, q1_data))
    q2 = await wait_for_question(api, ANN, 2)
    await api.wait_for(lambda: answered(q1), 20, "result of question 1")
    before = answers_rows(bot_process)
    assert len(before) == 1
    questions_before = len(api.bot_messages(ANN))

    answers: dict[str, str | None] = {}

    async def tap(user: int, data: str, message=q2) -> None:  # type: ignore[no-untyped-def]
        query = api.tap(user, message, data, force=True)
        await wait_answered(api, query)
        answers[data] = api.callbacks[query].answer_text

    # Stale buttons: the answered question, the level picker that already started a quiz.
    await tap(ANN, q1_data, q1)
    assert answers[q1_data] == texts.CB_ALREADY_ANSWERED
    await tap(ANN, level_data, picker)
    assert answers[level_data] == texts.CB_ALREADY_STARTED
    # Forged and over-long data, unknown prefixes, wrong field counts and types, non-ASCII.
    session, position = q2.buttons[0][1].split(":")[1:3]
    forged = [
        "a:999999:0:0",
        f"a:{session}:{position}:9",
        f"a:{session}:{position}:-1",
        f"a:{session}:7:0",
        f"a:{session}:{position}",
        f"a:{session}:{position}:0:0",
        "a:x:y:z",
        "zz:1",
        ":",
        "a::::",
        "l:quiz:guru",
        "l:chess:fresher",
        "g:1:1:perfect",
        "r:0",
        "n:999:quiz",
        "r:999",
        "ü:ñ:😀",
        "a:１:0:0",
        f"a:{session}:{position}:" + "9" * 30,
        "a:1:1:" + "7" * 80,
        "x" * 200,
        "a:99999999999999999999:0:0",
    ]
    for data in forged:
        await tap(ANN, data)
    assert all(answers[d] in (texts.CB_INVALID, texts.CB_STALE) for d in forged), {
        d: answers[d] for d in forged if answers[d] not in (texts.CB_INVALID, texts.CB_STALE)
    }
    # Another user's buttons.
    await tap(BOB, q2.buttons[0][1])
    assert answers[q2.buttons[0][1]] == texts.CB_NOT_YOURS
    # Texts: unicode, HTML-looking, 4000 and 4096 characters, while a quiz question waits for a tap.
    for text in [
        "Привет 👋 <b>bold</b> & <script>alert(1)</script> &amp; &lt;",
        "\u200b",
        "🙂" * 4000,
        "x" * 4000,
        "<" * 4096,
        "a\nb\r\n\tc",
        "/",
        "@flask_interview_bot",
    ]:
        api.send_text(ANN, text)
    api.send_sticker(ANN)
    api.send_photo(ANN)
    api.send_photo(ANN, caption="/quiz")
    # Commands the bot does not know, and one addressed to another bot.
    for text in ["/nonsense", "/QUIZ", "/quiz@other_bot", "/start" + "x" * 300, "/ünïcode"]:
        api.send_text(ANN, text)
    # An edited message (even an edited command).
    api.edit_text(ANN, 1, "/cancel")
    # A user with no session at all: every kind of tap and text.
    await tap(CAT, f"a:{session}:{position}:0")
    api.send_text(CAT, "🙂" * 4000)
    api.send_sticker(CAT)
    # The bot added to a group, and commands there.
    group = api.add_to_group(BOB, GROUP)
    api.send_text(BOB, "/quiz", chat=group)
    api.send_text(BOB, "hello bot", chat=group)
    api.send_text(BOB, "/start@flask_interview_bot", chat=group)
    await _settle(api, ANN)
    await _settle(api, CAT)
    await api.wait_for(lambda: sum(m.from_bot for m in api.chat(GROUP)) >= 3, 20, "replies in the group")

    assert answers_rows(bot_process) == before
    # The open question is untouched: still question 2 with its buttons.
    assert q2.buttons and q2.edit_date is None
    assert not [m for m in api.bot_messages(ANN)[questions_before:] if (m.text or "").startswith("Question")]
    hints = [m.text for m in api.bot_messages(ANN)[questions_before:]]
    assert hints.count(texts.TAP_AN_OPTION) >= 10, hints
    assert texts.UNKNOWN_COMMAND in hints
    # The welcome, then one reply to each of the two commands, none to the chatter.
    group_replies = [m.text or "" for m in api.chat(GROUP) if m.from_bot]
    assert len(group_replies) == 3, group_replies
    assert group_replies[0].startswith("👋 Hello!") and group_replies[1] == texts.GROUP_PRIVATE_ONLY
    assert group_replies[2].startswith("Flask practice for this group")
    assert not api.unanswered()

    # 30 taps on one button in a burst: one answer, one result, one next question.
    q2_data = right_button(q2)
    burst = [api.tap(ANN, q2, q2_data, force=True) for _ in range(30)]
    for query in burst:
        await wait_answered(api, query)
    await _settle(api, ANN)
    assert [api.callbacks[q].answer_text for q in burst] == [texts.CB_RECORDED_RIGHT] + [texts.CB_ALREADY_ANSWERED] * 29
    assert len([m for m in api.bot_messages(ANN) if (m.text or "").startswith("Question 3/")]) == 1
    after = answers_rows(bot_process)
    assert after[:1] == before and len(after) == 2 and after[1][1] == 1

    assert not api.unanswered()
    assert all(c.answers_tried == 1 for c in api.callbacks.values()), "a tap was answered twice"
    assert not [e for e in api.errors if e[1] >= 400], api.errors
    assert await bot_process.terminate() == 0
    stderr = bot_process.stderr()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert " ERROR " not in stderr, stderr[-3000:]


async def test_blocked_user_does_not_break_the_bot(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start()
    api.send_text(ANN, "/quiz")
    await api.wait_for(lambda: api.last_with_buttons(ANN) is not None, 20, "level picker")
    picker = api.last_with_buttons(ANN)
    assert picker is not None
    api.block(ANN)
    query = api.tap(ANN, picker, label="Fresher")  # a tap already on its way when the user blocked the bot
    api.send_text(ANN, "/help")
    await wait_answered(api, query)
    await _settle(api, BOB)  # other users are still served
    # The /help reply to the user who blocked the bot is refused; it may come after BOB's replies.
    refused = ("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await api.wait_for(lambda: refused in api.errors, 20, "the refused reply to /help")
    assert not api.unanswered()
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr(), bot_process.stderr()[-3000:]
