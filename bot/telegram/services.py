"""The services the handlers use, attached to the Application once at start-up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.services.interview import InterviewService
from bot.services.progress import ProgressService
from bot.services.push import PushService
from bot.storage.db import Database

_KEY = "services"


@dataclass
class Services:
    """Everything a handler may call."""

    settings: Settings
    db: Database
    interview: InterviewService
    progress: ProgressService
    push: PushService | None = None
    # Held while a daily push round runs, so job ticks never overlap.
    push_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def attach(bot_data: dict[object, object], services: Services) -> None:
    """Store the services where handlers find them."""
    bot_data[_KEY] = services


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of the running Application."""
    found = context.bot_data.get(_KEY)
    assert isinstance(found, Services), "services are attached in post_init"
    return found
