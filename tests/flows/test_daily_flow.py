"""The daily question through the real Application: /daily, /timezone, push rounds, taps, failures, crashes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import pytest
import pytest_asyncio
from fsrs import Card, Rating
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.domain.bank import Level, McqQuestion
from bot.domain.review import review
from bot.services.push import RoundReport
from bot.storage.cards import CardStore
from bot.storage.push import PushStore
from bot.telegram.jobs import JOB_NAME, run_push_round
from bot.telegram.ratelimit import Limiter
from bot.telegram.services import Services
from tests.clock import FakeClock
from tests.fake_bot_api import BOT_USER, NOW, FakeBotApi, buttons, user_dict
from tests.flows.driver import ChatDriver, Sleeper, started_app, stop_app

UTC = dt.UTC


@pytest.fixture
def sleeper(clock: FakeClock) -> Sleeper:
    """The sleep the push uses."""
    return Sleeper(clock)


@pytest_asyncio.fixture
async def dapp(settings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The Application with the injected sleep."""
    app = await started_app(settings, api, clock, sleeper)
    yield app
    await stop_app(app)


def _services(app: Application) -> Services:  # type: ignore[type-arg]
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


async def _round(app: Application) -> RoundReport:  # type: ignore[type-arg]
    report = await run_push_round(app)
    assert report is not None
    return report


def _daily_messages(api: FakeBotApi, user_id: int | None = None) -> list[dict[str, Any]]:
    return [
        m
        for (chat, _), m in sorted(api.messages.items())
        if "Daily question" in m["text"] and (user_id is None or chat == user_id)
    ]


async def _subscribe(app: Application, api: FakeBotApi, user_id: int, at: str, zone: str | None) -> ChatDriver:  # type: ignore[type-arg]
    user = ChatDriver(app, api, user_id)
    if zone:
        await user.say(f"/timezone {zone}")
    await user.say(f"/daily {at}")
    return user


async def _seed_overdue(app: Application, user_id: int, kind: str) -> str:  # type: ignore[type-arg]
    """Give the user one overdue card of a fresher question of `kind`, so the push picks it."""
    svc = _services(app)
    qid = svc.interview.bank.of_level(Level.FRESHER, kind)[0].id
    assert svc.push is not None
    long_ago = svc.push.now() - dt.timedelta(days=30)
    await CardStore(svc.db).review(user_id, qid, lambda stored: review(stored, Rating.Again, long_ago))
    return qid


async def _card(app: Application, user_id: int, qid: str) -> Card | None:  # type: ignore[type-arg]
    raw = await CardStore(_services(app).db).card(user_id, qid)
    return Card.from_json(raw) if raw else None


async def _deliveries(settings: Settings) -> list[tuple[Any, ...]]:
    async with aiosqlite.connect(settings.database_path) as conn:
        cur = await conn.execute(
            "SELECT user_id, local_date, status, attempts FROM deliveries ORDER BY user_id, local_date"
        )
        return [tuple(r) for r in await cur.fetchall()]


