"""What `push` and `broadcast` share: a bot of their own beside the running one, the services, stop on a signal.

The bot has the same rate limiter as the running bot (so it slows down when Telegram asks, whoever caused the
flood) and never calls getUpdates; the database is opened on its own (WAL, busy timeout, BEGIN IMMEDIATE claims),
so the command and the bot never send one row twice. SIGTERM or SIGINT stops a round between two sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from telegram.ext import ExtBot
from telegram.request import BaseRequest

from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.clock import Clock, SystemClock
from bot.domain.delivery import RoundReport
from bot.services.pacing import Progress, Sleep
from bot.services.wiring import Services, build_services
from bot.storage.db import Database
from bot.telegram.ratelimit import Limiter
from bot.telegram.startup import ApiUnreachable, TokenRejected, until_up

# Cron mail should say what failed: the exit codes are documented in the README.
EXIT_CONFIG = 2
EXIT_API_UNREACHABLE = 3
# A cron run waits a little for a passing outage (1 + 2 + 4 s), then reports it rather than hang.
START_DELAYS = (1.0, 2.0, 4.0, 0.0)


class Unavailable(Exception):
    """The command cannot run (said on stderr already); `code` is its exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Session:
    """A started bot, the services on the database, and the stop a signal sets."""

    bot: ExtBot[Any]
    limiter: Limiter
    services: Services
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        """Stop between two sends: no new one starts, a bulk send waiting for its slot comes back unsent."""
        self.stopping.set()
        self.limiter.stop_bulk()


@contextlib.asynccontextmanager
async def session(
    settings: Settings,
    command: str,
    err: TextIO,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> AsyncIterator[Session]:
    """Start a bot (waiting a little for the Bot API) on the settings; raise Unavailable if it cannot run."""
    if settings.telegram_bot_token is None:
        print(f"{command}: TELEGRAM_BOT_TOKEN is required", file=err)
        raise Unavailable(EXIT_CONFIG)
    bank = load_bank(settings.questions_dir)
    limiter = Limiter.from_settings(settings, sleep)
    bot: ExtBot[Any] = ExtBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        request=request,
        get_updates_request=request,
        rate_limiter=limiter,
    )
    db = await Database.open(settings.database_path)
    try:
        try:
            await until_up(bot.initialize, "getMe", asyncio.Event(), delays=START_DELAYS, attempts=len(START_DELAYS))
        except TokenRejected as exc:
            print(f"{command}: Telegram rejected TELEGRAM_BOT_TOKEN ({exc}); check the token from @BotFather", file=err)
            raise Unavailable(EXIT_CONFIG) from exc
        except ApiUnreachable as exc:
            print(f"{command}: the Bot API is not reachable: {exc}", file=err)
            raise Unavailable(EXIT_API_UNREACHABLE) from exc
        services = build_services(
            settings,
            db,
            bank,
            clock or SystemClock(),
            random.Random(),
            sleep or asyncio.sleep,
            lambda: limiter.bulk_rate,
        )
        found = Session(bot, limiter, services)
        with on_signals(found.stop):
            yield found
    finally:
        await bot.shutdown()
        await db.close()


def progress_to(command: str, err: TextIO) -> Progress:
    """Progress on one stderr line: done/total and the counts so far."""

    def progress(done: int, total: int, report: RoundReport) -> None:
        print(
            f"\r{command}: {done}/{total} (sent {report.sent}, blocked {report.blocked}, failed {report.failed})",
            end="\n" if done == total else "",
            file=err,
            flush=True,
        )

    return progress


@contextlib.contextmanager
def on_signals(callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` on SIGTERM or SIGINT while the block runs (where the loop supports signal handlers)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, callback)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
