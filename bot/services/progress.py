"""The progress service: stats, history, export and erasure of a user's data, with no Telegram in sight."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from fsrs import Card

from bot.domain import schedule
from bot.domain.bank import TOPICS, Bank, Level, McqQuestion
from bot.domain.chart import ChartData, TopicBar, daily_counts, since_ms
from bot.domain.clock import Clock
from bot.domain.progress import (
    ExportRow,
    Streaks,
    TopicProgress,
    local_days,
    ms_to_utc,
    streaks,
    to_csv,
    topic_progress,
    verdict,
    weakest,
)
from bot.domain.review import SCHEDULER
from bot.storage.progress import ProgressStore

HISTORY_LENGTH = 10


class RetrievabilitySource(Protocol):
    """Where memory-model figures come from (FSRS cards); plugged into the progress service."""

    async def retrievability(self, user_id: int, now: dt.datetime) -> dict[str, float]:
        """Probability of recall today, by question id, for the questions that have a card."""
        ...

    async def due_count(self, user_id: int, now: dt.datetime) -> int:
        """How many reviews are due now."""
        ...


class NoCards:
    """The source to use while no cards exist: no retrievability, nothing due."""

    async def retrievability(self, user_id: int, now: dt.datetime) -> dict[str, float]:
        """Nothing is known."""
        return {}

    async def due_count(self, user_id: int, now: dt.datetime) -> int:
        """Nothing is due."""
        return 0


class FsrsCards:
    """Retrievability and due reviews from the FSRS cards table."""

    def __init__(self, store: ProgressStore) -> None:
        self._store = store

    async def retrievability(self, user_id: int, now: dt.datetime) -> dict[str, float]:
        """FSRS probability of recall at `now` for each card the user has."""
        cards = await self._store.cards(user_id)
        return {qid: SCHEDULER.get_card_retrievability(Card.from_json(raw), now) for qid, raw in cards.items()}

    async def due_count(self, user_id: int, now: dt.datetime) -> int:
        """Cards due at `now`."""
        return await self._store.due_count(user_id, int(now.timestamp() * 1000))


@dataclass(frozen=True)
class LevelProgress:
    """One level's topics, in bank topic order, and how many of its topics are untried."""

    level: Level
    topics: list[TopicProgress]
    untried: int

    @property
    def answered(self) -> int:
        """Answers at this level."""
        return sum(t.answered for t in self.topics)

    @property
    def accuracy(self) -> float | None:
        """Share of graded answers that were right at this level."""
        graded = sum(t.graded for t in self.topics)
        return sum(t.right for t in self.topics) / graded if graded else None


@dataclass(frozen=True)
class StatsReport:
    """Everything /stats shows."""

    levels: list[LevelProgress]
    streaks: Streaks
    due: int
    weakest: list[TopicProgress]
    weak_level: Level | None
    chart: ChartData | None = None

    @property
    def empty(self) -> bool:
        """No answers yet."""
        return not self.levels


@dataclass(frozen=True)
class HistoryItem:
    """A past session as /history lists it."""

    session_id: int
    kind: str  # the mode, or what the session was for (a review, say)
    level: str
    right: int
    answered: int
    size: int
    finished: bool
    estimate_level: str | None
    started: dt.datetime
    duration_s: int


@dataclass(frozen=True)
class ReviewItem:
    """One question of a past session with the user's answer."""

    prompt: str
    answer: str
    result: bool | None


@dataclass(frozen=True)
class SessionReview:
    """A past session's questions and answers."""

    mode: str
    level: str
    started: dt.datetime
    items: list[ReviewItem]


