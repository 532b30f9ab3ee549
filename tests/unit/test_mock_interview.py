"""The adaptive interview's rules in plain Python: the walk, the estimate, deadlines, calibration, deep links."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain import deeplink
from bot.domain.bank import Level, load_bank
from bot.domain.calibration import MIN_ANSWERS, AnswerTally, difficulties, flagged, observe
from bot.domain.estimate import Evidence, estimate, level_index, nearest_level
from bot.domain.interview import Mode, plan_session
from bot.domain.mock_interview import (
    INTERVIEW_QUESTIONS,
    MIN_TOPICS,
    OPEN_POSITIONS,
    Budgets,
    Scored,
    StartPick,
    build_report,
    choose_next,
    deadline,
    interview_score,
    is_over_time,
    next_level,
    rate,
)

BANK = load_bank(DEFAULT_QUESTIONS_DIR)


def _walk(
    start: Level, answer: Callable[[int, Level], float], seed: int, recent: frozenset[str] = frozenset()
) -> list[Scored]:
    """Run a whole interview where `answer(position, level)` gives each score."""
    rng = random.Random(seed)
    done: list[Scored] = []
    for position in range(INTERVIEW_QUESTIONS):
        level = next_level(start, done, {})
        q = choose_next(BANK, level, position, [s.qid for s in done], recent, rng)
        assert q is not None
        done.append(Scored(q.id, q.level, q.topic, q.kind, answer(position, q.level), 10.0))
    return done


@pytest.mark.parametrize("seed", range(5))
def test_always_right_climbs_to_advanced(seed: int) -> None:
    walk = _walk(Level.INTERMEDIATE, lambda _p, _l: 1.0, seed)
    steps = [level_index(s.level) for s in walk]
    assert steps == sorted(steps) and steps[-1] == 3
    assert rate(Level.INTERMEDIATE, walk, {}).level is Level.ADVANCED


@pytest.mark.parametrize("seed", range(5))
def test_always_wrong_descends_to_fresher(seed: int) -> None:
    walk = _walk(Level.EXPERIENCED, lambda _p, _l: 0.0, seed)
    steps = [level_index(s.level) for s in walk]
    assert steps == sorted(steps, reverse=True) and steps[-1] == 0
    assert rate(Level.EXPERIENCED, walk, {}).level is Level.FRESHER


def test_a_real_intermediate_settles_at_intermediate() -> None:
    # Right at fresher and intermediate, wrong above: the estimate lands on intermediate.
    walk = _walk(Level.ADVANCED, lambda _p, lv: 1.0 if level_index(lv) <= 1 else 0.0, 2)
    assert rate(Level.ADVANCED, walk, {}).level is Level.INTERMEDIATE


@pytest.mark.parametrize("start", list(Level))
@pytest.mark.parametrize("seed", range(4))
def test_topic_spread_open_positions_and_no_repeats(start: Level, seed: int) -> None:
    walk = _walk(start, lambda p, _l: float(p % 2), seed)
    assert len({s.topic for s in walk}) >= MIN_TOPICS
    assert len({s.qid for s in walk}) == INTERVIEW_QUESTIONS
    assert all(walk[p].kind == "open" for p in OPEN_POSITIONS)


def test_questions_seen_in_the_last_30_days_wait_while_others_exist() -> None:
    fresher = [q.id for q in BANK.of_level(Level.FRESHER)]
    recent = frozenset(fresher[:-12])
    walk = _walk(Level.FRESHER, lambda _p, _l: 0.0, 1, recent)
    assert not {s.qid for s in walk} & recent
    # With every question of the level recent, one is still asked (reuse beats an empty interview).
    everything = frozenset(q.id for q in BANK)
    assert choose_next(BANK, Level.FRESHER, 0, [], everything, random.Random(1)) is not None


def test_disabled_questions_are_never_chosen() -> None:
    fresher = [q.id for q in BANK.of_level(Level.FRESHER)]
    blocked = frozenset(fresher[:-1])
    q = choose_next(BANK, Level.FRESHER, 0, [], set(), random.Random(1), exclude=blocked)
    assert q is not None and q.id == fresher[-1]
    plan = plan_session(BANK, Mode.QUIZ, Level.FRESHER, random.Random(1), exclude=blocked)
    assert all(p.qid not in blocked for p in plan)


def test_estimate_moves_with_the_answers_and_reports_confidence() -> None:
    none = estimate(1.0, [])
    assert none.level is Level.INTERMEDIATE and none.confidence == "low"
    up = estimate(1.0, [Evidence(2.0, 1.0)] * 6)
    down = estimate(1.0, [Evidence(0.0, 0.0)] * 6)
    half = estimate(1.0, [Evidence(1.0, 0.5)] * 6)
    assert down.ability < half.ability < up.ability
    assert up.level is Level.ADVANCED and down.level is Level.FRESHER and half.level is Level.INTERMEDIATE
    assert up.se < none.se
    assert (
        nearest_level(-3) is Level.FRESHER
        and nearest_level(9) is Level.ADVANCED
        and nearest_level(1.49) is Level.INTERMEDIATE
    )
    assert StartPick.UNSURE.level is Level.INTERMEDIATE and StartPick.ADVANCED.level is Level.ADVANCED


def test_open_answers_count_key_points_until_graded() -> None:
    assert interview_score("open", None, None, [True, False, True, False], False) == (0.5, False)
    assert interview_score("open", None, "nailed", [False], False) == (1.0, True)
    assert interview_score("mcq", True, None, (), True) == (0.0, True)
    assert interview_score("mcq", False, None, (), False) == (0.0, True)


def test_deadlines_with_an_injected_clock() -> None:
    budgets = Budgets(mcq=90, open=300)
    asked = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert deadline(asked, "mcq", budgets) == asked + dt.timedelta(seconds=90)
    assert deadline(asked, "open", budgets) == asked + dt.timedelta(minutes=5)
    due = deadline(asked, "mcq", budgets)
    assert not is_over_time(due, due) and is_over_time(due + dt.timedelta(milliseconds=1), due)


def test_report_evidence_topics_and_change() -> None:
    answers = [
        Scored("a", Level.FRESHER, "routing", "mcq", 1.0, 30),
        Scored("b", Level.INTERMEDIATE, "templates", "mcq", 1.0, 30),
        Scored("c", Level.EXPERIENCED, "database", "mcq", 0.0, 90, timed_out=True),
        Scored("d", Level.EXPERIENCED, "testing", "open", 0.25, 200, graded=False, over_time=True),
    ]
    previous = estimate(0.0, [])
    report = build_report(Level.INTERMEDIATE, answers, {}, 350, previous)
    assert [(e.level, e.asked, e.right) for e in report.evidence] == [
        (Level.FRESHER, 1, 1),
        (Level.INTERMEDIATE, 1, 1),
        (Level.EXPERIENCED, 2, 0),
    ]
    assert [t.topic for t in report.strongest] == ["routing", "templates"]
    assert [t.topic for t in report.weakest] == ["database", "testing"]
    assert (report.timed_out, report.over_time, report.ungraded) == (1, 1, 1)
    assert report.previous == previous and report.total_seconds == 350


def _tallies(qid: str, level: Level, n: int, share: float) -> AnswerTally:
    return AnswerTally(qid, level, n, n * share, n * 20.0)


def test_calibration_on_a_generated_answer_set() -> None:
    rng = random.Random(5)
    fresher = BANK.of_level(Level.FRESHER, "mcq")
    advanced = BANK.of_level(Level.ADVANCED, "mcq")
    hard_fresher, easy_advanced, normal, too_easy, too_few = fresher[0], advanced[0], fresher[1], fresher[2], fresher[3]
    tallies = []
    # Generated answers: each one right with the chance the question really has for fresher candidates.
    for q, chance in ((hard_fresher, 0.1), (normal, 0.5), (too_easy, 0.99)):
        right = sum(rng.random() < chance for _ in range(200))
        tallies.append(AnswerTally(q.id, Level.FRESHER, 200, float(right), 200 * 25.0))
    tallies.append(_tallies(easy_advanced.id, Level.ADVANCED, 40, 0.97))
    tallies.append(_tallies(too_few.id, Level.FRESHER, MIN_ANSWERS - 1, 0.0))
    seen = observe(BANK, tallies)
    assert too_few.id not in seen and len(seen) == 4
    assert seen[hard_fresher.id].disagrees and seen[hard_fresher.id].plays_like is not Level.FRESHER
    assert not seen[normal.id].disagrees and not seen[normal.id].too_easy
    assert seen[too_easy.id].too_easy and seen[easy_advanced.id].too_easy
    assert seen[normal.id].mean_seconds == pytest.approx(25.0)
    named = [o.question_id for o in flagged(seen)]
    assert hard_fresher.id in named and too_easy.id in named and normal.id not in named
    # The estimate uses the observed difficulty where it exists: a right answer to a question that plays
    # hard counts for more than one to a question at its level prior.
    observed = difficulties(seen)
    right_hard = [Scored(hard_fresher.id, Level.FRESHER, "routing", "mcq", 1.0, 5)]
    assert rate(Level.FRESHER, right_hard, observed).ability > rate(Level.FRESHER, right_hard, {}).ability


@pytest.mark.parametrize(
    ("payload", "kind", "value"),
    [
        ("quiz-fresher", "quiz", Level.FRESHER),
        ("topic-routing", "topic", "routing"),
        ("interview", "interview", None),
        ("review", "review", None),
    ],
)
def test_deep_link_payloads(payload: str, kind: str, value: object) -> None:
    link = deeplink.parse(payload)
    assert link is not None and link.kind == kind and value in (None, link.level, link.topic)
    assert deeplink.payload_for(link) == payload


@pytest.mark.parametrize(
    "payload", ["", "quiz-expert", "topic-nonsense", "quiz", "x" * 65, "quiz fresher", "interview!", "Review"]
)
def test_bad_deep_link_payloads_are_ignored(payload: str) -> None:
    assert deeplink.parse(payload) is None
