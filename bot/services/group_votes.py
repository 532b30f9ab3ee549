"""Group votes and leaderboards: a member's first vote on a bot poll counts (and reviews their card)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import groups as rules
from bot.domain import review, schedule
from bot.domain.clock import Clock
from bot.domain.delivery import ms
from bot.services.group_settings import GroupSettingsService
from bot.storage.cards import PendingReview
from bot.storage.group_votes import GroupVoteStore, Vote


@dataclass(frozen=True)
class TopView:
    """A group's leaderboards and the caller's place in each."""

    week: list[rules.Score]
    all_time: list[rules.Score]
    my_week: tuple[int, rules.Score] | None
    my_all_time: tuple[int, rules.Score] | None


def _mine(table: list[rules.Score], user_id: int) -> tuple[int, rules.Score] | None:
    place = rules.rank_of(table, user_id)
    return None if place is None else (place, table[place - 1])


class GroupVoteService:
    """Votes on the bot's polls and the leaderboards they make."""

    def __init__(self, store: GroupVoteStore, settings: GroupSettingsService, clock: Clock, default_zone: str) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._default_zone = default_zone

    async def vote(self, poll_id: str, user_id: int, first_name: str, option_ids: Sequence[int]) -> bool:
        """Record a member's first vote on one of the bot's polls; a retraction or a change records nothing."""
        if not option_ids:
            return False
        poll = await self._store.poll(poll_id)
        if poll is None:
            return False
        now = self._clock.now()
        vote = Vote(poll, user_id, option_ids[0], ms(now))
        rating = review.rating_for_mcq(vote.correct)
        pending = PendingReview(user_id, poll.question_id, lambda stored: review.review(stored, rating, now))
        return await self._store.record_vote(vote, first_name, pending)

    async def top(self, chat_id: int, user_id: int) -> TopView:
        """This week's and all-time top 10 of the group, and the caller's place."""
        zone = schedule.zone(await self._settings.zone(chat_id), self._default_zone)
        since = rules.week_start(self._clock.now(), zone)
        week = rules.ranked(await self._store.scores(chat_id, since_ms=ms(since)))
        every = rules.ranked(await self._store.scores(chat_id))
        return TopView(week[: rules.TOP_SIZE], every[: rules.TOP_SIZE], _mine(week, user_id), _mine(every, user_id))

    async def result(self, poll_id: str) -> rules.PollResult:
        """Voters, right answers and the first right voter of a poll."""
        return await self._store.poll_result(poll_id)

    async def ranking(self, chat_id: int, quiz_id: int) -> list[rules.Score]:
        """The ranked scores of one group quiz."""
        return rules.ranked(await self._store.scores(chat_id, quiz_id=quiz_id))
