"""Answer-length cues: how often the right option is strictly the longest or the shortest."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.bank import Level, McqQuestion
from bot.domain.markup import to_label

__all__ = ["CUE_BOUND", "CueShares", "cue_shares", "option_length", "right_is_longest", "right_is_shortest"]

# Above this share a learner who always taps the longest (or shortest) option beats chance by too much.
CUE_BOUND = 0.30


def option_length(text: str) -> int:
    """Characters of an option as the user sees it: inline-code backticks are markup, not text."""
    return len(to_label(text))


def _right_and_others(q: McqQuestion) -> tuple[int, list[int]]:
    lengths = [option_length(o.text) for o in q.options]
    right = q.correct_index
    return lengths[right], lengths[:right] + lengths[right + 1 :]


def right_is_longest(q: McqQuestion) -> bool:
    """True when the right option is longer than every other option (ties do not count)."""
    right, others = _right_and_others(q)
    return right > max(others)


def right_is_shortest(q: McqQuestion) -> bool:
    """True when the right option is shorter than every other option (ties do not count)."""
    right, others = _right_and_others(q)
    return right < min(others)


@dataclass(frozen=True)
class CueShares:
    """Counts of MCQs whose right option is strictly longest or shortest, in one group."""

    label: str
    total: int
    longest_ids: tuple[str, ...]
    shortest_ids: tuple[str, ...]

    @property
    def longest(self) -> int:
        """How many MCQs have the right option strictly the longest."""
        return len(self.longest_ids)

    @property
    def shortest(self) -> int:
        """How many MCQs have the right option strictly the shortest."""
        return len(self.shortest_ids)

    @property
    def longest_share(self) -> float:
        """Share of MCQs whose right option is strictly the longest."""
        return self.longest / self.total if self.total else 0.0

    @property
    def shortest_share(self) -> float:
        """Share of MCQs whose right option is strictly the shortest."""
        return self.shortest / self.total if self.total else 0.0

    def problems(self, bound: float = CUE_BOUND) -> list[str]:
        """One message per share above the bound, naming the MCQs to choose from when fixing it."""
        found = []
        for name, ids in (("longest", self.longest_ids), ("shortest", self.shortest_ids)):
            share = len(ids) / self.total if self.total else 0.0
            if share > bound:
                # The fewest questions to rework so that the share is back within the bound.
                excess = len(ids) - math.floor(bound * self.total + 1e-9)
                found.append(
                    f"right option strictly the {name} in {len(ids)} of {self.total} MCQs ({share:.1%}), "
                    f"above {bound:.0%}; rework at least {excess} of: {', '.join(ids)}"
                )
        return found


def _shares(label: str, qs: list[McqQuestion]) -> CueShares:
    return CueShares(
        label,
        len(qs),
        tuple(q.id for q in qs if right_is_longest(q)),
        tuple(q.id for q in qs if right_is_shortest(q)),
    )


def cue_shares(questions: Iterable[object]) -> list[CueShares]:
    """Shares per level (in level order, levels without MCQs left out), then over all MCQs."""
    mcqs = [q for q in questions if isinstance(q, McqQuestion)]
    per_level = [_shares(lv.value, [q for q in mcqs if q.level == lv]) for lv in Level]
    return [s for s in per_level if s.total] + [_shares("all", mcqs)]
