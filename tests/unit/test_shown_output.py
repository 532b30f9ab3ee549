"""What `bank check` verifies of a code-reading (shows_output) question without running its snippet."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from bot.cli.bank_check import run_bank_check
from bot.domain.bank import Level, McqQuestion, Option
from bot.domain.duplicates import DUPLICATE_THRESHOLD, similarity
from bot.domain.shown_output import (
    SNIPPET_MAX_LINES,
    explanation_output,
    option_matches,
    output_check,
    shown_output_problems,
)

SNIPPET = 'from flask import Flask\n\napp = Flask(__name__)\nprint(app.config["TESTING"], app.debug)\n'
EXPLANATION = "Flask 3.1.3 prints:\n```text\nFalse\nFalse\n```\nBoth settings are off by default, whatever the code."


def _question(**changes: Any) -> McqQuestion:
    fields: dict[str, Any] = {
        "id": "out-x",
        "level": Level.FRESHER,
        "topic": "configuration",
        "kind": "mcq",
        "shows_output": True,
        "prompt": f"What does this program print?\n```python\n{SNIPPET}```\n",
        "options": [
            Option(text="`False` `False`", correct=True),
            Option(text="`True False`"),
            Option(text="`False True`"),
            Option(text="`None None`"),
        ],
        "explanation": EXPLANATION,
        "references": ["https://flask.palletsprojects.com/en/stable/config/"],
        "checks": [output_check("out-x")],
    }
    fields.update(changes)
    return McqQuestion(**fields)


def test_a_well_formed_question_has_no_problem() -> None:
    q = _question()
    assert shown_output_problems(q) == []
    assert explanation_output(q) == "False\nFalse"


def test_an_option_matches_without_backticks_and_with_lines_as_spaces() -> None:
    assert option_matches("`False` `False`", "False\nFalse")
    assert option_matches("`a  b`", "a b\n")
    assert not option_matches("`False, False`", "False\nFalse")
    assert not option_matches("`'5'`", "5")


def test_the_snippet_is_one_short_printing_python_block() -> None:
    two = _question(prompt=f"```python\n{SNIPPET}```\nand\n```python\nprint(1)\n```\n")
    assert any("exactly one ```python block, found 2" in p for p in shown_output_problems(two))
    long_code = "x = 1\n\n" * SNIPPET_MAX_LINES + "print(x)\n"
    long = _question(prompt=f"```python\n{long_code}```\n")
    assert any(f"{SNIPPET_MAX_LINES + 1} lines of code" in p for p in shown_output_problems(long))
    silent = _question(prompt="```python\nx = 1\n```\n")
    assert any("prints nothing" in p for p in shown_output_problems(silent))
    both = _question(code_runs=True)
    assert any("drop code_runs" in p for p in shown_output_problems(both))


def test_the_explanation_shows_the_output_the_right_option_states() -> None:
    bare = _question(explanation="Both are off by default.")
    assert any("exactly one ```text block" in p for p in shown_output_problems(bare))
    wrong = _question(explanation=EXPLANATION.replace("False\nFalse", "True\nFalse"))
    problems = shown_output_problems(wrong)
    assert any("right option is not the output" in p for p in problems)
    assert any("a distractor reads the same as the output" in p for p in problems)


def test_the_output_check_must_be_named() -> None:
    q = _question(checks=["tests/bank/test_outputs.py::test_output[other-id]"])
    assert any(output_check("out-x") in p for p in shown_output_problems(q))


def test_bank_check_reports_a_broken_code_reading_question(tmp_path: Path) -> None:
    broken = _question(explanation="No output block here, only prose about the defaults.")
    raw = broken.model_dump(mode="json", exclude_defaults=True) | {"kind": "mcq"}
    (tmp_path / "output.yaml").write_text(yaml.safe_dump({"questions": [raw]}), encoding="utf-8")
    out = io.StringIO()
    assert run_bank_check(tmp_path, out) == 1
    assert "out-x: shows_output: the explanation needs exactly one ```text block" in out.getvalue()


def test_code_reading_questions_are_compared_on_code_and_teaching_not_scaffolding() -> None:
    first = _question()
    # Another program on another subject printing similar words, on the same Flask scaffolding.
    other_snippet = (
        'from flask import Flask, g\n\napp = Flask(__name__)\nwith app.app_context():\n    print(g.get("u"))\n'
    )
    other = _question(
        id="out-y",
        prompt=f"What does this program print?\n```python\n{other_snippet}```\n",
        options=[Option(text="`None`", correct=True), *(Option(text=f"`{w}`") for w in ("u", "g", "ann"))],
        explanation="Flask 3.1.3 prints:\n```text\nNone\n```\nA new application context starts with an empty g.",
    )
    assert similarity(first, other).score < DUPLICATE_THRESHOLD
    # The same program and lesson asked twice is still a duplicate.
    again = _question(id="out-z", prompt=first.prompt.replace("What does", "Tell what"))
    assert similarity(first, again).score >= DUPLICATE_THRESHOLD
