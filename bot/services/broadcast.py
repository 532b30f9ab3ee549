"""Admin broadcasts: an HTML text checked first, then sent once to every user who wants news, by the engine.

- A draft (from /broadcast) is shown to the admin and only goes out once confirmed; `python -m bot broadcast`
  sends at once, and resumes an unfinished broadcast of the same text instead of starting a second one.
- Each user gets a broadcast at most once: a row is claimed just before its send (one at a time, so no claim
  waits unsent) and a row whose send was in flight when the process died counts as sent (it may have arrived).
  A crash or a stop leaves the rest for the resumed run.
- It goes at the push's pace, as bulk traffic below the replies, and stops between two sends when asked.
- A user who blocked the bot is flagged (and unsubscribed from the daily question); one who opted out of news
  (`/news off`, or the button under a broadcast) is left out.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.domain.broadcast import check_html
from bot.domain.clock import Clock
from bot.domain.delivery import MAX_ATTEMPTS, RoundReport, SendResult, ms
from bot.metrics import BROADCAST
from bot.services.delivery import Claimed, Delivery, Engine
from bot.services.pacing import Progress
from bot.storage.broadcasts import BroadcastSettled, BroadcastStore

logger = logging.getLogger(__name__)

SendNews = Callable[[int, str], Awaitable[SendResult]]


class State(enum.Enum):
    """Where a broadcast is."""

    DRAFT = "draft"
    SENDING = "sending"
    STOPPED = "stopped"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Draft:
    """A checked text: its problems (then nothing is stored), or the stored broadcast and its audience."""

    problems: list[str]
    broadcast_id: int | None = None
    recipients: int = 0


@dataclass(frozen=True)
class BroadcastView:
    """A broadcast and its counts so far."""

    broadcast_id: int
    html: str
    state: State
    remaining: int
    sent: int
    blocked: int
    failed: int


@dataclass(frozen=True)
class _News:
    user_id: int
    chat_id: int


class BroadcastService:
    """Drafts, confirms, runs, stops and resumes broadcasts; the users' news setting."""

    def __init__(self, store: BroadcastStore, engine: Engine, clock: Clock) -> None:
        self._store = store
        self._engine = engine
        self._clock = clock
        self._stopping: set[int] = set()

    async def draft(self, html: str, admin_id: int | None) -> Draft:
        """Check a text; store it as a draft to confirm, with the number of users it would reach (a stopped
        broadcast of the same text becomes the draft again: confirmed, it reaches only those it has not)."""
        problems = check_html(html)
        if problems:
            return Draft(problems)
        now = ms(self._clock.now())
        found = await self._store.unfinished_with(html)
        if found is not None and found.status != State.SENDING.value:
            # The same text, stopped or drafted before: confirming it goes on where it stopped, never twice.
            await self._store.move(found.broadcast_id, State.DRAFT.value, (found.status,), now)
            return Draft([], found.broadcast_id, len(await self._store.recipients(found.broadcast_id, MAX_ATTEMPTS)))
        broadcast_id = await self._store.create(html, State.DRAFT.value, admin_id, now)
        return Draft([], broadcast_id, await self._store.audience())

    async def audience(self, html: str | None = None) -> int:
        """How many users a broadcast of this text would reach now (the rest, if one is unfinished)."""
        found = None if html is None else await self._store.unfinished_with(html)
        if found is not None:
            return len(await self._store.recipients(found.broadcast_id, MAX_ATTEMPTS))
        return await self._store.audience()

    async def for_text(self, html: str) -> tuple[int, bool]:
        """The broadcast to send this text: an unfinished one of the same text (resumed: True), else a new one."""
        found = await self._store.unfinished_with(html)
        now = ms(self._clock.now())
        if found is not None:
            await self._store.move(found.broadcast_id, State.SENDING.value, (found.status,), now)
            return found.broadcast_id, True
        return await self._store.create(html, State.SENDING.value, None, now), False

    async def confirm(self, broadcast_id: int) -> bool:
        """Start a draft; False if it is not a draft any more (confirmed twice, cancelled)."""
        return await self._move(broadcast_id, State.SENDING, State.DRAFT)

    async def cancel(self, broadcast_id: int) -> bool:
        """Drop a draft; False if it is not a draft."""
        return await self._move(broadcast_id, State.CANCELLED, State.DRAFT)

    async def stop(self) -> list[int]:
        """Stop every broadcast being sent (in this process at once, in another before its next send)."""
        stopped = []
        for row in await self._store.with_status(State.SENDING.value):
            if await self._move(row.broadcast_id, State.STOPPED, State.SENDING):
                self._stopping.add(row.broadcast_id)
                stopped.append(row.broadcast_id)
        return stopped

    async def sending(self) -> list[int]:
        """Broadcasts to (re)start: being sent when the process stopped, or confirmed elsewhere."""
        return [r.broadcast_id for r in await self._store.with_status(State.SENDING.value)]

    async def view(self, broadcast_id: int) -> BroadcastView | None:
        """A broadcast and where it stands."""
        row = await self._store.get(broadcast_id)
        if row is None:
            return None
        totals = await self._store.totals(broadcast_id)
        remaining = len(await self._store.recipients(broadcast_id, MAX_ATTEMPTS))
        return BroadcastView(
            broadcast_id,
            row.html,
            State(row.status),
            remaining,
            totals.get("sent", 0) + totals.get("sending", 0),
            totals.get("blocked", 0),
            totals.get("failed", 0),
        )

    async def run(
        self,
        broadcast_id: int,
        send: SendNews,
        *,
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> RoundReport:
        """Send a `sending` broadcast to everyone it has still to reach; `done` when nobody is left."""
        row = await self._store.get(broadcast_id)
        if row is None or row.status != State.SENDING.value:
            return RoundReport(stopped=True)
        self._stopping.discard(broadcast_id)
        todo = [_News(uid, chat) for uid, chat in await self._store.recipients(broadcast_id, MAX_ATTEMPTS)]
        news = _Broadcast(self._store, broadcast_id, row.html, send, self._clock)
        report = await self._engine.run(
            news,
            todo,
            RoundReport(due=len(todo)),
            progress=progress,
            stop=lambda: stop() or news.halted or broadcast_id in self._stopping,
        )
        finished = not report.stopped and not news.halted
        if finished and not await self._store.recipients(broadcast_id, MAX_ATTEMPTS):
            await self._move(broadcast_id, State.DONE, State.SENDING)
        self._stopping.discard(broadcast_id)
        logger.info(
            "broadcast %s: %d sent, %d blocked, %d failed", broadcast_id, report.sent, report.blocked, report.failed
        )
        return report

    async def set_news(self, user_id: int, on: bool) -> bool:
        """Opt in or out of broadcasts; False for a user the bot does not know."""
        return await self._store.set_news(user_id, on)

    async def news(self, user_id: int) -> bool:
        """Whether the user gets broadcasts."""
        return await self._store.news(user_id)

    async def _move(self, broadcast_id: int, to: State, from_: State) -> bool:
        return await self._store.move(broadcast_id, to.value, (from_.value,), ms(self._clock.now()))


class _Broadcast(Delivery[_News, _News]):
    """One broadcast, for the engine: a row claimed at a time, just before its send."""

    what = "broadcast"
    metric = BROADCAST
    claim_batch = 1
    claim_when_ready = True

    def __init__(self, store: BroadcastStore, broadcast_id: int, html: str, send: SendNews, clock: Clock) -> None:
        self._store = store
        self._id = broadcast_id
        self._html = html
        self._send = send
        self._clock = clock
        self.halted = False  # the broadcast left `sending` (stopped elsewhere): claims come back empty

    def who(self, item: _News) -> int:
        return item.user_id

    def who_job(self, job: _News) -> int:
        return job.user_id

    async def claim(self, part: Sequence[_News]) -> Claimed[_News]:
        claimed = set(await self._store.claim(self._id, [n.user_id for n in part], ms(self._clock.now()), MAX_ATTEMPTS))
        if not claimed:
            row = await self._store.get(self._id)
            self.halted = row is None or row.status != State.SENDING.value
        return Claimed([n for n in part if n.user_id in claimed])

    async def send(self, job: _News) -> SendResult:
        return await self._send(job.chat_id, self._html)

    async def settle(self, results: Sequence[tuple[_News, SendResult]]) -> None:
        await self._store.settle(self._id, [BroadcastSettled(j.user_id, r.outcome, r.message_id) for j, r in results])
