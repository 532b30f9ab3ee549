"""Goal rules: the forecast at a date, the plan's daily target, capped review intervals, the daily set, streaks."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from fsrs import Card

from bot.domain import goal
from bot.domain.progress import FREEZES_MAX, at_risk, streaks
from bot.domain.review import Rating, review

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
TOPICS = {"routing": [f"r{i}" for i in range(20)], "blueprints": [f"b{i}" for i in range(20)]}
ALL = [q for ids in TOPICS.values() for q in ids]


def _known(qids: list[str], reviews: int = 4) -> dict[str, Card]:
    """Cards of someone who answered each question right, each time it came due, up to NOW."""
    cards: dict[str, Card] = {}
    for q in qids:
        when = NOW - 60 * DAY
        stored = None
        for _ in range(reviews):
            done = review(stored, Rating.Good, when)
            stored = done.card_json
            if done.due > NOW:
                break
            when = done.due
        assert stored is not None
        cards[q] = Card.from_json(stored)
    return cards


def _cutoff(days: int) -> dt.datetime:
    return dt.datetime.combine(NOW.date() + days * DAY, dt.time(0), tzinfo=dt.UTC)


def test_no_answers_forecast_zero() -> None:
    look = goal.outlook({}, TOPICS, NOW, _cutoff(30), reviewing=False)
    assert goal.overall(look, "now") == 0.0
    days = goal.study_days(NOW.date(), NOW.date() + 30 * DAY, frozenset())
    assert goal.projected(look, goal.pace([], NOW), days) == 0.0
    assert set(goal.topic_forecast(look).values()) == {0.0}


def test_knowing_everything_and_reviewing_on_time_is_close_to_one_at_the_date() -> None:
    look = goal.outlook(_known(ALL), TOPICS, NOW, _cutoff(45), reviewing=True)
    at_date = goal.projected(look, 0.0, list(range(45)))
    assert at_date > 0.9
    assert min(goal.topic_forecast(look).values()) > 0.9


def test_without_reviews_a_far_date_forecasts_less_than_a_near_one() -> None:
    cards = _known(ALL, reviews=2)
    near = goal.overall(goal.outlook(cards, TOPICS, NOW, _cutoff(5), reviewing=False))
    far = goal.overall(goal.outlook(cards, TOPICS, NOW, _cutoff(120), reviewing=False))
    assert 0 < far < near < 1
    # Reviewing on time holds the far date up.
    kept = goal.overall(goal.outlook(cards, TOPICS, NOW, _cutoff(120), reviewing=True))
    assert kept > far + 0.1


def test_the_daily_target_falls_as_the_runway_grows() -> None:
    targets = []
    for days in (7, 14, 30, 60, 120):
        look = goal.outlook(_known(ALL[:5]), TOPICS, NOW, _cutoff(days), reviewing=True)
        targets.append(goal.plan(look, list(range(days))))
    per_day = [p.new_per_day for p in targets]
    assert per_day == sorted(per_day, reverse=True)
    assert per_day[0] > per_day[-1]
    assert all(p.reachable for p in targets[1:])
    assert all(p.forecast >= goal.READY_BAR for p in targets if p.reachable)
    # Seven days for 35 new questions at most DAILY_MAX a day: capped, and said to be out of reach or just in.
    assert per_day[0] <= goal.DAILY_MAX


def test_a_plan_out_of_reach_is_capped_and_says_so() -> None:
    topics = {"big": [f"q{i}" for i in range(500)]}
    look = goal.outlook({}, topics, NOW, _cutoff(3), reviewing=True)
    found = goal.plan(look, [0, 1, 2])
    assert (found.new_per_day, found.reachable) == (goal.DAILY_MAX, False)
    # Catching up would take learning most of the level today; with nothing left to learn it is out of reach.
    behind = goal.behind_by(look, 0.0, [0, 1, 2])
    assert behind is not None and 400 < behind <= 500
    assert goal.behind_by(goal.outlook({}, {"t": ["a"]}, NOW, _cutoff(3), reviewing=True), 1.0, [0, 1, 2]) in (0, None)


def test_paused_days_raise_the_daily_target() -> None:
    look = goal.outlook({}, TOPICS, NOW, _cutoff(20), reviewing=True)
    today = NOW.date()
    free = goal.study_days(today, today + 20 * DAY, frozenset())
    paused = goal.study_days(today, today + 20 * DAY, frozenset(today + i * DAY for i in range(10)))
    assert len(paused) == 10
    assert goal.plan(look, paused).new_per_day > goal.plan(look, free).new_per_day


def test_capped_intervals_never_schedule_a_card_after_the_date_and_spread_the_last_week() -> None:
    cutoff = _cutoff(30)
    days: Counter[dt.date] = Counter()
    for i in range(700):
        qid = f"q{i}"
        last = NOW - (i % 20) * DAY
        natural = last + (40 + i % 300) * DAY
        due = goal.capped_due(natural, last, qid, cutoff)
        assert due < cutoff
        assert due >= last + DAY
        days[due.date()] += 1
    assert len(days) == goal.CAP_WINDOW_DAYS
    assert max(days.values()) < 2 * 700 / goal.CAP_WINDOW_DAYS
    # A card already due before the last day keeps its time; one reviewed on the last day is due at the date.
    early = NOW + 3 * DAY
    assert goal.capped_due(early, NOW, "x", cutoff) == early
    assert goal.capped_due(cutoff + 50 * DAY, cutoff - DAY / 2, "x", cutoff) == cutoff


def test_simulated_reviews_of_a_kept_up_card_stay_before_the_date() -> None:
    cutoff = _cutoff(90)
    card = _known(["q"], reviews=1)["q"]
    when = NOW
    for _ in range(30):
        due = max(when, goal.capped_due(card.due, card.last_review, "q", cutoff))
        if due >= cutoff:
            break
        assert due < cutoff
        card = Card.from_json(review(card.to_json(), Rating.Good, due).card_json)
        when = due
    assert card.last_review is not None and card.last_review >= cutoff - goal.CAP_WINDOW_DAYS * DAY
    assert goal.retrievability(card, cutoff) > 0.9


def test_the_daily_set_puts_due_reviews_first_then_the_topics_worth_most() -> None:
    cards = _known(TOPICS["routing"][:18])
    look = goal.outlook(cards, TOPICS, NOW, _cutoff(30), reviewing=True)
    chosen = goal.choose_set(6, ["r1", "r2"], look, frozenset({"b0"}), random.Random(1))
    assert chosen[:2] == ["r1", "r2"]
    assert len(chosen) == 6 and len(set(chosen)) == 6
    assert "b0" not in chosen
    # Blueprints is untouched, so it moves the forecast most: its questions follow the reviews.
    assert goal.top_topics(look)[0][0] == "blueprints"
    assert chosen[2].startswith("b")


def test_behind_by_counts_the_questions_missing_at_your_pace() -> None:
    look = goal.outlook(_known(ALL[:10]), TOPICS, NOW, _cutoff(30), reviewing=True)
    days = list(range(30))
    assert goal.behind_by(look, 2.0, days) == 0
    behind = goal.behind_by(look, 0.0, days)
    assert behind is not None and 10 < behind <= 30


def test_goal_dates_are_one_to_180_days_ahead() -> None:
    today = NOW.date()
    assert goal.date_problem(today, today) == "past"
    assert goal.date_problem(today + DAY, today) is None
    assert goal.date_problem(today + 180 * DAY, today) is None
    assert goal.date_problem(today + 181 * DAY, today) == "far"


D = dt.date


def test_seven_days_of_streak_earn_a_freeze_that_covers_a_missed_day() -> None:
    days = [D(2026, 1, d) for d in range(1, 8)] + [D(2026, 1, 9)]
    result = streaks(days, today=D(2026, 1, 9))
    assert (result.current, result.freezes, result.frozen) == (8, 0, frozenset({D(2026, 1, 8)}))
    # Without a freeze the same gap ends the streak.
    assert streaks([D(2026, 1, d) for d in range(3, 8)] + [D(2026, 1, 9)], today=D(2026, 1, 9)).current == 1


def test_freezes_are_capped_and_a_missed_day_without_one_ends_the_streak() -> None:
    days = [D(2026, 1, 1) + i * DAY for i in range(28)]
    assert streaks(days, today=days[-1]).freezes == FREEZES_MAX
    gap_of_three = [*days, days[-1] + 4 * DAY]
    assert streaks(gap_of_three, today=gap_of_three[-1]).current == 1


def test_paused_days_stop_the_streak_clock() -> None:
    days = [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 8)]
    paused = [D(2026, 1, d) for d in range(3, 8)]
    assert streaks(days, today=D(2026, 1, 8), paused=paused).current == 3
    assert streaks(days, today=D(2026, 1, 8)).current == 1
    # Today not yet played does not break it.
    assert streaks(days[:2], today=D(2026, 1, 3)).current == 2


def test_a_streak_is_at_risk_only_before_todays_answer_and_outside_a_pause() -> None:
    days = [D(2026, 1, 1), D(2026, 1, 2)]
    assert at_risk(days, D(2026, 1, 3)) == 2
    assert at_risk([*days, D(2026, 1, 3)], D(2026, 1, 3)) == 0
    assert at_risk(days, D(2026, 1, 3), paused=[D(2026, 1, 3)]) == 0
    assert at_risk(days, D(2026, 1, 4)) == 0  # already broken yesterday
    assert at_risk([], D(2026, 1, 4)) == 0
