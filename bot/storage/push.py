"""Repository for the daily push: subscriptions, zones, the blocked flag and per-day delivery claims.

A delivery row, unique per (user, local date), moves `sending` → `sent` | `failed` | `blocked`. Rows are
claimed, a batch at a time, in a BEGIN IMMEDIATE transaction before their messages are sent, so two processes
never both send one; a `failed` row (under the attempt limit) or a `sending` row older than the stale limit may
be claimed again. Sends are settled (marked) after they end, several in one transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import sqlite3
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.delivery import Outcome
from bot.domain.schedule import DailySettings, Subscriber, local_date, next_due, parse_hhmm, zone
from bot.storage.db import Database
from bot.storage.interviews import open_daily_sessions, set_messages


@dataclass(frozen=True)
class DailyPlan:
    """A user's row to claim, and the question a new daily session asks if the row has none yet."""

    user_id: int
    local_date: dt.date
    level: str
    question_id: str | None
    order: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClaimedRow:
    """A user's row this process now holds: it sends the daily session's question, then settles the row."""

    user_id: int
    local_date: dt.date
    session_id: int | None  # None: the plan had no question
    attempts: int
    fresh: bool  # the session was opened by this claim


@dataclass(frozen=True)
class Settled:
    """The end of one claimed send; `next_due` when it closes the user's day (sent, or given up)."""

    user_id: int
    local_date: dt.date
    outcome: Outcome
    session_id: int | None = None
    message_id: int | None = None
    next_due: NextDue | None = None


@dataclass(frozen=True)
class NextDue:
    """When a user is due next, computed from the settings the round saw (stored only if they still hold)."""

    at_ms: int
    daily_time: str
    timezone: str | None


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
# A released claim was never sent: the attempt does not count.
_RELEASE_SQL = (
    "UPDATE deliveries SET status = 'failed', attempts = attempts - 1 "
    "WHERE user_id = ? AND local_date = ? AND status = 'sending'"
)


class Claims(enum.Enum):
    """The tables of daily claims: SQL names come from here only, never from a caller's string."""

    PRIVATE = "deliveries"
    GROUP = "group_deliveries"

    @property
    def key(self) -> str:
        """The column that says whose a row is."""
        return "user_id" if self is Claims.PRIVATE else "chat_id"

    @property
    def owners(self) -> str:
        """The table of subscribers whose rows these are (it holds their settings and `next_due_at`)."""
        return "users" if self is Claims.PRIVATE else "groups"

    @property
    def subscribed(self) -> str:
        """The condition on `owners` of a subscription that is on."""
        return (
            "daily_time IS NOT NULL AND blocked = 0"
            if self is Claims.PRIVATE
            else "daily_time IS NOT NULL AND active = 1"
        )


def refresh_due(
    conn: sqlite3.Connection,
    claims: Claims,
    keys: Iterable[int],
    now: dt.datetime,
    default_zone: str,
    max_attempts: int,
) -> None:
    """Store when each subscriber's (or group's) next daily post falls due, on the database thread.

    Today's time if today is not served yet (it may be past: due now), else tomorrow's. Unsubscribed rows are
    left alone (their value means nothing; a change of settings clears it). A row in flight is not served yet:
    its settle refreshes it again.
    """
    wanted = sorted(set(keys))
    if not isinstance(claims, Claims):  # as mypy says: a caller's string never reaches the SQL
        raise TypeError(f"refresh_due takes a Claims member, not {claims!r}")
    for first in range(0, len(wanted), _SQL_BATCH):
        _refresh(conn, claims, wanted[first : first + _SQL_BATCH], now, default_zone, max_attempts)


_SQL_BATCH = 400
# Rows refreshed in one transaction, at most.
REFRESH_BATCH = 2000


