"""Poll fit: which MCQs a native quiz poll can carry, and `bank check` requiring 30 of them per level."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.cli.bank_check import run_bank_check
from bot.domain.bank import Level, McqQuestion, Option
from bot.domain.polls import (
    MAX_EXPLANATION,
    MIN_PER_LEVEL,
    eligible,
    poll_eligible,
    poll_explanation,
    poll_question,
    tg_len,
)

_CODE = "```python\nprint(1)\n```\n"


def _mcq(
    qid: str = "q",
    prompt: str = "Which status does a POST to a GET-only rule get?",
    options: tuple[str, ...] = ("405", "404", "200"),
    explanation: str = "Rules accept GET by default.",
    poll: str | None = None,
    level: Level = Level.FRESHER,
) -> McqQuestion:
    return McqQuestion(
        id=qid,
        level=level,
        topic="routing",
        kind="mcq",
        prompt=prompt,
        options=[Option(text=options[0], correct=True), *(Option(text=t) for t in options[1:])],
        explanation=explanation,
        poll_explanation=poll,
        references=["https://flask.palletsprojects.com/en/stable/quickstart/"],
    )


def test_a_short_mcq_fits_as_is() -> None:
    q = _mcq()
    assert poll_eligible(q)
    assert poll_question(q) == q.prompt
    assert poll_explanation(q) == "Rules accept GET by default."


def test_explanation_over_200_needs_a_poll_explanation() -> None:
    long = "word " * 50
    assert not poll_eligible(_mcq(explanation=long))
    q = _mcq(explanation=long, poll="Only GET is allowed unless `methods` says otherwise.")
    assert poll_eligible(q)
    # Backticks are markup: the poll shows the plain text.
    assert poll_explanation(q) == "Only GET is allowed unless methods says otherwise."


def test_yaml_line_wraps_do_not_count_as_line_feeds() -> None:
    wrapped = "One line\nwrapped over\nfour YAML\nlines."
    assert poll_explanation(_mcq(explanation=wrapped)) == "One line wrapped over four YAML lines."
    paragraphs = "A.\n\nB.\n\nC.\n\nD."
    assert poll_explanation(_mcq(explanation=paragraphs)) is None  # three line feeds


def test_limits_are_counted_as_telegram_counts() -> None:
    assert tg_len("é") == 1 and tg_len("😀") == 2
    at_limit = "😀" * (MAX_EXPLANATION // 2)
    assert poll_explanation(_mcq(explanation=at_limit)) == at_limit
    assert poll_explanation(_mcq(explanation=at_limit + "x")) is None


def test_long_or_code_options_disqualify() -> None:
    assert not poll_eligible(_mcq(options=("x" * 101, "b", "c")))
    assert poll_eligible(_mcq(options=("`" + "x" * 100 + "`", "b", "c")))  # 100 shown
    assert not poll_eligible(_mcq(options=("```\ncode\n```", "b", "c")))


def test_code_or_long_prompt_goes_in_a_message_before_the_poll() -> None:
    coded = _mcq(prompt=_CODE + "What does it print?")
    assert poll_question(coded) is None and poll_eligible(coded)
    long = _mcq(prompt="word " * 61)
    assert poll_question(long) is None and poll_eligible(long)


def test_schema_rejects_a_poll_explanation_over_200_characters() -> None:
    with pytest.raises(ValidationError, match="poll_explanation"):
        _mcq(poll="x" * 201)


def test_eligible_filters_by_level() -> None:
    qs = [_mcq("a"), _mcq("b", level=Level.ADVANCED), _mcq("c", explanation="word " * 50)]
    assert [q.id for q in eligible(qs)] == ["a", "b"]
    assert [q.id for q in eligible(qs, Level.ADVANCED)] == ["b"]


def _distinct(i: int, level: Level, fits: bool) -> McqQuestion:
    # Unique words per question keep the near-duplicate detector quiet.
    tag = f"{level.value}{i}"
    return _mcq(
        f"{level.value}-{i}",
        prompt=f"Which {tag}alpha {tag}beta?",
        options=(f"{tag}right", f"{tag}wrong", f"{tag}other"),
        explanation=f"{tag}why " * (60 if not fits else 1),
        level=level,
    )


def test_bank_check_fails_a_level_under_30_poll_eligible(tmp_path: Path) -> None:
    qs = [_distinct(i, lv, fits=not (lv is Level.ADVANCED and i == 0)) for lv in Level for i in range(MIN_PER_LEVEL)]
    folder = tmp_path / "bank"
    folder.mkdir()
    data = {"questions": [q.model_dump(mode="json", exclude_defaults=True) | {"kind": "mcq"} for q in qs]}
    (folder / "routing.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = io.StringIO()
    assert run_bank_check(folder, out) == 1
    report = out.getvalue()
    assert f"ERROR questions: advanced: {MIN_PER_LEVEL - 1} poll-eligible MCQs, fewer than {MIN_PER_LEVEL}" in report
    for lv in (Level.FRESHER, Level.INTERMEDIATE, Level.EXPERIENCED):
        # The totals object to a 30-question level too; the poll rule must not.
        assert not [x for x in report.splitlines() if x.startswith(f"ERROR questions: {lv.value}: ") and "poll" in x]
        assert f"  {lv.value:<22} {MIN_PER_LEVEL:>4}" in report


def test_bank_check_rejects_a_poll_explanation_that_does_not_fit(tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    q = _mcq(poll="A.\n\nB.\n\nC.\n\nD.").model_dump(mode="json", exclude_defaults=True) | {"kind": "mcq"}
    (folder / "routing.yaml").write_text(yaml.safe_dump({"questions": [q]}), encoding="utf-8")
    out = io.StringIO()
    assert run_bank_check(folder, out) == 1
    assert "q: poll_explanation does not fit a quiz poll" in out.getvalue()
