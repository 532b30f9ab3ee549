"""Goals: set one, see the forecast and plan, the daily set, pauses, the question after the date; no Telegram here."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from fsrs import Card

from bot.domain import goal, schedule
from bot.domain.bank import Bank, Level
from bot.domain.clock import Clock
from bot.domain.goal import GoalOutcome
from bot.domain.interview import shuffled_order
from bot.domain.progress import Streaks, at_risk, local_days, streaks
from bot.services.interview import InterviewService, QuestionView
from bot.storage.goals import GoalRow, GoalStore, Reminder
from bot.storage.interviews import InterviewStore
from bot.storage.progress import ProgressStore

logger = logging.getLogger(__name__)

SET_PURPOSE = "set"
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class TopicMove:
    """A topic that would move the forecast, and by how much (share of the level)."""

    topic: str
    gain: float


@dataclass(frozen=True)
class GoalView:
    """Everything /goal shows (and the daily set message reuses)."""

    goal_id: int
    date: dt.date
    level: Level
    today: dt.date
    days_left: int
    forecast_now: float
    forecast_at_date: float  # at your current pace
    topics_now: dict[str, float]
    topics_at_date: dict[str, float]
    target_today: int
    done_today: int
    new_per_day: int
    reachable: bool
    behind: int | None  # 0: on track; None: out of reach at your pace
    top: list[TopicMove]
    paused_until: dt.date | None
    study_days: int  # days left to study, paused ones not counted
    streak: Streaks
    passed: bool  # the date has come: ask how it went
    bar: float = goal.READY_BAR

    @property
    def left_today(self) -> int:
        """Questions of today's target not yet done."""
        return max(0, self.target_today - self.done_today)


@dataclass(frozen=True)
class SetNote:
    """The daily message for a user with a goal: today's set, to start with one tap."""

    view: GoalView
    size: int
    reviews: int
    frozen_yesterday: bool


@dataclass(frozen=True)
class AfterNote:
    """The daily message after the goal date: how did it go?"""

    goal_id: int
    date: dt.date
    level: Level


DailyNote = SetNote | AfterNote


@dataclass(frozen=True)
class Nudge:
    """A streak at risk tonight, and what is left of today's set (None without a goal)."""

    user_id: int
    chat_id: int
    local_date: dt.date
    streak: int
    left: int | None


@dataclass(frozen=True)
class SetStart:
    """Today's set's first question; `already_started` if this button started it before."""

    view: QuestionView | None
    already_started: bool = False


@dataclass(frozen=True)
class _State:
    _row: GoalRow
    zone: zoneinfo.ZoneInfo
    cutoff: dt.datetime
    cards: dict[str, Card]
    look: goal.Outlook
    due: list[str]


