"""`python -m bot push [--all]`: one round against the fake Bot API, beside a running bot, then exit."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cli.push import run_push
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.group_settings import GroupSettingsStore
from bot.storage.interviews import InterviewStore
from bot.storage.push import PushStore
from bot.telegram.app import build_application
from bot.telegram.jobs import make_sender, run_push_round
from bot.telegram.services import services_of
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, unthrottled


class _NoSleep:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)


async def _subscribe(settings: Settings, users: dict[int, str]) -> None:
    db = await Database.open(settings.database_path)
    try:
        for uid, at in users.items():
            await InterviewStore(db).upsert_user(uid, uid, "Ann", 0)
            await PushStore(db).set_daily(uid, at)
    finally:
        await db.close()


async def _push(settings: Settings, api: FakeBotApi, clock: FakeClock, everyone: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_push(settings, everyone, request=api, clock=clock, sleep=_NoSleep(clock), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_push_all_serves_everyone_once_a_day(settings: Settings, api: FakeBotApi, clock: FakeClock) -> None:
    clock.set(dt.datetime(2026, 1, 1, 6, 0, tzinfo=dt.UTC))
    await _subscribe(settings, {1: "09:00", 2: "21:00", 3: "05:00"})
    code, out, _ = await _push(settings, api, clock, everyone=False)
    assert code == 0 and "sent: 1\n" in out  # only user 3's time has come
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    code, out, err = await _push(settings, api, clock, everyone=True)
    assert code == 0
    assert out.startswith("sent: 1\nalready served: 1\nblocked: 1\nfailed: 0\ngroup polls posted: 0\n")
    assert "push: 2/2" in err
    sends = len(api.of("sendMessage"))
    code, out, _ = await _push(settings, api, clock, everyone=True)
    assert code == 0 and out.startswith("sent: 0\nalready served: 2\n")
    assert len(api.of("sendMessage")) == sends
    assert not api.of("getUpdates")


async def test_push_beside_the_running_bot_never_repeats(settings: Settings, api: FakeBotApi, clock: FakeClock) -> None:
    clock.set(dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC))
    await _subscribe(settings, {1: "09:00", 2: "09:30"})
    app = build_application(
        settings,
        clock=clock,
        rng=random.Random(1),
        request=api,
        sleep=_NoSleep(clock),
        limiter=unthrottled(settings, _NoSleep(clock)),
    )
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    try:
        code, out, _ = await _push(settings, api, clock, everyone=False)
        assert code == 0 and out.startswith("sent: 2\n")
        sends = len(api.of("sendMessage"))
        report = await run_push_round(app)
        assert report is not None and (report.due, report.sent) == (0, 0)  # both due tomorrow, by the index
        report = await services_of(app).push.run_round(make_sender(app.bot), everyone=True)  # a look at everyone
        assert (report.sent, report.already) == (0, 2) and len(api.of("sendMessage")) == sends
    finally:
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


async def test_push_posts_the_daily_group_poll_once(settings: Settings, api: FakeBotApi, clock: FakeClock) -> None:
    clock.set(dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC))
    await _subscribe(settings, {1: "09:00"})
    db = await Database.open(settings.database_path)
    try:
        groups = GroupSettingsStore(db)
        for chat_id, at in ((-100777, "09:00"), (-100888, "23:00")):
            await groups.join(chat_id, "Flask club", 0)
            await groups.set_daily(chat_id, at)
    finally:
        await db.close()
    code, out, _ = await _push(settings, api, clock, everyone=False)
    assert code == 0 and out.startswith("sent: 1\n") and "group polls posted: 1\n" in out
    assert [c.params["chat_id"] for c in api.of("sendPoll")] == [-100777]  # only the group whose time has come
    code, out, _ = await _push(settings, api, clock, everyone=True)  # --all: the other group too, never one twice
    assert code == 0 and "group polls posted: 1\n" in out
    assert sorted(c.params["chat_id"] for c in api.of("sendPoll")) == [-100888, -100777]
    code, out, _ = await _push(settings, api, clock, everyone=True)
    assert code == 0 and "group polls posted: 0\n" in out and len(api.of("sendPoll")) == 2


def test_push_without_a_token_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    assert main(["push", "--all"]) == 2
    assert "TELEGRAM_BOT_TOKEN is required" in capsys.readouterr().err
