"""Group play through the real Application: admin settings, the daily quiz poll, votes, /top, group quizzes with a
restart, removal, migration and /deleteme. Timers are JobQueue jobs run by hand after moving the injected clock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from telegram.ext import Application, Job

from bot import texts
from bot.config import Settings
from bot.domain import polls
from bot.domain.bank import McqQuestion, load_bank
from bot.domain.markup import to_html
from bot.domain.polls import option_labels
from bot.telegram.polls import GROUP_PUSH_JOB, QUIZ_JOB_PREFIX, run_group_round, step_quiz
from bot.telegram.services import services_of
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, chat_dict, group_update, text_update, vote_update
from tests.flows.driver import ChatDriver, Sleeper, started_app, stop_app

G = -1001234567
ADMIN = 1
MEMBERS = [11, 12, 13, 14, 15, 16]
NAMES = {ADMIN: "Ada", 11: "Ann", 12: "Bob", 13: "<b>Cy</b>", 14: "Dee", 15: "Eve", 16: "Fay"}
ANON_ADMIN_BOT = 1087968824


@pytest.fixture
def gsettings(settings: Settings) -> Settings:
    """Settings with 5-second group quiz polls."""
    return settings.model_copy(update={"group_quiz_seconds": 5})


@pytest.fixture
def sleeper(clock: FakeClock) -> Sleeper:
    return Sleeper(clock)


@pytest_asyncio.fixture
async def gapp(gsettings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = await started_app(gsettings, api, clock, sleeper)
    yield app
    await stop_app(app)


class Group:
    """The members' side of one group chat."""

    def __init__(self, app: Application, api: FakeBotApi, chat_id: int = G) -> None:  # type: ignore[type-arg]
        self.app = app
        self.api = api
        self.chat_id = chat_id

    async def say(self, user: int, text: str, **extra: Any) -> None:
        await self.app.process_update(
            group_update(self.app.bot, user, self.chat_id, text, NAMES.get(user, "X"), **extra)
        )

    async def vote(self, user: int, poll: dict[str, Any], options: list[int]) -> None:
        await self.app.process_update(vote_update(self.app.bot, poll["id"], user, options, NAMES[user]))

    def bot_texts(self) -> list[str]:
        return [str(m["text"]) for (c, _), m in sorted(self.api.messages.items()) if c == self.chat_id and "text" in m]

    def polls(self) -> list[dict[str, Any]]:
        return [m["poll"] for m in self.api.poll_messages(self.chat_id)]

    def last(self) -> str:
        return self.bot_texts()[-1]


def _right(poll: dict[str, Any]) -> int:
    return int(poll["correct_option_ids"][0])


def _wrong(poll: dict[str, Any]) -> int:
    return next(i for i in range(len(poll["options"])) if i != _right(poll))


def _db(settings: Settings) -> sqlite3.Connection:
    return sqlite3.connect(settings.database_path)


async def _added(group: Group) -> None:
    from tests.fake_bot_api import bot_membership_update

    await group.app.process_update(bot_membership_update(group.app.bot, group.chat_id, "left", "member", by=ADMIN))
    group.api.admins.add((group.chat_id, ADMIN))


async def _run_quiz_timer(app: Application, quiz_id: int) -> Job[Any]:  # type: ignore[type-arg]
    """Run the quiz's armed timer now, as the job queue would when its time comes; the job run."""
    assert app.job_queue is not None
    jobs = app.job_queue.get_jobs_by_name(f"{QUIZ_JOB_PREFIX}{quiz_id}")
    assert len(jobs) == 1, jobs
    await jobs[0].run(app)
    return jobs[0]