def _refresh(
    conn: sqlite3.Connection,
    claims: Claims,
    keys: Sequence[int],
    now: dt.datetime,
    default_zone: str,
    max_attempts: int,
) -> None:
    marks = ", ".join("?" for _ in keys)
    found = conn.execute(
        f"SELECT {claims.key}, daily_time, timezone FROM {claims.owners} "  # noqa: S608 (enum, placeholders)
        f"WHERE {claims.key} IN ({marks}) AND {claims.subscribed}",
        keys,
    ).fetchall()
    days: dict[int, tuple[dt.time, zoneinfo.ZoneInfo, dt.date]] = {}
    for key, daily_time, timezone in found:
        at = parse_hhmm(str(daily_time))
        if at is not None:
            tz = zone(timezone, default_zone)
            days[int(key)] = (at, tz, local_date(now, tz))
    served: set[int] = set()
    if days:
        values = ", ".join("(?, ?)" for _ in days)
        served = {
            int(r[0])
            for r in conn.execute(
                f"WITH b(k, local_date) AS (VALUES {values}) SELECT d.{claims.key} FROM b "  # noqa: S608 (enum)
                f"JOIN {claims.value} d ON d.{claims.key} = b.k AND d.local_date = b.local_date "
                "WHERE d.status IN ('sent', 'blocked') OR (d.status = 'failed' AND d.attempts >= ?)",
                (*(v for k, (_, _, day) in days.items() for v in (k, day.isoformat())), max_attempts),
            )
        }
    conn.executemany(
        f"UPDATE {claims.owners} SET next_due_at = ? WHERE {claims.key} = ?",  # noqa: S608 (enum)
        [(int(next_due(at, tz, now, k in served).timestamp() * 1000), k) for k, (at, tz, _) in days.items()],
    )


async def refresh_in_batches(
    db: Database, claims: Claims, keys: Sequence[int], now: dt.datetime, default_zone: str, max_attempts: int
) -> None:
    """`refresh_due` in transactions of REFRESH_BATCH rows: after the migration the first tick stores them all,
    and the handlers' writes must not wait for that whole job."""
    for first in range(0, len(keys), REFRESH_BATCH):
        part = keys[first : first + REFRESH_BATCH]
        work = functools.partial(
            refresh_due, claims=claims, keys=part, now=now, default_zone=default_zone, max_attempts=max_attempts
        )
        await db.run_write(work)


async def due_subscribers(db: Database, claims: Claims, now_ms: int) -> list[Subscriber]:
    """Subscribers (or groups, whose chat id is their id) whose next post is due by `now_ms`, by index."""
    if not isinstance(claims, Claims):
        raise TypeError(f"due_subscribers takes a Claims member, not {claims!r}")
    # Two indexed halves: rows due by now, and subscribed rows whose time is not known yet. The indexes are named:
    # without statistics the planner would rather walk the daily-time index, i.e. every subscriber.
    cols = f"{claims.key}, chat_id, daily_time, timezone, level, COALESCE(next_due_at, 0)"
    rows = await db.fetch_all(
        f"SELECT {cols} FROM {claims.owners} INDEXED BY {claims.owners}_next_due "  # noqa: S608 (enum)
        f"WHERE next_due_at <= ? AND {claims.subscribed} UNION ALL "
        f"SELECT {cols} FROM {claims.owners} INDEXED BY {claims.owners}_due_unknown "
        f"WHERE next_due_at IS NULL AND {claims.subscribed} "
        "ORDER BY 6, 1",
        (now_ms,),
    )
    return _subscribers(rows)


async def all_subscribers(db: Database, claims: Claims) -> list[Subscriber]:
    """Every subscriber (or group) whose subscription is on, whatever its time (for `push --all`)."""
    if not isinstance(claims, Claims):
        raise TypeError(f"all_subscribers takes a Claims member, not {claims!r}")
    rows = await db.fetch_all(
        f"SELECT {claims.key}, chat_id, daily_time, timezone, level FROM {claims.owners} "  # noqa: S608 (enum)
        f"WHERE {claims.subscribed} ORDER BY {claims.key}"
    )
    return _subscribers(rows)


def _subscribers(rows: Iterable[Sequence[object]]) -> list[Subscriber]:
    """Rows of (id, chat id, daily time, zone, level) as subscribers; an unreadable time is skipped."""
    result = []
    for r in rows:
        at = parse_hhmm(str(r[2]))
        if at is not None:
            result.append(Subscriber(int(str(r[0])), int(str(r[1])), at, _text(r[3]), _text(r[4])))
    return result


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def from_ms(value: int) -> dt.datetime:
    """An instant stored as epoch ms."""
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC)


async def served_on(
    db: Database, claims: Claims, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
) -> set[tuple[int, dt.date]]:
    """(user or chat, local date) pairs of a claims table that cannot be claimed now."""
    wanted = sorted({d.isoformat() for d in dates})
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    if not isinstance(claims, Claims):  # as mypy says: a caller's string never reaches the SQL
        raise TypeError(f"served_on takes a Claims member, not {claims!r}")
    rows = await db.fetch_all(
        f"SELECT {claims.key}, local_date FROM {claims.value} WHERE local_date IN ({marks}) "  # noqa: S608 (enum, placeholders)
        f"AND NOT ({_CLAIMABLE})",
        (*wanted, max_attempts, stale_before_ms),
    )
    return {(int(r[0]), dt.date.fromisoformat(str(r[1]))) for r in rows}


