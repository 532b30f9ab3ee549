"""Grading: MCQ taps against the shuffled order, typed answers against key points, and the one grading table.

The table (`GRADE_SCORES`, the MCQ and timeout scores, `FULL_SCORE`) is the only place an answer's score is
decided: quiz summaries, /stats, the review's mistakes, the interview estimate and calibration's tallies all
ask `answer_score`, and the storage layer reads the table through parameters, never repeating it in SQL.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.answer_text import Phrase, tokenize
from bot.domain.bank import KeyPoint, McqQuestion


class SelfGrade(enum.StrEnum):
    """How the user judges their own open answer."""

    NAILED = "nailed"
    PARTLY = "partly"
    MISSED = "missed"


GRADE_SCORES: Mapping[SelfGrade, float] = {SelfGrade.NAILED: 1.0, SelfGrade.PARTLY: 0.5, SelfGrade.MISSED: 0.0}
RIGHT_SCORE = 1.0  # a right MCQ
WRONG_SCORE = 0.0  # a wrong MCQ, and any question that ran out of time
FULL_SCORE = 1.0  # an answer with this score is right; below it, a mistake worth reviewing
PASS_SCORE = 0.5  # an interview answer with at least this counts as answered well in the level evidence


def answer_score(kind: str, correct: bool | None, grade: str | None, timed_out: bool = False) -> float | None:
    """The score of an answer by the grading table; None for a typed answer not self-graded yet."""
    if timed_out:
        return WRONG_SCORE
    if kind == "mcq":
        return RIGHT_SCORE if correct else WRONG_SCORE
    if grade is None:
        return None
    return GRADE_SCORES[SelfGrade(grade)]


def is_right(score: float | None) -> bool | None:
    """Right (True), wrong (False) or not graded yet (None)."""
    return None if score is None else score >= FULL_SCORE


def is_mistake(score: float | None) -> bool:
    """A graded answer below full marks: one to review."""
    return score is not None and score < FULL_SCORE


def right_grades() -> tuple[str, ...]:
    """The self-grades that make a typed answer right (for storage to pass as parameters)."""
    return tuple(g.value for g, score in GRADE_SCORES.items() if score >= FULL_SCORE)


@dataclass(frozen=True)
class McqVerdict:
    """The outcome of one tap."""

    chosen: int
    correct: bool


def grade_mcq(question: McqQuestion, order: tuple[int, ...], shown_index: int) -> McqVerdict:
    """Map the tapped button (position in the shuffled order) to a bank option and grade it."""
    if not 0 <= shown_index < len(order):
        raise ValueError(f"option {shown_index} out of range")
    chosen = order[shown_index]
    return McqVerdict(chosen=chosen, correct=question.options[chosen].correct)


def covered_points(points: list[KeyPoint], answer: str) -> list[bool]:
    """For each key point, whether one of its keywords starts a word run of the answer.

    Kept for the callers the grader seam (bot.domain.grader) has not replaced yet; it shares the graders'
    tokenisation, so "functools.wraps" and "@app.errorhandler(404)" match their parts.
    """
    tokens = tokenize(answer)
    # A keyword matches at a word start, so "endpoint" also finds "endpoints".
    return [any(Phrase.of(w).find(tokens) for w in kp.keywords) for kp in points]
