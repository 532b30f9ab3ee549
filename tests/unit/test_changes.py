"""The Flask 2 → 3 drill: which questions it draws on, how a session is planned, and its deep link and button."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
import yaml

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain import deeplink
from bot.domain.bank import Level, McqQuestion, Option, load_bank
from bot.domain.changes import DRILL_LENGTH, MIN_DRILL_QUESTIONS, drill_pool, is_change, plan_drill
from bot.telegram.callback import MAX_BYTES, ChangesCb, unpack

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
_LEVELS = list(Level)


def _mcq(qid: str, versions: str | None, level: Level = Level.FRESHER) -> McqQuestion:
    return McqQuestion(
        id=qid,
        level=level,
        topic="basics",
        kind="mcq",
        prompt=f"Question {qid}?",
        options=[Option(text="right", correct=True), Option(text="wrong"), Option(text="also wrong")],
        explanation="Because.",
        references=["https://flask.palletsprojects.com/en/stable/"],
        versions=versions,
    )


@pytest.mark.parametrize(
    "versions",
    [
        "Flask >= 2.3",
        "Removed in Flask 2.3",
        "Deprecated since Flask 3.0",
        "Werkzeug >= 2.1",
        "Flask >= 3.1.2 (the last request's context after follow_redirects)",
        "Flask >= 1.1 (lists: Flask >= 2.2)",
        "Werkzeug 3.x",
        "Flask <= 3.1 (302 in every release so far)",
        "Flask 3.1, Flask-Login 0.6",
        "flask 3",
    ],
)
def test_a_flask_or_werkzeug_2_or_3_release_makes_a_drill_question(versions: str) -> None:
    assert is_change(_mcq("q", versions))


@pytest.mark.parametrize(
    "versions",
    [
        None,
        "Flask >= 1.1",
        "Flask-Limiter 4.x",
        "Flask-SQLAlchemy >= 3.0",
        "PyJWT 2.x",
        "Click >= 8.2",
        "bcrypt 5.0",
        "Authlib 1.9",
        "argon2-cffi 25",
        "itsdangerous 2.1+",
        "marshmallow 3 and 4",
        "flask-smorest 0.47",
        "Flask-Migrate 4.1, Alembic 1.x",
        # Another library's release after Flask's name is not a Flask release.
        "Flask app with PyJWT 2.8",
        "Werkzeug hashes against bcrypt 3.2",
        "Flask 1.1, Jinja2 3.1",
    ],
)
def test_extensions_libraries_and_old_releases_stay_out(versions: str | None) -> None:
    assert not is_change(_mcq("q", versions))


def test_the_shipped_bank_has_enough_drill_questions() -> None:
    pool = drill_pool(BANK)
    assert len(pool) >= MIN_DRILL_QUESTIONS
    assert all(isinstance(q, McqQuestion) and q.versions for q in pool)
    # Every level has some, so the drill can go from the easiest up.
    assert {q.level for q in pool} == set(Level)
    # Questions pinned to another library's release (bcrypt, Authlib, an extension) stay out of it.
    ids = {q.id for q in pool}
    assert not ids & {"auth-hash-bcrypt-72-bytes", "auth-oidc-pkce-opt-in", "prod-limiter-headers"}
    for q in pool:
        assert q.versions and re.search(r"(?<![\w-])(flask|werkzeug) ", q.versions, re.IGNORECASE), q.id


def test_no_drill_question_is_about_something_that_never_changed() -> None:
    # "What changed from Flask 2 to 3" must not ask about a default that every release shares: a `versions`
    # that only bounds the current release from above, or says "so far" / "unchanged", names no change.
    for q in drill_pool(BANK):
        assert q.versions is not None
        assert not re.search(r"<=|so far|unchanged", q.versions, re.IGNORECASE), (q.id, q.versions)


def test_a_plan_is_drill_questions_easiest_first_without_repeats() -> None:
    plan = plan_drill(BANK, random.Random(1))
    assert len(plan) == DRILL_LENGTH == len({p.qid for p in plan})
    questions = [BANK[p.qid] for p in plan]
    assert all(is_change(q) for q in questions)
    ranks = [_LEVELS.index(q.level) for q in questions]
    assert ranks == sorted(ranks)
    for p, q in zip(plan, questions, strict=True):
        assert sorted(p.order) == list(range(len(q.options)))


def test_plans_go_through_the_whole_pool_least_recently_seen_first() -> None:
    pool = {q.id for q in drill_pool(BANK)}
    seen: dict[str, float] = {}
    asked: list[str] = []
    rng = random.Random(5)
    for drill in range(len(pool) // DRILL_LENGTH):
        plan = plan_drill(BANK, rng, seen)
        asked += [p.qid for p in plan]
        seen.update({p.qid: float(drill) for p in plan})
    # No question comes back before every other one has been asked once.
    assert len(asked) == len(set(asked)) and set(asked) <= pool
    # Once all were asked, the ones seen longest ago come first.
    remaining = pool - set(asked)
    last = plan_drill(BANK, rng, {**seen, **dict.fromkeys(remaining, 99.0)})
    assert {p.qid for p in last} <= {q for q, when in seen.items() if when == 0.0}


def test_disabled_questions_are_left_out_and_an_empty_pool_plans_nothing() -> None:
    pool = [q.id for q in drill_pool(BANK)]
    assert not {p.qid for p in plan_drill(BANK, random.Random(2), exclude=pool[:-3])} - set(pool[-3:])
    assert plan_drill(BANK, random.Random(2), exclude=pool) == []
    assert plan_drill([_mcq("old", "Flask >= 1.1")], random.Random(2)) == []


def test_the_deep_link_round_trips() -> None:
    link = deeplink.parse("changes")
    assert link is not None and link.kind == "changes" and link.level is None and link.topic is None
    assert deeplink.payload_for(link) == "changes"


@pytest.mark.parametrize("payload", ["Changes", "changes-fresher", "change", "changes!", "changes "])
def test_near_miss_drill_payloads_are_ignored(payload: str) -> None:
    assert deeplink.parse(payload) is None


def test_the_button_payload_round_trips_within_telegram_limits() -> None:
    packed = ChangesCb().pack()
    assert len(packed.encode()) <= MAX_BYTES
    assert unpack(packed) == ChangesCb()


def test_bank_check_counts_the_drill_and_its_totals_want_enough_of_it(tmp_path: Path) -> None:
    from bot.cli.bank_check import drill_problems, run_bank_check
    from bot.domain.bank import Bank

    few = [_mcq(f"v-{i}", "Flask >= 2.3", level) for i, level in enumerate(Level)]
    problems = drill_problems(Bank(few, {}))
    assert [p.message for p in problems] == [
        f"4 questions for the Flask 2 -> 3 drill, fewer than {MIN_DRILL_QUESTIONS}"
    ]
    assert drill_problems(BANK) == []
    folder = tmp_path / "bank"
    folder.mkdir()
    data = {"questions": [q.model_dump(mode="json", exclude_defaults=True) | {"kind": "mcq"} for q in few]}
    (folder / "basics.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = io.StringIO()
    run_bank_check(folder, out)
    assert "Flask 2 -> 3 drill (MCQs whose versions name a Flask or Werkzeug 2.x/3.x release): 4, at least 25" in (
        out.getvalue()
    )
