"""`python -m bot broadcast FILE [--dry-run]`: send an HTML announcement to every user once, then exit.

The text is checked before anything is sent. The dry run prints how many users it would reach and a preview,
and needs no token. A run stopped (SIGTERM, SIGINT) or killed is resumed by running the same command again:
the same text continues where it stopped, and nobody gets it twice. It is safe beside the running bot (its own
database connection, the same claims) and goes at the push's pace, with the same rate limiter.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import TextIO

from telegram.request import BaseRequest

from bot.cli.sending import EXIT_CONFIG, Unavailable, progress_to, session
from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.broadcast import check_html, preview
from bot.domain.clock import Clock, SystemClock
from bot.services.pacing import Sleep
from bot.services.wiring import build_services
from bot.storage.db import Database
from bot.telegram.broadcast import send_broadcast


def read_text(path: Path, err: TextIO) -> str | None:
    """The file's text, checked; None (after saying why) if it cannot be sent."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"broadcast: cannot read {path}: {exc}", file=err)
        return None
    problems = check_html(text)
    if problems:
        print(f"broadcast: {path} cannot be sent as it is:", file=err)
        for problem in problems:
            print(f"  - {problem}", file=err)
        return None
    return text


async def run_broadcast(
    settings: Settings,
    path: Path,
    dry_run: bool,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Check, then send (or only count); 0 when done or stopped, 2 or 3 when it could not run."""
    out = out or sys.stdout
    err = err or sys.stderr
    text = read_text(path, err)
    if text is None:
        return EXIT_CONFIG
    the_clock = clock or SystemClock()
    bank = load_bank(settings.questions_dir)
    if dry_run:
        db = await Database.open(settings.database_path)
        try:
            svc = build_services(settings, db, bank, the_clock, random.Random()).broadcast
            print(f"recipients: {await svc.audience(text)}\npreview:\n{preview(text)}", file=out)
        finally:
            await db.close()
        return 0
    try:
        async with session(settings, "broadcast", err, request=request, clock=clock, sleep=sleep) as found:
            svc = found.services.broadcast
            broadcast_id, resumed = await svc.for_text(text)
            if resumed:
                print(f"broadcast {broadcast_id}: resuming (the same text was not finished)", file=err)
            report = await send_broadcast(
                svc, found.bot, broadcast_id, progress=progress_to("broadcast", err), stop=found.stopping.is_set
            )
            view = await svc.view(broadcast_id)
    except Unavailable as exc:
        return exc.code
    print(
        f"broadcast: {broadcast_id}\nsent: {report.sent}\nblocked: {report.blocked}\nfailed: {report.failed}"
        + (f"\nleft: {view.remaining}" if view is not None else "")
        + ("\nstopped early: run the same command again to go on" if report.stopped else ""),
        file=out,
    )
    return 0
