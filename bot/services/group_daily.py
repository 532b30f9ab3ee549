"""The daily group poll: which groups are due, which question, and each post, run by the delivery engine.

Each group gets at most one daily poll per local date. The engine claims a batch of groups' rows, posts (closing
the group's earlier daily polls first, each with a one-line result), and settles; a poll that may have been
posted (a timeout) counts as posted and is never repeated; a group that refuses the bot is unsubscribed; one
that became a supergroup is moved and served there by the next round.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.domain import polls, schedule
from bot.domain.bank import McqQuestion
from bot.domain.clock import Clock
from bot.domain.delivery import MAX_ATTEMPTS, STALE_AFTER, Outcome, RoundReport, SendResult, ms
from bot.domain.polls import PollSpec
from bot.metrics import GROUP_POLL
from bot.services.delivery import Claimed, Delivery, Engine
from bot.services.due import select_due
from bot.services.group_settings import GroupSettingsService
from bot.services.group_votes import GroupVoteService
from bot.services.groups import Outbox, PollMaker, PostedPoll, Undelivered, poll_row
from bot.services.pacing import Progress
from bot.storage.group_daily import GroupDailyStore, GroupSettled
from bot.storage.groups import PollRow

logger = logging.getLogger(__name__)


class GroupDailyService:
    """Rounds of the daily group poll."""

    def __init__(
        self,
        store: GroupDailyStore,
        polls_: PollMaker,
        settings: GroupSettingsService,
        votes: GroupVoteService,
        engine: Engine,
        clock: Clock,
        default_zone: str,
    ) -> None:
        self._store = store
        self._polls = polls_
        self._settings = settings
        self._votes = votes
        self._engine = engine
        self._clock = clock
        self._default_zone = default_zone

    async def run_round(
        self,
        outbox: Outbox,
        bot_username: str,
        *,
        everyone: bool = False,
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> RoundReport:
        """Post today's poll in every group whose time has come (every group, if `everyone`) not served yet."""
        todo, report = await select_due(
            self._store, self._clock.now(), self._default_zone, everyone, self._settings.refresh
        )
        return await self._engine.run(
            _GroupPolls(self, outbox, bot_username), todo, report, progress=progress, stop=stop
        )

    async def _close_daily(self, outbox: Outbox, chat_id: int) -> None:
        """Stop the group's earlier daily polls, each with a one-line result."""
        for old in await self._store.open_daily_polls(chat_id):
            await outbox.stop(chat_id, old.message_id)
            if await self._store.close_poll(old.poll_id):
                await outbox.text(chat_id, self._polls.texts.poll_result(await self._votes.result(old.poll_id)))

    async def _send_lead(self, outbox: Outbox, chat_id: int, day: dt.date, html: str) -> None:
        """Send the daily poll's lead message, marked first: no later attempt repeats one that may have arrived."""
        await self._store.set_lead_sent(chat_id, day, True)
        try:
            await outbox.text(chat_id, html)
        except Undelivered as exc:
            if exc.outcome is not Outcome.UNCERTAIN:
                await self._store.set_lead_sent(chat_id, day, False)  # surely not sent: the next attempt sends it
            raise


@dataclass
class _Post:
    """One claimed daily post; the poll is filled in once it is posted."""

    chat_id: int
    local_date: dt.date
    question: McqQuestion | None
    lead_sent: bool
    spec: PollSpec | None = None
    posted: PostedPoll | None = None
    sent_at: int = 0


class _GroupPolls(Delivery[schedule.Due, _Post]):
    """The daily group poll, for the engine."""

    what = "daily group poll"
    metric = GROUP_POLL

    def __init__(self, service: GroupDailyService, outbox: Outbox, bot_username: str) -> None:
        self._svc = service
        self._store = service._store
        self._polls = service._polls
        self._outbox = outbox
        self._username = bot_username

    def who(self, item: schedule.Due) -> int:
        return item.subscriber.chat_id

    def who_job(self, job: _Post) -> int:
        return job.chat_id

    async def claim(self, part: Sequence[schedule.Due]) -> Claimed[_Post]:
        levels = {d.subscriber.chat_id: d.subscriber.level for d in part}
        now = self._svc._clock.now()
        claims = await self._store.claim(
            [(d.subscriber.chat_id, d.local_date) for d in part], ms(now), ms(now - STALE_AFTER), MAX_ATTEMPTS
        )
        result = Claimed[_Post]()
        for claim in claims:
            question = self._polls.question(claim.question_id) if claim.question_id else None
            lead_sent = claim.lead_sent
            if question is None or not polls.poll_eligible(question):
                chosen = await self._polls.choose(claim.chat_id, levels[claim.chat_id], 1)
                if not chosen:
                    logger.warning("no poll-eligible question for group %s", claim.chat_id)
                    result.unsendable.append(_Post(claim.chat_id, claim.local_date, None, False))
                    continue
                question = chosen[0]
                await self._store.attach_question(claim.chat_id, claim.local_date, question.id)
                lead_sent = False
            result.jobs.append(_Post(claim.chat_id, claim.local_date, question, lead_sent))
        return result

    async def send(self, job: _Post) -> SendResult:
        async with self._polls.speaking(job.chat_id):
            return await self._send(job)

    async def _send(self, job: _Post) -> SendResult:
        assert job.question is not None
        try:
            await self._svc._close_daily(self._outbox, job.chat_id)
            spec = self._polls.spec(job.question, self._username, "")
            if spec.lead_html is not None and not job.lead_sent:
                await self._svc._send_lead(self._outbox, job.chat_id, job.local_date, spec.lead_html)
            sent = await self._outbox.poll(job.chat_id, spec, None)
        except Undelivered as exc:
            moved_to = exc.result.moved_to
            if exc.outcome is Outcome.MOVED and moved_to is not None:
                await self._svc._settings.migrate(job.chat_id, moved_to)
            elif exc.outcome is Outcome.BLOCKED:
                logger.info("group %s refuses the bot; unsubscribing it", job.chat_id)
            elif exc.outcome is Outcome.UNCERTAIN:
                logger.warning(
                    "daily poll in group %s may have been posted (%s); not posting it again", job.chat_id, exc
                )
            elif exc.outcome is Outcome.FAILED:
                logger.warning("daily poll in group %s failed: %s", job.chat_id, exc)
            return exc.result
        job.spec, job.posted, job.sent_at = spec, sent, ms(self._svc._clock.now())
        return SendResult(Outcome.SENT, sent.message_id)

    async def settle(self, results: Sequence[tuple[_Post, SendResult]]) -> None:
        settled = [
            GroupSettled(
                r.moved_to if r.outcome is Outcome.MOVED and r.moved_to is not None else job.chat_id,
                job.local_date,
                r.outcome,
                _row(job) if r.outcome is Outcome.SENT else None,
            )
            for job, r in results
        ]
        await self._store.settle(settled, ms(self._svc._clock.now()), MAX_ATTEMPTS)


def _row(job: _Post) -> PollRow | None:
    """The poll row to store, once posted."""
    if job.question is None or job.spec is None or job.posted is None:
        return None
    return poll_row(job.chat_id, job.question, job.spec, job.posted, job.sent_at, "daily")
