"""Grading: MCQ taps against the shuffled order, typed answers against key points."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.domain.answer_text import Phrase, tokenize
from bot.domain.bank import KeyPoint, McqQuestion


class SelfGrade(enum.StrEnum):
    """How the user judges their own open answer."""

    NAILED = "nailed"
    PARTLY = "partly"
    MISSED = "missed"


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
