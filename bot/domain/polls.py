"""Which bank MCQs fit a native Telegram quiz poll, and the texts the poll would carry.

A poll's question holds at most 300 characters, each option at most 100 and the explanation at most 200
with at most two line feeds (Telegram counts UTF-16 code units); none of them can show a code block. An MCQ
is poll-eligible when every option fits as plain text and its poll explanation (the shorter
`poll_explanation` when the question has one, else the full explanation) fits too. A prompt that fits is
the poll's question; a prompt with a code block or over 300 characters goes first as a formatted message,
and the poll then asks a short stem that points at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain.bank import Level, McqQuestion, OpenQuestion
from bot.domain.markup import to_label

__all__ = [
    "MAX_EXPLANATION",
    "MAX_OPTION",
    "MAX_QUESTION",
    "MIN_PER_LEVEL",
    "eligible",
    "option_labels",
    "poll_eligible",
    "poll_explanation",
    "poll_question",
    "tg_len",
]

MAX_QUESTION = 300
MAX_OPTION = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 12
MAX_EXPLANATION = 200
MAX_EXPLANATION_LINE_FEEDS = 2
# `bank check` fails when a level has fewer poll-eligible MCQs: a group playing daily needs a month's worth.
MIN_PER_LEVEL = 30
_FENCE = re.compile(r"```")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def option_labels(question: McqQuestion) -> list[str]:
    """The options as plain poll labels, in bank order."""
    return [to_label(o.text) for o in question.options]


def _options_fit(question: McqQuestion) -> bool:
    labels = option_labels(question)
    return MIN_OPTIONS <= len(labels) <= MAX_OPTIONS and all(
        not _FENCE.search(o.text) and 1 <= tg_len(label) <= MAX_OPTION and "\n" not in label
        for o, label in zip(question.options, labels, strict=True)
    )


def poll_question(question: McqQuestion) -> str | None:
    """The prompt as a poll question if it fits one as is; None when it needs a message of its own first."""
    if _FENCE.search(question.prompt):
        return None
    label = " ".join(to_label(question.prompt).split())
    return label if 1 <= tg_len(label) <= MAX_QUESTION else None


def poll_explanation(question: McqQuestion) -> str | None:
    """The explanation a poll shows (the short one if the question has it), or None if it does not fit."""
    text = question.poll_explanation or question.explanation
    if _FENCE.search(text):
        return None
    label = to_label(text)
    # The bank wraps YAML lines; a line feed followed by text is a soft wrap, a blank line is a paragraph.
    label = "\n".join(" ".join(part.split()) for part in re.split(r"\n\s*\n", label))
    if tg_len(label) > MAX_EXPLANATION or label.count("\n") > MAX_EXPLANATION_LINE_FEEDS:
        return None
    return label


def poll_eligible(question: McqQuestion | OpenQuestion) -> bool:
    """Whether the question can be asked as a quiz poll (alone or after a message with its prompt)."""
    return isinstance(question, McqQuestion) and _options_fit(question) and poll_explanation(question) is not None


def eligible(questions: Iterable[McqQuestion | OpenQuestion], level: Level | None = None) -> list[McqQuestion]:
    """The poll-eligible MCQs, of one level or of all levels, in the given order."""
    return [
        q for q in questions if isinstance(q, McqQuestion) and (level is None or q.level == level) and poll_eligible(q)
    ]