async def test_daily_command_subscribes_shows_and_turns_off(dapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    assert dapp.job_queue is not None and dapp.job_queue.get_jobs_by_name(JOB_NAME)
    commands = [c["command"] for c in api.of("setMyCommands")[0].params["commands"]]
    assert "daily" in commands and "timezone" in commands
    user = ChatDriver(dapp, api)
    await user.say("/daily")
    shown = user.last()
    assert "is <b>off</b>" in shown["text"] and "UTC" in shown["text"]
    nine = next(d for label, d in buttons(shown) if label == "09:00")
    await user.tap(shown, nine)
    assert "09:00" in user.last()["text"] and user.answers() == ["Saved."]
    await user.say("/daily")
    assert "every day at <b>09:00</b>" in user.last()["text"]
    assert any("Turn off" in label for label, _ in buttons(user.last()))
    await user.say("/daily 7:30")
    assert "07:30" in user.last()["text"]
    await user.say("/daily 25:00")
    assert "HH:MM" in user.last()["text"]
    await user.say("/daily off")
    assert "is off" in user.last()["text"]
    settings = await _services(dapp).push.settings(user.user_id)  # type: ignore[union-attr]
    assert settings is not None and settings.daily_time is None


async def test_timezone_is_validated_with_a_suggestion_and_buttons(dapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    user = ChatDriver(dapp, api)
    await user.say("/timezone Europe/Berln")
    assert "Did you mean <code>/timezone Europe/Berlin</code>?" in user.last()["text"]
    await user.say("/timezone <b>Nowhere</b>")
    assert "&lt;b&gt;Nowhere&lt;/b&gt;" in user.last()["text"]
    await user.say("/timezone europe/berlin")
    assert "Time zone set to <b>Europe/Berlin</b>" in user.last()["text"]
    assert "13:00" in user.last()["text"]  # 12:00 UTC on the fake clock
    await user.say("/timezone")
    offer = user.last()
    tokyo = next(d for label, d in buttons(offer) if label == "Asia/Tokyo")
    await user.tap(offer, tokyo)
    assert "Asia/Tokyo" in user.last()["text"]
    await user.tap(offer, "dz:999")
    assert user.answers()[-1] == "This button is not valid any more."
    settings = await _services(dapp).push.settings(user.user_id)  # type: ignore[union-attr]
    assert settings is not None and settings.timezone == "Asia/Tokyo"


async def test_push_at_local_time_and_tap_reviews_the_card(
    dapp: Application,
    api: FakeBotApi,
    clock: FakeClock,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 7, 59, tzinfo=UTC))
    user = await _subscribe(dapp, api, 1001, "09:00", "Europe/Berlin")
    qid = await _seed_overdue(dapp, 1001, "mcq")
    assert (await _round(dapp)).sent == 0
    clock.advance(minutes=1)
    report = await _round(dapp)
    assert (report.sent, report.already, report.blocked, report.failed) == (1, 0, 0, 0)
    [pushed] = _daily_messages(api)
    svc = _services(dapp)
    question = svc.interview.bank[qid]
    assert isinstance(question, McqQuestion)
    assert question.prompt.split()[0] in pushed["text"]
    # The next tick the same day sends nothing: the user is not even looked at (due tomorrow, by the index).
    clock.advance(minutes=1)
    report = await _round(dapp)
    assert (report.due, report.sent, report.already) == (0, 0, 0)
    # A tap goes through the quiz path: the result replaces the buttons, the card is reviewed as Good.
    data = [d for _, d in buttons(pushed)]
    session_id, position = int(data[0].split(":")[1]), int(data[0].split(":")[2])
    view = await svc.interview.view(session_id, position)
    assert view is not None and view.mode.value == "daily"
    clock.advance(minutes=3)
    await user.tap(pushed, data[view.order.index(question.correct_index)])
    assert user.answers()[-1] == "✅ Right!"
    assert "✅" in api.messages[(1001, pushed["message_id"])]["text"]
    card = await _card(dapp, 1001, qid)
    assert card is not None and card.last_review == clock.now()
    assert await _deliveries(settings) == [(1001, "2026-01-01", "sent", 1)]


async def test_open_question_shows_answer_then_self_grade_reviews(
    dapp: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    user = await _subscribe(dapp, api, 1001, "08:00", None)
    qid = await _seed_overdue(dapp, 1001, "open")
    before = await _card(dapp, 1001, qid)
    assert (await _round(dapp)).sent == 1
    [pushed] = _daily_messages(api)
    assert [label for label, _ in buttons(pushed)] == ["👀 Show answer"]
    await user.tap(pushed, buttons(pushed)[0][1])
    reveal = user.last()
    assert "Model answer" in reveal["text"] and "How well did you know it?" in reveal["text"]
    assert "reply_markup" not in api.messages[(1001, pushed["message_id"])]
    nailed = next(d for label, d in buttons(reveal) if "Nailed" in label)
    clock.advance(minutes=2)
    await user.tap(reveal, nailed)
    await user.tap(pushed, buttons(pushed)[0][1])
    assert user.answers()[-1] == "You already answered this question."
    after = await _card(dapp, 1001, qid)
    assert before is not None and after is not None
    assert after.last_review == clock.now() and after.due > before.due


async def test_quiz_answers_review_cards_too(dapp: Application, api: FakeBotApi, settings: Settings) -> None:  # type: ignore[type-arg]
    user = ChatDriver(dapp, api)
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, buttons(picker)[0][1])
    await user.tap(user.last_with_buttons(), buttons(user.last_with_buttons())[0][1])
    async with aiosqlite.connect(settings.database_path) as conn:
        cur = await conn.execute("SELECT COUNT(*) FROM cards WHERE user_id = ?", (user.user_id,))
        row = await cur.fetchone()
    assert row is not None and row[0] == 1


async def test_dst_change_in_the_users_zone(dapp: Application, api: FakeBotApi, clock: FakeClock) -> None:  # type: ignore[type-arg]
    clock.set(dt.datetime(2026, 3, 7, 13, 30, tzinfo=UTC))  # 08:30 EST
    await _subscribe(dapp, api, 1001, "09:00", "America/New_York")
    assert (await _round(dapp)).sent == 0
    clock.set(dt.datetime(2026, 3, 7, 14, 0, tzinfo=UTC))  # 09:00 EST
    assert (await _round(dapp)).sent == 1
    clock.set(dt.datetime(2026, 3, 8, 12, 59, tzinfo=UTC))  # 08:59 EDT: clocks went forward overnight
    assert (await _round(dapp)).sent == 0
    clock.set(dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC))  # 09:00 EDT, an hour earlier in UTC
    assert (await _round(dapp)).sent == 1
    assert len(_daily_messages(api)) == 2


