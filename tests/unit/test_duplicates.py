"""The near-duplicate detector: word overlap of prompts and right answers, and `bank check` acting on it."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from bot.cli.bank_check import run_bank_check
from bot.domain.bank import KeyPoint, Level, McqQuestion, OpenQuestion, Option
from bot.domain.duplicates import DUPLICATE_THRESHOLD, right_answer, similar_pairs, similarity, words


def _mcq(qid: str, prompt: str, right: str, level: Level = Level.FRESHER) -> McqQuestion:
    return McqQuestion(
        id=qid,
        level=level,
        topic="blueprints",
        kind="mcq",
        prompt=prompt,
        options=[Option(text=right, correct=True), Option(text=f"{qid} wrong one"), Option(text=f"{qid} wrong two")],
        explanation="Because.",
        references=["https://flask.palletsprojects.com/en/stable/blueprints/"],
    )


NESTED = "A `v1` blueprint with prefix `/v1` is registered on an `api` blueprint with prefix `/api`. URL of `users`?"
NESTED_AGAIN = (
    "Blueprint `v1` (prefix `/v1`) is registered on blueprint `api` (prefix `/api`). Which URL does `users` get?"
)
PREFIX = "An `admin` blueprint created with one prefix is registered with `url_prefix='/staff'`. Where is `report`?"


def test_words_drop_case_stopwords_and_single_letters() -> None:
    assert words("What is the URL of `a` Users?") == {"url", "users"}


def test_score_needs_both_prompt_and_answer_to_match() -> None:
    same = similarity(_mcq("a", NESTED, "`/api/v1/users`"), _mcq("b", NESTED_AGAIN, "`/api/v1/users`"))
    assert same.answer == 1.0 and same.score >= DUPLICATE_THRESHOLD
    # Same snippet, different fact: the prompts overlap but the right answers do not.
    other = similarity(_mcq("a", NESTED, "`/api/v1/users`"), _mcq("c", NESTED, "A `ValueError` at registration"))
    assert other.prompt == 1.0 and other.answer == 0.0 and other.score == 0.0
    # Same short answer to unrelated questions.
    unrelated = similarity(
        _mcq("d", "Status of a POST to a GET-only rule?", "405"), _mcq("e", "What is 400 + 5?", "405")
    )
    assert unrelated.score < DUPLICATE_THRESHOLD


def test_open_questions_compare_model_answers() -> None:
    open_q = OpenQuestion(
        id="o",
        level=Level.FRESHER,
        topic="blueprints",
        kind="open",
        prompt=NESTED,
        model_answer="It is served at /api/v1/users.",
        key_points=[KeyPoint(point="p", keywords=["k"]), KeyPoint(point="q", keywords=["l"])],
        references=["https://flask.palletsprojects.com/en/stable/blueprints/"],
    )
    assert right_answer(open_q) == "It is served at /api/v1/users."
    assert similarity(open_q, _mcq("m", NESTED_AGAIN, "Served at `/api/v1/users`")).score >= DUPLICATE_THRESHOLD


def test_pairs_are_sorted_and_filtered() -> None:
    qs = [
        _mcq("a", NESTED, "`/api/v1/users`"),
        _mcq("b", NESTED_AGAIN, "`/api/v1/users`"),
        _mcq("c", PREFIX, "`/staff/report`"),
    ]
    pairs = similar_pairs(qs)
    assert [(p.first.id, p.second.id) for p in pairs] == [("a", "b")]
    assert pairs[0].same_level
    assert len(similar_pairs(qs, threshold=0.0)) == 3


def _write(folder: Path, questions: list[McqQuestion]) -> Path:
    folder.mkdir()
    data = {"questions": [q.model_dump(mode="json", exclude_defaults=True) | {"kind": "mcq"} for q in questions]}
    (folder / "blueprints.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def test_bank_check_fails_same_level_duplicates_and_warns_across_levels(tmp_path: Path) -> None:
    same = _write(tmp_path / "same", [_mcq("a", NESTED, "`/api/v1/users`"), _mcq("b", NESTED_AGAIN, "`/api/v1/users`")])
    out = io.StringIO()
    assert run_bank_check(same, out) == 1
    assert "ERROR blueprints.yaml: b: nearly duplicates a at the same level (score" in out.getvalue()

    across = [_mcq("a", NESTED, "`/api/v1/users`"), _mcq("b", NESTED_AGAIN, "`/api/v1/users`", Level.ADVANCED)]
    out = io.StringIO()
    run_bank_check(_write(tmp_path / "across", across), out)
    report = out.getvalue()
    assert "WARNING a (fresher) and b (advanced) may teach the same fact" in report
    assert "nearly duplicates" not in report
