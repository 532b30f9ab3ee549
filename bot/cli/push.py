"""`python -m bot push [--all]`: one push round, then exit; for cron and catch-up, safe beside the running bot.

It opens its own Database (WAL, busy timeout, BEGIN IMMEDIATE claims), so it and the bot never send one
user's question twice; it builds a bot with the same rate limiter as the running bot (so it slows down when
Telegram asks, whoever caused the flood) and never calls getUpdates. SIGTERM or SIGINT stops the round
between two sends; what was not sent is left for the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from telegram.ext import ExtBot
from telegram.request import BaseRequest

from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.clock import Clock, SystemClock
from bot.services.push import RoundReport, Sleep
from bot.services.wiring import build_services
from bot.storage.db import Database
from bot.telegram.jobs import make_sender
from bot.telegram.ratelimit import Limiter
from bot.telegram.startup import ApiUnreachable, TokenRejected, until_up

# Cron mail should say what failed: the exit codes are documented in the README.
EXIT_CONFIG = 2
EXIT_API_UNREACHABLE = 3
# A cron run waits a little for a passing outage (1 + 2 + 4 s), then reports it rather than hang.
START_DELAYS = (1.0, 2.0, 4.0, 0.0)


async def run_push(
    settings: Settings,
    everyone: bool,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one round and print its counts; 0 when the round completed, 2 or 3 when it could not run."""
    out = out or sys.stdout
    err = err or sys.stderr
    if settings.telegram_bot_token is None:
        print("push: TELEGRAM_BOT_TOKEN is required", file=err)
        return EXIT_CONFIG
    the_clock = clock or SystemClock()
    bank = load_bank(settings.questions_dir)
    limiter = Limiter.from_settings(settings, sleep)
    bot = ExtBot(
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
            print(f"push: Telegram rejected TELEGRAM_BOT_TOKEN ({exc}); check the token from @BotFather", file=err)
            return EXIT_CONFIG
        except ApiUnreachable as exc:
            print(f"push: the Bot API is not reachable: {exc}", file=err)
            return EXIT_API_UNREACHABLE
        services = build_services(
            settings, db, bank, the_clock, random.Random(), sleep or asyncio.sleep, lambda: limiter.bulk_rate
        )
        push = services.push
        await services.languages.warm()
        stopping = asyncio.Event()

        def stop() -> None:
            stopping.set()
            limiter.stop_bulk()

        def progress(done: int, total: int, report: RoundReport) -> None:
            print(
                f"\rpush: {done}/{total} (sent {report.sent}, blocked {report.blocked}, failed {report.failed})",
                end="\n" if done == total else "",
                file=err,
                flush=True,
            )

        with _on_signals(stop):
            send = services.languages.speaking(make_sender(bot))
            report = await push.run_round(send, everyone=everyone, progress=progress, stop=stopping.is_set)
        print(
            f"sent: {report.sent}\nalready served: {report.already}\nblocked: {report.blocked}\n"
            f"failed: {report.failed}"
            + ("\nstopped early: the rest is left for the next round" if report.stopped else ""),
            file=out,
        )
        return 0
    finally:
        await bot.shutdown()
        await db.close()


@contextlib.contextmanager
def _on_signals(callback: Callable[[], None]) -> Iterator[None]:
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