class PushStore:
    """Reads and writes subscriptions and deliveries."""

    def __init__(self, db: Database, default_zone: str = "UTC") -> None:
        self._db = db
        self._default_zone = default_zone

    async def due_subscribers(self, now_ms: int) -> list[Subscriber]:
        """Subscribers whose next question is due by `now_ms` (by the `next_due_at` index; see `refresh`)."""
        return await due_subscribers(self._db, Claims.PRIVATE, now_ms)

    async def refresh(self, user_ids: Sequence[int], now: dt.datetime, max_attempts: int) -> None:
        """Store when each user's next question falls due (one transaction, computed on the database thread)."""
        await refresh_in_batches(self._db, Claims.PRIVATE, user_ids, now, self._default_zone, max_attempts)

    async def settings(self, user_id: int) -> DailySettings | None:
        """The user's push settings, or None if the user is unknown."""
        row = await self._db.fetch_one("SELECT daily_time, timezone, blocked FROM users WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        return DailySettings(parse_hhmm(row[0]) if row[0] else None, row[1], bool(row[2]))

    async def set_daily(self, user_id: int, daily_time: str | None) -> None:
        """Subscribe at `HH:MM` (which also clears the blocked flag), or unsubscribe with None."""
        if daily_time is None:
            await self._db.execute("UPDATE users SET daily_time = NULL WHERE user_id = ?", (user_id,))
        else:
            await self._db.execute(
                "UPDATE users SET daily_time = ?, blocked = 0 WHERE user_id = ?", (daily_time, user_id)
            )

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        """Store the user's IANA zone."""
        await self._db.execute("UPDATE users SET timezone = ? WHERE user_id = ?", (timezone, user_id))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Flag (and unsubscribe) a user who blocked the bot, or clear the flag."""
        if blocked:
            await self._db.execute("UPDATE users SET blocked = 1, daily_time = NULL WHERE user_id = ?", (user_id,))
        else:
            await self._db.execute("UPDATE users SET blocked = 0 WHERE user_id = ?", (user_id,))

    async def subscribers(self) -> list[Subscriber]:
        """Every subscribed user who has not blocked the bot."""
        return await all_subscribers(self._db, Claims.PRIVATE)

    async def served(
        self, dates: Iterable[dt.date], stale_before_ms: int, max_attempts: int
    ) -> set[tuple[int, dt.date]]:
        """(user, local date) pairs on those dates that cannot be claimed now: sent, blocked, in flight, given up."""
        return await served_on(self._db, Claims.PRIVATE, dates, stale_before_ms, max_attempts)

    async def claim(
        self, plans: Sequence[DailyPlan], now_ms: int, stale_before_ms: int, max_attempts: int
    ) -> list[ClaimedRow]:
        """Claim the rows of several users in one BEGIN IMMEDIATE transaction (one hand-off), with their sessions.

        A user who unsubscribed or blocked the bot, or whose row is sent, in flight or given up, is left out.
        A claimed row without a daily session gets one (from its plan, when the plan has a question) in the
        same transaction, so the claim, the session and the link between them commit together.
        """
        if not plans:
            return []
        return await self._db.run_write(lambda conn: _claim(conn, plans, now_ms, stale_before_ms, max_attempts))

    async def still_due(self, rows: Sequence[tuple[int, dt.date]]) -> set[int]:
        """Users of claimed (user, local date) rows that are still due: `sending`, and the user there and subscribed."""
        if not rows:
            return set()
        values = ", ".join("(?, ?)" for _ in rows)
        found = await self._db.fetch_all(
            f"WITH batch(user_id, local_date) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
            "SELECT d.user_id FROM batch b JOIN deliveries d ON d.user_id = b.user_id AND d.local_date = b.local_date "
            "JOIN users u ON u.user_id = d.user_id "
            "WHERE d.status = 'sending' AND u.daily_time IS NOT NULL AND u.blocked = 0",
            [v for uid, day in rows for v in (uid, day.isoformat())],
        )
        return {int(r[0]) for r in found}

    async def attach_session(self, user_id: int, day: dt.date, session_id: int) -> None:
        """Point a claimed row at a new daily session (its old one can no longer be shown)."""
        await self._db.execute(
            "UPDATE deliveries SET session_id = ? WHERE user_id = ? AND local_date = ?",
            (session_id, user_id, day.isoformat()),
        )

    async def settle(self, outcomes: Sequence[Settled], now_ms: int) -> None:
        """Record how several claimed sends ended, and when each user is due next, in one transaction."""
        await self._db.run_write(lambda conn: _settle(conn, outcomes, now_ms), batching=True)

    async def postpone(self, users: Sequence[tuple[int, NextDue]]) -> None:
        """Store a later next look for users not served now (a paused day), if their settings are unchanged."""
        rows = [(n.at_ms, uid, n.daily_time, n.timezone) for uid, n in users]
        if rows:
            await self._db.run_write(
                lambda conn: conn.executemany(
                    "UPDATE users SET next_due_at = ? WHERE user_id = ? AND daily_time = ? AND timezone IS ?", rows
                )
            )

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


def _claim(
    conn: sqlite3.Connection, plans: Sequence[DailyPlan], now_ms: int, stale_before_ms: int, max_attempts: int
) -> list[ClaimedRow]:
    """`PushStore.claim` on the database thread."""
    by_user = {p.user_id: p for p in plans}
    values = ", ".join("(?, ?)" for _ in plans)
    rows = conn.execute(
        f"WITH batch(user_id, local_date) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
        "INSERT INTO deliveries (user_id, local_date, status, attempts, claimed_at) "
        "SELECT b.user_id, b.local_date, 'sending', 1, ? FROM batch b JOIN users u ON u.user_id = b.user_id "
        "WHERE u.daily_time IS NOT NULL AND u.blocked = 0 "
        "ON CONFLICT (user_id, local_date) DO UPDATE SET status = 'sending', attempts = attempts + 1, "
        f"claimed_at = excluded.claimed_at WHERE {_CLAIMABLE} "
        "RETURNING user_id, session_id, attempts",
        (*(v for p in plans for v in (p.user_id, p.local_date.isoformat())), now_ms, max_attempts, stale_before_ms),
    ).fetchall()
    claimed = {int(r[0]): (None if r[1] is None else int(r[1]), int(r[2])) for r in rows}
    wanted = [
        by_user[uid]
        for uid, (session_id, _) in claimed.items()
        if session_id is None and by_user[uid].question_id is not None
    ]
    opened = open_daily_sessions(conn, [(p.user_id, p.level, str(p.question_id), p.order) for p in wanted], now_ms)
    if opened:
        conn.executemany(
            "UPDATE deliveries SET session_id = ? WHERE user_id = ? AND local_date = ?",
            [(sid, uid, by_user[uid].local_date.isoformat()) for uid, sid in opened.items()],
        )
    return [
        ClaimedRow(uid, by_user[uid].local_date, opened.get(uid, session_id), attempts, uid in opened)
        for uid, (session_id, attempts) in claimed.items()
    ]


def _settle(conn: sqlite3.Connection, outcomes: Sequence[Settled], now_ms: int) -> None:
    """`PushStore.settle` on the database thread."""
    sent = [s for s in outcomes if s.outcome.counts_as_sent]
    set_messages(conn, [(s.session_id, 0, s.message_id) for s in sent if s.session_id and s.message_id is not None])
    if sent:
        conn.executemany(
            "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ? WHERE user_id = ? AND local_date = ?",
            [(s.message_id, now_ms, s.user_id, s.local_date.isoformat()) for s in sent],
        )
    closed = [(s.outcome.status, s.user_id, s.local_date.isoformat()) for s in outcomes if s.outcome.status]
    closed = [row for row in closed if row[0] != "sent"]
    if closed:
        conn.executemany("UPDATE deliveries SET status = ? WHERE user_id = ? AND local_date = ?", closed)
    released = [(s.user_id, s.local_date.isoformat()) for s in outcomes if s.outcome is Outcome.RELEASED]
    if released:
        conn.executemany(_RELEASE_SQL, released)
    blocked = [(s.user_id,) for s in outcomes if s.outcome is Outcome.BLOCKED]
    if blocked:
        conn.executemany("UPDATE users SET blocked = 1, daily_time = NULL WHERE user_id = ?", blocked)
    # Only if the settings are still those the round saw: a change since has cleared the time (a trigger).
    moved_on = [(n.at_ms, s.user_id, n.daily_time, n.timezone) for s in outcomes if (n := s.next_due) is not None]
    if moved_on:
        conn.executemany(
            "UPDATE users SET next_due_at = ? WHERE user_id = ? AND daily_time = ? AND timezone IS ?", moved_on
        )
