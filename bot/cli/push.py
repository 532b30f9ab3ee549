"""`python -m bot push [--all]`: one push round (private subscribers, then groups), then exit; cron and catch-up.

It runs beside the running bot with a bot of its own (bot/cli/sending.py), so it and the bot never send one
user's question or one group's poll twice. SIGTERM or SIGINT stops the round between two sends; what was not sent
is left for the next round.
"""

from __future__ import annotations

import sys
from typing import TextIO

from telegram.request import BaseRequest

from bot.cli.sending import Unavailable, progress_to, session
from bot.config import Settings
from bot.domain.clock import Clock
from bot.domain.delivery import RoundReport
from bot.services.pacing import Sleep
from bot.telegram.jobs import make_sender
from bot.telegram.polls import post_group_polls


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
    progress = progress_to("push", err)
    try:
        async with session(settings, "push", err, request=request, clock=clock, sleep=sleep) as found:
            stop = found.stopping.is_set
            await found.services.languages.warm()
            send = found.services.languages.speaking(make_sender(found.bot))
            report = await found.services.push.run_round(send, everyone=everyone, progress=progress, stop=stop)
            groups = RoundReport(stopped=True)
            if not report.stopped:
                groups = await post_group_polls(
                    found.services.groups.daily, found.bot, everyone=everyone, progress=progress, stop=stop
                )
    except Unavailable as exc:
        return exc.code
    print(
        f"sent: {report.sent}\nalready served: {report.already}\nblocked: {report.blocked}\n"
        f"failed: {report.failed}"
        + f"\ngroup polls posted: {groups.sent}\ngroups gone: {groups.blocked}\ngroup polls failed: {groups.failed}"
        + ("\nstopped early: the rest is left for the next round" if report.stopped or groups.stopped else ""),
        file=out,
    )
    return 0
