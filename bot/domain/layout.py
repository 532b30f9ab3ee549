"""How an MCQ's options are laid out: as button labels, or listed in the text behind A-F buttons."""

from __future__ import annotations

from bot.domain.bank import McqQuestion
from bot.domain.markup import to_label

# A one-per-row button on a phone shows about this many characters before it truncates.
BUTTON_LABEL_MAX = 34


def options_fit_buttons(question: McqQuestion) -> bool:
    """True when every option is short enough to be its own button label."""
    return all(len(to_label(o.text)) <= BUTTON_LABEL_MAX for o in question.options)
