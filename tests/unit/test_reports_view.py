"""The admins' view of a reported question: every part escaped, and cut to Telegram's limit without breaking tags."""

from __future__ import annotations

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import McqQuestion, load_bank
from bot.telegram.handlers.reports import question_text
from tests.e2e.botapi import render_html


def test_a_long_question_with_markup_in_its_topic_still_parses() -> None:
    bank = load_bank(DEFAULT_QUESTIONS_DIR)
    base = next(q for q in bank if isinstance(q, McqQuestion))
    code = "\n```python\n" + "html = '<b>' & 1  # <a>\n" * 400 + "```"
    question = base.model_copy(update={"topic": "a<b & c", "explanation": base.explanation + code})
    text = question_text(question)
    shown = render_html(text)  # raises like Telegram ("can't parse entities") on broken markup
    assert shown.startswith(f"{base.id} · {base.level.value} · a<b & c")
    assert len(shown.encode("utf-16-le")) // 2 <= 4096 and shown.endswith("…")
    assert text.endswith("</code></pre>")  # the cut closed the code block it fell in
