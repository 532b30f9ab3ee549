"""Questions, results and summaries as Telegram HTML plus their inline keyboards."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.domain.bank import Level, McqQuestion, OpenQuestion
from bot.domain.grading import SelfGrade
from bot.domain.interview import Mode, Summary
from bot.domain.layout import options_fit_buttons
from bot.domain.markup import clip_html, to_html, to_label
from bot.services.interview import Outcome, QuestionView
from bot.telegram.callback import AnswerCb, CallbackData, GradeCb, LevelCb, ReportCb, ResumeCb, StartOverCb

MAX_TEXT = 4096


def clip(text: str) -> str:
    """Cut a message to Telegram's limit."""
    return _clip(text)


def _clip(text: str) -> str:
    # The bank check keeps every message under the limit; this only guards against surprises.
    return clip_html(text, MAX_TEXT)


def _letter(i: int) -> str:
    return texts.OPTION_LETTERS[i]


def question_body(view: QuestionView) -> str:
    """The question as first shown, without the result."""
    q = view.question
    parts = [
        texts.question_header(view.mode.value, view.position, view.size, q.level.value, q.topic),
        to_html(q.prompt),
    ]
    if isinstance(q, McqQuestion) and not options_fit_buttons(q):
        parts.append(
            "\n".join(f"<b>{_letter(i)}</b>) {to_html(q.options[bank_i].text)}" for i, bank_i in enumerate(view.order))
        )
    return "\n\n".join(parts)


def question_message(
    view: QuestionView, answer_cb: Callable[[int, int, int], CallbackData] = AnswerCb
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Text and keyboard of a question as asked; `answer_cb` builds each option's payload."""
    q = view.question
    if isinstance(q, OpenQuestion):
        return _clip(question_body(view) + "\n\n" + texts.open_prompt_hint()), None
    if options_fit_buttons(q):
        rows = [
            [
                InlineKeyboardButton(
                    to_label(q.options[bank_i].text), callback_data=answer_cb(view.session_id, view.position, i).pack()
                )
            ]
            for i, bank_i in enumerate(view.order)
        ]
    else:
        rows = [
            [
                InlineKeyboardButton(_letter(i), callback_data=answer_cb(view.session_id, view.position, i).pack())
                for i in range(len(view.order))
            ]
        ]
    return _clip(question_body(view)), InlineKeyboardMarkup(rows)


def mcq_result(view: QuestionView, chosen: int, correct: bool) -> str:
    """The question with the user's choice, the verdict, the right option and the explanation."""
    return _clip(mcq_result_unclipped(view, chosen, correct))


def mcq_result_unclipped(view: QuestionView, chosen: int, correct: bool) -> str:
    """The result message at full length, for the bank check to measure."""
    q = view.question
    assert isinstance(q, McqQuestion)
    shown = {bank_i: i for i, bank_i in enumerate(view.order)}
    lines = [
        question_body(view),
        "",
        texts.your_answer(_letter(shown[chosen]), to_html(q.options[chosen].text)),
        texts.result_line(correct),
    ]
    if not correct:
        right = q.correct_index
        lines.append(texts.right_answer(_letter(shown[right]), to_html(q.options[right].text)))
    lines += ["", to_html(q.explanation)]
    return "\n".join(lines)


def model_answer_unclipped(view: QuestionView, covered: tuple[bool, ...]) -> str:
    """The model-answer message at full length."""
    q = view.question
    assert isinstance(q, OpenQuestion)
    # An empty `covered` means nothing was typed (the daily push's "Show answer").
    hits = list(covered) + [False] * (len(q.key_points) - len(covered))
    points = [(kp.point, hit) for kp, hit in zip(q.key_points, hits, strict=False)]
    return texts.model_answer_block(to_html(q.model_answer), points, typed=bool(covered))


def model_answer(view: QuestionView, covered: tuple[bool, ...]) -> tuple[str, InlineKeyboardMarkup]:
    """The model answer and key points, with self-grade buttons."""
    text = model_answer_unclipped(view, covered)
    buttons = [
        InlineKeyboardButton(
            texts.GRADE_LABELS[g.value], callback_data=GradeCb(view.session_id, view.position, g).pack()
        )
        for g in SelfGrade
    ]
    return _clip(text), InlineKeyboardMarkup([buttons])


def graded(text_html: str, grade: SelfGrade) -> str:
    """The model-answer message once graded."""
    return _clip(text_html + "\n\n" + texts.graded_line(grade.value))


def score(summary: Summary) -> str:
    """The `Score: X/N` message."""
    return texts.score_line(summary.right, summary.asked)


def summary_details(mode: Mode, summary: Summary) -> str:
    """Per-topic results and, for interviews, self-grade counts."""
    topics = sorted(((t, s.right, s.total) for t, s in summary.by_topic.items()), key=lambda x: (x[1] / x[2], x[0]))
    return texts.summary_text(mode.value, summary.mcq_right, summary.mcq_total, dict(summary.grades), topics)


def level_picker(mode: Mode) -> InlineKeyboardMarkup:
    """Four level buttons, two per row."""
    buttons = [
        InlineKeyboardButton(texts.LEVEL_LABELS[lv.value], callback_data=LevelCb(mode, lv).pack()) for lv in Level
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def resume_or_restart(session_id: int, mode: Mode) -> InlineKeyboardMarkup:
    """The two buttons offered when a session is already open."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.BTN_RESUME, callback_data=ResumeCb(session_id).pack()),
                InlineKeyboardButton(texts.BTN_START_OVER, callback_data=StartOverCb(session_id, mode).pack()),
            ]
        ]
    )


def report_button(session_id: int, position: int) -> InlineKeyboardButton:
    """The one "Report" button under an answered question."""
    return InlineKeyboardButton(texts.BTN_REPORT, callback_data=ReportCb(session_id, position).pack())


def result_keyboard(view: QuestionView, extra: list[InlineKeyboardButton] | None = None) -> InlineKeyboardMarkup:
    """The keyboard of an answered question's result: Report, and any extra buttons."""
    return InlineKeyboardMarkup([[report_button(view.session_id, view.position)], *([extra] if extra else [])])


def outcome_text(outcome: Outcome) -> str:
    """The toast for a tap that records nothing, read per call so it is in the update's language."""
    found = {
        Outcome.DUPLICATE: texts.CB_ALREADY_ANSWERED,
        Outcome.STALE: texts.CB_STALE,
        Outcome.NOT_YOURS: texts.CB_NOT_YOURS,
        Outcome.INVALID: texts.CB_INVALID,
    }
    return found.get(outcome, texts.CB_INVALID)