class GoalService:
    """Goals, plans and daily sets, pauses and nudges."""

    def __init__(
        self,
        store: GoalStore,
        progress: ProgressStore,
        sessions: InterviewStore,
        interview: InterviewService,
        bank: Bank,
        clock: Clock,
        rng: random.Random,
        default_zone: str,
    ) -> None:
        self._store = store
        self._progress = progress
        self._sessions = sessions
        self._interview = interview
        self._bank = bank
        self._clock = clock
        self._rng = rng
        self._default_zone = default_zone

    def now(self) -> dt.datetime:
        """The injected clock's time."""
        return self._clock.now()

    async def zone(self, user_id: int) -> zoneinfo.ZoneInfo:
        """The user's zone (the default if unset)."""
        profile = await self._progress.profile(user_id)
        return schedule.zone(profile.timezone if profile else None, self._default_zone)

    async def today(self, user_id: int) -> dt.date:
        """The user's local date now."""
        return self._clock.now().astimezone(await self.zone(user_id)).date()

    async def set_goal(self, user_id: int, date: dt.date, level: Level) -> str | None:
        """Store the goal; the problem ('past', 'far') instead if the date is not 1 to 180 days ahead."""
        problem = goal.date_problem(date, await self.today(user_id))
        if problem is None:
            await self._store.set_goal(user_id, date, level.value, self._ms())
        return problem

    async def clear(self, user_id: int) -> bool:
        """Turn the goal off; False if there was none."""
        return await self._store.clear_goal(user_id, self._ms())

    async def record_outcome(self, user_id: int, goal_id: int, outcome: GoalOutcome) -> bool:
        """Store how it went and close the goal; False on a second tap."""
        return await self._store.record_outcome(user_id, goal_id, outcome.value, self._ms())

    async def view(self, user_id: int) -> GoalView | None:
        """The user's goal with its forecast and plan, or None without one."""
        row = await self._store.goal(user_id)
        if row is None:
            return None
        return await self._view(await self._state(row))

    async def forecast(self, user_id: int) -> dict[str, float] | None:
        """Per topic of the goal's level: the expected share right on the goal date at your pace (None: no goal)."""
        found = await self.view(user_id)
        return None if found is None else found.topics_at_date

    async def pause(self, user_id: int, days: int) -> dt.date:
        """Pause today and the next `days - 1` days; the last paused day."""
        today = await self.today(user_id)
        last = today + (days - 1) * _DAY
        await self._store.set_pause(user_id, today, last, self._ms())
        return last

    async def resume(self, user_id: int) -> bool:
        """End a pause from today on; False if none was running."""
        today = await self.today(user_id)
        running = await self._paused_until(user_id, today)
        await self._store.set_pause(user_id, today, None, self._ms())
        return running is not None

    async def paused_until(self, user_id: int) -> dt.date | None:
        """The last day of the pause running today, if any."""
        return await self._paused_until(user_id, await self.today(user_id))

    async def paused_users(self, rows: Sequence[tuple[int, dt.date]]) -> set[int]:
        """Of these (user, local date) pairs, the users who paused that day (the push skips them)."""
        return await self._store.paused_on(rows)

    async def set_reminder(self, user_id: int, at: dt.time | None) -> None:
        """Nudge at `at` (local time) on a day the streak is at risk, or never."""
        await self._store.set_reminder(user_id, None if at is None else schedule.format_hhmm(at))

    async def due_nudges(self) -> list[Nudge]:
        """Users whose nudge time has come today, not nudged yet today, whose streak ends tonight without an answer."""
        now = self._clock.now()
        waiting: list[tuple[Reminder, dt.date]] = []
        for r in await self._store.reminders():
            at = schedule.parse_hhmm(r.remind_at)
            zone = schedule.zone(r.timezone, self._default_zone)
            today = now.astimezone(zone).date()
            if at is not None and now >= schedule.due_instant(today, at, zone):
                waiting.append((r, today))
        pairs = [(r.user_id, day) for r, day in waiting]
        skip = await self._store.nudged(pairs) | await self._store.paused_on(pairs)
        out = []
        for r, today in waiting:
            if r.user_id in skip:
                continue
            zone = schedule.zone(r.timezone, self._default_zone)
            days = local_days(await self._progress.day_buckets(r.user_id), zone)
            streak = at_risk(days, today, await self.paused_days(r.user_id))
            if streak == 0:
                continue
            view = await self.view(r.user_id)
            left = view.left_today if view is not None and not view.passed and view.days_left > 0 else None
            out.append(Nudge(r.user_id, r.chat_id, today, streak, left))
        return out

    async def claim_nudge(self, nudge: Nudge) -> bool:
        """Record today's nudge before it is sent; False if it was recorded already (never twice a day)."""
        return await self._store.claim_nudge(nudge.user_id, nudge.local_date, self._ms())

    async def streaks(self, user_id: int) -> Streaks:
        """Streaks with freezes and paused days, in the user's zone."""
        zone = await self.zone(user_id)
        days = local_days(await self._progress.day_buckets(user_id), zone)
        return streaks(days, self._clock.now().astimezone(zone).date(), await self.paused_days(user_id))

    async def daily_notes(self, due: Sequence[tuple[int, dt.date]]) -> dict[int, DailyNote]:
        """The daily message of each of these (user, local date) pairs who has a goal: a set, or the question after.

        The question after the date goes out once: on the first daily message after it (and again only if that
        same day's message is sent again).
        """
        rows = await self._store.goals_of([uid for uid, _ in due])
        days = dict(due)
        notes: dict[int, DailyNote] = {}
        asking: list[tuple[int, dt.date]] = []
        for uid, row in rows.items():
            day = days[uid]
            try:
                note = await self._note(row, day)
            except Exception:  # one user's broken data must not stop the push: they get the usual question
                logger.exception("daily set of user %s failed; sending the usual question", uid)
                continue
            if note is not None:
                notes[uid] = note
            if isinstance(note, AfterNote):
                asking.append((row.goal_id, day))
        await self._store.mark_asked(asking)
        return notes

    async def _note(self, row: GoalRow, day: dt.date) -> DailyNote | None:
        """A user's daily note on local date `day`: the question after the date once, else today's set."""
        if row.target_date < day:
            if row.status == "active" or row.asked_on == day:
                return AfterNote(row.goal_id, row.target_date, Level(row.level))
            return None
        if row.target_date == day:
            return None  # the day itself: the usual question; the question after comes tomorrow
        state = await self._state(row)
        view = await self._view(state)
        size = max(goal.DAILY_MIN, view.left_today)
        return SetNote(view, size, min(size, len(state.due)), day - _DAY in view.streak.frozen)

    async def start_set(self, user_id: int, origin_message_id: int | None) -> SetStart:
        """Start today's set (cancelling any open session); the same one again for a second tap on a message."""
        if origin_message_id is not None:
            existing = await self._sessions.session_by_origin(user_id, origin_message_id)
            if existing is not None:
                return SetStart(await self._interview.current(user_id), already_started=True)
        row = await self._store.goal(user_id)
        if row is None:
            return SetStart(None)
        state = await self._state(row)
        view = await self._view(state)
        disabled = await self._interview.disabled_ids()
        chosen = goal.choose_set(max(goal.DAILY_MIN, view.left_today), state.due, state.look, disabled, self._rng)
        if not chosen:
            return SetStart(None)
        plan = [(qid, shuffled_order(self._bank[qid], self._rng)) for qid in chosen]
        session_id = await self._sessions.create_session(
            user_id, "quiz", row.level, plan, origin_message_id, self._ms(), SET_PURPOSE
        )
        if session_id is None:
            return SetStart(await self._interview.current(user_id), already_started=True)
        return SetStart(await self._interview.view(session_id, 0))

    async def paused_days(self, user_id: int) -> frozenset[dt.date]:
        """Every paused local day of the user."""
        out: set[dt.date] = set()
        for first, last in await self._store.pauses(user_id):
            day = first
            while day <= last:
                out.add(day)
                day += _DAY
        return frozenset(out)

    async def _paused_until(self, user_id: int, today: dt.date) -> dt.date | None:
        for first, last in await self._store.pauses(user_id):
            if first <= today <= last:
                return last
        return None

    def _ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def _state(self, row: GoalRow) -> _State:
        now = self._clock.now()
        zone = await self.zone(row.user_id)
        cutoff = schedule.due_instant(row.target_date, dt.time(0), zone)
        disabled = await self._interview.disabled_ids()
        level_ids: dict[str, list[str]] = {}
        for q in self._bank.of_level(Level(row.level)):
            if q.id not in disabled:
                level_ids.setdefault(q.topic, []).append(q.id)
        wanted = {q for ids in level_ids.values() for q in ids}
        cards = {q: Card.from_json(raw) for q, raw in (await self._progress.cards(row.user_id)).items() if q in wanted}
        # Tens of ms of FSRS arithmetic for a full level: off the event loop.
        look = await asyncio.to_thread(goal.outlook, cards, level_ids, now, cutoff, True)
        today = now.astimezone(zone).date()
        start = schedule.due_instant(today, dt.time(0), zone)
        due = goal.due_today(cards, cutoff, start, schedule.due_instant(today + _DAY, dt.time(0), zone))
        return _State(row, zone, cutoff, cards, look, due)

    async def _view(self, state: _State) -> GoalView:
        row, look = state._row, state.look
        now = self._clock.now()
        today = now.astimezone(state.zone).date()
        paused = await self.paused_days(row.user_id)
        days = goal.study_days(today, row.target_date, paused)
        last = await self._store.last_answer_ms(row.user_id)
        active = last is not None and now - dt.datetime.fromtimestamp(last / 1000, dt.UTC) <= goal.ACTIVE_DAYS * _DAY
        pace_look = look
        if not active:
            pace_look = await asyncio.to_thread(goal.outlook, state.cards, look.level_ids, now, state.cutoff, False)
        first_seen = [dt.datetime.fromtimestamp(ms / 1000, dt.UTC) for ms in await self._first_seen(row)]
        pace = goal.pace(first_seen, now)
        found = goal.plan(look, days)
        midnight = schedule.due_instant(today, dt.time(0), state.zone)
        reviewed, learned = await self._store.today_counts(row.user_id, row.level, int(midnight.timestamp() * 1000))
        target = goal.daily_target(found.new_per_day, len(state.due) + reviewed)
        if today in paused or not days:
            target = 0
        return GoalView(
            goal_id=row.goal_id,
            date=row.target_date,
            level=Level(row.level),
            today=today,
            days_left=(row.target_date - today).days,
            forecast_now=goal.overall(look, "now"),
            forecast_at_date=goal.projected(pace_look, pace, days),
            topics_now=goal.topic_forecast(look, "now"),
            topics_at_date=goal.topic_forecast(pace_look, "date"),
            target_today=target,
            done_today=reviewed + learned,
            new_per_day=found.new_per_day,
            reachable=found.reachable,
            behind=goal.behind_by(pace_look, pace, days),
            top=[TopicMove(t, g) for t, g in goal.top_topics(look)],
            paused_until=await self._paused_until(row.user_id, today),
            study_days=len(days),
            streak=await self.streaks(row.user_id),
            passed=row.target_date < today,
        )

    async def _first_seen(self, row: GoalRow) -> list[int]:
        return await self._store.first_seen(row.user_id, row.level)
