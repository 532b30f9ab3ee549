"""Answer tallies per question and session level, for calibration."""

from __future__ import annotations

from bot.domain.bank import Level
from bot.domain.calibration import AnswerTally
from bot.storage.db import Database


async def answer_tallies(db: Database) -> list[AnswerTally]:
    """Per question and session level: answers, summed score (right = 1, partly = ½) and seconds taken.

    Open answers count once self-graded; a timed-out question counts as wrong.
    """
    rows = await db.fetch_all(
        "SELECT question_id, level, COUNT(*), TOTAL(score), TOTAL(time_taken_ms) / 1000.0 FROM ("
        "SELECT question_id, level, time_taken_ms, CASE WHEN timed_out = 1 THEN 0.0 "
        "WHEN kind = 'mcq' THEN correct WHEN self_grade = 'nailed' THEN 1.0 WHEN self_grade = 'partly' THEN 0.5 "
        "WHEN self_grade = 'missed' THEN 0.0 END AS score FROM answers) WHERE score IS NOT NULL "
        "GROUP BY question_id, level"
    )
    levels = {lv.value: lv for lv in Level}
    return [
        AnswerTally(str(r[0]), levels[str(r[1])], int(r[2]), float(r[3]), float(r[4]))
        for r in rows
        if str(r[1]) in levels
    ]
