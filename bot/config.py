"""Settings read from the environment and `.env`, validated by pydantic-settings."""

from __future__ import annotations

import logging
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _default_questions_dir() -> Path:
    # An installed wheel carries the bank as bot/questions (setup.py maps it there); a checkout, editable
    # install included, reads questions/ at the top of the repo.
    packaged = Path(__file__).resolve().parent / "questions"
    return packaged if packaged.is_dir() else PACKAGE_ROOT / "questions"


DEFAULT_QUESTIONS_DIR = _default_questions_dir()
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# What Telegram accepts as a webhook secret_token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# What @BotFather hands out: the bot's numeric id, a colon, and a secret of about 35 URL-safe characters.
TOKEN_FORM = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,64}")


def _http_url(value: str, hint: str) -> SplitResult:
    """The parts of an http(s) URL with a host; ValueError naming the form otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL, {hint}")
    return parts


class Settings(BaseSettings):
    """Everything an operator can set; one instance is built at start-up."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    # Off only where no Telegram limit applies: a Bot API test double or a benchmark (bench/bench_throughput.py).
    telegram_rate_limits: bool = True
    # Bot API calls in flight at once (getUpdates aside): Telegram's ~30 messages/s plus the taps' answers (~45
    # calls/s) at a 300 ms round trip need ~14; more only open more connections (bot/telegram/in_flight.py).
    telegram_max_in_flight: int = Field(default=16, ge=1, le=256)
    database_path: Path = Path("data/bot.sqlite3")
    questions_dir: Path = DEFAULT_QUESTIONS_DIR
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    push_rate: float = Field(default=20.0, gt=0, le=1000)  # leaves ~10 msg/s of Telegram's ~30 to replies
    # How long each poll of a group quiz stays open (Telegram accepts 5 to 600 s).
    group_quiz_seconds: int = Field(default=30, ge=5, le=600)
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    # json: one object per line with update_id and user_id, for a log collector.
    log_format: Literal["text", "json"] = "text"
    # Who runs this bot and how to reach them, shown by /privacy (a @username, an e-mail, a URL).
    privacy_contact: str = Field(default="", max_length=200)
    interview_seconds_mcq: int = Field(default=90, ge=1, le=3600)
    interview_seconds_open: int = Field(default=300, ge=1, le=3600)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # TLS ends at the reverse proxy in front, which reaches the listener over the network.
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # The LLM grader: any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp); unset = offline only.
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_timeout: float = Field(default=20.0, gt=0, le=300)
    # LLM calls per user per hour; past it that user's answers are graded offline.
    llm_max_per_user_hour: int = Field(default=30, ge=0, le=100_000)
    # Voice answers: the endpoint's /audio/transcriptions model (e.g. whisper-1); unset = voice asks for text.
    transcribe_model: str | None = None

    @field_validator(
        "webhook_url",
        "webhook_secret",
        "health_port",
        "llm_base_url",
        "llm_api_key",
        "llm_model",
        "transcribe_model",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = _http_url(value, "with a host")
        if (parts.path or "/") in (HEALTH_PATH, METRICS_PATH):
            raise ValueError(f"its path must not be {HEALTH_PATH} or {METRICS_PATH}, which the listener serves")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("llm_base_url")
    @classmethod
    def _llm_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _http_url(value, "e.g. https://api.openai.com/v1")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _llm_model_with_url(self) -> Settings:
        if self.llm_base_url is not None and self.llm_model is None:
            raise ValueError("LLM_MODEL: is required when LLM_BASE_URL is set (e.g. gpt-4o-mini, llama3.1)")
        return self

    @model_validator(mode="after")
    def _secret_with_url(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: is required when WEBHOOK_URL is set")
        return self

    @property
    def webhook_path(self) -> str:
        """The path the webhook listener serves: the path of WEBHOOK_URL."""
        return urlsplit(self.webhook_url or "").path or "/"

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

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

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
            msg = str(err["msg"]).removeprefix("Value error, ")
            # A check across fields names its variable in the message itself.
            lines.append(f"{str(err['loc'][0]).upper()}: {msg}" if err["loc"] else msg)
        raise ConfigError("; ".join(lines)) from None
