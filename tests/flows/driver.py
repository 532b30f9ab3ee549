"""A user's side of the chat, driving a real Application through process_update."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from typing import Any

from telegram.ext import Application

from bot.config import Settings
from bot.domain.bank import McqQuestion
from bot.telegram.app import build_application
from bot.telegram.callback import InterviewAnswerCb, unpack
from bot.telegram.services import Services
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons, tap_update, text_update, unthrottled


class Sleeper:
    """An injected sleep: records each wait and moves the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)


async def started_app(settings: Settings, api: FakeBotApi, clock: FakeClock, sleeper: Sleeper) -> Application:  # type: ignore[type-arg]
    """A real Application on the fake transport, initialised with post_init run (as run_polling would)."""
    app = build_application(
        settings, clock=clock, rng=random.Random(3), request=api, sleep=sleeper, limiter=unthrottled(settings, sleeper)
    )
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    return app


async def stop_app(app: Application) -> None:  # type: ignore[type-arg]
    """Shut an Application from `started_app` down, post_shutdown included."""
    await app.shutdown()
    assert app.post_shutdown is not None
    await app.post_shutdown(app)


class ChatDriver:
    """Sends messages and taps buttons as one user, reading what the bot did from the fake API."""

    def __init__(self, app: Application, api: FakeBotApi, user_id: int = 1001) -> None:  # type: ignore[type-arg]
        self.app = app
        self.api = api
        self.user_id = user_id

    async def say(self, text: str, update_id: int | None = None) -> None:
        """Send a text or command."""
        await self.app.process_update(text_update(self.app.bot, self.user_id, text, update_id))

    async def tap(self, message: dict[str, Any], data: str, update_id: int | None = None) -> None:
        """Tap a button (by its callback data) of a message."""
        await self.app.process_update(tap_update(self.app.bot, self.user_id, message, data, update_id))

    def messages(self) -> list[dict[str, Any]]:
        """The chat as the user sees it now, oldest first."""
        return [m for (chat, _), m in sorted(self.api.messages.items()) if chat == self.user_id]

    def last_with_buttons(self) -> dict[str, Any]:
        """The newest message that still has inline buttons."""
        return next(m for m in reversed(self.messages()) if buttons(m))

    def last(self) -> dict[str, Any]:
        """The newest message."""
        return self.messages()[-1]

    def answers(self) -> list[str | None]:
        """Texts of every callback answer, in order."""
        return [c.params.get("text") for c in self.api.of("answerCallbackQuery")]


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, api: FakeBotApi, clock: FakeClock, seed: int = 5
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """A started Application (update processor and job queue running, as in production), stopped on exit."""
    app = build_application(settings, clock=clock, rng=random.Random(seed), request=api, limiter=unthrottled(settings))
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)


def services_of(app: Application) -> Services:  # type: ignore[type-arg]
    """The bot's services."""
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


async def finished_interview(user: ChatDriver, clock: FakeClock, typed: str) -> dict[str, Any]:
    """A whole mock interview: MCQs answered with the first option, open ones with `typed`; returns the report."""
    await user.say("/interview")
    intro = user.last()
    await user.tap(intro, buttons(intro)[0][1])
    while (view := await services_of(user.app).interview.current(user.user_id)) is not None:
        clock.advance(seconds=7)
        if isinstance(view.question, McqQuestion):
            asked = user.last_with_buttons()
            await user.tap(asked, next(d for _, d in buttons(asked) if isinstance(unpack(d), InterviewAnswerCb)))
        else:
            await user.say(typed)
    return next(m for m in reversed(user.messages()) if "Estimated level:" in m["text"])
