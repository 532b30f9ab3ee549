"""The grader seam: what grading one open answer returns, and the protocol every grader implements."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.bank import OpenQuestion

__all__ = [
    "MAX_ANSWER_CHARS",
    "WRONG_PENALTY",
    "Grade",
    "Grader",
    "PointGrade",
    "Verdict",
    "clip_answer",
    "score_of",
]

# An answer is cut to this many characters before any grader reads it: it bounds an LLM call's cost.
MAX_ANSWER_CHARS = 2000
# A false statement stated with confidence costs a quarter of the answer: a strict interviewer docks for it.
WRONG_PENALTY = 0.25


class Verdict(enum.StrEnum):
    """How far an answer made one key point."""

    COVERED = "covered"
    PARTLY = "partly"
    MISSING = "missing"

    @property
    def credit(self) -> float:
        """The share of the point this verdict earns."""
        return {Verdict.COVERED: 1.0, Verdict.PARTLY: 0.5, Verdict.MISSING: 0.0}[self]


@dataclass(frozen=True)
class PointGrade:
    """The verdict on one key point, with the words of the answer that earned it (None when missing)."""

    point: str
    verdict: Verdict
    quote: str | None = None


@dataclass(frozen=True)
class Grade:
    """One graded answer: per key point, the false statements found, a 0..1 score, feedback, a follow-up."""

    grader: str  # "offline" or "llm": which grader produced it
    points: tuple[PointGrade, ...]
    wrong: tuple[str, ...]
    score: float
    feedback: str | None = None
    follow_up: str | None = None

    @property
    def covered(self) -> tuple[bool, ...]:
        """Per key point, whether it earned any credit (covered or partly)."""
        return tuple(p.verdict is not Verdict.MISSING for p in self.points)


class Grader(Protocol):
    """Grades a typed (or transcribed) answer to an open question."""

    async def grade(self, question: OpenQuestion, answer: str, user_id: int | None = None) -> Grade:
        """Grade answer against question's key points; user_id lets a paid grader apply per-user limits."""
        ...

    async def aclose(self) -> None:
        """Release what the grader holds (an HTTP client); called once at shutdown."""
        ...


def score_of(verdicts: Sequence[Verdict], wrong: int) -> float:
    """The score both graders and the benchmark's labels use: mean point credit less a penalty per false claim."""
    if not verdicts:
        return 0.0
    mean = sum(v.credit for v in verdicts) / len(verdicts)
    return round(min(1.0, max(0.0, mean - WRONG_PENALTY * wrong)), 4)


def clip_answer(answer: str) -> str:
    """The part of an answer any grader reads: at most MAX_ANSWER_CHARS characters, outer space stripped."""
    return answer.strip()[:MAX_ANSWER_CHARS]
