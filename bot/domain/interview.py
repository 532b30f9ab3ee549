"""The rules of an interview: which questions a session asks, in which order, and its score."""

from __future__ import annotations

import enum
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.bank import Bank, Level, McqQuestion, OpenQuestion
from bot.domain.grading import answer_score, is_right

QUIZ_LENGTH = 10
INTERVIEW_LENGTH = 8
INTERVIEW_OPEN_SHARE = 0.5


class Mode(enum.StrEnum):
    """What kind of session the user asked for."""

    QUIZ = "quiz"
    INTERVIEW = "interview"
    DAILY = "daily"


@dataclass(frozen=True)
class PlannedQuestion:
    """One question of a session with the order its options are shown in."""

    qid: str
    order: tuple[int, ...]


def least_recent(
    pool: Sequence[McqQuestion | OpenQuestion], n: int, rng: random.Random, last_seen: Mapping[str, float]
) -> list[McqQuestion | OpenQuestion]:
    """The n questions of a pool seen longest ago (unseen first), random within a tie."""
    ranked = sorted(pool, key=lambda q: (last_seen.get(q.id, float("-inf")), rng.random()))
    return ranked[:n]


def shuffled_order(question: McqQuestion | OpenQuestion, rng: random.Random) -> tuple[int, ...]:
    """A random display order for an MCQ's options (empty for open questions)."""
    if isinstance(question, OpenQuestion):
        return ()
    order = list(range(len(question.options)))
    rng.shuffle(order)
    return tuple(order)


def plan_session(
    bank: Bank,
    mode: Mode,
    level: Level,
    rng: random.Random,
    last_seen: Mapping[str, float] | None = None,
    topics: Sequence[str] | None = None,
    exclude: Collection[str] = (),
) -> list[PlannedQuestion]:
    """Choose the questions of a new session: no repeats, least recently seen first, none of `exclude`."""
    seen = last_seen or {}
    mcqs = [q for q in bank.of_level(level, "mcq") if (not topics or q.topic in topics) and q.id not in exclude]
    if mode is Mode.INTERVIEW:
        opens = [q for q in bank.of_level(level, "open") if (not topics or q.topic in topics) and q.id not in exclude]
        n_open = min(len(opens), round(INTERVIEW_LENGTH * INTERVIEW_OPEN_SHARE))
        chosen_open = least_recent(opens, n_open, rng, seen)
        chosen_mcq = least_recent(mcqs, INTERVIEW_LENGTH - n_open, rng, seen)
        # Interleave so the interview alternates between tapping and writing.
        chosen: list[McqQuestion | OpenQuestion] = []
        for i in range(max(len(chosen_open), len(chosen_mcq))):
            chosen.extend(chosen_mcq[i : i + 1])
            chosen.extend(chosen_open[i : i + 1])
    else:
        chosen = least_recent(mcqs, QUIZ_LENGTH, rng, seen)
        rng.shuffle(chosen)
    return [PlannedQuestion(q.id, shuffled_order(q, rng)) for q in chosen]


@dataclass(frozen=True)
class AnswerRecord:
    """What the user did with one question, as far as scoring is concerned."""

    qid: str
    topic: str
    kind: str
    correct: bool | None
    grade: str | None


@dataclass
class TopicScore:
    """Right answers out of asked, for one topic."""

    right: int = 0
    total: int = 0


@dataclass
class Summary:
    """The result of a finished (or stopped) session."""

    asked: int
    mcq_total: int = 0
    mcq_right: int = 0
    grades: Counter[str] = field(default_factory=Counter)
    by_topic: dict[str, TopicScore] = field(default_factory=dict)
    open_right: int = 0

    @property
    def right(self) -> int:
        """MCQs right plus open answers self-graded right (by the grading table)."""
        return self.mcq_right + self.open_right


def summarise(asked: int, answers: Sequence[AnswerRecord]) -> Summary:
    """Score a session by the grading table: MCQs by correctness, open questions by self-grade."""
    summary = Summary(asked=asked)
    for a in answers:
        ts = summary.by_topic.setdefault(a.topic, TopicScore())
        ts.total += 1
        right = is_right(answer_score(a.kind, a.correct, a.grade))
        if a.kind == "mcq":
            summary.mcq_total += 1
            summary.mcq_right += bool(right)
        elif a.grade is not None:
            summary.grades[a.grade] += 1
            summary.open_right += bool(right)
        ts.right += bool(right)
    return summary
