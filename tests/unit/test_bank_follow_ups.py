"""Follow-ups in `bank check`: sized and checked like questions, near-duplicates, and the v4 totals."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import bank_check
from bot.cli.bank_check import run_bank_check, total_problems
from bot.domain.bank import Bank, Level, OpenQuestion, follow_up_question, follow_ups_of
from bot.services.interview import QuestionView
from bot.telegram import render

REF = "https://flask.palletsprojects.com/en/stable/appcontext/"
CHECK = "tests/bank/test_contexts.py::test_thread_has_no_app_context"


def _follow_up(prompt: str = "Why does `current_app` fail in a thread you started?", **extra: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "model_answer": "The context lives in a context variable of the request's thread; a new thread starts empty.",
        "probes": 0,
        "key_points": [{"point": "Context variables do not follow into a new thread", "keywords": ["thread"]}],
        "checks": [CHECK],
        **extra,
    }


def _open(qid: str, level: str = "intermediate", follow_ups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": qid,
        "level": level,
        "topic": "contexts",
        "kind": "open",
        "prompt": f"What does the application context hold in {qid}, and when is it pushed?",
        "model_answer": "It holds current_app and g, and Flask pushes it for each request and CLI command.",
        "key_points": [
            {"point": "current_app and g", "keywords": ["current_app"], "misconceptions": ["g lives across requests"]},
            {"point": "pushed per request", "keywords": ["per request"]},
        ],
        "references": [REF],
        "checks": [CHECK],
        **({"follow_ups": follow_ups} if follow_ups is not None else {}),
    }


def _bank(tmp_path: Path, *questions: dict[str, Any], with_checks: bool = False) -> Path:
    """A bank folder; with_checks puts the named check module next to it, as in a checkout."""
    folder = tmp_path / "questions"
    folder.mkdir(parents=True)
    (folder / "contexts.yaml").write_text(yaml.safe_dump({"questions": list(questions)}), encoding="utf-8")
    if with_checks:
        (tmp_path / "tests" / "bank").mkdir(parents=True)
        (tmp_path / "tests" / "bank" / "test_contexts.py").write_text(
            "def test_thread_has_no_app_context():\n    pass\n", encoding="utf-8"
        )
    return folder


def _report(folder: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run_bank_check(folder, out)
    return code, out.getvalue()


def test_a_follow_up_is_asked_as_an_open_question_of_its_parent() -> None:
    parent = OpenQuestion.model_validate(_open("ctx-open", follow_ups=[_follow_up(), _follow_up("And in a CLI?")]))
    asked = follow_up_question(parent, 1)
    assert asked.id == "ctx-open/2"
    assert (asked.level, asked.topic, asked.prompt) == (Level.INTERMEDIATE, "contexts", "And in a CLI?")
    assert asked.key_points == parent.follow_ups[1].key_points
    assert [q.id for q in follow_ups_of([parent])] == ["ctx-open/1", "ctx-open/2"]
    view = QuestionView(1, 0, 1, bank_check.Mode.INTERVIEW, asked, (), None, False)
    assert "And in a CLI?" in render.question_body(view)
    assert "Context variables do not follow" in render.model_answer_unclipped(view, (False,))


def test_a_follow_up_too_long_to_send_fails_the_check(tmp_path: Path) -> None:
    long_answer = "`current_app` & <g> " * 220  # escaping makes it longer still
    folder = _bank(tmp_path, _open("ctx-open", follow_ups=[_follow_up(), _follow_up(model_answer=long_answer)]))
    code, report = _report(folder)
    assert code == 1
    assert "ctx-open: follow_ups[1]: model answer message is" in report
    assert "follow_ups[0]" not in report


def test_a_follow_up_names_checks_that_exist(tmp_path: Path) -> None:
    follow_ups = [
        _follow_up(checks=[]),
        _follow_up("And in a CLI?", checks=["tests/bank/test_contexts.py::test_gone"]),
    ]
    code, report = _report(_bank(tmp_path, _open("ctx-open", follow_ups=follow_ups), with_checks=True))
    assert code == 1
    assert "ctx-open: follow_ups[0]: names no executable check" in report
    gone = "tests/bank/test_contexts.py::test_gone"
    assert f"ctx-open: follow_ups[1]: names a check that does not exist: {gone}" in report
    # The parent's own check exists in the module written next to the bank.
    assert "ctx-open: names a check" not in report


def test_a_question_naming_a_missing_check_fails_in_a_checkout(tmp_path: Path) -> None:
    question = {**_open("ctx-open"), "checks": ["tests/bank/test_contexts.py::test_removed_long_ago"]}
    code, report = _report(_bank(tmp_path, question, with_checks=True))
    assert code == 1
    assert "ctx-open: names a check that does not exist" in report


def test_follow_ups_may_echo_their_parent_but_not_another_question(tmp_path: Path) -> None:
    parent = _open("ctx-open")
    echo = _follow_up(prompt=parent["prompt"], model_answer=parent["model_answer"])
    code, report = _report(_bank(tmp_path, {**parent, "follow_ups": [echo]}))
    assert "nearly duplicates" not in report

    other = {
        **_open("ctx-other"),
        "prompt": "Which signal tells you a request's teardown ran, and what does it receive?",
        "model_answer": "request_tearing_down fires while the request context is popped, with the exception.",
    }
    copy = _follow_up(prompt=other["prompt"], model_answer=other["model_answer"])
    code, report = _report(_bank(tmp_path / "two", {**parent, "follow_ups": [copy]}, other))
    assert code == 1
    assert "ERROR contexts.yaml: ctx-open/1: nearly duplicates ctx-other at the same level" in report


def test_every_open_question_needs_a_follow_up_once_enforced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _bank(tmp_path, _open("ctx-bare"), _open("ctx-probed", "advanced", follow_ups=[_follow_up()]))
    monkeypatch.setattr(bank_check, "ENFORCE_FOLLOW_UPS", False)
    _, report = _report(folder)
    assert "has no follow_ups" not in report
    assert "Follow-ups: 1 on 1 of 2 open questions; misconceptions on key points: 2" in report
    monkeypatch.setattr(bank_check, "ENFORCE_FOLLOW_UPS", True)
    code, report = _report(folder)
    assert code == 1
    assert "contexts.yaml: ctx-bare: has no follow_ups (every open question needs 1-2)" in report
    assert "ctx-probed: has no follow_ups" not in report


def test_a_third_follow_up_is_refused_by_the_schema(tmp_path: Path) -> None:
    three = [_follow_up(), _follow_up("And in a CLI?"), _follow_up("And in a test?")]
    code, report = _report(_bank(tmp_path, _open("ctx-open", follow_ups=three)))
    assert code == 1
    assert "ctx-open: follow_ups: List should have at most 2 items" in report


def _level(level: Level, total: int, opened: int) -> list[Any]:
    def one(i: int, kind: str) -> Any:
        data = _open(f"{level.value}-{kind}-{i}", level.value)
        if kind == "mcq":
            # Only the level and the kind count here: a cheap stand-in avoids building valid MCQs.
            return OpenQuestion.model_construct(**{**data, "kind": "mcq"})
        return OpenQuestion.model_validate(data)

    return [one(i, "open") for i in range(opened)] + [one(i, "mcq") for i in range(total - opened)]


def test_totals_count_questions_per_level_and_the_open_share() -> None:
    full = Bank([q for level in Level for q in _level(level, 135, 27)])
    assert len(full) == 540
    assert total_problems(full) == []

    short = Bank(
        _level(Level.FRESHER, 99, 20)
        + _level(Level.INTERMEDIATE, 135, 26)
        + _level(Level.EXPERIENCED, 110, 22)
        + _level(Level.ADVANCED, 110, 30)
    )
    found = [f"{p.qid}: {p.message}" for p in total_problems(short)]
    assert found == [
        "fresher: 99 questions, fewer than 100",
        "intermediate: 26 open questions of 135, under 20%",
    ]
    tiny = Bank(_level(Level.FRESHER, 10, 1))
    assert next(p.message for p in total_problems(tiny)) == "10 questions, fewer than 440"


def test_totals_fail_the_check(tmp_path: Path) -> None:
    folder = _bank(tmp_path, _open("ctx-open", follow_ups=[_follow_up()]))
    code, report = _report(folder)
    assert code == 1
    assert "Totals (at least 440 questions, 100 per level, 20% open per level): 1 questions" in report
    assert "ERROR questions: (bank): 1 questions, fewer than 440" in report
    assert "ERROR questions: fresher: 0 questions, fewer than 100" in report
    assert "ERROR questions: (drill): 0 questions for the Flask 2 -> 3 drill, fewer than 25" in report
