"""/broadcast for admins (check, preview, confirm, stop), /news and the opt-out button, on a real Application."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator

import pytest_asyncio
from telegram.ext import Application

from bot import texts
from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.callback import BroadcastAction, BroadcastCb, NewsOffCb
from tests.fake_bot_api import Call, FakeBotApi, buttons, unthrottled
from tests.flows.driver import ChatDriver, stop_app

ADMIN = 42
USERS = [1, 2, 3, 4]
HTML = "<b>Mock interviews</b> now adapt to your answers."


async def _broadcast_done() -> None:
    """Wait for the broadcast the confirm tap started in the background."""
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("broadcast-")]
    assert tasks
    await asyncio.gather(*tasks)


def _got(api: FakeBotApi, uid: int) -> int:
    return sum(1 for c in api.to_chat(uid) if c.params.get("text") == HTML)


async def test_an_admin_broadcast_is_checked_previewed_confirmed_and_sent_once(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    settings: Settings,
) -> None:
    admin = ChatDriver(app, api, ADMIN)
    users = {uid: ChatDriver(app, api, uid) for uid in USERS}
    for driver in [admin, *users.values()]:
        await driver.say("/start")
    await users[3].say("/news off")
    assert users[3].last()["text"] == texts.NEWS_OFF

    await users[2].say(f"/broadcast {HTML}")  # not an admin: nothing is drafted
    assert users[2].last()["text"] == texts.NOT_ADMIN
    await admin.say("/broadcast <b>unclosed")
    assert admin.last()["text"] == texts.broadcast_problems(["<b> is never closed"])

    sends = len(api.of("sendMessage"))
    await admin.say(f"/broadcast {HTML}")
    preview, confirm = admin.messages()[-2:]
    assert preview["text"] == HTML and buttons(preview) == [(texts.BTN_NEWS_OFF, NewsOffCb().pack())]
    assert confirm["text"] == texts.broadcast_confirm(4)  # the admin and users 1, 2 and 4
    assert len(api.of("sendMessage")) == sends + 2  # only to the admin, before the confirmation
    send = BroadcastCb(BroadcastAction.SEND, 1).pack()
    assert [d for _, d in buttons(confirm)] == [send, BroadcastCb(BroadcastAction.CANCEL, 1).pack()]

    await users[2].tap(users[2].last(), send)  # forged data in another user's chat starts nothing
    assert users[2].answers()[-1] == texts.NOT_ADMIN

    def user_1_blocked_the_bot(call: Call) -> None:
        if call.method == "sendMessage" and int(call.params["chat_id"]) == 1:
            api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")

    api.on_call = user_1_blocked_the_bot
    await admin.tap(confirm, send)
    await _broadcast_done()
    # User 1's send was refused (403), user 3 opted out; the admin got the preview and the broadcast.
    assert [_got(api, uid) for uid in USERS] == [1, 1, 0, 1] and _got(api, ADMIN) == 2
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT user_id FROM users WHERE blocked = 1").fetchall() == [(1,)]
        assert raw.execute("SELECT status FROM broadcasts").fetchall() == [("done",)]
    assert texts.broadcast_finished(3, 1, 0, stopped=False) in api.sent_texts()

    sends = len(api.of("sendMessage"))
    await admin.tap(confirm, send)  # a double tap sends nothing again
    edited = next(m for m in admin.messages() if m["message_id"] == confirm["message_id"])
    assert len(api.of("sendMessage")) == sends and edited["text"] == texts.BROADCAST_GONE

    # The button under the broadcast opts out; /news says so, and /news on undoes it.
    news = next(m for m in users[4].messages() if m.get("text") == HTML)
    await users[4].tap(news, NewsOffCb().pack())
    assert users[4].answers()[-1] == texts.NEWS_OFF_TAPPED
    await users[4].say("/news")
    assert users[4].last()["text"] == texts.news_usage(False)
    await users[4].say("/news on")
    assert users[4].last()["text"] == texts.NEWS_ON
    await admin.say("/broadcast stop")
    assert admin.last()["text"] == texts.BROADCAST_NONE_RUNNING


@pytest_asyncio.fixture
async def slow_app(settings: Settings, api: FakeBotApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The app at 2 broadcast messages a second (real time): a stop lands between two sends, not after all."""
    slow = settings.model_copy(update={"push_rate": 2.0})
    application = build_application(slow, rng=random.Random(7), request=api, limiter=unthrottled(slow))
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    yield application
    await stop_app(application)


async def test_a_stopped_broadcast_goes_on_where_it_stopped_and_reaches_nobody_twice(
    slow_app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    settings: Settings,
) -> None:
    app = slow_app
    admin = ChatDriver(app, api, ADMIN)
    await admin.say("/start")
    for uid in USERS:
        await ChatDriver(app, api, uid).say("/start")
    gate = api.hold(2)  # user 2's send hangs: the broadcast is under way when the admin stops it
    await admin.say(f"/broadcast {HTML}")
    confirm = admin.last()
    await admin.tap(confirm, BroadcastCb(BroadcastAction.SEND, 1).pack())
    await api.wait_for(lambda: _got(api, 2) == 1)
    await admin.say("/broadcast stop")
    assert admin.last()["text"] == texts.BROADCAST_STOPPED
    gate.set()
    await _broadcast_done()
    assert [_got(api, uid) for uid in USERS] == [1, 1, 0, 0]  # the sends started went out; no new one began
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT status FROM broadcasts").fetchall() == [("stopped",)]

    # The same text again: the stopped broadcast becomes the draft, for those it has not reached yet.
    await admin.say(f"/broadcast {HTML}")
    confirm = admin.last()
    assert confirm["text"] == texts.broadcast_confirm(3)  # users 3 and 4, and the admin
    await admin.tap(confirm, BroadcastCb(BroadcastAction.SEND, 1).pack())
    await _broadcast_done()
    assert [_got(api, uid) for uid in USERS] == [1, 1, 1, 1]
    assert _got(api, ADMIN) == 3  # two previews and the broadcast once
