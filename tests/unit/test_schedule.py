"""Local due times across DST and extreme offsets, zone lookup, FSRS ratings and the push question choice."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from fsrs import Card, Rating

from bot.domain import review, schedule
from bot.domain.grading import SelfGrade
from bot.domain.schedule import Subscriber

UTC = dt.UTC


def _sub(user_id: int, at: str, tz: str | None) -> Subscriber:
    parsed = schedule.parse_hhmm(at)
    assert parsed is not None
    return Subscriber(user_id, user_id, parsed, tz, "fresher")


def test_parse_hhmm() -> None:
    assert schedule.parse_hhmm("9:05") == dt.time(9, 5)
    assert schedule.parse_hhmm("21.30") == dt.time(21, 30)
    for bad in ("24:00", "9", "09:60", "nine", "", "09:5"):
        assert schedule.parse_hhmm(bad) is None
    assert schedule.format_hhmm(dt.time(7, 0)) == "07:00"
    assert schedule.from_minutes(schedule.minutes(dt.time(23, 59))) == dt.time(23, 59)


def test_due_instant_follows_dst_in_new_york() -> None:
    ny = zoneinfo.ZoneInfo("America/New_York")
    nine = dt.time(9)
    # 2026 DST starts Sunday 8 March and ends Sunday 1 November.
    assert schedule.due_instant(dt.date(2026, 3, 7), nine, ny) == dt.datetime(2026, 3, 7, 14, tzinfo=UTC)
    assert schedule.due_instant(dt.date(2026, 3, 8), nine, ny) == dt.datetime(2026, 3, 8, 13, tzinfo=UTC)
    assert schedule.due_instant(dt.date(2026, 11, 1), nine, ny) == dt.datetime(2026, 11, 1, 14, tzinfo=UTC)
    # 02:30 does not exist on 8 March: it is read with the old offset, 03:30 on the new wall clock.
    skipped = schedule.due_instant(dt.date(2026, 3, 8), dt.time(2, 30), ny)
    assert skipped == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    # 01:30 happens twice on 1 November: the first one counts.
    twice = schedule.due_instant(dt.date(2026, 11, 1), dt.time(1, 30), ny)
    assert twice == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_due_now_on_dst_day_sends_at_local_nine_not_utc_fourteen() -> None:
    subs = [_sub(1, "09:00", "America/New_York")]
    before = dt.datetime(2026, 3, 8, 12, 59, tzinfo=UTC)
    at = dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert schedule.due_now(subs, before, "UTC") == []
    assert [d.local_date for d in schedule.due_now(subs, at, "UTC")] == [dt.date(2026, 3, 8)]


def test_extreme_offsets_have_their_own_dates() -> None:
    kiri, minus12 = _sub(1, "08:00", "Pacific/Kiritimati"), _sub(2, "08:00", "Etc/GMT+12")
    # 18:00 UTC on 1 Jan is 08:00 on 2 Jan at UTC+14 and 06:00 on 1 Jan at UTC−12.
    now = dt.datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    due = schedule.due_now([kiri, minus12], now, "UTC")
    assert [(d.subscriber.user_id, d.local_date) for d in due] == [(1, dt.date(2026, 1, 2))]
    # 20:00 UTC on 1 Jan is 08:00 on 1 Jan at UTC−12: the same UTC day, two different local dates.
    later = dt.datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    due = schedule.due_now([kiri, minus12], later, "UTC")
    assert {(d.subscriber.user_id, d.local_date) for d in due} == {(1, dt.date(2026, 1, 2)), (2, dt.date(2026, 1, 1))}
    everyone = schedule.due_now([kiri, minus12], dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "UTC", ignore_time=True)
    assert {(d.subscriber.user_id, d.local_date) for d in everyone} == {
        (1, dt.date(2026, 1, 1)),
        (2, dt.date(2025, 12, 31)),
    }


def test_pending_skips_served_pairs_and_default_zone_applies() -> None:
    subs = [_sub(1, "09:00", None), _sub(2, "09:00", "Not/AZone")]
    now = dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    due = schedule.due_now(subs, now, "UTC")
    assert len(due) == 2
    assert [d.subscriber.user_id for d in schedule.pending(due, {(1, dt.date(2026, 1, 1))})] == [2]
    assert schedule.zone("Not/AZone", "Europe/Berlin").key == "Europe/Berlin"


def test_zone_lookup_and_suggestion() -> None:
    assert schedule.canonical_zone("europe/berlin") == "Europe/Berlin"
    assert schedule.canonical_zone("America/New York") == "America/New_York"
    assert schedule.canonical_zone("Mars/Olympus") is None
    assert schedule.suggest_zone("Europe/Berln") == "Europe/Berlin"
    assert schedule.suggest_zone("Asia/Kolkatta") == "Asia/Kolkata"
    assert schedule.suggest_zone("zzzzzzzzzzzz") is None


def test_ratings() -> None:
    assert review.rating_for_mcq(True) is Rating.Good
    assert review.rating_for_mcq(False) is Rating.Again
    assert [review.rating_for_grade(g) for g in SelfGrade] == [Rating.Good, Rating.Hard, Rating.Again]


def test_review_is_deterministic_and_good_pushes_due_further_than_again() -> None:
    when = dt.datetime(2026, 1, 1, 12, tzinfo=UTC)
    good = review.review(None, Rating.Good, when)
    assert good == review.review(None, Rating.Good, when)
    again = review.review(None, Rating.Again, when)
    assert again.due < good.due and good.last_review == when
    second = review.review(good.card_json, Rating.Good, good.due)
    assert second.due - good.due > good.due - when
    assert Card.from_json(second.card_json).last_review == good.due


def test_choose_question_prefers_most_overdue_then_unseen_then_soonest() -> None:
    now = dt.datetime(2026, 1, 10, tzinfo=UTC)
    rng = random.Random(1)
    qids = ["a", "b", "c"]
    due = {"a": now - dt.timedelta(days=1), "b": now - dt.timedelta(days=3), "x": now - dt.timedelta(days=9)}
    assert review.choose_question(qids, due, now, rng) == "b"  # "x" is another level
    not_due = {"a": now + dt.timedelta(days=1), "b": now + dt.timedelta(days=2)}
    assert review.choose_question(qids, not_due, now, rng) == "c"
    all_seen = {**not_due, "c": now + dt.timedelta(hours=1)}
    assert review.choose_question(qids, all_seen, now, rng) == "c"
    assert review.choose_question([], {}, now, rng) is None
