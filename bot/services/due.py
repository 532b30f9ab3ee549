"""Who a daily round serves (private subscribers or groups alike): the rows due by index, then by local time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from bot.domain import schedule
from bot.domain.delivery import MAX_ATTEMPTS, STALE_AFTER, RoundReport, ms


class DailyRows(Protocol):
    """The reads a daily round makes (PushStore, GroupDailyStore)."""

    async def subscribers(self) -> list[schedule.Subscriber]: ...

    async def due_subscribers(self, now_ms: int) -> list[schedule.Subscriber]: ...

    async def served(
        self, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
    ) -> set[tuple[int, dt.date]]: ...


async def select_due(
    rows: DailyRows,
    start: dt.datetime,
    default_zone: str,
    everyone: bool,
    refresh: Callable[[Sequence[int]], Awaitable[None]],
) -> tuple[list[schedule.Due], RoundReport]:
    """The subscribers to serve now (every one not served today, if `everyone`), and the round's first counts.

    Rows the index gave that the round does not serve (served, in flight, or cleared by a change of settings)
    get their real next time stored (`refresh`), so the next tick does not select them again.
    """
    found = await (rows.subscribers() if everyone else rows.due_subscribers(ms(start)))
    due = schedule.due_now(found, start, default_zone, ignore_time=everyone)
    served = await rows.served({d.local_date for d in due}, ms(start - STALE_AFTER), MAX_ATTEMPTS)
    todo = schedule.pending(due, served)
    if not everyone:
        serving = {d.subscriber.user_id for d in todo}
        await refresh([s.user_id for s in found if s.user_id not in serving])
    return todo, RoundReport(due=len(due), already=len(due) - len(todo))
