"""Spaced repetition with FSRS: answers become ratings, cards are reviewed, the push question is chosen."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fsrs import Card, Rating, Scheduler

from bot.domain.grading import SelfGrade

# Fuzzing draws from the global `random` module; without it a review is a pure function of its inputs.
SCHEDULER = Scheduler(enable_fuzzing=False)

__all__ = ["SCHEDULER", "Rating", "ReviewedCard", "choose_question", "rating_for_grade", "rating_for_mcq", "review"]

_GRADE_RATING = {SelfGrade.NAILED: Rating.Good, SelfGrade.PARTLY: Rating.Hard, SelfGrade.MISSED: Rating.Again}


@dataclass(frozen=True)
class ReviewedCard:
    """A card after a review, ready to store."""

    card_json: str
    due: dt.datetime
    last_review: dt.datetime


def rating_for_mcq(correct: bool) -> Rating:
    """Right → Good, wrong → Again."""
    return Rating.Good if correct else Rating.Again


def rating_for_grade(grade: SelfGrade) -> Rating:
    """Nailed it / Partly / Missed → Good / Hard / Again."""
    return _GRADE_RATING[grade]


def review(stored_json: str | None, rating: Rating, when: dt.datetime) -> ReviewedCard:
    """Review the stored card (a new one if None) at `when`, an aware datetime."""
    at = when.astimezone(dt.UTC)
    # An explicit card_id: fsrs would otherwise derive it from the wall clock and sleep 1 ms.
    card = Card.from_json(stored_json) if stored_json else Card(card_id=int(at.timestamp() * 1000))
    reviewed, _ = SCHEDULER.review_card(card, rating, review_datetime=at)
    assert reviewed.last_review is not None
    return ReviewedCard(reviewed.to_json(), reviewed.due, reviewed.last_review)


def choose_question(
    level_qids: Sequence[str], due: Mapping[str, dt.datetime], now: dt.datetime, rng: random.Random
) -> str | None:
    """The most overdue card of the level; else an unseen question; else the card due soonest."""
    in_level = set(level_qids)
    cards = sorted((when, qid) for qid, when in due.items() if qid in in_level)
    if cards and cards[0][0] <= now:
        return cards[0][1]
    unseen = [q for q in level_qids if q not in due]
    if unseen:
        return rng.choice(unseen)
    return cards[0][1] if cards else None
