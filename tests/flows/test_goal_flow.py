"""Goals through the real Application with an injected clock: /goal, daily sets, freezes, /pause, the date passing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.config import Settings
from bot.domain.bank import McqQuestion
from bot.telegram.callback import AnswerCb, GoalResultCb, GradeCb, SetStartCb, WeakTopicsCb, unpack
from bot.telegram.jobs import run_push_round
from bot.telegram.nudges import run_nudges
from bot.telegram.services import Services
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver, Sleeper, started_app, stop_app

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def gapp(settings: Settings, api: FakeBotApi, clock: FakeClock) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The Application on the fake clock, set to 08:00 UTC on 1 January 2026."""
    clock.set(START)
    app = await started_app(settings, api, clock, Sleeper(clock))
    yield app
    await stop_app(app)


def _svc(app: Application) -> Services:  # type: ignore[type-arg]
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


def _data(message: dict[str, Any], kind: type) -> list[str]:
    return [d for _, d in buttons(message) if isinstance(unpack(d), kind)]


def _sets(user: ChatDriver) -> list[dict[str, Any]]:
    return [m for m in user.messages() if "Today's set" in m["text"]]


async def _push(app: Application) -> None:  # type: ignore[type-arg]
    assert await run_push_round(app) is not None


async def _answer_current(app: Application, user: ChatDriver) -> bool:  # type: ignore[type-arg]
    """Answer the open session's current question right; False when no question is waiting."""
    view = await _svc(app).interview.current(user.user_id)
    if view is None:
        return False
    if isinstance(view.question, McqQuestion):
        question = user.last_with_buttons()
        shown = view.order.index(view.question.correct_index)
        await user.tap(question, _data(question, AnswerCb)[shown])
    else:
        await user.say("Flask keeps one app object; blueprints group routes; the request context holds state.")
        graded = user.last_with_buttons()
        nailed = next(d for d in _data(graded, GradeCb) if d.endswith(":nailed"))
        await user.tap(graded, nailed)
    return True


async def _do_set(app: Application, user: ChatDriver, message: dict[str, Any], limit: int = 99) -> int:  # type: ignore[type-arg]
    """Tap a set's start button and answer up to `limit` of its questions; how many were answered."""
    await user.tap(message, _data(message, SetStartCb)[0])
    done = 0
    while done < limit and await _answer_current(app, user):
        done += 1
    return done


def _set_size(message: dict[str, Any]) -> int:
    label = next(label for label, d in buttons(message) if isinstance(unpack(d), SetStartCb))
    return int(label.split("(")[1].rstrip(")"))


