"""/review: the user's due FSRS cards on demand, most overdue first, then recent mistakes."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bot.domain.bank import Bank, Level
from bot.domain.clock import Clock
from bot.domain.interview import shuffled_order
from bot.services.interview import InterviewService, QuestionView
from bot.storage.cards import CardStore
from bot.storage.interviews import InterviewStore

REVIEW_SIZE = 20
MISTAKES_SINCE = dt.timedelta(days=14)
PURPOSE = "review"


@dataclass(frozen=True)
class ReviewStart:
    """A review's first question, or when the next card is due (None: no cards at all)."""

    view: QuestionView | None
    next_due: dt.datetime | None = None
    already_started: bool = False


class ReviewService:
    """Builds review sessions from cards and mistakes; they run as quiz sessions."""

    def __init__(
        self,
        store: InterviewStore,
        cards: CardStore,
        sessions: InterviewService,
        bank: Bank,
        clock: Clock,
        rng: random.Random,
    ) -> None:
        self._store = store
        self._cards = cards
        self._sessions = sessions
        self._bank = bank
        self._clock = clock
        self._rng = rng

    async def _due(self, user_id: int) -> tuple[list[str], dt.datetime | None]:
        """Due question ids, most overdue first, and when the next not-yet-due card is due."""
        now = self._clock.now()
        disabled = await self._sessions.disabled_ids()
        cards = sorted(
            (when, qid)
            for qid, when in (await self._cards.due_times(user_id)).items()
            if qid in self._bank and qid not in disabled
        )
        due = [qid for when, qid in cards if when <= now]
        later = [when for when, _ in cards if when > now]
        return due, (later[0] if later else None)

    async def due_count(self, user_id: int) -> int:
        """How many cards are due now."""
        return len((await self._due(user_id))[0])

    async def start(self, user_id: int, origin_message_id: int | None = None) -> ReviewStart:
        """Start a review of up to REVIEW_SIZE questions; with nothing due, say when the next card is."""
        if origin_message_id is not None:
            existing = await self._store.session_by_origin(user_id, origin_message_id)
            if existing is not None:
                return ReviewStart(await self._sessions.current(user_id), already_started=True)
        due, next_due = await self._due(user_id)
        if not due:
            return ReviewStart(None, next_due)
        now = self._clock.now()
        disabled = await self._sessions.disabled_ids()
        mistakes = [
            q
            for q in await self._sessions.recent_mistakes(user_id, now - MISTAKES_SINCE)
            if q in self._bank and q not in disabled and q not in due
        ]
        chosen = (due + mistakes)[:REVIEW_SIZE]
        user = await self._store.get_user(user_id)
        level = user.level if user and user.level else self._bank[chosen[0]].level.value
        plan = [(qid, shuffled_order(self._bank[qid], self._rng)) for qid in chosen]
        opened = await self._store.start_session(
            user_id, "quiz", Level(level).value, plan, origin_message_id, int(now.timestamp() * 1000), purpose=PURPOSE
        )
        if opened.found is None:
            return ReviewStart(None)
        return ReviewStart(self._sessions.view_of(*opened.found), already_started=opened.already_started)