async def test_added_to_a_group_welcomes_and_only_admins_configure(
    gapp: Application, api: FakeBotApi, gsettings: Settings
) -> None:  # type: ignore[type-arg]
    group = Group(gapp, api)
    await _added(group)
    assert group.bot_texts() == [texts.group_welcome()]

    await group.say(11, "/daily 09:00")
    assert group.last() == texts.GROUP_ADMINS_ONLY
    await group.say(11, "/level advanced")
    assert group.last() == texts.GROUP_ADMINS_ONLY
    with _db(gsettings) as raw:
        assert raw.execute("SELECT daily_time, level FROM groups WHERE chat_id = ?", (G,)).fetchone() == (None, None)

    await group.say(ADMIN, "/daily 9:30")
    assert group.last() == texts.group_daily_on("09:30", "UTC")
    await group.say(ADMIN, "/daily")
    assert group.last() == texts.group_daily_status("09:30", "UTC")
    await group.say(ADMIN, "/daily 25:00")
    assert group.last() == texts.GROUP_DAILY_BAD_TIME
    await group.say(ADMIN, "/timezone Europ/Berlin")
    assert "Did you mean <code>/timezone Europe/Berlin</code>?" in group.last()
    await group.say(ADMIN, "/timezone europe/berlin")
    assert group.last().startswith("Group time zone set to <b>Europe/Berlin</b>")
    # An anonymous admin posts as the group itself; someone posting as another chat is no admin.
    anonymous = {"sender_chat": chat_dict(G)}
    await group.say(ANON_ADMIN_BOT, "/level intermediate", **anonymous)
    assert group.last() == texts.group_level("intermediate", changed=True)
    await group.say(ANON_ADMIN_BOT, "/level fresher", sender_chat={"id": -100999, "type": "channel", "title": "x"})
    assert group.last() == texts.GROUP_ADMINS_ONLY
    await group.say(ADMIN, "/level expert")
    assert group.last() == texts.GROUP_LEVEL_BAD
    await group.say(ADMIN, "/quiz")
    assert group.last() == texts.GROUP_PRIVATE_ONLY
    sent = len(api.of("sendMessage"))
    await group.say(ADMIN, "/quiz@other_bot")
    assert len(api.of("sendMessage")) == sent  # no reply to a command for another bot
    with _db(gsettings) as raw:
        assert raw.execute("SELECT daily_time, timezone, level FROM groups WHERE chat_id = ?", (G,)).fetchone() == (
            "09:30",
            "Europe/Berlin",
            "intermediate",
        )
        assert raw.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)  # group members are not bot users
    await group.say(ADMIN, "/daily off")
    assert group.last() == texts.GROUP_DAILY_OFF
    assert {c.params["user_id"] for c in api.of("getChatMember")} == {11, ADMIN}


