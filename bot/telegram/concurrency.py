"""Updates of different users run concurrently; each user's run one at a time, in arrival order."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates of this many users are handled at once; a user's queued updates wait without a slot.
MAX_CONCURRENT_UPDATES = 64
# PTB's own limit, which never binds: see PerUserUpdateProcessor.
_PTB_LIMIT = sys.maxsize


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
    would hold up everyone else. PTB's `process_update` (final) takes PTB's semaphore before
    `do_process_update`, that is before the user's turn: a limit there would let one user's backlog hold
    every slot while other users waited. So PTB's limit is made too large to bind, and the real one is
    taken here, once the user's turn has come.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be at least 1")
        super().__init__(_PTB_LIMIT)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._running = 0
        self._locks: dict[int | None, asyncio.Lock] = {}
        self._waiting: dict[int | None, int] = {}

    @property
    def current_concurrent_updates(self) -> int:
        """Updates being handled now (holding a slot); a user's updates waiting for their turn hold none."""
        return self._running

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the same user's earlier updates, then for a slot, then run this update's handlers."""
        owner = _owner(update)
        lock = self._locks.setdefault(owner, asyncio.Lock())
        self._waiting[owner] = self._waiting.get(owner, 0) + 1
        try:
            # asyncio.Lock wakes waiters first-in first-out, and tasks reach this line in update order.
            async with lock, self._slots:
                self._running += 1
                try:
                    await coroutine
                finally:
                    self._running -= 1
        finally:
            self._waiting[owner] -= 1
            if not self._waiting[owner]:
                del self._waiting[owner], self._locks[owner]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    def active_owners(self) -> int:
        """How many users have updates in flight (for tests and diagnostics)."""
        return len(self._locks)
