"""Only bank texts fill to_html's cache: a user's typed answer, shown in the debrief, is rendered uncached."""

from __future__ import annotations

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import OpenQuestion, load_bank
from bot.domain.interview import Mode
from bot.domain.markup import to_html
from bot.domain.mock_interview import InterviewAnswer
from bot.services.interview import QuestionView
from bot.services.mock_interview import DebriefPage
from bot.telegram.handlers.interview import debrief_message


def _page(question: OpenQuestion, typed: str) -> DebriefPage:
    view = QuestionView(1, 0, 10, Mode.INTERVIEW, question, (), None, False)
    answer = InterviewAnswer(0, question.id, question.topic, "open", (), None, None, typed, None, 1000, False, False)
    return DebriefPage(view, answer, ())


def test_typed_answers_do_not_fill_the_render_cache() -> None:
    question = next(q for q in load_bank(DEFAULT_QUESTIONS_DIR) if isinstance(q, OpenQuestion))
    debrief_message([_page(question, "warm up: the bank texts are cached now")], 0)
    size = to_html.cache_info().currsize
    for n in range(50):
        text, _ = debrief_message([_page(question, f"my answer number {n} uses `g` <b>")], 0)
        assert f"my answer number {n} uses <code>g</code> &lt;b&gt;" in text  # rendered all the same
    assert to_html.cache_info().currsize == size
