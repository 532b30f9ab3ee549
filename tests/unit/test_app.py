"""Application wiring that needs no network: the Bot API file URL, rate limits, the update types asked for."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.ratelimit import Limiter
from tests.conftest import TOKEN
from tests.fake_bot_api import bot_membership_update, chat_dict, edited_update, tap_update, text_update, vote_update


@pytest.mark.parametrize(
    ("api", "files"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://bot.internal:8081/bot", "http://bot.internal:8081/file/bot"),
        ("https://example.com/botapi/bot", "https://example.com/botapi/file/bot"),
        ("http://127.0.0.1:9/robots/bot", "http://127.0.0.1:9/robots/file/bot"),
    ],
)
def test_file_url_changes_only_the_last_bot_segment(settings: Settings, api: str, files: str) -> None:
    app = build_application(settings.model_copy(update={"telegram_base_url": api}))
    assert app.bot.base_url == api + TOKEN
    assert app.bot.base_file_url == files + TOKEN


def test_a_url_without_bot_segment_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="/bot"):
        build_application(settings.model_copy(update={"telegram_base_url": "https://example.com/api"}))


@pytest.mark.parametrize(("value", "overall"), [("true", 28.0), ("false", float("inf"))])
def test_telegram_rate_limits_can_be_lifted(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, value: str, overall: float
) -> None:
    monkeypatch.setenv("TELEGRAM_RATE_LIMITS", value)
    fields = {k: v for k, v in settings.model_dump().items() if k != "telegram_rate_limits"}
    configured = Settings(**fields, _env_file=None)
    limiter = build_application(configured).bot.rate_limiter
    assert isinstance(limiter, Limiter)
    assert limiter._overall.rate == overall
    assert limiter.bulk_rate == settings.push_rate


async def test_the_bot_subscribes_only_to_updates_a_handler_takes(app: Application) -> None:  # type: ignore[type-arg]
    samples = {
        Update.MESSAGE: text_update(app.bot, 1, "/start"),
        Update.EDITED_MESSAGE: edited_update(app.bot, 1, "/start"),
        Update.CALLBACK_QUERY: tap_update(app.bot, 1, {"message_id": 5, "date": 0, "chat": chat_dict(1)}, "x"),
        Update.MY_CHAT_MEMBER: bot_membership_update(app.bot, -100, "left", "member"),
        Update.POLL_ANSWER: vote_update(app.bot, "p1", 1, [0]),
    }
    # Group -1 sees every update (it remembers the user); the handlers that act are in the groups after it.
    acting = [h for group, handlers in app.handlers.items() if group >= 0 for h in handlers]

    def taken(update: Update) -> bool:
        return any(h.check_update(update) not in (None, False) for h in acting)

    assert set(ALLOWED_UPDATES) <= set(samples)
    assert all(taken(samples[kind]) for kind in ALLOWED_UPDATES), [k for k in ALLOWED_UPDATES if not taken(samples[k])]
    # Edits are taken by nothing (an edited answer or command must not run again), so none is asked for.
    assert not taken(samples[Update.EDITED_MESSAGE]) and Update.EDITED_MESSAGE not in ALLOWED_UPDATES
