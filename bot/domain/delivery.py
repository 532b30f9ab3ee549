"""What every delivery shares (daily question, daily group poll, broadcast): outcomes, the maybe-sent rule, limits.

A delivery claims a row before it sends and settles the row after; these are the words and numbers of that.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

# A claim older than this whose send never settled was left by a process that died between claim and settle.
STALE_AFTER = dt.timedelta(minutes=5)
# Claims of one row in one day (or of one broadcast): a row that failed this often is given up.
MAX_ATTEMPTS = 5
# Sends unsettled at once. Pacing needs rate × latency of them (25/s at 300 ms: 8); the pacer, not this, bounds
# the pace, and a crash leaves at most this many sends whose fate is unknown.
IN_FLIGHT = 8
# Rows claimed in one transaction: at most CLAIM_BATCH, and no more than CLAIM_AHEAD of sends at the pace now,
# so a batch is sent long before its lease (STALE_AFTER) runs out and a slow round still claims one at a time.
CLAIM_BATCH = 64
CLAIM_AHEAD = dt.timedelta(seconds=10)
# Claims are re-checked (one query) for the next this-much of sends just before they go out, so a user who leaves
# or unsubscribes after the claim is not sent anything unless the send was at most this close.
RECHECK_AHEAD = dt.timedelta(seconds=1)


class Outcome(enum.Enum):
    """How one send ended: the Telegram layer's verdict, and what the row records."""

    SENT = "sent"
    UNCERTAIN = "uncertain"  # failed in a way that may still have delivered it (a timeout)
    BLOCKED = "blocked"  # the chat refuses the bot or is gone: unsubscribed
    MOVED = "moved"  # a group became a supergroup (a new chat id); the next round posts there
    FAILED = "failed"  # a later round claims the row again, up to MAX_ATTEMPTS
    RELEASED = "released"  # never sent (shutdown, or the user left after the claim): the attempt does not count

    @property
    def counts_as_sent(self) -> bool:
        """The one maybe-sent rule: a send that may have arrived is recorded as sent and never repeated."""
        return self in (Outcome.SENT, Outcome.UNCERTAIN)

    @property
    def status(self) -> str | None:
        """The row's status after this outcome; None: the claim is released (the row is claimable at once)."""
        if self.counts_as_sent:
            return "sent"
        if self is Outcome.BLOCKED:
            return "blocked"
        return None if self is Outcome.RELEASED else "failed"


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send, with the message Telegram made of it (or the chat a group moved to)."""

    outcome: Outcome
    message_id: int | None = None
    moved_to: int | None = None


@dataclass
class RoundReport:
    """Counts of one delivery round."""

    due: int = 0
    sent: int = 0
    already: int = 0
    blocked: int = 0
    failed: int = 0
    stopped: bool = False

    def add(self, other: RoundReport) -> None:
        """Fold another round's counts into these (the push serves users, then groups)."""
        self.due += other.due
        self.sent += other.sent
        self.already += other.already
        self.blocked += other.blocked
        self.failed += other.failed
        self.stopped = self.stopped or other.stopped


def ms(when: dt.datetime) -> int:
    """Epoch milliseconds, as rows store instants."""
    return int(when.timestamp() * 1000)
