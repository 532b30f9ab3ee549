"""Answer tallies per question and session level, for calibration."""

from __future__ import annotations

from bot.domain.bank import Level
from bot.domain.calibration import AnswerTally
from bot.storage.db import Database


async def answer_tallies(db: Database) -> list[AnswerTally]:
    """Per question and session level: answers, summed score (right = 1, partly = ½) and seconds taken.

    Open answers count once self-graded; a timed-out question counts as wrong. Triggers keep the tallies in the
    transaction of every change to answers (migration 7), so this reads a row per question and level, never the
    answers themselves.
    """
    rows = await db.fetch_all("SELECT question_id, level, answers, score, time_ms / 1000.0 FROM answer_tallies")
    levels = {lv.value: lv for lv in Level}
    return [
        AnswerTally(str(r[0]), levels[str(r[1])], int(r[2]), float(r[3]), float(r[4]))
        for r in rows
        if str(r[1]) in levels
    ]
