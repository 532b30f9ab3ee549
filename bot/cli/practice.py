"""The interviewer in a terminal: same engine, same database, answers read from stdin."""

from __future__ import annotations

import contextlib
import html
import random
import re
import sys
from typing import TextIO

from bot import i18n, texts
from bot.config import Settings
from bot.domain.bank import Level, McqQuestion, OpenQuestion, load_bank
from bot.domain.clock import Clock, SystemClock
from bot.domain.grading import SelfGrade
from bot.domain.interview import Mode
from bot.domain.markup import to_plain
from bot.services.interview import InterviewService, QuestionView
from bot.services.mock_interview import MockInterviewService
from bot.services.wiring import build_services
from bot.storage.db import Database
from bot.telegram.handlers.interview import debrief_message, report_message

# The terminal user is not a Telegram account; 0 is never a Telegram user id.
LOCAL_USER_ID = 0
GRADES = {"1": SelfGrade.NAILED, "2": SelfGrade.PARTLY, "3": SelfGrade.MISSED}


class _EndOfInput(Exception):
    pass


def _read(prompt: str, inp: TextIO, out: TextIO) -> str:
    out.write(prompt)
    out.flush()
    line = inp.readline()
    if not line:
        out.write("\n" + texts.CLI_END_OF_INPUT + "\n")
        raise _EndOfInput
    return line.strip()


def parse_choice(answer: str, n: int) -> int | None:
    """A–F (either case) or 1–n to a zero-based index, or None."""
    a = answer.strip()
    if len(a) == 1 and a.upper() in texts.OPTION_LETTERS[:n]:
        return texts.OPTION_LETTERS.index(a.upper())
    if a.isdigit() and 1 <= int(a) <= n:
        return int(a) - 1
    return None


def _show(view: QuestionView, out: TextIO) -> None:
    q = view.question
    out.write(f"\n{texts.cli_question_header(view.position, view.size, q.level.value, q.topic)}\n\n")
    out.write(to_plain(q.prompt) + "\n")
    if isinstance(q, McqQuestion):
        out.write("\n")
        for i, bank_i in enumerate(view.order):
            out.write(f"  {texts.OPTION_LETTERS[i]}) {to_plain(q.options[bank_i].text)}\n")


async def _ask_mcq(svc: InterviewService, view: QuestionView, inp: TextIO, out: TextIO) -> bool:
    q = view.question
    assert isinstance(q, McqQuestion)
    n = len(view.order)
    last = texts.OPTION_LETTERS[n - 1]
    while (choice := parse_choice(_read(texts.CLI_MCQ_PROMPT.format(last=last, n=n), inp, out), n)) is None:
        out.write(texts.CLI_BAD_CHOICE.format(last=last, n=n) + "\n")
    res = await svc.answer_mcq(LOCAL_USER_ID, view.session_id, view.position, choice)
    if res.correct:
        out.write(texts.CLI_RIGHT + "\n")
    else:
        right = q.correct_index
        letter = texts.OPTION_LETTERS[view.order.index(right)]
        out.write(texts.CLI_WRONG.format(letter=letter, text=to_plain(q.options[right].text)) + "\n")
    out.write(to_plain(q.explanation) + "\n")
    return res.next is None


async def _ask_open(svc: InterviewService, view: QuestionView, inp: TextIO, out: TextIO) -> bool:
    q = view.question
    assert isinstance(q, OpenQuestion)
    text = _read(texts.CLI_OPEN_PROMPT, inp, out)
    res = await svc.answer_open(LOCAL_USER_ID, text)
    covered = res.covered if res else ()
    out.write("\nModel answer:\n" + to_plain(q.model_answer) + "\n\nKey points:\n")
    for kp, hit in zip(q.key_points, covered, strict=False):
        out.write(f"  [{'x' if hit else ' '}] {kp.point}\n")
    while (grade := GRADES.get(_read(texts.CLI_GRADE_PROMPT, inp, out))) is None:
        out.write(texts.CLI_BAD_GRADE + "\n")
    graded = await svc.grade_open(LOCAL_USER_ID, view.session_id, view.position, grade)
    return graded.next is None


