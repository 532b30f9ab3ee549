"""What an operator scrapes from /metrics: one prometheus-client registry per running bot.

Each Application gets its own CollectorRegistry (never the library's global one), so two bots in one process
(tests, a benchmark) count apart. Code that must not know about Prometheus talks to narrow sinks: the
delivery code calls `DeliveryObserver.on_delivery`, the database calls a plain `(seconds) -> None`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

logger = logging.getLogger(__name__)

# What a delivery came to, as counted: the delivery code maps its own outcome enum onto these.
SENT: Final = "sent"
BLOCKED: Final = "blocked"
FAILED: Final = "failed"
OUTCOMES: Final = (SENT, BLOCKED, FAILED)
# What is delivered in bulk: the private daily question, the group daily poll, an admin broadcast.
PUSH: Final = "push"
GROUP_POLL: Final = "group_poll"
BROADCAST: Final = "broadcast"
DELIVERY_KINDS: Final = (PUSH, GROUP_POLL, BROADCAST)

# A scrape must answer even when the database is busy: the gauge keeps its last value instead.
SESSIONS_TIMEOUT = 2.0
# The push goes out within a minute of the local time when all is well; hours mean the bot was down.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 3 * 3600.0, 12 * 3600.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class DeliveryObserver(Protocol):
    """Where bulk delivery (push, group poll, broadcast) reports each settled send.

    Called once per send that came to an outcome (not for one given back unsent at shutdown), by the one delivery
    engine (services/delivery.py, `Engine.run`; the push's with the lag behind the subscriber's local time) for
    the push, the daily group poll and the broadcast alike. tests/flows/test_metrics_flow.py checks them.
    """

    def on_delivery(self, kind: str, outcome: str, lag_seconds: float | None = None) -> None:
        """One send of `kind` came to `outcome`; `lag_seconds` is how long after its due time it went."""


class NoMetrics:
    """The sink of a process that serves no /metrics (`python -m bot push`, the terminal)."""

    def on_delivery(self, kind: str, outcome: str, lag_seconds: float | None = None) -> None:
        """Count nothing."""


NO_METRICS: Final = NoMetrics()


class Metrics:
    """Every series the bot exposes, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("bot_updates", "Updates received, by update type", ["type"], registry=r)
        self.handler_seconds = Histogram(
            "bot_handler_seconds", "Time to handle one update (every handler group), by route", ["route"], registry=r
        )
        self.errors = Counter("bot_errors", "Errors that reached the error handler, by kind", ["kind"], registry=r)
        self.api_calls = Counter(
            "bot_api_calls",
            "Bot API requests made (each attempt), by method and result",
            ["method", "result"],
            registry=r,
        )
        self.api_floods = Counter("bot_api_retry_after", "429 answers (flood waits), by method", ["method"], registry=r)
        self.api_flood_seconds = Counter(
            "bot_api_retry_after_seconds", "Seconds of flood wait Telegram asked for, by method", ["method"], registry=r
        )
        self.deliveries = Counter(
            "bot_deliveries",
            "Bulk sends settled, by kind (push, group_poll, broadcast) and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.delivery_lag = Histogram(
            "bot_delivery_lag_seconds",
            "How long after the recipient's local due time a bulk send went out, by kind",
            ["kind"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.db_write_seconds = Histogram(
            "bot_db_write_seconds",
            "Write transactions, from the call to the commit (lock wait included)",
            buckets=DB_BUCKETS,
            registry=r,
        )
        self.active_sessions = Gauge("bot_active_sessions", "Open quiz and interview sessions", registry=r)
        for kind in DELIVERY_KINDS:
            for outcome in OUTCOMES:
                self.deliveries.labels(kind, outcome)
        self._count_sessions: Callable[[], Awaitable[int]] | None = None

    def on_update(self, update_type: str) -> None:
        """One update arrived."""
        self.updates.labels(update_type).inc()

    def on_handled(self, route: str, seconds: float) -> None:
        """One update was handled in `seconds`."""
        self.handler_seconds.labels(route).observe(seconds)

    def on_error(self, kind: str) -> None:
        """One error reached the error handler."""
        self.errors.labels(kind).inc()

    def on_api_call(self, method: str, result: str) -> None:
        """One Bot API request came back (`ok`, `flood`, or `error`)."""
        self.api_calls.labels(method, result).inc()

    def on_flood(self, method: str, seconds: float) -> None:
        """Telegram answered 429 and asked for `seconds` of wait."""
        self.api_floods.labels(method).inc()
        self.api_flood_seconds.labels(method).inc(max(0.0, seconds))

    def on_delivery(self, kind: str, outcome: str, lag_seconds: float | None = None) -> None:
        """One bulk send settled; a sent one with a due time also gives its lag."""
        self.deliveries.labels(kind, outcome).inc()
        if lag_seconds is not None and outcome == SENT:
            self.delivery_lag.labels(kind).observe(max(0.0, lag_seconds))

    def on_db_write(self, seconds: float) -> None:
        """One write transaction took `seconds`."""
        self.db_write_seconds.observe(seconds)

    def count_sessions_with(self, count: Callable[[], Awaitable[int]]) -> None:
        """Where `refresh` reads the number of open sessions (set once the database is open)."""
        self._count_sessions = count

    async def refresh(self) -> None:
        """Update the gauges read from the database, just before a scrape."""
        if self._count_sessions is None:
            return
        try:
            self.active_sessions.set(await asyncio.wait_for(self._count_sessions(), SESSIONS_TIMEOUT))
        except Exception as exc:  # a scrape still answers; the gauge keeps its last value
            logger.warning("metrics: could not count open sessions (%s)", type(exc).__name__)
