"""Answer-length cues: the measurement, its bound, and `bank check` failing a bank that breaks it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from bot.cli.bank_check import run_bank_check
from bot.domain.answer_cues import CUE_BOUND, cue_shares, option_length, right_is_longest, right_is_shortest
from bot.domain.bank import Level, McqQuestion, Option

# Distinct prompt words so that the near-duplicate check stays quiet about the sample banks.
_WORDS = ["route", "blueprint", "session", "cookie", "template", "config", "signal", "context", "cursor", "header"]


def _mcq(qid: str, right: str, *wrong: str, level: Level = Level.FRESHER) -> McqQuestion:
    options = [Option(text=right, correct=True), *(Option(text=w) for w in wrong)]
    return McqQuestion(
        id=qid,
        level=level,
        topic="basics",
        kind="mcq",
        prompt=f"Question {qid}: which {' '.join(_WORDS[sum(map(ord, qid)) % len(_WORDS) :][:3])}?",
        options=options,
        explanation="Because.",
        references=["https://flask.palletsprojects.com/en/stable/"],
    )


def test_backticks_are_markup_not_length() -> None:
    assert option_length("`g`") == 1
    assert option_length("use `app.run()` here") == len("use app.run() here")


def test_strictly_longest_and_shortest_ignore_ties() -> None:
    assert right_is_longest(_mcq("a", "xxxx", "xx", "xxx"))
    assert not right_is_longest(_mcq("b", "xxxx", "yyyy", "xx"))
    assert right_is_shortest(_mcq("c", "x", "xx", "xxx"))
    assert not right_is_shortest(_mcq("d", "x", "y", "xxx"))
    # Backticks would make the right option look longest; shown, it is the shortest.
    q = _mcq("e", "`abc`", "abcd", "abcde")
    assert right_is_shortest(q) and not right_is_longest(q)


def test_shares_per_level_then_overall() -> None:
    qs = [
        _mcq("f1", "long one", "a", "b"),
        _mcq("f2", "a", "long one", "bb"),
        _mcq("i1", "mid", "a", "longer", level=Level.INTERMEDIATE),
    ]
    shares = {s.label: s for s in cue_shares(qs)}
    assert list(shares) == ["fresher", "intermediate", "all"]
    assert (shares["fresher"].total, shares["fresher"].longest, shares["fresher"].shortest) == (2, 1, 1)
    assert (shares["intermediate"].longest, shares["intermediate"].shortest) == (0, 0)
    assert (shares["all"].total, shares["all"].longest, shares["all"].shortest) == (3, 1, 1)
    assert shares["fresher"].longest_share == 0.5


def test_bound_is_inclusive() -> None:
    at_bound = [_mcq(f"q{i}", "the longest option" if i < 3 else "b", "a", "c") for i in range(10)]
    (level, overall) = cue_shares(at_bound)
    assert level.longest_share == CUE_BOUND and not level.problems()
    over = [*at_bound, _mcq("q10", "the longest option", "a", "c")]
    (level, overall) = cue_shares(over)
    assert level.problems() and overall.problems()
    assert "longest in 4 of 11" in level.problems()[0]
    # 30% of 11 allows 3, so one of the four must be reworked.
    assert "rework at least 1 of: q0, q1, q2, q10" in level.problems()[0]


def _write_bank(folder: Path, questions: list[McqQuestion]) -> None:
    data = {"questions": [q.model_dump(mode="json", exclude_defaults=True) | {"kind": "mcq"} for q in questions]}
    folder.mkdir()
    (folder / "basics.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_bank_check_fails_a_bank_with_a_length_cue(tmp_path: Path) -> None:
    cued = [_mcq(f"cued-{i}", f"the right answer, spelled out at length {i}", "short", "brief") for i in range(4)]
    _write_bank(tmp_path / "cued", cued)
    out = io.StringIO()
    assert run_bank_check(tmp_path / "cued", out) == 1
    report = out.getvalue()
    assert "fresher: right option strictly the longest in 4 of 4 MCQs" in report
    assert "bank check failed" in report


def test_bank_check_fails_a_bank_with_a_shortness_cue(tmp_path: Path) -> None:
    cued = [_mcq(f"cued-{i}", f"ok {i}", "a longer wrong answer", "another long wrong one") for i in range(4)]
    _write_bank(tmp_path / "cued", cued)
    out = io.StringIO()
    assert run_bank_check(tmp_path / "cued", out) == 1
    assert "shortest in 4 of 4 MCQs" in out.getvalue()


def test_bank_check_passes_the_same_bank_without_the_cue(tmp_path: Path) -> None:
    mixed = [
        _mcq("m-0", "medium answer", "short", "a much longer wrong answer"),
        _mcq("m-1", "a", "bb", "ccc"),
        _mcq("m-2", "the longest answer here", "short", "medium"),
        _mcq("m-3", "midsize", "tiny", "the longest one, wrong"),
    ]
    _write_bank(tmp_path / "mixed", mixed)
    out = io.StringIO()
    run_bank_check(tmp_path / "mixed", out)
    report = out.getvalue()
    # Other checks may judge a four-question bank too small; the cue check must not object.
    assert "strictly the" not in report, report
    assert "fresher" in report and "1/4" in report


def test_absolute_words_are_whole_words_in_any_case() -> None:
    from bot.domain.answer_cues import has_absolute, has_justification

    assert has_absolute("It ALWAYS runs")
    assert has_absolute("You can't do that")
    assert has_absolute("You can’t do that")  # a typographic apostrophe is the same word
    assert has_absolute("Only GET")
    assert not has_absolute("install the package")  # "all" inside a word
    assert not has_absolute("allowed methods")
    assert has_justification("It fails, since the app is gone")
    assert not has_justification("sincerely")


def test_elimination_score_follows_the_kept_options() -> None:
    from bot.domain.answer_cues import elimination_score, elimination_shares, kept_options

    giveaway = _mcq("g", "Flask answers 405", "It never answers", "It always answers", "Only on Sundays")
    assert kept_options(giveaway) == [0]
    assert elimination_score(giveaway) == 1.0
    trap = _mcq("t", "It always answers", "Flask answers 405", "It returns 200", "It returns 404")
    assert elimination_score(trap) == 0.0
    plain = _mcq("p", "405", "404", "200", "500")
    assert elimination_score(plain) == 0.25
    all_cued = _mcq("c", "Never", "Always", "Only", "Every time")
    assert kept_options(all_cued) == [0, 1, 2, 3]
    [level, everything] = elimination_shares([giveaway, trap, plain, all_cued])
    assert level.label == "fresher"
    assert everything.expected == (1.0 + 0.0 + 0.25 + 0.25) / 4
    assert everything.giveaways == ("g",)
    assert everything.problems()  # 37.5% is over the bank-wide 28%


def test_a_follow_up_must_probe_an_existing_key_point() -> None:
    from pydantic import ValidationError

    from bot.domain.bank import OpenQuestion

    base = {
        "id": "o",
        "level": "fresher",
        "topic": "basics",
        "kind": "open",
        "prompt": "Why?",
        "references": ["https://flask.palletsprojects.com/en/stable/"],
        "model_answer": "Because.",
        "key_points": [{"point": "a", "keywords": ["a"]}, {"point": "b", "keywords": ["b"]}],
    }
    follow_up = {"prompt": "And?", "model_answer": "So.", "key_points": [{"point": "c", "keywords": ["c"]}]}
    assert OpenQuestion.model_validate({**base, "follow_ups": [{**follow_up, "probes": 1}]}).follow_ups[0].probes == 1
    with pytest.raises(ValidationError, match="probes key point 2"):
        OpenQuestion.model_validate({**base, "follow_ups": [{**follow_up, "probes": 2}]})


def _elimination_report(tmp_path: Path, questions: list[McqQuestion]) -> tuple[int, str]:
    _write_bank(tmp_path / "bank", questions)
    out = io.StringIO()
    code = run_bank_check(tmp_path / "bank", out)
    return code, out.getvalue()


def test_elimination_bound_fails_a_cued_bank_and_names_the_giveaways(tmp_path: Path) -> None:
    cued = [
        _mcq(f"give-{i}", f"Flask answers 40{i}", "It never answers", "It always answers", "Only on Sundays")
        for i in range(3)
    ] + [_mcq("plain-0", "405", "404", "200", "500")]
    code, report = _elimination_report(tmp_path, cued)
    assert code == 1
    # 3 giveaways scoring 1 and a plain question scoring 1/4: 81.2% at the level and over the bank
    for label, bound in (("fresher", "30%"), ("all", "28%")):
        line = next(x for x in report.splitlines() if x.startswith(f"ERROR (bank): {label}: dropping options"))
        assert "81.2%" in line and f"above {bound}" in line
        assert line.endswith("giveaways: give-0, give-1, give-2")
    assert "bank check failed" in report


def test_elimination_bound_applies_at_a_level_on_its_own(tmp_path: Path) -> None:
    # Fresher is over 30% while traps at another level pull the whole bank under 28%.
    questions = [
        _mcq("f-give", "Flask answers 405", "It never answers", "It always answers", "Only on Sundays"),
        _mcq("f-plain", "405", "404", "200", "500"),
        *(
            _mcq(
                f"i-trap-{i}",
                f"It always answers {i}",
                "Flask answers 405",
                "It returns 200",
                "It returns 404",
                level=Level.INTERMEDIATE,
            )
            for i in range(4)
        ),
    ]
    code, report = _elimination_report(tmp_path, questions)
    assert code == 1
    errors = [x for x in report.splitlines() if "dropping options" in x]
    assert len(errors) == 1, errors
    assert errors[0].startswith("ERROR (bank): fresher:") and "62.5%" in errors[0]
    assert errors[0].endswith("giveaways: f-give")


def test_elimination_bound_passes_a_balanced_bank(tmp_path: Path) -> None:
    balanced = [
        _mcq("b-0", "It always answers 405", "It returns 200", "It never answers", "It returns 404"),
        _mcq("b-1", "405", "404", "200", "500"),
        _mcq("b-2", "It returns 200", "It only returns 404", "It returns 405", "It returns 500"),
        _mcq("b-3", "It returns 304", "It returns 200", "It returns 412", "It must return 500"),
    ]
    _, report = _elimination_report(tmp_path, balanced)
    # Other checks may judge a four-question bank too small; the elimination check must not object.
    assert "dropping options" not in report, report
    assert "fresher" in report and "giveaways 0" in report
