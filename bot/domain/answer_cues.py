"""Answer cues a test-wise candidate exploits: option length, and absolute or justifying wording."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.bank import Level, McqQuestion
from bot.domain.markup import to_label

__all__ = [
    "CUE_BOUND",
    "CueShares",
    "EliminationShares",
    "cue_shares",
    "eliminated",
    "elimination_score",
    "elimination_shares",
    "option_length",
    "right_is_longest",
    "right_is_shortest",
]

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


# The elimination cue: a test-wise candidate drops options worded in absolutes or carrying a justification.
ABSOLUTE_WORDS = (
    "always",
    "never",
    "only",
    "must",
    "every",
    "all",
    "none",
    "nothing",
    "cannot",
    "can't",
    "impossible",
    "silently",
    "automatically",
    "entirely",
    "completely",
    "any",
)
JUSTIFICATION_WORDS = ("since", "because")
# Bank-wide and per-level bounds on the expected score of that candidate (chance is about 25%).
ELIMINATION_BOUND_ALL = 0.28
ELIMINATION_BOUND_LEVEL = 0.30

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # (?<![\w']) and (?![\w']) make "can't" one word and keep "all" out of "install" or "all_".
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w'])", re.IGNORECASE)


_ABSOLUTE = _word_pattern(ABSOLUTE_WORDS)
_JUSTIFICATION = _word_pattern(JUSTIFICATION_WORDS)


def has_absolute(text: str) -> bool:
    """True when the option uses one of ABSOLUTE_WORDS as a whole word, in any case."""
    return _ABSOLUTE.search(text.translate(_APOSTROPHES)) is not None


def has_justification(text: str) -> bool:
    """True when the option justifies itself with "since" or "because"."""
    return _JUSTIFICATION.search(text) is not None


def eliminated(text: str) -> bool:
    """True when a test-wise candidate would drop this option unread."""
    return has_absolute(text) or has_justification(text)


def kept_options(q: McqQuestion) -> list[int]:
    """Indices the test-wise candidate guesses among: the uncued options, or all when every one is cued."""
    kept = [i for i, o in enumerate(q.options) if not eliminated(o.text)]
    return kept or list(range(len(q.options)))


def elimination_score(q: McqQuestion) -> float:
    """Expected score of guessing uniformly among the kept options."""
    kept = kept_options(q)
    return 1 / len(kept) if q.correct_index in kept else 0.0


@dataclass(frozen=True)
class EliminationShares:
    """The elimination strategy's expected score over one group of MCQs, and how the cue words fall."""

    label: str
    total: int
    expected: float
    absolute_right: float
    absolute_wrong: float
    justified_right: float
    justified_wrong: float
    # MCQs where every distractor is cued and the right option is not: the strategy scores 1 on them.
    giveaways: tuple[str, ...]

    @property
    def bound(self) -> float:
        """The largest expected score allowed for this group."""
        return ELIMINATION_BOUND_ALL if self.label == "all" else ELIMINATION_BOUND_LEVEL

    def problems(self) -> list[str]:
        """A message when the expected score is over the bound."""
        if self.expected <= self.bound:
            return []
        return [
            f"dropping options with absolute words or since/because scores {self.expected:.1%} over "
            f"{self.total} MCQs, above {self.bound:.0%}; giveaways: {', '.join(self.giveaways) or 'none'}"
        ]


def _share(hits: float, total: int) -> float:
    return hits / total if total else 0.0


def _elimination(label: str, qs: list[McqQuestion]) -> EliminationShares:
    rights = [q.options[q.correct_index].text for q in qs]
    wrongs = [o.text for q in qs for o in q.options if not o.correct]
    giveaways = tuple(q.id for q in qs if kept_options(q) == [q.correct_index] and len(q.options) > 1)
    return EliminationShares(
        label,
        len(qs),
        _share(sum(elimination_score(q) for q in qs), len(qs)),
        _share(sum(map(has_absolute, rights)), len(rights)),
        _share(sum(map(has_absolute, wrongs)), len(wrongs)),
        _share(sum(map(has_justification, rights)), len(rights)),
        _share(sum(map(has_justification, wrongs)), len(wrongs)),
        giveaways,
    )


def elimination_shares(questions: Iterable[object]) -> list[EliminationShares]:
    """The elimination strategy per level (levels without MCQs left out), then over all MCQs."""
    mcqs = [q for q in questions if isinstance(q, McqQuestion)]
    per_level = [_elimination(lv.value, [q for q in mcqs if q.level == lv]) for lv in Level]
    return [s for s in per_level if s.total] + [_elimination("all", mcqs)]
