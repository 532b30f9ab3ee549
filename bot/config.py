"""Settings read from the environment and `.env`, validated by pydantic-settings."""

from __future__ import annotations

import logging
import re
import zoneinfo
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# What @BotFather hands out: the bot's numeric id, a colon, and a secret of about 35 URL-safe characters.
TOKEN_FORM = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,64}")
DEFAULT_QUESTIONS_DIR = PACKAGE_ROOT / "questions"


class Settings(BaseSettings):
    """Everything an operator can set; one instance is built at start-up."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    database_path: Path = Path("data/bot.sqlite3")
    questions_dir: Path = DEFAULT_QUESTIONS_DIR
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    push_rate: float = Field(default=20.0, gt=0, le=1000)  # leaves ~10 msg/s of Telegram's ~30 to replies
    default_timezone: str = "UTC"
    log_level: str = "INFO"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token_form(cls, value: object) -> object:
        # Checked before any request, so a typo never reaches Telegram; the message never echoes the value.
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        if not TOKEN_FORM.fullmatch(value):
            raise ValueError(
                "is not a bot token (expected <digits>:<about 35 characters of A-Z a-z 0-9 _ ->); "
                "copy it again from @BotFather"
            )
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be comma-separated numeric Telegram user ids") from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        name = value.strip().upper()
        if name not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return name


class ConfigError(Exception):
    """Configuration is invalid; the message is one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation errors into one clear line per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            var = str(err["loc"][0]).upper() if err["loc"] else "configuration"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{var}: {msg}")
        raise ConfigError("; ".join(lines)) from None
