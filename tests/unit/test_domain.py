"""The interview rules in plain Python: question choice, grading, scoring, markup, layering."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import KeyPoint, Level, McqQuestion, load_bank
from bot.domain.grading import covered_points, grade_mcq
from bot.domain.interview import INTERVIEW_LENGTH, QUIZ_LENGTH, AnswerRecord, Mode, plan_session, summarise
from bot.domain.markup import to_html, to_label, to_plain

BANK = load_bank(DEFAULT_QUESTIONS_DIR)


@pytest.mark.parametrize("level", list(Level))
def test_quiz_plan_is_mcq_of_level_without_repeats(level: Level) -> None:
    plan = plan_session(BANK, Mode.QUIZ, level, random.Random(3))
    ids = [p.qid for p in plan]
    assert len(ids) == min(QUIZ_LENGTH, len(BANK.of_level(level, "mcq")))
    assert len(set(ids)) == len(ids)
    for p in plan:
        q = BANK[p.qid]
        assert q.level == level and q.kind == "mcq"
        assert sorted(p.order) == list(range(len(q.options)))


def test_unseen_questions_come_before_seen_ones() -> None:
    mcqs = BANK.of_level(Level.FRESHER, "mcq")
    seen = {q.id: 1000.0 for q in mcqs[: len(mcqs) - 3]}
    plan = plan_session(BANK, Mode.QUIZ, Level.FRESHER, random.Random(1), seen)
    unseen = {q.id for q in mcqs[len(mcqs) - 3 :]}
    assert unseen <= {p.qid for p in plan}


def test_interview_mixes_open_and_mcq() -> None:
    plan = plan_session(BANK, Mode.INTERVIEW, Level.INTERMEDIATE, random.Random(5))
    kinds = Counter(BANK[p.qid].kind for p in plan)
    assert len(plan) == INTERVIEW_LENGTH
    assert kinds["open"] >= 1 and kinds["mcq"] >= 1


def test_topic_filter_limits_choice() -> None:
    plan = plan_session(BANK, Mode.QUIZ, Level.FRESHER, random.Random(2), topics=["routing"])
    assert plan and all(BANK[p.qid].topic == "routing" for p in plan)


def test_shuffled_options_grade_by_bank_index() -> None:
    q = next(q for q in BANK if isinstance(q, McqQuestion))
    order = tuple(reversed(range(len(q.options))))
    shown_right = order.index(q.correct_index)
    assert grade_mcq(q, order, shown_right).correct
    assert not grade_mcq(q, order, (shown_right + 1) % len(order)).correct
    with pytest.raises(ValueError):
        grade_mcq(q, order, len(order))


def test_key_points_match_words_and_stems() -> None:
    points = [
        KeyPoint(point="endpoints", keywords=["endpoint"]),
        KeyPoint(point="ctx", keywords=["app context"]),
        KeyPoint(point="none", keywords=["blueprint"]),
    ]
    assert covered_points(points, "It uses Endpoints and the APP   context!") == [True, True, False]
    assert covered_points(points, "") == [False, False, False]
    assert covered_points(points, "unblueprinted") == [False, False, False]


def test_summary_counts_mcq_and_self_grades() -> None:
    answers = [
        AnswerRecord("a", "routing", "mcq", True, None),
        AnswerRecord("b", "routing", "mcq", False, None),
        AnswerRecord("c", "testing", "open", None, "nailed"),
        AnswerRecord("d", "testing", "open", None, "missed"),
    ]
    s = summarise(4, answers)
    assert (s.right, s.mcq_right, s.mcq_total) == (2, 1, 2)
    assert s.grades == Counter({"nailed": 1, "missed": 1})
    assert (s.by_topic["routing"].right, s.by_topic["routing"].total) == (1, 2)


def test_markup_escapes_user_visible_html() -> None:
    html = to_html("Use `<b>` & <i>\n```python\nx = '<a>'\n```")
    assert "<code>&lt;b&gt;</code>" in html and "&amp; &lt;i&gt;" in html
    assert "<pre><code class=\"language-python\">x = '&lt;a&gt;'</code></pre>" in html
    assert to_label("`flask run`") == "flask run"
    assert to_plain("x\n```python\na = 1\n```") == "x\n\n    a = 1"


def test_domain_imports_neither_telegram_nor_aiosqlite() -> None:
    code = (
        "import sys, pkgutil, importlib, bot.domain as d\n"
        "for m in pkgutil.iter_modules(d.__path__): importlib.import_module('bot.domain.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'aiosqlite')]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_key_points_match_dotted_and_decorated_names() -> None:
    points = [
        KeyPoint(point="handler", keywords=["errorhandler"]),
        KeyPoint(point="wraps", keywords=["wraps"]),
        KeyPoint(point="g", keywords=["g."]),
    ]
    answer = "Register @app.errorhandler(404) and keep functools.wraps on the decorator."
    assert covered_points(points, answer) == [True, True, False]
    assert covered_points(points, "store it on g.user") == [False, False, True]
    # "g." is a whole token followed by a dot, not any word starting with g.
    assert covered_points(points, "get the good value") == [False, False, False]
