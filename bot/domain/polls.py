"""Bank MCQs as native quiz polls: which ones fit Telegram's poll limits, and the poll each one becomes.

A poll's question is at most 300 characters, each option at most 100, and the explanation at most 200 with
at most two line feeds; none of them can show formatted code. An MCQ whose options fit is poll-eligible.
If its prompt also fits and has no code block, the poll asks the prompt itself; otherwise the prompt goes
out first as a formatted message and the poll asks a short stem that points at it. A longer explanation is
cut at a word and ends with a deep link that opens the full explanation in the private chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.bank import Level, McqQuestion, OpenQuestion
from bot.domain.markup import to_html, to_label

MAX_QUESTION = 300
MAX_OPTION = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 12
MAX_EXPLANATION = 200
MAX_EXPLANATION_LINE_FEEDS = 2
MIN_OPEN_PERIOD = 5
MAX_OPEN_PERIOD = 600
MIN_PER_LEVEL = 30
DEEP_LINK_PREFIX = "q-"
_FENCE = re.compile(r"```\w*[ \t]*\n.*?```", re.DOTALL)
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class PollSpec:
    """Everything needed to post one question as a quiz poll."""

    question_id: str
    lead_html: str | None  # the formatted prompt, sent as a message before the poll when the poll cannot hold it
    question: str
    options: tuple[str, ...]  # in the order shown
    order: tuple[int, ...]  # bank index of each shown option
    correct: int  # index into `options`
    explanation: str


def option_labels(question: McqQuestion) -> list[str]:
    """The options as plain poll labels, in bank order."""
    return [to_label(o.text) for o in question.options]


def _options_fit(question: McqQuestion) -> bool:
    labels = option_labels(question)
    return MIN_OPTIONS <= len(labels) <= MAX_OPTIONS and all(
        "```" not in o.text and 1 <= tg_len(label) <= MAX_OPTION and "\n" not in label
        for o, label in zip(question.options, labels, strict=True)
    )


def _stem(question: McqQuestion) -> str | None:
    """The prompt as a poll question, if it fits one as is."""
    if _FENCE.search(question.prompt) or "```" in question.prompt:
        return None
    label = to_label(question.prompt)
    return label if 1 <= tg_len(label) <= MAX_QUESTION else None


def poll_eligible(question: McqQuestion | OpenQuestion) -> bool:
    """Whether the question can be asked as a quiz poll (alone or after a message with its prompt)."""
    return isinstance(question, McqQuestion) and _options_fit(question)


def eligible(questions: Iterable[McqQuestion | OpenQuestion], level: Level | None = None) -> list[McqQuestion]:
    """The poll-eligible MCQs, of one level or of all levels, in the given order."""
    return [
        q for q in questions if isinstance(q, McqQuestion) and (level is None or q.level == level) and poll_eligible(q)
    ]


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


def short_explanation(text: str, link: str, more: str) -> str:
    """The explanation as plain text in at most 200 characters; cut at a word and ending with `more link` if longer."""
    flat = " ".join(to_label(_FENCE.sub(" ", text)).split())
    if tg_len(flat) <= MAX_EXPLANATION:
        return flat
    tail = f"… {more} {link}"
    room = MAX_EXPLANATION - tg_len(tail)
    if room < 1:
        return link[:MAX_EXPLANATION]
    cut = flat[:room]
    while tg_len(cut) > room:  # characters outside the BMP take two units
        cut = cut[:-1]
    if " " in cut[room // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + tail


def build_poll(
    question: McqQuestion, order: Sequence[int], bot_username: str, *, see_above: str, more: str, prefix: str = ""
) -> PollSpec:
    """The poll for a question with its options shown in `order`; `prefix` (like `2/5 · `) only if it fits."""
    if not poll_eligible(question):
        raise ValueError(f"question {question.id} does not fit a poll")
    labels = option_labels(question)
    stem = _stem(question)
    lead = None if stem is not None else to_html(question.prompt)
    text = stem if stem is not None else see_above
    if prefix and tg_len(prefix + text) <= MAX_QUESTION:
        text = prefix + text
    link = deep_link(bot_username, question.id)
    return PollSpec(
        question_id=question.id,
        lead_html=lead,
        question=text,
        options=tuple(labels[i] for i in order),
        order=tuple(order),
        correct=list(order).index(question.correct_index),
        explanation=short_explanation(question.explanation, link, more),
    )