async def test_daily_poll_votes_top_and_next_day(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    gsettings: Settings,
) -> None:
    group = Group(gapp, api)
    await _added(group)
    # Ann also uses the bot privately: her group answers reach her /stats and cards.
    await ChatDriver(gapp, api, 11).say("/start")
    await group.say(ADMIN, "/daily 09:00")
    await group.say(ADMIN, "/level intermediate")
    assert gapp.job_queue is not None and gapp.job_queue.get_jobs_by_name(GROUP_PUSH_JOB)

    report = await run_group_round(gapp)
    assert report is not None and report.sent == 1
    (call,) = api.of("sendPoll")
    assert call.params["type"] == "quiz" and call.params["is_anonymous"] is False
    assert "correct_option_id" not in call.params and len(call.params["correct_option_ids"]) == 1
    assert len(call.params["explanation"]) <= 200 and "open_period" not in call.params
    (poll,) = group.polls()
    bank = services_of(gapp).groups.quiz.full_explanation
    with _db(gsettings) as raw:
        (qid,) = raw.execute("SELECT question_id FROM polls WHERE poll_id = ?", (poll["id"],)).fetchone()
    question = bank(qid)
    assert isinstance(question, McqQuestion) and question.level.value == "intermediate"
    assert poll["options"][_right(poll)]["text"] == option_labels(question)[question.correct_index]
    if question.poll_explanation is not None:  # the full explanation is longer: the poll links to it
        assert call.params["explanation"].endswith(f"https://t.me/flask_interview_bot?start=q-{qid}")

    # Exactly once per group per local date.
    again = await run_group_round(gapp)
    assert again is not None and again.sent == 0 and len(api.of("sendPoll")) == 1

    # Five vote: Ann, Bob and Cy right, Dee and Eve wrong; Bob retracts and votes again; Ann's vote is redelivered.
    clock.advance(seconds=10)
    await group.vote(11, poll, [_right(poll)])
    clock.advance(seconds=5)
    await group.vote(12, poll, [_right(poll)])
    await group.vote(13, poll, [_right(poll)])
    await group.vote(14, poll, [_wrong(poll)])
    await group.vote(15, poll, [_wrong(poll)])
    await group.vote(12, poll, [])
    await group.vote(12, poll, [_wrong(poll)])
    await group.vote(11, poll, [_right(poll)])
    with _db(gsettings) as raw:
        votes = raw.execute("SELECT user_id, correct FROM poll_votes ORDER BY user_id").fetchall()
        assert votes == [(11, 1), (12, 1), (13, 1), (14, 0), (15, 0)]
        assert raw.execute("SELECT user_id, question_id FROM cards").fetchall() == [(11, qid)]
        assert raw.execute("SELECT user_id FROM users").fetchall() == [(11,)]
        assert raw.execute("SELECT COUNT(*) FROM group_members").fetchone() == (5,)
    stats = await services_of(gapp).progress.stats(11)
    assert not stats.empty

    await group.say(13, "/top")
    top = group.last()
    assert "&lt;b&gt;Cy&lt;/b&gt;" in top and "<b>Cy</b>" not in top
    assert top.index("Ann") < top.index("Bob") < top.index("Cy")  # same points: Ann answered first
    assert "Dee" in top and "Fay" not in top
    assert top.endswith("&lt;b&gt;Cy&lt;/b&gt;: #3 this week with 1; #3 all time with 1.")
    await group.say(16, "/top")
    assert group.last().endswith("Fay, you have not answered here yet: vote in the next poll!")

    # The next day: yesterday's poll is stopped with its result, then the new poll goes out.
    clock.advance(days=1)
    report = await run_group_round(gapp)
    assert report is not None and report.sent == 1
    assert [c.params["message_id"] for c in api.of("stopPoll")] == [api.poll_messages(G)[0]["message_id"]]
    result = next(t for t in group.bot_texts() if t.startswith("📊"))
    assert result == "📊 Last question: 5 answered, 60% right. First right answer: <b>Ann</b>."
    first, second = group.polls()
    assert first["is_closed"] and not second["is_closed"]
    assert api.calls.index(api.of("stopPoll")[0]) < api.calls.index(api.of("sendPoll")[1])

    # /deleteme in private removes Ann from the boards and from the group answers.
    ann = ChatDriver(gapp, api, 11)
    await ann.say("/deleteme")
    await ann.tap(
        ann.last_with_buttons(), ann.last_with_buttons()["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    await group.say(13, "/top")
    assert "Ann" not in group.last()
    with _db(gsettings) as raw:
        assert raw.execute("SELECT COUNT(*) FROM poll_votes WHERE user_id = 11").fetchone() == (0,)
        assert raw.execute("SELECT COUNT(*) FROM group_members WHERE user_id = 11").fetchone() == (0,)


async def test_group_quiz_with_a_restart_ends_in_a_ranking(
    gsettings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper
) -> None:
    app = await started_app(gsettings, api, clock, sleeper)
    group = Group(app, api)
    await _added(group)
    await group.say(12, "/groupquiz intermediate 3")
    assert texts.groupquiz_intro(3, "intermediate", 5) in group.bot_texts()[-2:]  # then the prompt, if it has code
    (poll1,) = group.polls()
    assert api.of("sendPoll")[0].params["open_period"] == 5
    assert api.of("sendPoll")[0].params["question"].startswith("1/3 · ")
    await group.say(13, "/groupquiz")
    assert group.last() == texts.GROUPQUIZ_RUNNING
    clock.advance(seconds=2)
    await group.vote(11, poll1, [_right(poll1)])
    clock.advance(seconds=1)
    await group.vote(12, poll1, [_right(poll1)])
    await group.vote(13, poll1, [_wrong(poll1)])
    with _db(gsettings) as raw:
        (quiz_id,) = raw.execute("SELECT quiz_id FROM group_quizzes").fetchone()
    await _run_quiz_timer(app, quiz_id)  # fired early (the clock says 3 s): nothing moves
    assert len(group.polls()) == 1
    clock.advance(seconds=3)
    await _run_quiz_timer(app, quiz_id)
    poll2 = group.polls()[1]
    clock.advance(seconds=1)
    await group.vote(12, poll2, [_right(poll2)])

    # The bot restarts while poll 2 is open: the new process re-arms the timer and posts nothing twice.
    await stop_app(app)
    app = await started_app(gsettings, api, clock, sleeper)
    group.app = app
    await _run_quiz_timer(app, quiz_id)
    assert len(group.polls()) == 2
    clock.advance(seconds=1)
    await group.vote(11, poll2, [_right(poll2)])
    clock.advance(seconds=3)
    await _run_quiz_timer(app, quiz_id)
    poll3 = group.polls()[2]
    await group.vote(11, poll3, [_wrong(poll3)])
    await group.vote(12, poll3, [_right(poll3)])
    clock.advance(seconds=5)
    last = await _run_quiz_timer(app, quiz_id)
    assert app.job_queue is not None
    assert app.job_queue.get_jobs_by_name(f"{QUIZ_JOB_PREFIX}{quiz_id}") == (last,)  # over: no timer re-armed
    ranking = group.last()
    assert ranking.startswith("🏁 <b>Group quiz over</b>\n")
    lines = ranking.splitlines()
    assert lines[1] == "🥇 Bob — <b>3</b> (3 answered)"
    assert lines[2] == "🥈 Ann — <b>2</b> (3 answered)"
    assert lines[3] == "🥉 &lt;b&gt;Cy&lt;/b&gt; — <b>0</b> (1 answered)"
    assert len(group.polls()) == 3 and len({p["id"] for p in group.polls()}) == 3
    with _db(gsettings) as raw:
        assert raw.execute("SELECT status, position FROM group_quizzes").fetchone() == ("finished", 3)
    await group.say(13, "/groupquiz 1")  # the next quiz may start
    assert texts.groupquiz_intro(1, "mixed", 5) in group.bot_texts()[-2:] and len(group.polls()) == 4
    await stop_app(app)


async def test_a_post_in_flight_at_a_crash_is_never_posted_twice(
    gsettings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper
) -> None:
    app = await started_app(gsettings, api, clock, sleeper)
    group = Group(app, api)
    await _added(group)
    await group.say(12, "/groupquiz fresher 2")
    (poll1,) = group.polls()
    await group.vote(12, poll1, [_right(poll1)])
    await stop_app(app)
    # As if the process died between sendPoll for question 2 and storing it.
    with _db(gsettings) as raw:
        raw.execute("UPDATE group_quizzes SET position = 1, sending = 1")
    clock.advance(seconds=6)
    app = await started_app(gsettings, api, clock, sleeper)
    (quiz_id,) = [
        int(j.name.removeprefix(QUIZ_JOB_PREFIX))
        for j in app.job_queue.jobs()
        if j.name and j.name.startswith(QUIZ_JOB_PREFIX)
    ]  # type: ignore[union-attr]
    await _run_quiz_timer(app, quiz_id)
    assert len(group.polls()) == 1
    assert group.last().startswith("🏁 <b>Group quiz over</b> (stopped early)\n🥇 Bob")
    with _db(gsettings) as raw:
        assert raw.execute("SELECT status FROM group_quizzes").fetchone() == ("cancelled",)
    await stop_app(app)


async def test_admins_only_group_quiz_switch(gapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    group = Group(gapp, api)
    await _added(group)
    await group.say(11, "/groupquiz admins")
    assert group.last() == texts.GROUP_ADMINS_ONLY
    await group.say(ADMIN, "/groupquiz admins")
    assert group.last() == texts.GROUPQUIZ_ADMINS
    await group.say(11, "/groupquiz 2")
    assert group.last() == texts.GROUP_ADMINS_ONLY and not group.polls()
    await group.say(ADMIN, "/groupquiz 11")
    assert group.last() == texts.GROUPQUIZ_USAGE
    await group.say(ADMIN, "/groupquiz 2")
    assert len(group.polls()) == 1


async def test_removed_or_refused_groups_are_unsubscribed(
    gapp: Application, api: FakeBotApi, gsettings: Settings
) -> None:  # type: ignore[type-arg]
    from tests.fake_bot_api import bot_membership_update

    group = Group(gapp, api)
    await _added(group)
    await group.say(ADMIN, "/daily 09:00")
    await gapp.process_update(bot_membership_update(gapp.bot, G, "member", "left", by=ADMIN))
    report = await run_group_round(gapp)
    assert report is not None and report.due == 0 and not api.of("sendPoll")

    other = Group(gapp, api, -4242)
    await _added(other)
    await other.say(ADMIN, "/daily 09:00")
    api.fail("sendPoll", 403, "Forbidden: bot was kicked from the group chat")
    report = await run_group_round(gapp)
    assert report is not None and report.blocked == 1
    with _db(gsettings) as raw:
        assert raw.execute("SELECT chat_id, active, daily_time FROM groups ORDER BY chat_id").fetchall() == [
            (G, 0, None),
            (-4242, 0, None),
        ]
    assert (await run_group_round(gapp)).due == 0  # type: ignore[union-attr]


async def test_migration_moves_settings_and_scores_and_flood_waits_are_honoured(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    sleeper: Sleeper,
    gsettings: Settings,
) -> None:
    old, new = -5151, -1005151
    group = Group(gapp, api, old)
    await _added(group)
    await group.say(ADMIN, "/daily 09:00")
    await group.say(ADMIN, "/level advanced")
    api.fail("sendPoll", 429, "Too Many Requests: retry after 7", retry_after=7)
    await run_group_round(gapp)
    assert sleeper.waits == [7.0] and len(api.of("sendPoll")) == 2
    (poll,) = group.polls()
    await group.vote(11, poll, [_right(poll)])
    # The group becomes a supergroup: the service message in the old chat names the new id.
    await group.say(ADMIN, "", migrate_to_chat_id=new)
    moved = Group(gapp, api, new)
    api.admins.add((new, ADMIN))
    await moved.say(11, "/top")
    assert "Ann — <b>1</b>" in moved.last()
    await moved.say(ADMIN, "/level")
    assert moved.last() == texts.group_level("advanced", changed=False)
    with _db(gsettings) as raw:
        assert raw.execute("SELECT chat_id FROM groups").fetchall() == [(new,)]
        assert raw.execute("SELECT DISTINCT chat_id FROM poll_votes").fetchall() == [(new,)]

    # A send to an id that has moved on (Telegram's 400 with migrate_to_chat_id) moves the group too.
    third = -1009999
    api.fail("sendPoll", 400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=third)
    clock.advance(days=1)
    report = await run_group_round(gapp)
    assert report is not None and report.failed == 1
    report = await run_group_round(gapp)
    assert report is not None and report.sent == 1
    assert api.of("sendPoll")[-1].params["chat_id"] == third


async def test_deep_link_under_a_poll_shows_the_full_explanation(gapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    question = next(
        q for q in services_of(gapp).interview.bank if isinstance(q, McqQuestion) and len(q.explanation) > 200
    )
    await gapp.process_update(text_update(gapp.bot, 21, f"/start q-{question.id}"))
    text = api.sent_texts()[-1]
    assert "Right answer: ✅" in text and "<b>Why</b>" in text
    await gapp.process_update(text_update(gapp.bot, 21, "/start q-no-such-question"))
    assert api.sent_texts()[-1] == texts.DEEP_LINK_GONE
    await gapp.process_update(text_update(gapp.bot, 21, "/start q-"))
    assert api.sent_texts()[-1] == texts.greeting("Ann")


def _only_question(gsettings: Settings, keep: str) -> None:
    """Disable every other question (as admins do after reports), so the daily poll asks `keep`."""
    bank = load_bank(gsettings.questions_dir)
    with _db(gsettings) as raw:
        raw.executemany(
            "INSERT INTO disabled_questions (question_id, disabled_at) VALUES (?, 0)",
            [(q.id,) for q in bank if q.id != keep],
        )


def _needs_a_lead(gsettings: Settings) -> McqQuestion:
    """A poll-eligible question whose prompt does not fit in a poll: it goes first as a message (the lead)."""
    bank = load_bank(gsettings.questions_dir)
    for q in polls.eligible(bank):
        spec = polls.build_poll(q, list(range(len(q.options))), "b", see_above="?", more="")
        if spec.lead_html is not None:
            return q
    raise AssertionError("the bank has no question that needs a lead message")


async def test_a_daily_poll_whose_answer_was_lost_is_not_posted_again(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    gsettings: Settings,
) -> None:
    group = Group(gapp, api)
    await _added(group)
    await group.say(ADMIN, "/daily 09:00")
    api.lost_answers["sendPoll"] = 1  # Telegram posts the poll, but the answer never comes back (a timeout)
    reports = [await run_group_round(gapp)]
    for minutes in (1, 1, 10):  # the next rounds, also after a claim's lease would have run out
        clock.advance(minutes=minutes)
        reports.append(await run_group_round(gapp))
    assert len(group.polls()) == 1 and len(api.of("sendPoll")) == 1
    assert [r.sent for r in reports if r is not None] == [1, 0, 0, 0]  # counted as posted, as the push does
    with _db(gsettings) as raw:
        assert raw.execute("SELECT status, attempts FROM group_deliveries").fetchall() == [("sent", 1)]
    clock.advance(days=1)  # the next day has its own poll (yesterday's is unknown, so nothing to stop)
    report = await run_group_round(gapp)
    assert report is not None and report.sent == 1 and len(group.polls()) == 2


async def test_a_daily_polls_lead_message_goes_out_once(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    gsettings: Settings,
) -> None:
    question = _needs_a_lead(gsettings)
    _only_question(gsettings, question.id)
    group = Group(gapp, api)
    await _added(group)
    await group.say(ADMIN, "/daily 09:00")
    lead = to_html(question.prompt)
    before = len(group.bot_texts())
    # The lead surely did not arrive: no poll either, and the next round sends both.
    api.fail("sendMessage", 400, "Bad Request: message could not be sent")
    report = await run_group_round(gapp)
    assert report is not None and report.failed == 1 and not group.polls()
    # Now the lead arrives but the poll after it fails: the next round posts the poll alone.
    clock.advance(minutes=1)
    api.fail("sendPoll", 400, "Bad Request: poll could not be sent")
    report = await run_group_round(gapp)
    assert report is not None and report.failed == 1 and not group.polls()
    clock.advance(minutes=1)
    report = await run_group_round(gapp)
    assert report is not None and report.sent == 1 and len(group.polls()) == 1
    assert group.bot_texts()[before:] == [lead]
    assert [c.method for c in api.calls if c.method in ("sendMessage", "sendPoll")][-4:] == [
        "sendMessage",  # refused
        "sendMessage",  # the lead
        "sendPoll",  # refused
        "sendPoll",  # the poll
    ]


async def test_a_quiz_polls_lead_message_is_not_repeated_when_the_poll_is_retried(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    gsettings: Settings,
) -> None:
    question = _needs_a_lead(gsettings)
    _only_question(gsettings, question.id)
    group = Group(gapp, api)
    await _added(group)
    lead = to_html(question.prompt)
    api.fail("sendPoll", 400, "Bad Request: poll could not be sent")  # surely not posted: the step retries
    await group.say(12, "/groupquiz 1")
    assert not group.polls() and group.bot_texts().count(lead) == 1
    with _db(gsettings) as raw:
        (quiz_id,) = raw.execute("SELECT quiz_id FROM group_quizzes").fetchone()
    clock.advance(seconds=6)
    await _run_quiz_timer(gapp, quiz_id)
    assert len(group.polls()) == 1
    assert group.bot_texts().count(lead) == 1  # the lead went out once, before the first attempt
    assert [c.method for c in api.calls if c.method in ("sendMessage", "sendPoll")][-3:] == [
        "sendMessage",  # the lead
        "sendPoll",  # refused
        "sendPoll",  # the poll, alone
    ]


async def test_quiz_steps_share_one_lock_that_goes_when_they_are_done(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    gsettings: Settings,
) -> None:
    group = Group(gapp, api)
    await _added(group)
    await group.say(12, "/groupquiz intermediate 2")
    with _db(gsettings) as raw:
        (quiz_id,) = raw.execute("SELECT quiz_id FROM group_quizzes").fetchone()
    service = services_of(gapp).groups.quiz
    for _ in range(2):
        clock.advance(seconds=6)
        # Timers that fire together (a late one, a re-armed one): one posts, the others wait their turn and see it.
        await asyncio.gather(*(step_quiz(gapp, quiz_id) for _ in range(3)))
        assert not service._quiz_locks
    assert len(group.polls()) == 2
    with _db(gsettings) as raw:
        assert raw.execute("SELECT status FROM group_quizzes").fetchone() == ("finished",)
