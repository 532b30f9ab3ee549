"""The composition root: every service built once from a database, the bank, a clock and an rng."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from bot import texts
from bot.config import Settings
from bot.domain.bank import Bank
from bot.domain.clock import Clock
from bot.services.groups import GroupService
from bot.services.interview import InterviewService
from bot.services.progress import FsrsCards, ProgressService
from bot.services.push import PushService, Rate, Sleep
from bot.storage.cards import CardStore
from bot.storage.db import Database
from bot.storage.groups import GroupStore
from bot.storage.interviews import InterviewStore
from bot.storage.progress import ProgressStore
from bot.storage.push import PushStore


@dataclass
class Services:
    """Everything a front end (chat, terminal, push CLI) may call."""

    settings: Settings
    db: Database
    interview: InterviewService
    progress: ProgressService
    push: PushService
    groups: GroupService
    # Held while a daily push round runs, so job ticks never overlap.
    push_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def build_services(
    settings: Settings,
    db: Database,
    bank: Bank,
    clock: Clock,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
    push_rate: Rate | None = None,
) -> Services:
    """Wire the stores and services on one open database; `push_rate` paces the push (PUSH_RATE if None)."""
    cards = CardStore(db)
    interview = InterviewService(InterviewStore(db), bank, clock, rng, cards=cards)
    progress_store = ProgressStore(db)
    progress = ProgressService(progress_store, bank, clock, settings.default_timezone, FsrsCards(progress_store))
    push = PushService(
        PushStore(db), cards, interview, clock, rng, settings.default_timezone, push_rate or settings.push_rate, sleep
    )
    groups = GroupService(
        GroupStore(db), bank, clock, rng, texts, settings.default_timezone, settings.group_quiz_seconds
    )
    return Services(settings, db, interview, progress, push, groups)