async def test_utc_plus_14_and_minus_12(
    dapp: Application,
    api: FakeBotApi,
    clock: FakeClock,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 17, 0, tzinfo=UTC))
    await _subscribe(dapp, api, 1001, "08:00", "Pacific/Kiritimati")
    await _subscribe(dapp, api, 1002, "08:00", "Etc/GMT+12")
    assert (await _round(dapp)).sent == 0
    clock.set(dt.datetime(2026, 1, 1, 18, 0, tzinfo=UTC))  # 08:00 on 2 Jan in Kiritimati
    assert (await _round(dapp)).sent == 1
    clock.set(dt.datetime(2026, 1, 1, 20, 0, tzinfo=UTC))  # 08:00 on 1 Jan at UTC−12
    assert (await _round(dapp)).sent == 1
    clock.set(dt.datetime(2026, 1, 2, 17, 59, tzinfo=UTC))  # 07:59 on 3 Jan / 05:59 on 2 Jan
    assert (await _round(dapp)).sent == 0
    assert await _deliveries(settings) == [(1001, "2026-01-02", "sent", 1), (1002, "2026-01-01", "sent", 1)]


async def test_local_midnight_during_a_push(
    settings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper
) -> None:
    slow = settings.model_copy(update={"push_rate": 0.02})  # one send every 50 s
    app = await started_app(slow, api, clock, sleeper)
    try:
        clock.set(dt.datetime(2026, 1, 1, 23, 59, tzinfo=UTC))
        for uid in (1001, 1002, 1003):
            await _subscribe(app, api, uid, "23:58", "UTC")
        report = await _round(app)
        assert report.sent == 3 and sleeper.waits == [50.0, 50.0]
        assert clock.now().date() == dt.date(2026, 1, 2)  # the last send went out after midnight
        # Every send counts for the day the round started on; the new day starts afresh at 23:58.
        assert [r[1] for r in await _deliveries(slow)] == ["2026-01-01"] * 3
        clock.advance(minutes=1)
        assert (await _round(app)).sent == 0
        clock.set(dt.datetime(2026, 1, 2, 23, 58, tzinfo=UTC))
        assert (await _round(app)).sent == 3
    finally:
        await stop_app(app)


