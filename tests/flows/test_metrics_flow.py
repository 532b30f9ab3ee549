"""/metrics on a real Application: push outcomes and lag, flood waits, errors, open sessions, on both listeners."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.jobs import run_push_round
from bot.telegram.observe import metrics_of
from bot.telegram.polls import run_group_round
from bot.telegram.webhook import HttpListener
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver, Sleeper, started_app, stop_app
from tests.flows.test_group_flow import ADMIN, Group, _added

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sum(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture
def sleeper(clock: FakeClock) -> Sleeper:
    return Sleeper(clock)


@pytest_asyncio.fixture
async def mapp(settings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = await started_app(settings, api, clock, sleeper)
    yield app
    await stop_app(app)


async def _scrape(app: Application, **listener: str) -> Samples:  # type: ignore[type-arg]
    """GET /metrics over HTTP from a listener of `app` (health only, or with a webhook path and secret)."""
    port = _free_port()
    server = HttpListener(app, "127.0.0.1", port, **listener)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    finally:
        await server.stop()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_push_outcomes_lag_and_flood_waits(
    mapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    clock.set(dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC))
    for uid in (1001, 1002, 1003):
        await ChatDriver(mapp, api, uid).say("/daily 09:00")
    clock.set(dt.datetime(2026, 1, 1, 9, 5, tzinfo=dt.UTC))
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    report = await run_push_round(mapp)
    assert report is not None and (report.sent, report.blocked) == (2, 1)

    samples = await _scrape(mapp)
    assert _sum(samples, "bot_deliveries_total", kind="push", outcome="sent") == 2
    assert _sum(samples, "bot_deliveries_total", kind="push", outcome="blocked") == 1
    assert _sum(samples, "bot_deliveries_total", kind="push", outcome="failed") == 0
    assert _sum(samples, "bot_deliveries_total", kind="broadcast", outcome="sent") == 0  # present before any
    # Both went five minutes (and the flood wait) after 09:00 local.
    assert _sum(samples, "bot_delivery_lag_seconds_count", kind="push") == 2
    assert 600 <= _sum(samples, "bot_delivery_lag_seconds_sum", kind="push") < 700
    assert _sum(samples, "bot_delivery_lag_seconds_bucket", kind="push", le="60.0") == 0
    assert _sum(samples, "bot_delivery_lag_seconds_bucket", kind="push", le="900.0") == 2
    assert _sum(samples, "bot_api_retry_after_total", method="sendMessage") == 1
    assert _sum(samples, "bot_api_retry_after_seconds_total", method="sendMessage") == 7
    assert _sum(samples, "bot_api_calls_total", method="sendMessage", result="flood") == 1
    assert _sum(samples, "bot_api_calls_total", method="sendMessage", result="error") == 1
    assert _sum(samples, "bot_updates_total", type="message") == 3
    assert _sum(samples, "bot_handler_seconds_count", route="/daily") == 3


async def test_open_sessions_errors_and_the_webhook_listener(
    mapp: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
) -> None:
    ann = ChatDriver(mapp, api, 2001)
    await ann.say("/quiz")
    picker = ann.last_with_buttons()
    await ann.tap(picker, buttons(picker)[0][1])
    api.fail("sendMessage", 400, "Bad Request: can't parse entities")
    await ChatDriver(mapp, api, 2002).say("/help")
    await ChatDriver(mapp, api, 2003).say("/nosuchcommand")

    samples = await _scrape(mapp, hook_path="/hook", secret="s3cret")
    assert samples[("bot_active_sessions", ())] == 1
    assert _sum(samples, "bot_errors_total", kind="bad_request") == 1
    assert _sum(samples, "bot_errors_total") == 1
    assert _sum(samples, "bot_handler_seconds_count", route="/unknown") == 1
    assert _sum(samples, "bot_handler_seconds_count", route="button:LevelCb") == 1
    assert _sum(samples, "bot_db_write_seconds_count") > 0
    # The app's own registry: prometheus-client's global one never hears of it.
    metrics = metrics_of(mapp)
    assert metrics is not None and metrics.registry is not REGISTRY
    assert REGISTRY.get_sample_value("bot_updates_total", {"type": "message"}) is None


async def test_group_polls_are_counted(mapp: Application, api: FakeBotApi) -> None:  # type: ignore[type-arg]
    posted, kicked = Group(mapp, api), Group(mapp, api, -4242)
    for group in (posted, kicked):
        await _added(group)
        await group.say(ADMIN, "/daily 09:00")
    api.fail("sendPoll", 403, "Forbidden: bot was kicked from the group chat")
    await run_group_round(mapp)
    samples = await _scrape(mapp)
    assert _sum(samples, "bot_deliveries_total", kind="group_poll", outcome="sent") == 1
    assert _sum(samples, "bot_deliveries_total", kind="group_poll", outcome="blocked") == 1
    assert _sum(samples, "bot_deliveries_total", kind="push") == 0
