"""The "what changed from Flask 2 to 3" drill: the questions whose answer depends on a Flask or Werkzeug release."""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Iterable, Mapping

from bot.domain.bank import Level, McqQuestion
from bot.domain.interview import QUIZ_LENGTH, PlannedQuestion, least_recent, shuffled_order

# Sessions of the drill run as quizzes; this names them in the history.
PURPOSE = "changes"
DRILL_LENGTH = QUIZ_LENGTH
# Issue 22: the drill draws on at least this many questions.
MIN_DRILL_QUESTIONS = 25

# A Flask or Werkzeug 2.x or 3.x release named in `versions` ("Flask >= 2.3", "Removed in Flask 2.3",
# "Werkzeug 3.x"): the number follows the name, at most after a comparison, so an extension's own release
# ("Flask-Limiter 4.x"), another library's ("Flask app, PyJWT 2.8", "bcrypt 5.0") or Flask 1.x does not count.
_RELEASE = re.compile(r"(?<![\w-])(?:flask|werkzeug)\s*(?:[<>=~!]=?\s*)?[23](?:\.[\dx]|(?![\w.]))", re.IGNORECASE)
_LEVEL_ORDER = {level: i for i, level in enumerate(Level)}


def is_change(question: object) -> bool:
    """True for an MCQ whose `versions` names a Flask or Werkzeug 2.x or 3.x release."""
    return (
        isinstance(question, McqQuestion)
        and question.versions is not None
        and _RELEASE.search(question.versions) is not None
    )


def drill_pool(questions: Iterable[object]) -> list[McqQuestion]:
    """Every question the drill may ask, in bank order."""
    return [q for q in questions if isinstance(q, McqQuestion) and is_change(q)]


def plan_drill(
    questions: Iterable[object],
    rng: random.Random,
    last_seen: Mapping[str, float] | None = None,
    exclude: Collection[str] = (),
) -> list[PlannedQuestion]:
    """Up to DRILL_LENGTH drill questions, least recently seen first, asked from the easiest level up."""
    pool = [q for q in drill_pool(questions) if q.id not in exclude]
    chosen = least_recent(pool, DRILL_LENGTH, rng, last_seen or {})
    chosen.sort(key=lambda q: _LEVEL_ORDER[q.level])
    return [PlannedQuestion(q.id, shuffled_order(q, rng)) for q in chosen]