async def test_crash_between_send_and_commit_resends_once(
    settings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    first_app = await started_app(settings, api, clock, sleeper)
    try:
        await _subscribe(first_app, api, 1001, "09:00", None)
        assert (await _round(first_app)).sent == 1
    finally:
        await stop_app(first_app)
    # Simulate a crash after the send, before its commit: the claim is left 'sending', and the user's next due
    # time is not moved on (the settle never ran): not known, so the next tick looks at once.
    async with aiosqlite.connect(settings.database_path) as conn:
        await conn.execute("UPDATE deliveries SET status = 'sending', message_id = NULL, sent_at = NULL")
        await conn.execute("UPDATE users SET next_due_at = NULL")
        await conn.commit()
    app = await started_app(settings, api, clock, sleeper)
    try:
        clock.advance(minutes=1)
        report = await _round(app)
        assert (report.sent, report.already) == (0, 1)  # still in flight for all we know
        clock.advance(minutes=5)
        assert (await _round(app)).sent == 1  # stale: resent, the same question
        first, second = _daily_messages(api)
        assert first["text"] == second["text"]
        clock.advance(minutes=10)
        assert (await _round(app)).sent == 0
        assert await _deliveries(settings) == [(1001, "2026-01-01", "sent", 2)]
    finally:
        await stop_app(app)


async def test_blocked_and_missing_chats_unsubscribe(
    dapp: Application,
    api: FakeBotApi,  # type: ignore[type-arg]
    clock: FakeClock,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    await _subscribe(dapp, api, 1001, "09:00", None)
    await _subscribe(dapp, api, 1002, "09:00", None)
    await _subscribe(dapp, api, 1003, "09:00", None)
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    api.fail("sendMessage", 400, "Bad Request: chat not found")
    report = await _round(dapp)
    assert (report.sent, report.blocked) == (1, 2)
    push = _services(dapp).push
    assert push is not None
    for uid in (1001, 1002):
        found = await push.settings(uid)
        assert found is not None and found.blocked and found.daily_time is None
    clock.advance(days=1)
    assert (await _round(dapp)).sent == 1


async def test_flood_wait_is_honoured_for_the_same_user(
    dapp: Application,
    api: FakeBotApi,
    clock: FakeClock,  # type: ignore[type-arg]
    sleeper: Sleeper,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    await _subscribe(dapp, api, 1001, "09:00", None)
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    report = await _round(dapp)
    assert report.sent == 1 and 7.0 in sleeper.waits
    sends = [c for c in api.of("sendMessage") if "Daily question" in str(c.params["text"])]
    assert [c.params["chat_id"] for c in sends] == [1001, 1001]


async def test_server_errors_retry_a_little_then_next_round(
    dapp: Application,
    api: FakeBotApi,
    clock: FakeClock,  # type: ignore[type-arg]
    sleeper: Sleeper,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    await _subscribe(dapp, api, 1001, "09:00", None)
    for _ in range(4):
        api.fail("sendMessage", 502, "Bad Gateway")
    report = await _round(dapp)
    assert (report.sent, report.failed) == (0, 1) and sleeper.waits == [0.5, 1.0, 2.0]
    clock.advance(minutes=1)
    assert (await _round(dapp)).sent == 1
    assert len(_daily_messages(api)) == 1


async def test_my_chat_member_kicked_unsubscribes(dapp: Application, api: FakeBotApi, clock: FakeClock) -> None:  # type: ignore[type-arg]
    await _subscribe(dapp, api, 1001, "09:00", None)

    def change(status: str, update_id: int) -> Update:
        payload = {
            "update_id": update_id,
            "my_chat_member": {
                "chat": {"id": 1001, "type": "private", "first_name": "Ann"},
                "from": user_dict(1001),
                "date": NOW,
                "old_chat_member": {"user": BOT_USER, "status": "member"},
                "new_chat_member": {"user": BOT_USER, "status": status, "until_date": 0},
            },
        }
        return Update.de_json(payload, dapp.bot)

    await dapp.process_update(change("kicked", 90_001))
    push = _services(dapp).push
    assert push is not None
    found = await push.settings(1001)
    assert found is not None and found.blocked and found.daily_time is None
    clock.set(dt.datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    assert (await _round(dapp)).due == 0
    await dapp.process_update(change("member", 90_002))
    found = await push.settings(1001)
    assert found is not None and not found.blocked


async def test_replies_flow_while_a_push_paces_its_sends(settings: Settings, api: FakeBotApi, clock: FakeClock) -> None:
    helper: list[ChatDriver] = []

    class TalkingSleep(Sleeper):
        """While the push waits between sends, another user talks to the bot."""

        async def __call__(self, seconds: float) -> None:
            await super().__call__(seconds)
            if len(self.waits) == 1:
                await helper[0].say("/help")
                assert "What I can do" in helper[0].last()["text"]

    sleep = TalkingSleep(clock)
    app = await started_app(settings, api, clock, sleep)
    try:
        helper.append(ChatDriver(app, api, 4242))
        clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
        for uid in (1001, 1002):
            await _subscribe(app, api, uid, "09:00", None)
        assert (await _round(app)).sent == 2
        texts = api.sent_texts()
        help_at = next(i for i, t in enumerate(texts) if "What I can do" in t)
        daily_at = [i for i, t in enumerate(texts) if "Daily question" in t]
        assert daily_at[0] < help_at < daily_at[1]
    finally:
        await stop_app(app)


async def test_one_users_database_error_does_not_end_the_round(
    dapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    for uid in (1001, 1002, 1003, 1004):
        await _subscribe(dapp, api, uid, "09:00", None)
    db = _services(dapp).db
    # A real constraint failure for one user only: the batch's claim fails, then each user is claimed alone.
    await db.execute(
        "CREATE TEMP TRIGGER refuse_1002 BEFORE INSERT ON sessions WHEN NEW.user_id = 1002 "
        "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END"
    )
    claim = PushStore.claim

    async def claim_then_delete(self: PushStore, *args: Any) -> Any:
        found = await claim(self, *args)
        if any(c.user_id == 1003 for c in found):  # /deleteme confirmed between the claim and the send
            await _services(dapp).progress.delete(1003)
        return found

    monkeypatch.setattr(PushStore, "claim", claim_then_delete)
    report = await _round(dapp)
    # The send re-checks the claim: the user who left between the claim and the send gets nothing.
    assert (report.sent, report.failed, report.already) == (2, 1, 1)
    assert [len(_daily_messages(api, uid)) for uid in (1001, 1002, 1003, 1004)] == [1, 0, 0, 1]
    skipped = [r for r in caplog.records if "1002" in r.getMessage()]
    assert skipped and all(r.exc_info is None for r in skipped)  # expected: a line, not a traceback
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not await db.fetch_all("SELECT * FROM deliveries WHERE user_id = 1003")
    await db.execute("DROP TRIGGER refuse_1002")
    clock.advance(minutes=1)
    report = await _round(dapp)  # the failed row is claimed again by the next round
    assert (report.sent, report.already) == (1, 0)  # the users served are due tomorrow: not even looked at
    assert len(_daily_messages(api, 1002)) == 1


async def test_a_stopping_round_ends_between_sends_and_gives_back_what_it_did_not_send(
    dapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    users = [1001, 1002, 1003, 1004]
    for uid in users:
        await _subscribe(dapp, api, uid, "09:00", None)
    stop_after_two = lambda: len(_daily_messages(api)) >= 2  # noqa: E731
    report = await run_push_round(dapp, stop=stop_after_two)
    assert report is not None and report.stopped and report.sent == 2
    assert not await _services(dapp).db.fetch_all("SELECT * FROM deliveries WHERE status = 'sending'")

    # Shutdown while a send waits for its slot: the limiter refuses it, the claim is given back.
    limiter = dapp.bot.rate_limiter
    assert isinstance(limiter, Limiter)
    limiter.stop_bulk()
    report = await run_push_round(dapp)
    assert report is not None and report.stopped and report.sent == 0
    rows = await _services(dapp).db.fetch_all("SELECT status, attempts FROM deliveries WHERE user_id = 1003")
    assert [tuple(r) for r in rows] == [("failed", 0)]

    await limiter.initialize()  # a new start accepts bulk traffic again
    report = await _round(dapp)
    assert (report.sent, report.already) == (2, 0)  # the two served are due tomorrow: not even looked at
    assert [len(_daily_messages(api, uid)) for uid in users] == [1, 1, 1, 1]
