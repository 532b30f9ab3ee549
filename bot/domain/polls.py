"""Which bank MCQs fit a native Telegram quiz poll, and the texts the poll would carry.

A poll's question holds at most 300 characters, each option at most 100 and the explanation at most 200
with at most two line feeds (Telegram counts UTF-16 code units); none of them can show a code block. An MCQ
is poll-eligible when every option fits as plain text and its poll explanation (the shorter
`poll_explanation` when the question has one, else the full explanation) fits too. A prompt that fits is
the poll's question; a prompt with a code block or over 300 characters goes first as a formatted message,
and the poll then asks a short stem that points at it. When the poll's explanation is the short one, it ends
with a deep link (`/start q-<question id>`) that opens the full explanation in the private chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.bank import Level, McqQuestion, OpenQuestion
from bot.domain.markup import to_html, to_label

__all__ = [
    "DEEP_LINK_PREFIX",
    "MAX_EXPLANATION",
    "MAX_OPTION",
    "MAX_QUESTION",
    "MIN_PER_LEVEL",
    "PollSpec",
    "build_poll",
    "deep_link",
    "deep_link_payload",
    "eligible",
    "option_labels",
    "poll_eligible",
    "poll_explanation",
    "poll_question",
    "question_of_payload",
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
DEEP_LINK_PREFIX = "q-"
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


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


@dataclass(frozen=True)
class PollSpec:
    """Everything needed to post one question as a quiz poll."""

    question_id: str
    lead_html: str | None  # the formatted prompt, sent as a message first when the poll cannot hold it
    question: str
    options: tuple[str, ...]  # in the order shown
    order: tuple[int, ...]  # bank index of each shown option
    correct: int  # index into `options`
    explanation: str


def deep_link_payload(question_id: str) -> str:
    """The /start payload that shows a question's full explanation."""
    return f"{DEEP_LINK_PREFIX}{question_id}"


def question_of_payload(payload: str) -> str | None:
    """The question id in a `q-<id>` payload; None for anything else."""
    if not _PAYLOAD.match(payload) or not payload.startswith(DEEP_LINK_PREFIX):
        return None
    return payload[len(DEEP_LINK_PREFIX) :] or None


def deep_link(bot_username: str, question_id: str) -> str:
    """https://t.me/<bot>?start=q-<id>."""
    return f"https://t.me/{bot_username}?start={deep_link_payload(question_id)}"


def _with_link(short: str, link: str, more: str) -> str:
    """The short explanation followed by `more link`, cut at a word if both do not fit in 200 characters."""
    tail = f" {more} {link}".replace("  ", " ")
    if tg_len(short + tail) <= MAX_EXPLANATION:
        return short + tail
    room = MAX_EXPLANATION - tg_len("…" + tail)
    if room < 1:
        return link
    cut = short[:room]
    while tg_len(cut) > room:  # characters outside the BMP take two units
        cut = cut[:-1]
    if " " in cut[room // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…" + tail


def build_poll(
    question: McqQuestion, order: Sequence[int], bot_username: str, *, see_above: str, more: str, prefix: str = ""
) -> PollSpec:
    """The poll for a question with its options shown in `order`; `prefix` (like `2/5 · `) only if it fits."""
    short = poll_explanation(question)
    if not _options_fit(question) or short is None:
        raise ValueError(f"question {question.id} does not fit a poll")
    labels = option_labels(question)
    stem = poll_question(question)
    text = stem if stem is not None else see_above
    if prefix and tg_len(prefix + text) <= MAX_QUESTION:
        text = prefix + text
    if question.poll_explanation is not None:  # the full explanation is longer: link to it
        short = _with_link(short, deep_link(bot_username, question.id), more)
    return PollSpec(
        question_id=question.id,
        lead_html=None if stem is not None else to_html(question.prompt),
        question=text,
        options=tuple(labels[i] for i in order),
        order=tuple(order),
        correct=list(order).index(question.correct_index),
        explanation=short,
    )
