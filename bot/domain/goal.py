"""Ready by a date: the readiness forecast, the daily plan, capped review intervals and the daily set.

The forecast for a question is the FSRS probability of recalling it at the start of the goal date:
- a question with a card counts its retrievability then, after the reviews it would get before the date if you
  keep reviewing on time (the first of them rated by its expected recall now, later ones recalled);
- a question you would learn before the date at your pace counts what a fresh card learned that many days
  before the date would have;
- a question never seen counts 0.
A topic's forecast is the mean over its questions; the overall forecast is the mean over the level's questions,
measured against READY_BAR. The plan is the fewest new questions a day (plus the reviews due) that bring the
forecast to the bar, at most DAILY_MAX questions a day.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
import random
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fsrs import Card, Rating

from bot.domain.review import SCHEDULER

READY_BAR = 0.8
MIN_DAYS = 1
MAX_DAYS = 180
DAILY_MIN = 1
DAILY_MAX = 10
PAUSE_MIN, PAUSE_MAX = 1, 14
# Cards whose natural interval would reach past the date are spread over this many days before it,
# so capping never piles them all onto the last day.
CAP_WINDOW_DAYS = 7
# New questions per day over this many days make your pace; any answer in the last ACTIVE_DAYS means you review.
PACE_DAYS = 14
ACTIVE_DAYS = 7
_DAY = dt.timedelta(days=1)
_MAX_SIMULATED_REVIEWS = 40


class GoalOutcome(enum.StrEnum):
    """How the interview went, as the user answered after the date."""

    PASSED = "passed"
    NOT_YET = "not_yet"
    SKIPPED = "skipped"


def date_problem(date: dt.date, today: dt.date) -> str | None:
    """Why a goal date cannot be used ('past', 'far'), or None if it is 1 to MAX_DAYS days ahead."""
    ahead = (date - today).days
    if ahead < MIN_DAYS:
        return "past"
    if ahead > MAX_DAYS:
        return "far"
    return None


def retrievability(card: Card, at: dt.datetime) -> float:
    """FSRS probability of recall at `at` (0 for a card never reviewed)."""
    if card.last_review is None:
        return 0.0
    return float(SCHEDULER.get_card_retrievability(card, at))


def capped_due(natural: dt.datetime, last_review: dt.datetime | None, qid: str, cutoff: dt.datetime) -> dt.datetime:
    """When a card is due under a goal whose date starts at `cutoff`: never after the date, never all on one day.

    A card due before the last day keeps its due time. One due later is moved into the CAP_WINDOW_DAYS days
    before the date (not earlier than a day after its last review), onto a day chosen by its id, so capped
    cards spread over the window; a card reviewed within the last two days is due at the date itself.
    """
    last_day = cutoff - _DAY
    if natural <= last_day:
        return natural
    earliest = cutoff - CAP_WINDOW_DAYS * _DAY
    if last_review is not None:
        earliest = max(earliest, last_review + _DAY)
    if earliest > last_day:
        return min(natural, cutoff)
    slots = int((last_day - earliest) / _DAY) + 1
    return earliest + (zlib.crc32(qid.encode()) % slots) * _DAY


def _review(card: Card, rating: Rating, at: dt.datetime) -> Card:
    reviewed, _ = SCHEDULER.review_card(card, rating, review_datetime=at)
    return reviewed


def _kept_up(card: Card, qid: str, now: dt.datetime, cutoff: dt.datetime) -> float:
    """Recall at `cutoff` of a card reviewed on time (capped) until then, recalled on every review."""
    if card.last_review is None:
        return 0.0
    reviews = 0
    while reviews < _MAX_SIMULATED_REVIEWS:
        due = max(now, capped_due(card.due, card.last_review, qid, cutoff))
        if due >= cutoff:
            break
        card = _review(card, Rating.Good, due)
        reviews += 1
    return retrievability(card, cutoff)


def kept_up(card: Card, qid: str, now: dt.datetime, cutoff: dt.datetime) -> float:
    """Expected recall at `cutoff` if the card is reviewed on time: its next review fails with its odds then."""
    if card.last_review is None:
        return 0.0
    due = max(now, capped_due(card.due, card.last_review, qid, cutoff))
    if due >= cutoff:
        return retrievability(card, cutoff)
    odds = retrievability(card, due)
    recalled = _kept_up(_review(card, Rating.Good, due), qid, due, cutoff)
    forgotten = _kept_up(_review(card, Rating.Again, due), qid, due, cutoff)
    return odds * recalled + (1 - odds) * forgotten


@functools.cache
def fresh(days_before: int) -> float:
    """Recall at the date of a question first learned (answered right) `days_before` whole days before it."""
    if days_before <= 0:
        return 0.0
    cutoff = dt.datetime(2000, 1, 1, tzinfo=dt.UTC) + days_before * _DAY
    start = cutoff - days_before * _DAY
    card = _review(Card(card_id=1), Rating.Good, start)
    # The first learning step is minutes away: it is taken the next day, with the day's other reviews.
    return _kept_up(card, "", start + min(days_before, 1) * _DAY, cutoff)


@dataclass(frozen=True)
class Outlook:
    """What each question of the level is worth at the date without learning anything new (unseen: 0)."""

    level_ids: Mapping[str, Sequence[str]]  # topic -> question ids
    now: Mapping[str, float]  # question id -> recall now (seen questions only)
    at_date: Mapping[str, float]  # question id -> expected recall at the date (seen questions only)
    days_left: int

    @property
    def size(self) -> int:
        """Questions in the level."""
        return sum(len(ids) for ids in self.level_ids.values())

    def unseen(self) -> int:
        """Questions of the level never reviewed."""
        return sum(1 for ids in self.level_ids.values() for q in ids if q not in self.at_date)


def outlook(
    cards: Mapping[str, Card],
    level_ids: Mapping[str, Sequence[str]],
    now: dt.datetime,
    cutoff: dt.datetime,
    reviewing: bool,
) -> Outlook:
    """Recall now and at `cutoff` of each seen question of the level (kept up by reviews if `reviewing`)."""
    wanted = {q for ids in level_ids.values() for q in ids}
    seen = {q: c for q, c in cards.items() if q in wanted and c.last_review is not None}
    at_now = {q: retrievability(c, now) for q, c in seen.items()}
    if reviewing:
        at_date = {q: kept_up(c, q, now, cutoff) for q, c in seen.items()}
    else:
        at_date = {q: retrievability(c, cutoff) for q, c in seen.items()}
    days_left = max(0, math.ceil((cutoff - now) / _DAY))
    return Outlook(level_ids, at_now, at_date, days_left)


def learned_per_day(per_day: float, study_days: Sequence[int], unseen: int) -> list[tuple[int, int]]:
    """(day offset, new questions learned that day) at `per_day` on the study days, until none is left unseen."""
    out = []
    total = 0
    for i, day in enumerate(study_days):
        step = math.floor((i + 1) * per_day + 1e-9) - math.floor(i * per_day + 1e-9)
        step = min(step, unseen - total)
        if step > 0:
            out.append((day, step))
            total += step
    return out


def projected(look: Outlook, per_day: float, study_days: Sequence[int]) -> float:
    """Overall forecast at the date if you learn `per_day` new questions on each study day (offsets from today)."""
    if look.size == 0:
        return 0.0
    total = sum(look.at_date.values())
    for day, count in learned_per_day(per_day, study_days, look.unseen()):
        total += count * fresh(look.days_left - day)
    return min(1.0, total / look.size)


def topic_forecast(look: Outlook, when: str = "date") -> dict[str, float]:
    """Per topic: expected share right now (`when='now'`) or at the date without new learning."""
    values = look.now if when == "now" else look.at_date
    return {t: (sum(values.get(q, 0.0) for q in ids) / len(ids) if ids else 0.0) for t, ids in look.level_ids.items()}


def overall(look: Outlook, when: str = "date") -> float:
    """Expected share right over the whole level, now or at the date without new learning."""
    if look.size == 0:
        return 0.0
    values = look.now if when == "now" else look.at_date
    return sum(values.values()) / look.size


@dataclass(frozen=True)
class Plan:
    """How many new questions a day reach the bar, and whether DAILY_MAX a day is enough."""

    new_per_day: int
    reachable: bool
    forecast: float  # overall at the date when following the plan


def plan(look: Outlook, study_days: Sequence[int], bar: float = READY_BAR) -> Plan:
    """The fewest new questions a day (0 to DAILY_MAX) whose projected forecast reaches `bar`."""
    best = projected(look, DAILY_MAX, study_days)
    if best < bar:
        return Plan(DAILY_MAX if look.unseen() else 0, False, best)
    low, high = 0, DAILY_MAX
    while low < high:
        mid = (low + high) // 2
        if projected(look, mid, study_days) >= bar:
            high = mid
        else:
            low = mid + 1
    return Plan(low, True, projected(look, low, study_days))


def daily_target(new_per_day: int, due_today: int) -> int:
    """Today's questions: the plan's new ones and the reviews due, within DAILY_MIN..DAILY_MAX."""
    return max(DAILY_MIN, min(DAILY_MAX, new_per_day + due_today))


def behind_by(look: Outlook, pace: float, study_days: Sequence[int], bar: float = READY_BAR) -> int | None:
    """New questions to learn today on top of your pace to reach the bar: 0 if on track, None if out of reach."""
    if look.size == 0:
        return None
    at_pace = projected(look, pace, study_days) * look.size
    need = bar * look.size - at_pace
    if need <= 1e-9:
        return 0
    learned_at_pace = sum(n for _, n in learned_per_day(pace, study_days, look.unseen()))
    spare = look.unseen() - learned_at_pace
    value = fresh(look.days_left)
    if value <= 0 or spare <= 0:
        return None
    extra = math.ceil(need / value - 1e-9)
    return extra if extra <= spare else None


def topic_gains(look: Outlook) -> dict[str, float]:
    """Per topic, how much the overall forecast would rise if all its questions were learned today."""
    if look.size == 0:
        return {}
    value = fresh(look.days_left)
    return {
        t: sum(max(0.0, value - look.at_date.get(q, 0.0)) for q in ids) / look.size for t, ids in look.level_ids.items()
    }


def top_topics(look: Outlook, n: int = 3) -> list[tuple[str, float]]:
    """The n topics whose learning would move the forecast most, with the rise each would bring."""
    gains = sorted(((g, t) for t, g in topic_gains(look).items() if g > 0), key=lambda x: (-x[0], x[1]))
    return [(t, g) for g, t in gains[:n]]


def choose_set(size: int, due: Sequence[str], look: Outlook, exclude: frozenset[str], rng: random.Random) -> list[str]:
    """Today's set, most valuable first: the reviews due, then questions of the topics that move the forecast most.

    Within a topic the least known question comes first (never-seen ones at random); topics take turns, so the
    set covers the heaviest gaps instead of one topic.
    """
    chosen = [q for q in due if q not in exclude][:size]
    taken = set(chosen)
    queues: list[list[str]] = []
    for topic, _ in top_topics(look, n=len(look.level_ids)):
        ids = [q for q in look.level_ids[topic] if q not in taken and q not in exclude]
        ranked = sorted(ids, key=lambda q: (look.at_date.get(q, 0.0), rng.random()))
        if ranked:
            queues.append(ranked)
    while len(chosen) < size and queues:
        for queue in list(queues):
            if len(chosen) >= size:
                break
            chosen.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
    return chosen


def due_today(cards: Mapping[str, Card], cutoff: dt.datetime, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Cards due (capped) before `end`, most overdue first; one reviewed since `start` waits for another day."""
    due = []
    for qid, card in cards.items():
        if card.last_review is None or card.last_review >= start:
            continue
        when = capped_due(card.due, card.last_review, qid, cutoff)
        if when < end:
            due.append((when, qid))
    return [qid for _, qid in sorted(due)]


def study_days(today: dt.date, date: dt.date, paused: frozenset[dt.date]) -> list[int]:
    """Offsets from today of the days before the date that are not paused."""
    return [i for i in range((date - today).days) if today + i * _DAY not in paused]


def pace(first_seen: Sequence[dt.datetime], now: dt.datetime) -> float:
    """New questions a day over the last PACE_DAYS days."""
    since = now - PACE_DAYS * _DAY
    return sum(1 for t in first_seen if t > since) / PACE_DAYS
