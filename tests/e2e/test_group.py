"""Scenario: a study group of 6 members and 1 admin plays with the real bot process over HTTP.

The admin sets the daily poll (a member is refused), the push posts the quiz poll, 5 members vote (one retracts
and votes again), /top ranks them, `/groupquiz intermediate 3` with 5-second polls ends in a ranking although
the bot is killed (-9) and restarted in the middle, and removing the bot unsubscribes the group.
"""

from __future__ import annotations

import pytest

from bot import texts
from tests.e2e.botapi import BotApiServer, PollRecord
from tests.e2e.conftest import BotProcess

pytestmark = pytest.mark.e2e

GROUP = -1001500600700
ADMIN = 7_100_000
MEMBERS = [7_100_001 + i for i in range(6)]
NAMES = ["Ann", "Bob", "Cy <3", "Dee", "Eve", "Fay"]


def _right(poll: PollRecord) -> int:
    return int(poll.poll["correct_option_ids"][0])


def _wrong(poll: PollRecord) -> int:
    return next(i for i in range(len(poll.poll["options"])) if i != _right(poll))


def _texts(api: BotApiServer) -> list[str]:
    return [m.text or "" for m in api.bot_messages(GROUP)]


async def _reply(api: BotApiServer, user: int, command: str, within: float = 20.0) -> str:
    """The text of the bot's first text message after `command` (polls posted meanwhile are skipped)."""
    before = len(api.bot_messages(GROUP))

    def replies() -> list[str]:
        return [m.text for m in api.bot_messages(GROUP)[before:] if m.text]

    api.send_text(user, command, chat=api.groups[GROUP].chat)
    await api.wait_for(lambda: bool(replies()), within, f"a reply to {command}")
    return replies()[0]


async def test_a_group_plays_daily_polls_a_group_quiz_and_leaves(api: BotApiServer, bot_process: BotProcess) -> None:
    for uid, name in zip(MEMBERS, NAMES, strict=True):
        api.user(uid, name)
    api.user(ADMIN, "Ada")
    api.create_group(GROUP, ADMIN, members=MEMBERS, kind="supergroup")
    api.watch.append(GROUP)
    bot_process.env["GROUP_QUIZ_SECONDS"] = "5"
    await bot_process.start()

    api.add_to_group(ADMIN, GROUP)
    await api.wait_for(lambda: texts.group_welcome().splitlines()[0] in "\n".join(_texts(api)), 20, "the welcome")

    # Admin settings: a member is refused, the admin sets the daily poll (00:00: due at once, today).
    assert await _reply(api, MEMBERS[0], "/daily 00:00") == texts.GROUP_ADMINS_ONLY
    assert "Done: a question poll every day at 00:00" in await _reply(api, ADMIN, "/daily 00:00")
    await _reply(api, ADMIN, "/level intermediate")
    # The group job (first run a few seconds after start, then every minute) posts the quiz poll.
    await api.wait_for(lambda: len(api.polls_in(GROUP)) == 1, 90, "the daily quiz poll")
    (daily,) = api.polls_in(GROUP)
    assert daily.poll["type"] == "quiz" and not daily.poll["is_anonymous"]
    assert len(daily.poll.get("explanation", "")) <= 200

    # Five vote; Bob retracts and votes again (his first vote is the one that counts).
    choices = [_right(daily), _right(daily), _right(daily), _wrong(daily), _wrong(daily)]
    for uid, option in zip(MEMBERS, choices, strict=False):
        assert api.vote(uid, daily.poll["id"], [option])
    assert api.vote(MEMBERS[1], daily.poll["id"], [])
    assert api.vote(MEMBERS[1], daily.poll["id"], [_wrong(daily)])

    def votes() -> list[tuple[object, ...]]:
        return bot_process.query("SELECT user_id, correct FROM poll_votes ORDER BY user_id")

    await api.wait_for(lambda: len(votes()) == 5 and not api.pending_update_ids(), 20, "five votes stored")
    assert votes() == [(uid, int(i == _right(daily))) for uid, i in zip(MEMBERS, choices, strict=False)]
    assert bot_process.query("SELECT COUNT(*) FROM users") == [(0,)]  # voters are not bot users

    top = await _reply(api, MEMBERS[5], "/top")
    assert top.index("Ann") < top.index("Bob") < top.index("Cy <3") and "Fay" not in top.split("\n\n")[0]
    assert top.endswith("Fay, you have not answered here yet: vote in the next poll!")

    # A group quiz of 3 five-second polls, with the bot killed while the second poll is open.
    await _reply(api, MEMBERS[2], "/groupquiz intermediate 3")
    await api.wait_for(lambda: len(api.polls_in(GROUP)) == 2, 20, "quiz poll 1")
    first = api.polls_in(GROUP)[1]
    assert first.poll["open_period"] == 5 and first.poll["question"].startswith("1/3 · ")
    api.send_text(MEMBERS[3], "/groupquiz", chat=api.groups[GROUP].chat)
    await api.wait_for(lambda: texts.GROUPQUIZ_RUNNING in _texts(api), 20, "the refusal of a second quiz")
    api.vote(MEMBERS[0], first.poll["id"], [_right(first)])
    api.vote(MEMBERS[1], first.poll["id"], [_wrong(first)])
    await api.wait_for(lambda: len(api.polls_in(GROUP)) == 3, 30, "quiz poll 2")
    second = api.polls_in(GROUP)[2]
    await api.wait_for(
        lambda: bot_process.query("SELECT COUNT(*) FROM polls WHERE position = 1") == [(1,)], 20, "poll 2 stored"
    )
    await bot_process.kill()
    api.vote(MEMBERS[0], second.poll["id"], [_right(second)])  # answered while the bot is down
    await bot_process.start()
    await api.wait_for(lambda: len(api.polls_in(GROUP)) == 4, 30, "quiz poll 3 after the restart")
    third = api.polls_in(GROUP)[3]
    api.vote(MEMBERS[0], third.poll["id"], [_right(third)])
    api.vote(MEMBERS[1], third.poll["id"], [_right(third)])
    await api.wait_for(lambda: any(t.startswith("🏁") for t in _texts(api)), 30, "the ranking")
    ranking = next(t for t in _texts(api) if t.startswith("🏁"))
    lines = ranking.splitlines()
    assert lines[0] == "🏁 Group quiz over"
    assert lines[1] == "🥇 Ann — 3 (3 answered)" and lines[2] == "🥈 Bob — 1 (2 answered)"
    questions = [p.poll["question"] for p in api.polls_in(GROUP)[1:]]
    assert len(questions) == 3 and [q[:4] for q in questions] == ["1/3 ", "2/3 ", "3/3 "]
    assert bot_process.query("SELECT status FROM group_quizzes") == [("finished",)]

    # Removing the bot unsubscribes the group.
    api.remove_from_group(ADMIN, GROUP)
    await api.wait_for(
        lambda: bot_process.query("SELECT active, daily_time FROM groups WHERE chat_id = ?", GROUP) == [(0, None)],
        20,
        "the group unsubscribed",
    )
    assert await bot_process.terminate() == 0
    stderr = bot_process.stderr()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert not [e for e in api.errors if e[1] >= 400], api.errors
