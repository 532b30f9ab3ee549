"""Answer tallies per question and session level, for calibration, scored by the domain's grading table."""

from __future__ import annotations

from bot.domain.bank import Level
from bot.domain.calibration import AnswerTally
from bot.domain.grading import answer_score
from bot.storage.db import Database


async def answer_tallies(db: Database) -> list[AnswerTally]:
    """Per question and session level: answers, summed score and seconds taken.

    Triggers keep a count per outcome (kind, correct, self-grade, timed out) in the transaction of every change to
    answers (migration 8), so this reads a few rows per question and level, never the answers themselves; each
    outcome is scored here by the grading table (bot/domain/grading.py). A typed answer counts once self-graded.
    """
    rows = await db.fetch_all(
        "SELECT question_id, level, kind, correct, self_grade, timed_out, answers, time_ms FROM answer_tallies"
    )
    levels = {lv.value: lv for lv in Level}
    sums: dict[tuple[str, Level], list[float]] = {}
    for qid, level, kind, correct, grade, timed_out, answers, time_ms in rows:
        if str(level) not in levels:
            continue
        score = answer_score(str(kind), None if correct == -1 else bool(correct), grade or None, bool(timed_out))
        if score is None:
            continue
        acc = sums.setdefault((str(qid), levels[str(level)]), [0, 0.0, 0])
        acc[0] += int(answers)
        acc[1] += int(answers) * score
        acc[2] += int(time_ms)
    return [AnswerTally(qid, lv, int(n), score, ms / 1000) for (qid, lv), (n, score, ms) in sums.items()]
