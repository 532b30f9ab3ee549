"""`python -m bot grade QUESTION_ID`: grade an answer read from stdin and print the grade as one JSON object."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from bot.config import Settings
from bot.domain.bank import FOLLOW_UP_SEPARATOR, Bank, OpenQuestion, follow_up_question, load_bank
from bot.domain.grader import Grade
from bot.services.llm_grader import build_grader


def find_open(bank: Bank, qid: str) -> OpenQuestion | None:
    """The open question (or follow-up, `<parent>/<n>`) with this id; None for an unknown id or an MCQ."""
    parent_id, _, number = qid.partition(FOLLOW_UP_SEPARATOR)
    parent = bank.get(parent_id)
    if not isinstance(parent, OpenQuestion):
        return None
    if not number:
        return parent
    if not number.isdigit() or not 1 <= int(number) <= len(parent.follow_ups):
        return None
    return follow_up_question(parent, int(number) - 1)


def grade_json(qid: str, grade: Grade) -> dict[str, object]:
    """The grade in the CLI's JSON shape."""
    return {
        "question": qid,
        "grader": grade.grader,
        "score": grade.score,
        "points": [{"text": p.point, "verdict": p.verdict.value, "quote": p.quote} for p in grade.points],
        "wrong": list(grade.wrong),
        "feedback": grade.feedback,
        "follow_up": grade.follow_up,
    }


async def run_grade(settings: Settings, qid: str, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Grade stdin's answer to qid with the configured grader; 2 with one line on stderr for a bad id."""
    question = find_open(load_bank(settings.questions_dir), qid)
    if question is None:
        print(f"grade: {qid!r} is not an open question of the bank (unknown id, or multiple choice)", file=sys.stderr)
        return 2
    answer = (stdin or sys.stdin).read()
    grader = build_grader(settings)
    try:
        grade = await grader.grade(question, answer)
    finally:
        await grader.aclose()
    print(json.dumps(grade_json(qid, grade), ensure_ascii=False), file=out or sys.stdout)
    return 0
