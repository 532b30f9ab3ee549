"""Observed difficulty of a question from stored answers, and the questions editors should look at.

A question with at least MIN_ANSWERS answers gets an observed difficulty on the estimate's scale: the
mean level of the sessions it was answered in, shifted by how often it was answered well
(`mean level - logit(share right) / SLOPE`). A question everyone at its level gets right plays easier than
its level; one they mostly miss plays harder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.bank import Bank, Level
from bot.domain.estimate import SLOPE, level_index, nearest_level

MIN_ANSWERS = 30
# Shares are clipped so one perfect record does not send a difficulty to infinity.
SHARE_CLIP = 0.03
EASY_SHARE, HARD_SHARE = 0.95, 0.05
DISAGREES_BY = 1.0


@dataclass(frozen=True)
class AnswerTally:
    """Answers to one question given in sessions of one level."""

    question_id: str
    session_level: Level
    answers: int
    score: float
    seconds: float


@dataclass(frozen=True)
class Observed:
    """What the stored answers say about one question."""

    question_id: str
    level: Level
    answers: int
    share_right: float
    mean_seconds: float
    difficulty: float

    @property
    def plays_like(self) -> Level:
        """The level the question behaves like."""
        return nearest_level(self.difficulty)

    @property
    def disagrees(self) -> bool:
        """True when the observed difficulty is a level or more away from the question's level."""
        return abs(self.difficulty - level_index(self.level)) >= DISAGREES_BY

    @property
    def too_easy(self) -> bool:
        """Nearly everyone gets it right."""
        return self.share_right >= EASY_SHARE

    @property
    def too_hard(self) -> bool:
        """Nearly everyone gets it wrong."""
        return self.share_right <= HARD_SHARE


def observe(bank: Bank, tallies: Iterable[AnswerTally]) -> dict[str, Observed]:
    """Observed difficulty of every bank question with at least MIN_ANSWERS answers."""
    grouped: dict[str, list[AnswerTally]] = {}
    for t in tallies:
        grouped.setdefault(t.question_id, []).append(t)
    found: dict[str, Observed] = {}
    for qid, rows in grouped.items():
        question = bank.get(qid)
        n = sum(r.answers for r in rows)
        if question is None or n < MIN_ANSWERS:
            continue
        share = sum(r.score for r in rows) / n
        mean_level = sum(level_index(r.session_level) * r.answers for r in rows) / n
        clipped = min(max(share, SHARE_CLIP), 1 - SHARE_CLIP)
        found[qid] = Observed(
            qid,
            question.level,
            n,
            share,
            sum(r.seconds for r in rows) / n,
            mean_level - math.log(clipped / (1 - clipped)) / SLOPE,
        )
    return found


def difficulties(observed: Mapping[str, Observed]) -> dict[str, float]:
    """Question id to observed difficulty, for the estimate."""
    return {qid: o.difficulty for qid, o in observed.items()}


def flagged(observed: Mapping[str, Observed]) -> list[Observed]:
    """Questions whose difficulty disagrees with their level, or that nearly everyone gets right or wrong."""
    return sorted(
        (o for o in observed.values() if o.disagrees or o.too_easy or o.too_hard),
        key=lambda o: (-abs(o.difficulty - level_index(o.level)), o.question_id),
    )
