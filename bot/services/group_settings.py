"""Group membership and settings: the bot joins, leaves or follows a migration; admins set time, zone and level."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import schedule
from bot.domain.bank import Level
from bot.domain.clock import Clock
from bot.domain.delivery import MAX_ATTEMPTS, ms
from bot.storage.group_settings import GroupSettingsStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupSettings:
    """A group's settings as its admins see them: the zone is resolved, the default applied."""

    chat_id: int
    daily_time: dt.time | None
    zone: str
    level: str | None
    quiz_admins_only: bool


class GroupSettingsService:
    """Membership and settings of groups."""

    def __init__(self, store: GroupSettingsStore, clock: Clock, default_zone: str) -> None:
        self._store = store
        self._clock = clock
        self._default_zone = default_zone

    async def refresh(self, chat_ids: Sequence[int]) -> None:
        """Store when these groups' next daily polls fall due (after a change of settings, or a round)."""
        await self._store.refresh(chat_ids, self._clock.now(), MAX_ATTEMPTS)

    async def join(self, chat_id: int, title: str) -> None:
        """The bot was added to a group (or came back)."""
        await self._store.join(chat_id, title, ms(self._clock.now()))
        await self.refresh([chat_id])

    async def leave(self, chat_id: int) -> bool:
        """The bot was removed or refused: unsubscribe the group and end its quiz."""
        left = await self._store.leave(chat_id, ms(self._clock.now()))
        await self.refresh([chat_id])
        if left:
            logger.info("group %s unsubscribed", chat_id)
        return left

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """The group became a supergroup: move settings and scores to the new id."""
        moved = await self._store.migrate(old_id, new_id)
        await self.refresh([old_id, new_id])
        if moved:
            logger.info("group %s migrated to %s", old_id, new_id)
        return moved

    async def get(self, chat_id: int, title: str = "") -> GroupSettings:
        """The group's settings, creating its row if the bot has not seen it yet."""
        found = await self._store.group(chat_id)
        if found is None or not found.active:
            await self.join(chat_id, title)
            found = await self._store.group(chat_id)
        assert found is not None
        zone = schedule.zone(found.timezone, self._default_zone).key
        return GroupSettings(found.chat_id, found.daily_time, zone, found.level, found.quiz_admins_only)

    async def zone(self, chat_id: int) -> str:
        """The group's zone (the default if unset or unknown)."""
        found = await self._store.group(chat_id)
        return schedule.zone(found.timezone if found else None, self._default_zone).key

    async def level(self, chat_id: int) -> str | None:
        """The group's level; None for mixed or an unknown group."""
        found = await self._store.group(chat_id)
        return found.level if found else None

    def local_now(self, group: GroupSettings) -> dt.datetime:
        """The time in the group's zone."""
        return self._clock.now().astimezone(schedule.zone(group.zone, self._default_zone))

    async def set_daily(self, chat_id: int, at: dt.time | None) -> None:
        """Post the daily poll at `at` group time, or stop it."""
        await self._store.set_daily(chat_id, None if at is None else schedule.format_hhmm(at))
        await self.refresh([chat_id])

    async def set_timezone(self, chat_id: int, zone: str) -> None:
        """Store a zone already checked by `schedule.canonical_zone`."""
        await self._store.set_timezone(chat_id, zone)
        await self.refresh([chat_id])

    async def set_level(self, chat_id: int, level: Level | None) -> None:
        """The group's level; None for mixed."""
        await self._store.set_level(chat_id, None if level is None else level.value)

    async def set_quiz_admins_only(self, chat_id: int, admins_only: bool) -> None:
        """Who may start a group quiz."""
        await self._store.set_quiz_admins_only(chat_id, admins_only)
