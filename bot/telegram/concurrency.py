"""Updates of different users run concurrently; each user's run one at a time, in arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates of this many users are handled at once; a user's queued updates wait without a slot.
MAX_CONCURRENT_UPDATES = 64


def _owner(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Serialises updates per user (so a user's taps apply in order) and overlaps different users.

    Without it PTB handles every update in turn, so one user's slow Bot API call or retry backoff
    would hold up everyone else.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int | None, asyncio.Lock] = {}
        self._waiting: dict[int | None, int] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        """Wait for the same user's earlier updates first, then take one of PTB's slots and run this one.

        PTB marks this method final and takes its slot before `do_process_update`; waiting on the user's
        turn inside that slot let one user's backlog hold every slot while other users waited.
        """
        owner = _owner(update)
        lock = self._locks.setdefault(owner, asyncio.Lock())
        self._waiting[owner] = self._waiting.get(owner, 0) + 1
        try:
            # asyncio.Lock wakes waiters first-in first-out, and tasks reach this line in update order.
            async with lock:
                await super().process_update(update, coroutine)
        finally:
            self._waiting[owner] -= 1
            if not self._waiting[owner]:
                del self._waiting[owner], self._locks[owner]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers (the user's turn has come and a slot is held)."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    def active_owners(self) -> int:
        """How many users have updates in flight (for tests and diagnostics)."""
        return len(self._locks)