class ProgressService:
    """Answers 'where do I stand' and carries out reset, export and deletion."""

    def __init__(
        self,
        store: ProgressStore,
        bank: Bank,
        clock: Clock,
        default_timezone: str,
        cards: RetrievabilitySource | None = None,
        paused: Callable[[int], Awaitable[frozenset[dt.date]]] | None = None,
        on_delete: Callable[[int], None] | None = None,
    ) -> None:
        self._paused = paused
        # Told each deleted user, so memory of them elsewhere goes too (services/languages.py `forget`).
        self._on_delete = on_delete
        self._store = store
        self._bank = bank
        self._clock = clock
        self._default_tz = default_timezone
        self._cards: RetrievabilitySource = cards or NoCards()
        self._bank_ids: dict[tuple[str, str], list[str]] = {}
        self._mcq_topics: set[tuple[str, str]] = set()
        for q in bank:
            self._bank_ids.setdefault((q.level.value, q.topic), []).append(q.id)
            if isinstance(q, McqQuestion):
                self._mcq_topics.add((q.level.value, q.topic))

    async def _zone(self, user_id: int) -> dt.tzinfo:
        profile = await self._store.profile(user_id)
        return schedule.zone(profile.timezone if profile else None, self._default_tz)

    async def stats(self, user_id: int) -> StatsReport:
        """Per level and topic: answers, accuracy and readiness; streaks, due reviews and the weakest topics."""
        now = self._clock.now()
        profile = await self._store.profile(user_id)
        zone = schedule.zone(profile.timezone if profile else None, self._default_tz)
        stats = await self._store.question_stats(user_id)
        retrievability = await self._cards.retrievability(user_id, now)
        progress = topic_progress(stats, self._bank_ids, retrievability)
        order = {topic: i for i, topic in enumerate(TOPICS)}
        levels = []
        for level in Level:
            mine = sorted((p for p in progress if p.level == level.value), key=lambda p: order.get(p.topic, -1))
            if mine:
                in_bank = {t for lv, t in self._bank_ids if lv == level.value}
                levels.append(LevelProgress(level, mine, len(in_bank - {p.topic for p in mine})))
        days = local_days(await self._store.day_buckets(user_id), zone)
        weak_level = self._focus_level(profile.level if profile else None, levels)
        weak = weakest(
            [
                p
                for p in progress
                if weak_level is not None and p.level == weak_level.value and (p.level, p.topic) in self._mcq_topics
            ]
        )
        today = now.astimezone(zone).date()
        focus = self._focus_level(profile.level if profile else None, levels)
        chart = None
        if focus is not None:
            per_day = daily_counts(await self._store.bucket_counts(user_id, since_ms(today, zone)), zone, today)
            chart = ChartData(focus.value, self._topic_bars(focus, levels), per_day)
        return StatsReport(
            levels,
            streaks(days, today, await self._paused(user_id) if self._paused else ()),
            await self._cards.due_count(user_id, now),
            weak,
            weak_level if weak else None,
            chart,
        )

    def _topic_bars(self, level: Level, levels: list[LevelProgress]) -> tuple[TopicBar, ...]:
        """Readiness of every topic the bank has at a level, in bank order; an untried topic is at 0."""
        tried = {t.topic: t.readiness for lp in levels if lp.level == level for t in lp.topics}
        return tuple(TopicBar(t, tried.get(t, 0.0)) for t in TOPICS if (level.value, t) in self._bank_ids)

    @staticmethod
    def _focus_level(current: str | None, levels: list[LevelProgress]) -> Level | None:
        """The level the weakest topics come from: the user's current one if answered, else the busiest."""
        if not levels:
            return None
        by_level = {lp.level.value: lp for lp in levels}
        if current in by_level:
            return by_level[current].level
        return max(levels, key=lambda lp: lp.answered).level

    async def history(self, user_id: int) -> list[HistoryItem]:
        """The last sessions, with local start times and durations."""
        zone = await self._zone(user_id)
        rows = await self._store.history(user_id, HISTORY_LENGTH)
        items = []
        for r in rows:
            end = r.ended_at if r.ended_at is not None else r.last_answer_at
            duration = max(0, ((end or r.started_at) - r.started_at) // 1000)
            items.append(
                HistoryItem(
                    r.session_id,
                    r.purpose or r.mode,
                    r.level,
                    r.right,
                    r.answered,
                    r.size,
                    r.status == "finished",
                    r.estimate_level,
                    ms_to_utc(r.started_at).astimezone(zone),
                    duration,
                )
            )
        return items

    async def review(self, user_id: int, session_id: int) -> SessionReview | None:
        """A past session's questions and the user's answers; None if it is not theirs."""
        started = await self._store.session_started(user_id, session_id)
        if started is None:
            return None
        zone = await self._zone(user_id)
        items = []
        for a in await self._store.session_answers(user_id, session_id):
            question = self._bank.get(a.question_id)
            prompt = question.prompt if question else a.question_id
            items.append(
                ReviewItem(
                    prompt,
                    self._answer_text(a.question_id, a.chosen, a.answer_text),
                    verdict(a.kind, a.correct, a.self_grade),
                )
            )
        mode, level, started_ms = started
        return SessionReview(mode, level, ms_to_utc(started_ms).astimezone(zone), items)

    def _answer_text(self, question_id: str, chosen: int | None, typed: str | None) -> str:
        """The option text the user chose (bank order index), or what they typed."""
        if chosen is None:
            return typed or ""
        question = self._bank.get(question_id)
        if isinstance(question, McqQuestion) and 0 <= chosen < len(question.options):
            return question.options[chosen].text
        return f"option {chosen + 1}"

    async def export_csv(self, user_id: int) -> str | None:
        """Every answer as CSV text; None when there is nothing to export."""
        rows = await self._store.export(user_id)
        if not rows:
            return None
        return to_csv(
            ExportRow(
                r.question_id,
                r.topic,
                r.level,
                r.mode,
                self._answer_text(r.question_id, r.chosen, r.answer_text),
                verdict(r.kind, r.correct, r.self_grade),
                ms_to_utc(r.answered_at),
            )
            for r in rows
        )

    async def reset(self, user_id: int) -> int:
        """Erase answers, sessions and cards; keep the settings. Return how many answers were erased."""
        return await self._store.reset(user_id)

    async def delete(self, user_id: int) -> bool:
        """Erase every row about the user; False if nothing was stored."""
        deleted = await self._store.delete_user(user_id)
        if self._on_delete is not None:
            self._on_delete(user_id)
        return deleted
