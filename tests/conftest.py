"""Shared fixtures: settings on a temporary database, a fake Bot API, a built Application."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

import hypothesis
import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.config import DEFAULT_QUESTIONS_DIR, Settings
from bot.telegram.app import build_application
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, unthrottled
from tests.fake_llm import FakeLlm

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"

# In CI the property tests replay the same examples every run, so a run is never red by chance (and a clean
# clone keeps no example database). On a developer's machine they explore new ones, and Hypothesis keeps every
# failure it finds in .hypothesis/ to replay it first next time (turn what it finds into an @example). So no test
# sets `database`: tests/unit/test_hypothesis_settings.py checks that.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal practice follows LANG (bot/i18n.py): tests see English whatever the machine's locale."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite file and the shipped bank."""
    return Settings(
        telegram_bot_token=TOKEN,
        database_path=tmp_path / "db" / "bot.sqlite3",
        questions_dir=DEFAULT_QUESTIONS_DIR,
        admin_ids=frozenset({42}),
        _env_file=None,
    )


@pytest.fixture
def clock() -> FakeClock:
    """A clock tests move by hand."""
    return FakeClock()


@pytest.fixture
def api() -> FakeBotApi:
    """The fake Bot API transport."""
    return FakeBotApi()


@pytest_asyncio.fixture
async def app(settings: Settings, api: FakeBotApi, clock: FakeClock) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """A real PTB Application wired to the fake transport, initialised with post_init run."""
    application = build_application(
        settings, clock=clock, rng=random.Random(7), request=api, limiter=unthrottled(settings)
    )
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    yield application
    await application.shutdown()
    assert application.post_shutdown is not None
    await application.post_shutdown(application)


@pytest_asyncio.fixture
async def fake_llm() -> AsyncIterator[FakeLlm]:
    """The loopback fake OpenAI-compatible endpoint (tests/fake_llm.py), started."""
    server = FakeLlm()
    await server.start()
    yield server
    await server.stop()
