"""Answer-length cues: how often the right option is strictly the longest or the shortest."""

from __future__ import annotations

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
    longest: int
    shortest: int

    @property
    def longest_share(self) -> float:
        """Share of MCQs whose right option is strictly the longest."""
        return self.longest / self.total if self.total else 0.0

    @property
    def shortest_share(self) -> float:
        """Share of MCQs whose right option is strictly the shortest."""
        return self.shortest / self.total if self.total else 0.0

    def problems(self, bound: float = CUE_BOUND) -> list[str]:
        """One message per share above the bound."""
        found = []
        for name, count, share in (
            ("longest", self.longest, self.longest_share),
            ("shortest", self.shortest, self.shortest_share),
        ):
            if share > bound:
                found.append(
                    f"right option strictly the {name} in {count} of {self.total} MCQs ({share:.1%}), above {bound:.0%}"
                )
        return found


def _shares(label: str, qs: list[McqQuestion]) -> CueShares:
    return CueShares(
        label, len(qs), sum(1 for q in qs if right_is_longest(q)), sum(1 for q in qs if right_is_shortest(q))
    )


def cue_shares(questions: Iterable[object]) -> list[CueShares]:
    """Shares per level (in level order, levels without MCQs left out), then over all MCQs."""
    mcqs = [q for q in questions if isinstance(q, McqQuestion)]
    per_level = [_shares(lv.value, [q for q in mcqs if q.level == lv]) for lv in Level]
    return [s for s in per_level if s.total] + [_shares("all", mcqs)]
