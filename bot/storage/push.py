"""Repository for the daily push: subscriptions, zones, the blocked flag and per-day delivery claims.

A delivery row, unique per (user, local date), moves `sending` → `sent` | `failed` | `blocked`. A row is
claimed in a BEGIN IMMEDIATE transaction before its message is sent, so two processes never both send it;
a `failed` row (under the attempt limit) or a `sending` row older than the stale limit may be claimed again.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.schedule import Subscriber, parse_hhmm
from bot.storage.db import Database


class ClaimState(enum.Enum):
    """What a claim attempt found."""

    CLAIMED = "claimed"
    TAKEN = "taken"
    UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True)
class Claim:
    """A claim on one user's question for one local date."""

    state: ClaimState
    session_id: int | None = None
    attempts: int = 0


@dataclass(frozen=True)
class DailySettings:
    """A user's push settings."""

    daily_time: dt.time | None
    timezone: str | None
    blocked: bool


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery row as stored."""

    user_id: int
    local_date: str
    status: str
    attempts: int
    claimed_at: int
    sent_at: int | None
    session_id: int | None
    message_id: int | None


_CLAIMABLE = "(status = 'failed' AND attempts < ?) OR (status = 'sending' AND claimed_at <= ?)"


async def served_on(
    db: Database, table: str, key: str, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
) -> set[tuple[int, dt.date]]:
    """(key, local date) pairs of a claims table (a constant name) that cannot be claimed now."""
    wanted = sorted({d.isoformat() for d in dates})
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    rows = await db.fetch_all(
        f"SELECT {key}, local_date FROM {table} WHERE local_date IN ({marks}) "  # noqa: S608 (constants, placeholders)
        f"AND NOT ({_CLAIMABLE})",
        (*wanted, max_attempts, stale_before_ms),
    )
    return {(int(r[0]), dt.date.fromisoformat(str(r[1]))) for r in rows}


class PushStore:
    """Reads and writes subscriptions and deliveries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def settings(self, user_id: int) -> DailySettings | None:
        """The user's push settings, or None if the user is unknown."""
        row = await self._db.fetch_one("SELECT daily_time, timezone, blocked FROM users WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        return DailySettings(parse_hhmm(row[0]) if row[0] else None, row[1], bool(row[2]))

    async def set_daily(self, user_id: int, daily_time: str | None) -> None:
        """Subscribe at `HH:MM` (which also clears the blocked flag), or unsubscribe with None."""
        async with self._db.write() as conn:
            if daily_time is None:
                await conn.execute("UPDATE users SET daily_time = NULL WHERE user_id = ?", (user_id,))
            else:
                await conn.execute(
                    "UPDATE users SET daily_time = ?, blocked = 0 WHERE user_id = ?", (daily_time, user_id)
                )

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Store the user's IANA zone."""
        async with self._db.write() as conn:
            await conn.execute("UPDATE users SET timezone = ? WHERE user_id = ?", (timezone, user_id))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Flag (and unsubscribe) a user who blocked the bot, or clear the flag."""
        async with self._db.write() as conn:
            if blocked:
                await conn.execute("UPDATE users SET blocked = 1, daily_time = NULL WHERE user_id = ?", (user_id,))
            else:
                await conn.execute("UPDATE users SET blocked = 0 WHERE user_id = ?", (user_id,))

    async def subscribers(self) -> list[Subscriber]:
        """Every subscribed user who has not blocked the bot."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT user_id, chat_id, daily_time, timezone, level FROM users "
                "WHERE daily_time IS NOT NULL AND blocked = 0 ORDER BY user_id"
            )
            rows = await cur.fetchall()
        result = []
        for r in rows:
            at = parse_hhmm(str(r[2]))
            if at is not None:
                result.append(Subscriber(int(r[0]), int(r[1]), at, r[3], r[4]))
        return result

    async def served(
        self, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
    ) -> set[tuple[int, dt.date]]:
        """(user, local date) pairs on those dates that cannot be claimed now: sent, blocked, in flight, given up."""
        return await served_on(self._db, "deliveries", "user_id", dates, stale_before_ms, max_attempts)

    async def claim(self, user_id: int, day: dt.date, now_ms: int, stale_before_ms: int, max_attempts: int) -> Claim:
        """Take the right to send the user's question for `day`, in one BEGIN IMMEDIATE transaction."""
        async with self._db.write() as conn:
            if not await conn.execute_fetchall(
                "SELECT 1 FROM users WHERE user_id = ? AND daily_time IS NOT NULL AND blocked = 0", (user_id,)
            ):
                return Claim(ClaimState.UNSUBSCRIBED)
            cur = await conn.execute(
                "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) "
                "VALUES (?, ?, 'sending', 1, ?) ON CONFLICT (user_id, local_date) DO NOTHING",
                (user_id, day.isoformat(), now_ms),
            )
            if cur.rowcount == 1:
                return Claim(ClaimState.CLAIMED, None, 1)
            cur = await conn.execute(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, claimed_at = ? "  # noqa: S608
                f"WHERE user_id = ? AND local_date = ? AND ({_CLAIMABLE}) "
                "RETURNING session_id, attempts",
                (now_ms, user_id, day.isoformat(), max_attempts, stale_before_ms),
            )
            row = await cur.fetchone()
        if row is None:
            return Claim(ClaimState.TAKEN)
        return Claim(ClaimState.CLAIMED, None if row[0] is None else int(row[0]), int(row[1]))

    async def attach_session(self, user_id: int, day: dt.date, session_id: int) -> None:
        """Remember the daily session a claim asks, so a resend after a crash asks the same question."""
        await self._db.execute(
            "UPDATE deliveries SET session_id = ? WHERE user_id = ? AND local_date = ?",
            (session_id, user_id, day.isoformat()),
        )

    async def mark_sent(self, user_id: int, day: dt.date, message_id: int | None, now_ms: int) -> None:
        """The question went out (or may have: then its message id is unknown)."""
        await self._db.execute(
            "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ? WHERE user_id = ? AND local_date = ?",
            (message_id, now_ms, user_id, day.isoformat()),
        )

    async def release(self, user_id: int, day: dt.date) -> None:
        """Give back a claim whose send never went out: the attempt does not count, a later round takes it."""
        await self._db.execute(
            "UPDATE deliveries SET status = 'failed', attempts = attempts - 1 "
            "WHERE user_id = ? AND local_date = ? AND status = 'sending'",
            (user_id, day.isoformat()),
        )

    async def mark_failed(self, user_id: int, day: dt.date) -> None:
        """Sending failed for now; a later round may claim the row again."""
        await self._db.execute(
            "UPDATE deliveries SET status = 'failed' WHERE user_id = ? AND local_date = ?", (user_id, day.isoformat())
        )

    async def mark_blocked(self, user_id: int, day: dt.date) -> None:
        """The user blocked the bot or the chat is gone: close the row and unsubscribe them."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE deliveries SET status = 'blocked' WHERE user_id = ? AND local_date = ?",
                (user_id, day.isoformat()),
            )
            await conn.execute("UPDATE users SET blocked = 1, daily_time = NULL WHERE user_id = ?", (user_id,))

    async def deliveries(self, user_id: int) -> list[DeliveryRow]:
        """The user's delivery rows, oldest date first."""
        async with self._db.read() as conn:
            cur = await conn.execute(
                "SELECT user_id, local_date, status, attempts, claimed_at, sent_at, session_id, message_id "
                "FROM deliveries WHERE user_id = ? ORDER BY local_date",
                (user_id,),
            )
            rows = await cur.fetchall()
        return [DeliveryRow(*r) for r in rows]
