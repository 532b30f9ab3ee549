"""The level estimate of a mock interview: a one-parameter IRT (Rasch) rating with a prior, in plain Python.

Ability and question difficulty share one scale on which the levels sit at 0 (fresher), 1 (intermediate),
2 (experienced) and 3 (advanced). A question's difficulty is its level, or its observed difficulty once
enough people answered it (see calibration). The chance of a strong answer is
`1 / (1 + exp(-SLOPE * (ability - difficulty)))`; the estimate is the ability that maximises the
likelihood of the scores seen (1 right, 0 wrong, partial credit between) times a normal prior around the
level the candidate started at. Its standard error gives the confidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.bank import Level

LEVELS: tuple[Level, ...] = tuple(Level)
SLOPE = 1.7
PRIOR_SD = 1.0
GRID_LOW, GRID_HIGH, GRID_STEP = -1.5, 4.5, 0.01
# Below this standard error (in levels) the estimate is called confident.
CONFIDENT_SE, FAIR_SE = 0.45, 0.7


def level_index(level: Level) -> int:
    """0 for fresher up to 3 for advanced."""
    return LEVELS.index(level)


def nearest_level(ability: float) -> Level:
    """The level closest to an ability, clamped to the four levels."""
    return LEVELS[min(len(LEVELS) - 1, max(0, math.floor(ability + 0.5)))]


@dataclass(frozen=True)
class Evidence:
    """One scored answer: the question's difficulty and a score from 0 (wrong) to 1 (right)."""

    difficulty: float
    score: float


@dataclass(frozen=True)
class Estimate:
    """The ability estimate, its standard error and the level it rounds to."""

    ability: float
    se: float

    @property
    def level(self) -> Level:
        """The estimated level."""
        return nearest_level(self.ability)

    @property
    def confidence(self) -> str:
        """`high`, `medium` or `low`, from the standard error."""
        if self.se < CONFIDENT_SE:
            return "high"
        return "medium" if self.se < FAIR_SE else "low"


def _chance(ability: float, difficulty: float) -> float:
    return 1.0 / (1.0 + math.exp(-SLOPE * (ability - difficulty)))


def _log_posterior(ability: float, prior: float, evidence: Sequence[Evidence]) -> float:
    total = -0.5 * ((ability - prior) / PRIOR_SD) ** 2
    for e in evidence:
        p = min(max(_chance(ability, e.difficulty), 1e-9), 1 - 1e-9)
        total += e.score * math.log(p) + (1 - e.score) * math.log(1 - p)
    return total


def estimate(prior: float, evidence: Sequence[Evidence]) -> Estimate:
    """The maximum a posteriori ability given the answers, and its standard error."""
    steps = round((GRID_HIGH - GRID_LOW) / GRID_STEP)
    best = max((GRID_LOW + i * GRID_STEP for i in range(steps + 1)), key=lambda a: _log_posterior(a, prior, evidence))
    information = 1 / PRIOR_SD**2 + sum(
        SLOPE**2 * _chance(best, e.difficulty) * (1 - _chance(best, e.difficulty)) for e in evidence
    )
    return Estimate(best, 1 / math.sqrt(information))


def difficulty(level: Level, qid: str, observed: Mapping[str, float]) -> float:
    """A question's difficulty: observed where calibration has it, else its level."""
    return observed.get(qid, float(level_index(level)))


def next_level(prior: float, evidence: Sequence[Evidence]) -> Level:
    """The level to ask next: the one nearest the current estimate."""
    return estimate(prior, evidence).level
