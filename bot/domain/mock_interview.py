"""The rules of the adaptive mock interview: which question comes next, time budgets, scores, the report."""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.bank import Bank, Level, McqQuestion, OpenQuestion
from bot.domain.estimate import LEVELS, Estimate, Evidence, difficulty, estimate, level_index, nearest_level
from bot.domain.grading import PASS_SCORE, answer_score

INTERVIEW_QUESTIONS = 10
# Open questions go to these positions (0-based) when the level has one left: three of ten, spread out.
OPEN_POSITIONS = frozenset({2, 5, 8})
RECENT = dt.timedelta(days=30)
MIN_TOPICS = 6
# "Not sure" starts in the middle of the scale, between intermediate and experienced, at intermediate.
UNSURE_START = Level.INTERMEDIATE
WEAK_TOPICS_SHOWN = 3


class StartPick(enum.StrEnum):
    """The level a candidate starts at, or "not sure"."""

    FRESHER = "fresher"
    INTERMEDIATE = "intermediate"
    EXPERIENCED = "experienced"
    ADVANCED = "advanced"
    UNSURE = "unsure"

    @property
    def level(self) -> Level:
        """The starting level ("not sure" starts at intermediate)."""
        return UNSURE_START if self is StartPick.UNSURE else Level(self.value)


@dataclass(frozen=True)
class Budgets:
    """Seconds allowed per question kind."""

    mcq: int
    open: int

    def of(self, kind: str) -> int:
        """The budget for one kind of question."""
        return self.open if kind == "open" else self.mcq


def deadline(asked_at: dt.datetime, kind: str, budgets: Budgets) -> dt.datetime:
    """When a question asked at `asked_at` runs out of time."""
    return asked_at + dt.timedelta(seconds=budgets.of(kind))


def is_over_time(answered_at: dt.datetime, due: dt.datetime) -> bool:
    """True when an answer came after its question's deadline."""
    return answered_at > due


def choose_next(
    bank: Bank,
    level: Level,
    position: int,
    asked: Sequence[str],
    recent: Collection[str],
    rng: random.Random,
    exclude: Collection[str] = (),
) -> McqQuestion | OpenQuestion | None:
    """The next question: at `level` (else the nearest level that has one), a topic not asked yet,
    not seen in the last 30 days while another is left, open at the open positions."""
    used = set(asked)
    topics = Counter(q.topic for qid in asked if (q := bank.get(qid)) is not None)
    want_open = position in OPEN_POSITIONS
    by_distance = sorted(LEVELS, key=lambda lv: (abs(level_index(lv) - level_index(level)), level_index(lv)))
    for lv in by_distance:
        pool = [q for q in bank.of_level(lv) if q.id not in used and q.id not in exclude]
        if not pool:
            continue
        # Fresh before recent, new topics before repeated ones, then the wanted kind; random among equals.
        return min(
            pool,
            key=lambda q: (q.id in recent, topics[q.topic], (q.kind == "open") != want_open, rng.random()),
        )
    return None


@dataclass(frozen=True)
class InterviewAnswer:
    """One closed interview question as the debrief and the report read it."""

    position: int
    question_id: str
    topic: str
    kind: str
    order: tuple[int, ...]
    chosen: int | None
    correct: bool | None
    answer_text: str | None
    self_grade: str | None
    time_taken_ms: int
    timed_out: bool
    over_time: bool


@dataclass(frozen=True)
class Scored:
    """One answered (or timed-out) interview question, as the estimate and the report see it."""

    qid: str
    level: Level
    topic: str
    kind: str
    score: float
    seconds: float
    timed_out: bool = False
    over_time: bool = False
    graded: bool = True


def interview_score(
    kind: str, correct: bool | None, grade: str | None, covered: Sequence[bool], timed_out: bool
) -> tuple[float, bool]:
    """The score of an answer and whether it is final: the grading table's, or, for a typed answer not
    self-graded yet, the share of key points it covers."""
    score = answer_score(kind, correct, grade, timed_out)
    if score is not None:
        return score, True
    return (sum(covered) / len(covered) if covered else 0.0), False


def rate(start: Level, answers: Sequence[Scored], observed: Mapping[str, float]) -> Estimate:
    """The estimate after these answers, starting from the level the candidate picked."""
    evidence = [Evidence(difficulty(a.level, a.qid, observed), a.score) for a in answers]
    return estimate(float(level_index(start)), evidence)


def next_level(start: Level, answers: Sequence[Scored], observed: Mapping[str, float]) -> Level:
    """The level of the next question: the current estimate, rounded."""
    return nearest_level(rate(start, answers, observed).ability)


@dataclass(frozen=True)
class LevelEvidence:
    """Questions asked at one level and how many were answered well (a score of PASS_SCORE or more)."""

    level: Level
    asked: int
    right: int


@dataclass(frozen=True)
class TopicResult:
    """Mean score of one topic in the interview."""

    topic: str
    score: float
    asked: int


@dataclass(frozen=True)
class InterviewReport:
    """Everything the final report shows."""

    estimate: Estimate
    evidence: tuple[LevelEvidence, ...]
    strongest: tuple[TopicResult, ...]
    weakest: tuple[TopicResult, ...]
    total_seconds: int
    timed_out: int
    over_time: int
    ungraded: int
    previous: Estimate | None


def build_report(
    start: Level,
    answers: Sequence[Scored],
    observed: Mapping[str, float],
    total_seconds: int,
    previous: Estimate | None,
) -> InterviewReport:
    """The report of a finished interview."""
    evidence = tuple(
        LevelEvidence(
            lv,
            sum(1 for a in answers if a.level == lv),
            sum(1 for a in answers if a.level == lv and a.score >= PASS_SCORE),
        )
        for lv in LEVELS
        if any(a.level == lv for a in answers)
    )
    per_topic: dict[str, list[float]] = {}
    for a in answers:
        per_topic.setdefault(a.topic, []).append(a.score)
    topics = [TopicResult(t, sum(s) / len(s), len(s)) for t, s in per_topic.items()]
    strongest = tuple(
        sorted((t for t in topics if t.score >= 0.75), key=lambda t: (-t.score, t.topic))[:WEAK_TOPICS_SHOWN]
    )
    weakest = tuple(sorted((t for t in topics if t.score < 0.5), key=lambda t: (t.score, t.topic))[:WEAK_TOPICS_SHOWN])
    return InterviewReport(
        estimate=rate(start, answers, observed),
        evidence=evidence,
        strongest=strongest,
        weakest=weakest,
        total_seconds=total_seconds,
        timed_out=sum(1 for a in answers if a.timed_out),
        over_time=sum(1 for a in answers if a.over_time),
        ungraded=sum(1 for a in answers if not a.graded),
        previous=previous,
    )
