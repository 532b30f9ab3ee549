"""Progress rules: streaks in the user's zone, readiness with and without cards, bars, chunks, CSV, topic masks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest

from bot.domain import schedule
from bot.domain.bank import TOPICS
from bot.domain.progress import (
    BUCKET_MS,
    EXPORT_COLUMNS,
    ExportRow,
    QuestionStat,
    bar,
    chunk,
    local_days,
    readiness,
    streaks,
    to_csv,
    topic_progress,
    topics_from_mask,
    topics_mask,
    verdict,
    weakest,
)

UTC = dt.UTC
D = dt.date


def _buckets(*moments: dt.datetime) -> list[int]:
    return [int(m.timestamp() * 1000) // BUCKET_MS for m in moments]


def test_streak_counts_consecutive_days_and_best() -> None:
    days = [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3), D(2026, 1, 5), D(2026, 1, 6)]
    result = streaks(days, today=D(2026, 1, 6))
    assert (result.current, result.best) == (2, 3)


def test_streak_stays_alive_until_the_end_of_the_next_day() -> None:
    days = [D(2026, 1, 4), D(2026, 1, 5)]
    assert streaks(days, today=D(2026, 1, 6)).current == 2
    assert streaks(days, today=D(2026, 1, 7)).current == 0
    assert streaks(days, today=D(2026, 1, 7)).best == 2


def test_no_answers_no_streak() -> None:
    result = streaks([], today=D(2026, 1, 1))
    assert (result.current, result.best) == (0, 0)


def test_midnight_splits_days_in_the_users_zone_not_in_utc() -> None:
    # 23:50 and 00:10 UTC: two UTC days, but one day in Berlin (00:50, 01:10) and one in New York (18:50, 19:10).
    moments = (dt.datetime(2026, 1, 1, 23, 50, tzinfo=UTC), dt.datetime(2026, 1, 2, 0, 10, tzinfo=UTC))
    buckets = _buckets(*moments)
    assert local_days(buckets, zoneinfo.ZoneInfo("UTC")) == {D(2026, 1, 1), D(2026, 1, 2)}
    assert local_days(buckets, zoneinfo.ZoneInfo("Europe/Berlin")) == {D(2026, 1, 2)}
    assert local_days(buckets, zoneinfo.ZoneInfo("America/New_York")) == {D(2026, 1, 1)}


def test_half_and_quarter_hour_zones_are_exact() -> None:
    # Kathmandu is UTC+5:45: 18:14 UTC is 23:59 local, 18:15 UTC is 00:00 the next day.
    before, after = dt.datetime(2026, 3, 1, 18, 14, tzinfo=UTC), dt.datetime(2026, 3, 1, 18, 15, tzinfo=UTC)
    zone = zoneinfo.ZoneInfo("Asia/Kathmandu")
    assert local_days(_buckets(before), zone) == {D(2026, 3, 1)}
    assert local_days(_buckets(after), zone) == {D(2026, 3, 2)}


def test_zone_change_recounts_the_streak_in_the_new_zone() -> None:
    # Answers every evening at 23:30 UTC for three days, then at 00:30 UTC: in UTC the days are 1, 2, 3 and 5
    # (4 is missed); in Tokyo (UTC+9) each answer falls on the next morning, so the days are 2, 3, 4, 5.
    moments = [dt.datetime(2026, 1, d, 23, 30, tzinfo=UTC) for d in (1, 2, 3)]
    moments.append(dt.datetime(2026, 1, 5, 0, 30, tzinfo=UTC))
    buckets = _buckets(*moments)
    now = dt.datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    in_utc = streaks(local_days(buckets, zoneinfo.ZoneInfo("UTC")), now.date())
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    in_tokyo = streaks(local_days(buckets, tokyo), now.astimezone(tokyo).date())
    assert (in_utc.current, in_utc.best) == (1, 3)
    assert (in_tokyo.current, in_tokyo.best) == (4, 4)


def test_streak_across_a_dst_change() -> None:
    # Europe/Berlin moves to summer time on 29 March 2026: a 23-hour day must still count once.
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    moments = [dt.datetime(2026, 3, day, 22, 30, tzinfo=zone) for day in (28, 29, 30)]
    days = local_days(_buckets(*moments), zone)
    assert days == {D(2026, 3, 28), D(2026, 3, 29), D(2026, 3, 30)}
    assert streaks(days, D(2026, 3, 30)).current == 3


def test_unknown_zone_falls_back_to_default() -> None:
    assert schedule.zone("Mars/Olympus", "Europe/Paris") == zoneinfo.ZoneInfo("Europe/Paris")
    assert schedule.zone(None, "Asia/Tokyo") == zoneinfo.ZoneInfo("Asia/Tokyo")
    assert schedule.zone("America/Chicago", "UTC") == zoneinfo.ZoneInfo("America/Chicago")


def test_readiness_from_answers_alone_counts_latest_right_over_the_whole_topic() -> None:
    ids = ["q1", "q2", "q3", "q4"]
    latest = {"q1": True, "q2": False, "q3": None}
    assert readiness(ids, latest, {}) == pytest.approx(0.25)
    assert readiness([], latest, {}) == 0.0


def test_readiness_prefers_card_retrievability_where_a_card_exists() -> None:
    ids = ["q1", "q2", "q3", "q4"]
    latest = {"q1": True, "q2": False}
    cards = {"q1": 0.5, "q2": 0.9, "q3": 1.7}  # an out-of-range figure is clamped
    assert readiness(ids, latest, cards) == pytest.approx((0.5 + 0.9 + 1.0 + 0.0) / 4)


def test_topic_progress_and_weakest() -> None:
    stats = [
        QuestionStat("r1", "fresher", "routing", 3, 2, 3, True),
        QuestionStat("r2", "fresher", "routing", 1, 0, 1, False),
        QuestionStat("t1", "fresher", "templates", 2, 2, 2, True),
        QuestionStat("b1", "fresher", "basics", 1, 0, 0, None),
    ]
    bank = {
        ("fresher", "routing"): ["r1", "r2", "r3"],
        ("fresher", "templates"): ["t1"],
        ("fresher", "basics"): ["b1", "b2"],
    }
    by_topic = {p.topic: p for p in topic_progress(stats, bank, {})}
    assert by_topic["routing"].answered == 4 and by_topic["routing"].accuracy == pytest.approx(0.5)
    assert by_topic["routing"].readiness == pytest.approx(1 / 3)
    assert by_topic["templates"].readiness == 1.0
    assert by_topic["basics"].accuracy is None and by_topic["basics"].readiness == 0.0
    assert [t.topic for t in weakest(list(by_topic.values()), 2)] == ["basics", "routing"]


def test_verdict_of_mcq_and_open_answers() -> None:
    assert verdict("mcq", True, None) is True
    assert verdict("mcq", False, None) is False
    assert verdict("open", None, None) is None
    assert verdict("open", None, "nailed") is True
    assert verdict("open", None, "partly") is False


def test_bar_is_compact_and_bounded() -> None:
    assert bar(0.0) == "▱" * 8
    assert bar(1.0) == "▰" * 8
    assert bar(0.5) == "▰▰▰▰▱▱▱▱"
    assert bar(3.0) == "▰" * 8


def test_chunk_keeps_blocks_whole_under_the_limit() -> None:
    blocks = ["a" * 40, "b" * 40, "c" * 40]
    assert chunk(blocks, 100) == ["a" * 40 + "\n\n" + "b" * 40, "c" * 40]
    assert chunk(["x" * 150], 100) == ["x" * 99 + "…"]  # a lone long block is clipped, and says so
    assert all(len(part) <= 100 for part in chunk(blocks * 10, 100))


def test_topic_mask_round_trips_and_ignores_unknown_bits() -> None:
    chosen = [TOPICS[0], TOPICS[7], TOPICS[-1]]
    assert topics_from_mask(topics_mask(chosen)) == chosen
    assert topics_from_mask(1 << 40) == []
    assert topics_from_mask(-1) == []


def test_csv_parses_back() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    rows = [
        ExportRow("q1", "routing", "fresher", "quiz", 'An "option", with, commas', True, when),
        ExportRow("q2", "basics", "fresher", "interview", "line one\nline two", None, when),
    ]
    parsed = list(csv.reader(io.StringIO(to_csv(rows), newline="")))
    assert tuple(parsed[0]) == EXPORT_COLUMNS
    assert parsed[1] == [
        "q1",
        "routing",
        "fresher",
        "quiz",
        'An "option", with, commas',
        "right",
        "2026-01-02T03:04:05.678Z",
    ]
    assert parsed[2][4] == "line one\nline two" and parsed[2][5] == "ungraded"
