"""`python -m bot stats`: the operator's figures, read through the storage layer."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.domain.clock import Clock, SystemClock
from bot.storage.db import Database
from bot.storage.operator import OperatorFigures, OperatorStore

ACTIVE_DAYS = 7


def run_stats(
    settings: Settings, *, clock: Clock | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print the figures; 1 when there is no database yet."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not settings.database_path.is_file():
        print(f"stats: no database at {settings.database_path}", file=err)
        return 1
    now = (clock or SystemClock()).now()
    day_start = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    figures = asyncio.run(_figures(settings.database_path, now - dt.timedelta(days=ACTIVE_DAYS), day_start))
    rows = [
        ("users", figures.users),
        (f"active in the last {ACTIVE_DAYS} days", figures.active_7d),
        ("sessions", figures.sessions),
        ("answers", figures.answers),
        ("daily subscribers", figures.daily_subscribers),
        ("pushes sent today (UTC)", figures.pushes_sent_today),
        ("blocked users", figures.blocked_users),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name + ':':<{width + 1}} {value}", file=out)
    return 0


async def _figures(path: Path, active_since: dt.datetime, day_start: dt.datetime) -> OperatorFigures:
    db = await Database.open(path)
    try:
        return await OperatorStore(db).figures(_ms(active_since), _ms(day_start))
    finally:
        await db.close()


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)
