"""Application wiring that needs no network: the Bot API file URL derived from the API URL."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.ratelimit import Limiter
from tests.conftest import TOKEN


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
