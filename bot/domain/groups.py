"""Rules of group play: command arguments, leaderboards, the quiz ranking and which question a group gets next."""

from __future__ import annotations

import datetime as dt
import enum
import random
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.bank import Level, McqQuestion

QUIZ_DEFAULT = 5
QUIZ_MAX = 10
TOP_SIZE = 10
MIXED = "mixed"


class QuizArgsError(enum.Enum):
    """Why /groupquiz arguments were refused."""

    BAD = "bad"


@dataclass(frozen=True)
class QuizArgs:
    """A parsed `/groupquiz [level] [n]`: level None means the group's setting."""

    level: Level | None
    mixed: bool
    count: int


def parse_level(text: str) -> Level | str | None:
    """A level name, `mixed` (returned as the string), or None if neither."""
    word = text.strip().lower()
    if word == MIXED:
        return MIXED
    return next((lv for lv in Level if lv.value == word), None)


def parse_quiz_args(args: Sequence[str]) -> QuizArgs | QuizArgsError:
    """`[level|mixed] [n]` in either order; n from 1 to QUIZ_MAX."""
    level: Level | None = None
    mixed = False
    count: int | None = None
    if len(args) > 2:
        return QuizArgsError.BAD
    for arg in args:
        if arg.isdigit() and count is None:
            count = int(arg)
            if not 1 <= count <= QUIZ_MAX:
                return QuizArgsError.BAD
            continue
        found = parse_level(arg)
        if found is None or level is not None or mixed:
            return QuizArgsError.BAD
        if found == MIXED:
            mixed = True
        else:
            assert isinstance(found, Level)
            level = found
    return QuizArgs(level, mixed, count or QUIZ_DEFAULT)


@dataclass(frozen=True)
class Score:
    """One member's points in a group: right answers, answers, total answer time."""

    user_id: int
    first_name: str
    points: int
    answered: int
    time_ms: int


def ranked(scores: Iterable[Score]) -> list[Score]:
    """Most points first; ties go to the faster total answer time, then to the earlier id."""
    return sorted(scores, key=lambda s: (-s.points, s.time_ms, s.user_id))


def rank_of(table: Sequence[Score], user_id: int) -> int | None:
    """The 1-based place of a member in a ranked table."""
    return next((i for i, s in enumerate(table, start=1) if s.user_id == user_id), None)


def week_start(now: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Monday 00:00 of the current week in the group's zone, as an aware UTC datetime."""
    local = now.astimezone(tz)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return dt.datetime.combine(monday, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True)
class PollResult:
    """How a poll went: voters, right answers, and who was first to answer right."""

    answered: int
    right: int
    first_right: str | None

    @property
    def percent_right(self) -> int:
        """Share of right answers in whole percent (0 with no answers)."""
        return round(100 * self.right / self.answered) if self.answered else 0


def choose_questions(
    pool: Sequence[McqQuestion], count: int, last_posted: Mapping[str, int], rng: random.Random
) -> list[McqQuestion]:
    """`count` questions for a group: never posted there first, then the ones posted longest ago; random in a tie."""
    order = sorted(pool, key=lambda q: (last_posted.get(q.id, -1), rng.random()))
    return order[:count]
