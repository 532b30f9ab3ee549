"""Progress rules: accuracy, readiness by topic, streaks in the user's zone, text bars and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.bank import TOPICS
from bot.domain.grading import answer_score, is_right
from bot.domain.markup import clip_html, visible_length

# Every zone in use today is offset from UTC by a multiple of 15 minutes, so a 15-minute UTC bucket
# never straddles a local midnight: streaks can be computed from buckets instead of every answer.
BUCKET_MS = 15 * 60 * 1000
BAR_WIDTH = 8
WEAKEST_COUNT = 3


class Erasure(enum.StrEnum):
    """What a confirmation erases: progress only, or every row about the user."""

    RESET = "reset"
    DELETE = "delete"


def verdict(kind: str, correct: bool | None, self_grade: str | None) -> bool | None:
    """Right (True), wrong (False) or not graded yet (None), by the grading table."""
    return is_right(answer_score(kind, correct, self_grade))


@dataclass(frozen=True)
class QuestionStat:
    """One question's history for one user."""

    question_id: str
    level: str
    topic: str
    answered: int
    right: int
    graded: int
    latest_right: bool | None


@dataclass(frozen=True)
class TopicProgress:
    """Where a user stands on one topic of one level."""

    level: str
    topic: str
    answered: int
    right: int
    graded: int
    readiness: float

    @property
    def accuracy(self) -> float | None:
        """Share of graded answers that were right; None before any graded answer."""
        return self.right / self.graded if self.graded else None


def readiness(
    question_ids: Iterable[str], latest_right: Mapping[str, bool | None], retrievability: Mapping[str, float]
) -> float:
    """Expected share of these questions answered right today.

    A question counts its memory-model retrievability where one exists, otherwise 1 if its latest
    answer was right and 0 if it was wrong or never answered.
    """
    ids = list(question_ids)
    if not ids:
        return 0.0
    total = 0.0
    for qid in ids:
        if qid in retrievability:
            total += min(1.0, max(0.0, retrievability[qid]))
        elif latest_right.get(qid):
            total += 1.0
    return total / len(ids)


def topic_progress(
    stats: Sequence[QuestionStat],
    bank_ids: Mapping[tuple[str, str], Sequence[str]],
    retrievability: Mapping[str, float],
) -> list[TopicProgress]:
    """Per level and topic the user has answered: counts, and readiness over the topic's bank questions."""
    latest = {s.question_id: s.latest_right for s in stats}
    sums: dict[tuple[str, str], list[int]] = {}
    for s in stats:
        acc = sums.setdefault((s.level, s.topic), [0, 0, 0])
        acc[0] += s.answered
        acc[1] += s.right
        acc[2] += s.graded
    out = []
    for (level, topic), (answered, right, graded) in sums.items():
        ids = bank_ids.get((level, topic), ())
        out.append(TopicProgress(level, topic, answered, right, graded, readiness(ids, latest, retrievability)))
    return out


def weakest(topics: Sequence[TopicProgress], n: int = WEAKEST_COUNT) -> list[TopicProgress]:
    """The n topics least ready, then least accurate, then alphabetical."""
    return sorted(topics, key=lambda t: (t.readiness, t.accuracy if t.accuracy is not None else 0.0, t.topic))[:n]


def local_days(buckets: Iterable[int], zone: dt.tzinfo) -> set[dt.date]:
    """Local calendar days of 15-minute UTC buckets (bucket = epoch ms // BUCKET_MS)."""
    return {dt.datetime.fromtimestamp(b * BUCKET_MS / 1000, zone).date() for b in buckets}


# Each FREEZE_EVERY days of streak earn a freeze, at most FREEZES_MAX held; a missed day uses one.
FREEZE_EVERY = 7
FREEZES_MAX = 2


@dataclass(frozen=True)
class Streaks:
    """Days in a row with at least one answer; paused days stop the clock and frozen days keep it going."""

    current: int
    best: int
    freezes: int = 0
    frozen: frozenset[dt.date] = frozenset()


def streaks(days: Iterable[dt.date], today: dt.date, paused: Iterable[dt.date] = ()) -> Streaks:
    """Current streak (alive if today or yesterday counts), best streak, freezes held and days a freeze covered.

    Walking day by day: an active day adds one (and every FREEZE_EVERY-th a freeze); a paused day neither adds
    nor breaks; a missed day before today uses a freeze if the streak is alive and one is held, else ends it.
    """
    active = set(days)
    if not active:
        return Streaks(0, 0)
    stopped = set(paused)
    run = best = held = 0
    frozen: set[dt.date] = set()
    day = min(active)
    while day <= today:
        if day in active:
            run += 1
            best = max(best, run)
            if run % FREEZE_EVERY == 0:
                held = min(FREEZES_MAX, held + 1)
        elif day in stopped or day == today:
            pass
        elif run > 0 and held > 0:
            held -= 1
            frozen.add(day)
        else:
            run = 0
        day += dt.timedelta(days=1)
    return Streaks(run, best, held, frozenset(frozen))


def at_risk(days: Iterable[dt.date], today: dt.date, paused: Iterable[dt.date] = ()) -> int:
    """The streak that ends tonight unless you answer today; 0 if none is at risk (answered, paused or no streak)."""
    active, stopped = set(days), set(paused)
    if today in active or today in stopped:
        return 0
    return streaks(active, today, stopped).current


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A compact text bar such as ▰▰▰▱▱▱▱▱ for a share in [0, 1]."""
    filled = round(min(1.0, max(0.0, share)) * width)
    return "▰" * filled + "▱" * (width - filled)


def chunk(blocks: Sequence[str], limit: int, sep: str = "\n\n") -> list[str]:
    """Join HTML blocks into as few messages as possible, each showing at most `limit` characters.

    Blocks are never split between messages; a lone block too long for one is clipped on its text.
    """
    out: list[str] = []
    current = ""
    for block in blocks:
        block = clip_html(block, limit)
        candidate = f"{current}{sep}{block}" if current else block
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        out.append(current)
        current = block
    if current:
        out.append(current)
    return out


EXPORT_COLUMNS = ("question_id", "topic", "level", "mode", "answer", "result", "answered_at")


@dataclass(frozen=True)
class ExportRow:
    """One answer as exported."""

    question_id: str
    topic: str
    level: str
    mode: str
    answer: str
    result: bool | None
    answered_at: dt.datetime


def result_word(result: bool | None) -> str:
    """right, wrong or ungraded."""
    return "ungraded" if result is None else ("right" if result else "wrong")


def iso_utc(moment: dt.datetime) -> str:
    """ISO-8601 in UTC with a Z, to the millisecond."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_csv(rows: Iterable[ExportRow]) -> str:
    """The export as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        writer.writerow(
            (r.question_id, r.topic, r.level, r.mode, r.answer, result_word(r.result), iso_utc(r.answered_at))
        )
    return buffer.getvalue()


def ms_to_utc(ms: int) -> dt.datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def topics_mask(topics: Iterable[str]) -> int:
    """Topics as a bitmask over bank.TOPICS (bit i = TOPICS[i]), compact enough for callback data."""
    return sum(1 << TOPICS.index(t) for t in set(topics))


def topics_from_mask(mask: int) -> list[str]:
    """The topics a bitmask names, in bank order; unknown bits are ignored."""
    return [t for i, t in enumerate(TOPICS) if mask >= 0 and mask >> i & 1]