def _plain(html_text: str) -> str:
    """Telegram HTML as terminal text."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


async def _interview(svc: MockInterviewService, level: Level, inp: TextIO, out: TextIO) -> None:
    """The mock interview in the terminal: same engine and timer (the clock decides what is over time)."""
    view = await svc.start(LOCAL_USER_ID, level)
    if view is None:
        out.write(texts.CLI_EMPTY.format(level=level.value) + "\n")
        return
    session_id = view.session_id
    while view is not None:
        _show(view, out)
        out.write(texts.CLI_BUDGET.format(seconds=svc.budgets.of(view.question.kind)) + "\n")
        q = view.question
        if isinstance(q, McqQuestion):
            n = len(view.order)
            last = texts.OPTION_LETTERS[n - 1]
            while (choice := parse_choice(_read(texts.CLI_MCQ_PROMPT.format(last=last, n=n), inp, out), n)) is None:
                out.write(texts.CLI_BAD_CHOICE.format(last=last, n=n) + "\n")
            # The terminal blocks on input, so a late answer is never lost: it is recorded as over time.
            step = await svc.answer_mcq(LOCAL_USER_ID, session_id, view.position, choice)
        else:
            text = _read(texts.CLI_OPEN_PROMPT, inp, out)
            step = await svc.answer_open(LOCAL_USER_ID, view, text)
        out.write(texts.CLI_RECEIVED + (" " + texts.CLI_OVER_TIME if step.over_time else "") + "\n")
        view = step.next
    out.write(texts.CLI_DEBRIEF + "\n")
    pages = await svc.debrief_pages_of(session_id)
    for i, page in enumerate(pages):
        text, _ = debrief_message(pages, i)
        out.write("\n" + _plain(text) + "\n")
        if isinstance(page.view.question, OpenQuestion) and not page.answer.timed_out:
            while (grade := GRADES.get(_read(texts.CLI_GRADE_PROMPT, inp, out))) is None:
                out.write(texts.CLI_BAD_GRADE + "\n")
            await svc.grade(LOCAL_USER_ID, session_id, page.answer.position, grade)
    report, _ = report_message(await svc.report(session_id))
    out.write("\n" + _plain(report) + "\n")


async def run_practice(
    settings: Settings,
    level: Level | None,
    mode: Mode = Mode.QUIZ,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    language: str | None = None,
) -> int:
    """Run one quiz or interview in the terminal, in `language` (LANG's by default); print the score at the end."""
    with i18n.use(language or i18n.from_environment()) as spoken:
        if spoken != i18n.DEFAULT:
            out.write(texts.CLI_BANK_ENGLISH + "\n")
        return await _run_practice(settings, level, mode, inp, out, clock, rng)


async def _run_practice(
    settings: Settings,
    level: Level | None,
    mode: Mode,
    inp: TextIO,
    out: TextIO,
    clock: Clock | None,
    rng: random.Random | None,
) -> int:
    bank = load_bank(settings.questions_dir)
    db = await Database.open(settings.database_path)
    try:
        services = build_services(settings, db, bank, clock or SystemClock(), rng or random.Random())
        svc = services.interview
        await svc.register(LOCAL_USER_ID, LOCAL_USER_ID, "terminal")
        if level is None:
            level = Level.FRESHER
            if inp.isatty():
                pick = _read(texts.CLI_PICK_LEVEL, inp, out) or "1"
                level = list(Level)[int(pick) - 1] if pick in ("1", "2", "3", "4") else Level.FRESHER
        if mode is Mode.INTERVIEW:
            with contextlib.suppress(_EndOfInput):
                await _interview(services.mock, level, inp, out)
            return 0
        started = await svc.start(LOCAL_USER_ID, mode, level)
        view = started.view
        if view is None:
            out.write(texts.CLI_EMPTY.format(level=level.value) + "\n")
            return 0
        session_id = view.session_id
        try:
            while view is not None:
                _show(view, out)
                done = await (_ask_mcq if isinstance(view.question, McqQuestion) else _ask_open)(svc, view, inp, out)
                view = None if done else await svc.view(session_id, view.position + 1)
        except _EndOfInput:
            pass
        summary = await svc.summary(session_id)
        answered = summary.mcq_total + sum(summary.grades.values())
        total = summary.asked if view is None else answered
        out.write("\n" + texts.CLI_SCORE.format(right=summary.right, total=total) + "\n")
        return 0
    finally:
        await db.close()