def _goal_rows(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as raw:
        return [tuple(r) for r in raw.execute("SELECT target_date, level, status FROM goals ORDER BY goal_id")]


async def test_set_a_goal_then_three_days_of_daily_sets(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    settings: Settings,
) -> None:
    user = ChatDriver(gapp, api)
    bob = ChatDriver(gapp, api, 1002)  # subscribed without a goal: his daily message stays one question
    await bob.say("/daily 09:00")
    await user.say("/goal")
    assert "When is your interview?" in user.last()["text"]
    await user.say("/goal 2026-13-01 fresher")
    assert "YYYY-MM-DD" in user.last()["text"]
    await user.say("/goal 2025-12-01 fresher")
    assert "not ahead of today" in user.last()["text"]
    await user.say("/goal 2026-09-01 fresher")
    assert "more than 180 days" in user.last()["text"]
    await user.say("/daily 09:00")
    await user.say("/goal 2026-02-15 fresher")
    shown = user.last()
    assert "Fresher by 15 Feb 2026" in shown["text"] and "45 days left" in shown["text"]
    assert "Forecast now: <b>0%</b>" in shown["text"] and "Today: <b>0 of" in shown["text"]
    assert "Behind by" in shown["text"]
    drills = _data(shown, WeakTopicsCb)
    assert len(drills) == 3 and _data(shown, SetStartCb)
    assert _goal_rows(settings.database_path) == [("2026-02-15", "fresher", "active")]

    sizes, reviews = [], []
    for day in (2, 3, 4):
        clock.set(dt.datetime(2026, 1, day, 9, 1, tzinfo=UTC))
        await _push(gapp)
        await _push(gapp)  # a second round the same day sends nothing more
        todays = _sets(user)
        assert len(todays) == day - 1
        assert "Daily question" in bob.last()["text"] and not _sets(bob)
        message = todays[-1]
        assert "days to your fresher interview" in message["text"]
        assert "Daily question" not in message["text"]
        size = _set_size(message)
        sizes.append(size)
        reviews.append("review" in message["text"])
        assert 1 <= size <= 10
        assert await _do_set(gapp, user, message) == size
        # A second tap on the same message starts nothing new.
        asked = len(api.of("sendMessage"))
        await user.tap(message, _data(message, SetStartCb)[0])
        assert len(api.of("sendMessage")) == asked
        await user.say("/goal")
        assert f"Today: <b>{size} of {size}</b> done" in user.last()["text"]
    # Day one is all new; on the next days yesterday's questions come back as reviews first.
    assert reviews == [False, True, True]
    await user.say("/goal")
    after = user.last()["text"]
    assert "Forecast now: <b>0%</b>" not in after
    view = await _svc(gapp).goal.view(user.user_id)
    assert view is not None and view.forecast_now > 0 and view.forecast_at_date > view.forecast_now / 2


async def test_a_missed_day_is_covered_by_a_freeze(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    user = ChatDriver(gapp, api)
    await user.say("/daily 09:00")
    await user.say("/goal 2026-03-01 fresher")
    for day in range(2, 9):  # seven days in a row earn a freeze
        clock.set(dt.datetime(2026, 1, day, 9, 1, tzinfo=UTC))
        await _push(gapp)
        assert await _do_set(gapp, user, _sets(user)[-1], limit=1) == 1
    streak = await _svc(gapp).goal.streaks(user.user_id)
    assert (streak.current, streak.freezes) == (7, 1)
    await user.say("/goal")
    assert "Streak: 7 days · 🧊 freezes: 1 of 2" in user.last()["text"]
    # 9 January is missed; on the 10th the set says a freeze covered it and the streak lives on.
    clock.set(dt.datetime(2026, 1, 10, 9, 1, tzinfo=UTC))
    await _push(gapp)
    assert "A freeze kept your streak alive yesterday" in _sets(user)[-1]["text"]
    assert len(_sets(user)) == 8
    await _do_set(gapp, user, _sets(user)[-1], limit=1)
    streak = await _svc(gapp).goal.streaks(user.user_id)
    assert (streak.current, streak.freezes) == (8, 0)
    await user.say("/stats")
    assert "Streak: <b>8</b> days" in next(m["text"] for m in reversed(user.messages()) if "Streak" in m["text"])
    # Without a freeze left, the next missed day ends it.
    clock.set(dt.datetime(2026, 1, 12, 9, 1, tzinfo=UTC))
    assert (await _svc(gapp).goal.streaks(user.user_id)).current == 0


async def test_pause_stops_the_push_and_the_streak_clock_and_shifts_the_plan(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    user = ChatDriver(gapp, api)
    await user.say("/daily 09:00")
    await user.say("/goal 2026-01-31 fresher")
    for day in (2, 3):
        clock.set(dt.datetime(2026, 1, day, 9, 1, tzinfo=UTC))
        await _push(gapp)
        await _do_set(gapp, user, _sets(user)[-1], limit=1)
    before = await _svc(gapp).goal.view(user.user_id)
    assert before is not None
    clock.set(dt.datetime(2026, 1, 4, 8, 0, tzinfo=UTC))
    for bad in ("/pause", "/pause 0", "/pause 15", "/pause x"):
        await user.say(bad)
        assert "1 to 14" in user.last()["text"]
    await user.say("/pause 3")
    text = user.last()["text"]
    assert "Paused until <b>06 Jan 2026</b>" in text
    assert f"spreads over {before.study_days - 1 - 3} study days" in text
    for day in (4, 5, 6):
        clock.set(dt.datetime(2026, 1, day, 9, 1, tzinfo=UTC))
        await _push(gapp)
        # Skipped, and looked at again at the next day's time: the due index does not pick them every tick.
        row = await _svc(gapp).db.fetch_one("SELECT next_due_at FROM users WHERE user_id = ?", (user.user_id,))
        assert row is not None
        assert row[0] == int(dt.datetime(2026, 1, day + 1, 9, 0, tzinfo=UTC).timestamp() * 1000)
    assert len(_sets(user)) == 2  # nothing pushed while paused
    paused = await _svc(gapp).goal.view(user.user_id)
    assert paused is not None and paused.paused_until == dt.date(2026, 1, 6) and paused.target_today == 0
    clock.set(dt.datetime(2026, 1, 7, 9, 1, tzinfo=UTC))
    await _push(gapp)
    assert len(_sets(user)) == 3
    streak = await _svc(gapp).goal.streaks(user.user_id)
    assert streak.current == 2  # the paused days neither broke nor added
    await user.say("/stats")
    assert "Streak: <b>2</b> days" in next(m["text"] for m in reversed(user.messages()) if "Streak" in m["text"])
    after = await _svc(gapp).goal.view(user.user_id)
    assert after is not None and after.study_days < before.study_days
    assert after.new_per_day >= before.new_per_day
    # /pause off ends a pause early.
    await user.say("/pause 5")
    await user.say("/pause off")
    assert "Welcome back" in user.last()["text"]
    row = await _svc(gapp).db.fetch_one("SELECT next_due_at FROM users WHERE user_id = ?", (user.user_id,))
    assert row is not None and row[0] is None  # a pause set or ended: the next tick looks at once
    assert await _svc(gapp).goal.paused_until(user.user_id) is None


async def test_the_date_passes_and_one_message_asks_how_it_went(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    settings: Settings,
) -> None:
    user = ChatDriver(gapp, api)
    await user.say("/daily 09:00")
    await user.say("/goal 2026-01-03 fresher")
    clock.set(dt.datetime(2026, 1, 2, 9, 1, tzinfo=UTC))
    await _push(gapp)
    assert len(_sets(user)) == 1
    clock.set(dt.datetime(2026, 1, 3, 9, 1, tzinfo=UTC))  # the day itself: the usual question
    await _push(gapp)
    assert "Daily question" in user.last()["text"]
    clock.set(dt.datetime(2026, 1, 4, 9, 1, tzinfo=UTC))
    await _push(gapp)
    asked = user.last()
    assert "interview was on <b>03 Jan 2026</b>. How did it go?" in asked["text"]
    choices = {label: d for label, d in buttons(asked)}
    assert set(choices) == {"✅ Passed", "🔁 Not yet", "Skip"}
    assert _goal_rows(settings.database_path)[-1][2] == "asked"
    await user.tap(asked, choices["✅ Passed"])
    assert _goal_rows(settings.database_path) == [("2026-01-03", "fresher", "passed")]
    assert "new goal" in user.last()["text"] and not _data(user.last(), GoalResultCb)
    await user.tap(asked, choices["🔁 Not yet"])  # a second answer changes nothing
    assert user.answers()[-1] == "Already noted."
    assert _goal_rows(settings.database_path)[-1][2] == "passed"
    # Only one such message: the next day is a plain daily question again, and /goal offers a new goal.
    clock.set(dt.datetime(2026, 1, 5, 9, 1, tzinfo=UTC))
    await _push(gapp)
    assert "Daily question" in user.last()["text"]
    assert sum("How did it go?" in t for t in api.sent_texts()) == 1
    await user.say("/goal")
    assert "When is your interview?" in user.last()["text"]


async def test_goal_picker_and_turning_it_off(gapp: Application, api: FakeBotApi, settings: Settings) -> None:  # type: ignore[type-arg]
    user = ChatDriver(gapp, api)
    await user.say("/goal")
    picker = user.last()
    month = next(d for label, d in buttons(picker) if label == "1 month")
    await user.tap(picker, month)
    levels = user.last()
    assert "31 Jan 2026" in levels["text"]
    advanced = next(d for label, d in buttons(levels) if "Advanced" in label)
    await user.tap(levels, advanced)
    assert _goal_rows(settings.database_path) == [("2026-01-31", "advanced", "active")]
    assert "Advanced by 31 Jan 2026" in user.last()["text"]
    assert "/daily 09:00" in user.messages()[-2]["text"]  # not subscribed: told how to get the daily set
    await user.tap(levels, advanced)  # a stale second tap sets the same goal again, nothing breaks
    await user.say("/goal off")
    assert "Goal off" in user.last()["text"]
    assert _goal_rows(settings.database_path)[-1][2] == "off"
    await user.say("/goal off")
    assert "no goal" in user.last()["text"]


@pytest.mark.parametrize("forged", ["gd:0", "gd:181", "gl:30:guru", "gr:1:maybe", "gs:1"])
async def test_forged_goal_buttons_are_refused(gapp: Application, api: FakeBotApi, forged: str) -> None:  # type: ignore[type-arg]
    user = ChatDriver(gapp, api)
    await user.say("/goal")
    await user.tap(user.last(), forged)
    assert user.answers()[-1] == "This button is not valid any more."


def _nudges(user: ChatDriver) -> list[dict[str, Any]]:
    return [m for m in user.messages() if "streak ends at midnight" in m["text"]]


async def test_nudge_once_on_a_day_the_streak_is_at_risk_never_once_the_set_is_done(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    user = ChatDriver(gapp, api)
    await user.say("/daily remind 25:00")
    assert "HH:MM" in user.last()["text"]
    await user.say("/daily remind 20:00")
    assert "<b>20:00</b>" in user.last()["text"]
    await user.say("/daily 09:00")
    await user.say("/goal 2026-02-15 fresher")
    for day in (2, 3):
        clock.set(dt.datetime(2026, 1, day, 9, 1, tzinfo=UTC))
        await _push(gapp)
        await _do_set(gapp, user, _sets(user)[-1])
        clock.set(dt.datetime(2026, 1, day, 20, 30, tzinfo=UTC))
        assert await run_nudges(gapp) == 0  # the set is done: no nudge
    clock.set(dt.datetime(2026, 1, 4, 9, 1, tzinfo=UTC))
    await _push(gapp)
    clock.set(dt.datetime(2026, 1, 4, 19, 59, tzinfo=UTC))
    assert await run_nudges(gapp) == 0  # not yet 20:00
    clock.set(dt.datetime(2026, 1, 4, 20, 0, tzinfo=UTC))
    assert await run_nudges(gapp) == 1
    nudge = _nudges(user)[-1]
    assert "2-day streak" in nudge["text"] and _data(nudge, SetStartCb)
    clock.set(dt.datetime(2026, 1, 4, 21, 0, tzinfo=UTC))
    assert await run_nudges(gapp) == 0  # at most once a day
    # The nudge's button starts today's set; once it is done, no nudge the next day before it is missed.
    assert await _do_set(gapp, user, nudge) >= 1
    clock.set(dt.datetime(2026, 1, 5, 20, 5, tzinfo=UTC))
    assert await run_nudges(gapp) == 1
    await user.say("/pause 2")
    clock.set(dt.datetime(2026, 1, 6, 20, 5, tzinfo=UTC))
    assert await run_nudges(gapp) == 0  # paused
    await user.say("/daily remind off")
    assert "No streak nudges" in user.last()["text"]
    clock.set(dt.datetime(2026, 1, 8, 20, 5, tzinfo=UTC))
    assert await run_nudges(gapp) == 0
    assert len(_nudges(user)) == 2


async def test_a_broken_goal_falls_back_to_the_usual_question_for_that_user_only(
    gapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ann, bob = ChatDriver(gapp, api, 1001), ChatDriver(gapp, api, 1002)
    for user in (ann, bob):
        await user.say("/daily 09:00")
        await user.say("/goal 2026-02-15 fresher")
    with sqlite3.connect(settings.database_path) as raw:  # a level this bank no longer has
        raw.execute("UPDATE goals SET level = 'guru' WHERE user_id = 1001")
    clock.set(dt.datetime(2026, 1, 2, 9, 1, tzinfo=UTC))
    await _push(gapp)
    assert "Daily question" in ann.last()["text"] and not _sets(ann)
    assert len(_sets(bob)) == 1
    assert "daily set of user 1001 failed" in caplog.text
