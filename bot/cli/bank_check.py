"""`python -m bot bank check`: validate the bank and print its counts."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TextIO

from bot.domain.answer_cues import cue_shares, elimination_shares
from bot.domain.bank import (
    FOLLOW_UP_SEPARATOR,
    Bank,
    BankError,
    BankProblem,
    Level,
    McqQuestion,
    OpenQuestion,
    follow_up_question,
    follow_ups_of,
    load_bank,
)
from bot.domain.changes import MIN_DRILL_QUESTIONS, drill_pool
from bot.domain.duplicates import DUPLICATE_THRESHOLD, SimilarPair, similar_pairs
from bot.domain.interview import Mode
from bot.domain.polls import MIN_PER_LEVEL, eligible, poll_explanation, poll_question
from bot.domain.shown_output import shown_output_problems
from bot.domain.version_fragile import version_problems
from bot.services.interview import QuestionView
from bot.telegram import render

TELEGRAM_TEXT_LIMIT = 4096
# Bank v4 (issue 22): every open question carries 1-2 follow-ups. The flag lets a test show both sides of the rule;
# the elimination-cue bounds and the totals (with the drill's size) are always enforced.
ENFORCE_FOLLOW_UPS = True
MIN_QUESTIONS = 440
MIN_QUESTIONS_PER_LEVEL = 100
MIN_OPEN_PERCENT = 20
# Big enough ids that the rendered header and callback data are at their longest.
_SAMPLE_SESSION = 10**12


def _alike(pair: SimilarPair) -> str:
    return f"score {pair.score:.2f}: prompts {pair.prompt:.0%}, right answers {pair.answer:.0%} alike"


def _views(q: McqQuestion | OpenQuestion) -> QuestionView:
    order = tuple(reversed(range(len(q.options)))) if isinstance(q, McqQuestion) else ()
    return QuestionView(_SAMPLE_SESSION, 9, 10, Mode.INTERVIEW, q, order, None, False)


def _message_problems(q: McqQuestion | OpenQuestion) -> Iterable[str]:
    view = _views(q)
    messages = {"question": render.question_body(view) + "\n\n" + "x" * 40}
    if isinstance(q, McqQuestion):
        wrong = next(i for i, o in enumerate(q.options) if not o.correct)
        messages["result"] = render.mcq_result_unclipped(view, wrong, False)
    else:
        messages["model answer"] = render.model_answer_unclipped(view, tuple(False for _ in q.key_points))
    for what, body in messages.items():
        if len(body) > TELEGRAM_TEXT_LIMIT:
            yield f"{what} message is {len(body)} characters after escaping, over {TELEGRAM_TEXT_LIMIT}"
    _, markup = render.question_message(view)
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = button.callback_data
            if isinstance(data, str) and len(data.encode()) > 64:
                yield f"callback data over 64 bytes: {data}"


def _poll_problems(q: McqQuestion | OpenQuestion) -> Iterable[str]:
    if isinstance(q, McqQuestion) and q.poll_explanation is not None and poll_explanation(q) is None:
        yield "poll_explanation does not fit a quiz poll (at most 200 characters, 2 line feeds, no code block)"


@cache
def _test_functions(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _missing_checks(checks: Iterable[str], root: Path | None) -> Iterable[str]:
    """The named checks whose file or test function does not exist under root (nothing to see without root)."""
    if root is None:
        return
    for check in checks:
        file, func = check.split("::")
        func = func.split("[", 1)[0]  # a parametrized check, test_output[<question id>], names its function
        path = root / file
        if not path.is_file() or func not in _test_functions(path):
            yield f"names a check that does not exist: {check}"


def _check_problems(q: McqQuestion | OpenQuestion, root: Path | None) -> Iterable[str]:
    if not q.checks:
        yield "names no executable check (its checks: list is empty)"
    yield from _missing_checks(q.checks, root)


def _follow_up_problems(q: OpenQuestion, root: Path | None) -> Iterable[str]:
    """A follow-up is asked and answered like an open question: the same sizes and checks apply."""
    if ENFORCE_FOLLOW_UPS and not q.follow_ups:
        yield "has no follow_ups (every open question needs 1-2)"
    for i in range(len(q.follow_ups)):
        asked = follow_up_question(q, i)
        for msg in [*_message_problems(asked), *_check_problems(asked, root)]:
            yield f"follow_ups[{i}]: {msg}"


def _family(q: McqQuestion | OpenQuestion) -> str:
    return q.id.split(FOLLOW_UP_SEPARATOR, 1)[0]


def bank_pairs(bank: Bank) -> list[SimilarPair]:
    """Near-duplicates among questions and follow-ups; a follow-up may echo its own parent and siblings."""
    return [p for p in similar_pairs([*bank, *follow_ups_of(bank)]) if _family(p.first) != _family(p.second)]


def _source(bank: Bank, q: McqQuestion | OpenQuestion) -> str:
    return bank.sources.get(_family(q), "?")


def total_problems(bank: Bank) -> list[BankProblem]:
    """Issue 22's totals: enough questions overall and per level, and a fair share of open ones per level."""
    problems = []
    if len(bank) < MIN_QUESTIONS:
        problems.append(BankProblem("questions", "(bank)", f"{len(bank)} questions, fewer than {MIN_QUESTIONS}"))
    for level in Level:
        found = bank.of_level(level)
        opened = len(bank.of_level(level, "open"))
        if len(found) < MIN_QUESTIONS_PER_LEVEL:
            problems.append(
                BankProblem("questions", level.value, f"{len(found)} questions, fewer than {MIN_QUESTIONS_PER_LEVEL}")
            )
        # In integers, so that an exact 20% never depends on how a float rounds.
        if opened * 100 < MIN_OPEN_PERCENT * len(found):
            problems.append(
                BankProblem(
                    "questions",
                    level.value,
                    f"{opened} open questions of {len(found)}, under {MIN_OPEN_PERCENT}%",
                )
            )
    return problems


def drill_problems(bank: Bank) -> list[BankProblem]:
    """Issue 22: the Flask 2 -> 3 drill draws on enough questions."""
    found = len(drill_pool(bank))
    if found >= MIN_DRILL_QUESTIONS:
        return []
    message = f"{found} questions for the Flask 2 -> 3 drill, fewer than {MIN_DRILL_QUESTIONS}"
    return [BankProblem("questions", "(drill)", message)]


def audit(bank: Bank, pairs: Iterable[SimilarPair] | None = None, checks_root: Path | None = None) -> list[BankProblem]:
    """Every problem `bank check` reports beyond the schema: sizes, layout, near-duplicates, versions, polls.

    With checks_root (the folder holding tests/bank), every named check must exist there too.
    """
    problems: list[BankProblem] = []
    for q in bank:
        file = bank.sources.get(q.id, "?")
        problems.extend(BankProblem(file, q.id, msg) for msg in _message_problems(q))
        problems.extend(BankProblem(file, q.id, msg) for msg in _check_problems(q, checks_root))
        problems.extend(BankProblem(file, q.id, msg) for msg in version_problems(q))
        problems.extend(BankProblem(file, q.id, msg) for msg in _poll_problems(q))
        if isinstance(q, McqQuestion):
            problems.extend(BankProblem(file, q.id, msg) for msg in shown_output_problems(q))
        if isinstance(q, OpenQuestion):
            problems.extend(BankProblem(file, q.id, msg) for msg in _follow_up_problems(q, checks_root))
    for level in Level:
        found = len(eligible(bank, level))
        if found < MIN_PER_LEVEL:
            problems.append(
                BankProblem("questions", level.value, f"{found} poll-eligible MCQs, fewer than {MIN_PER_LEVEL}")
            )
    for pair in bank_pairs(bank) if pairs is None else pairs:
        if pair.same_level:
            problems.append(
                BankProblem(
                    _source(bank, pair.second),
                    pair.second.id,
                    f"nearly duplicates {pair.first.id} at the same level ({_alike(pair)})",
                )
            )
    for shares in cue_shares(bank):
        problems.extend(BankProblem("(bank)", shares.label, msg) for msg in shares.problems())
    for cue in elimination_shares(bank):
        problems.extend(BankProblem("(bank)", cue.label, msg) for msg in cue.problems())
    problems.extend(total_problems(bank))
    problems.extend(drill_problems(bank))
    return problems


def _table(title: str, counts: Counter[str], keys: Iterable[str], out: TextIO) -> None:
    out.write(f"\n{title}\n")
    for key in keys:
        if counts[key]:
            out.write(f"  {key:<22} {counts[key]:>4}\n")


def _follow_up_report(bank: Bank, out: TextIO) -> None:
    opened = [q for q in bank if isinstance(q, OpenQuestion)]
    follow_ups = sum(len(q.follow_ups) for q in opened)
    with_some = sum(1 for q in opened if q.follow_ups)
    wrong = sum(len(kp.misconceptions) for q in opened for kp in q.key_points)
    out.write(
        f"\nFollow-ups: {follow_ups} on {with_some} of {len(opened)} open questions;"
        f" misconceptions on key points: {wrong}\n"
    )
    out.write(
        f"\nTotals (at least {MIN_QUESTIONS} questions, {MIN_QUESTIONS_PER_LEVEL} per level,"
        f" {MIN_OPEN_PERCENT}% open per level): {len(bank)} questions\n"
    )
    for level in Level:
        found = len(bank.of_level(level))
        share = len(bank.of_level(level, "open")) / found if found else 0.0
        out.write(f"  {level.value:<22} {found:>4}  open {share:>4.0%}\n")


def run_bank_check(folder: Path, out: TextIO = sys.stdout) -> int:
    """Print counts and every problem with file and id; return the process exit code."""
    try:
        bank = load_bank(folder)
    except BankError as exc:
        for p in exc.problems:
            out.write(f"ERROR {p}\n")
        out.write(f"\nbank check failed: {len(exc.problems)} problem(s)\n")
        return 1
    pairs = bank_pairs(bank)
    # A checkout holds the checks next to the bank; an installed wheel ships the bank alone.
    root = folder.resolve().parent
    problems = audit(bank, pairs, root if (root / "tests" / "bank").is_dir() else None)
    by_level = Counter(q.level.value for q in bank)
    by_topic = Counter(q.topic for q in bank)
    by_kind: Counter[str] = Counter(q.kind for q in bank)
    out.write(f"{len(bank)} questions in {folder}\n")
    _table("By level", by_level, [lv.value for lv in Level], out)
    _table("By kind", by_kind, ["mcq", "open"], out)
    _table("By topic", by_topic, sorted(by_topic), out)
    grid = Counter(f"{q.level.value}/{q.kind}" for q in bank)
    _table("By level and kind", grid, [f"{lv.value}/{k}" for lv in Level for k in ("mcq", "open")], out)
    out.write("\nRight option strictly longest / shortest (characters as shown, backticks not counted)\n")
    for s in cue_shares(bank):
        out.write(
            f"  {s.label:<14} {s.longest:>3}/{s.total:<3} {s.longest_share:>4.0%}   "
            f"{s.shortest:>3}/{s.total:<3} {s.shortest_share:>4.0%}\n"
        )
    out.write(
        "\nElimination cue: expected score when options with absolute words or since/because are dropped\n"
        "  (share of right options / distractors with an absolute word, then with a justification)\n"
    )
    for e in elimination_shares(bank):
        out.write(
            f"  {e.label:<14} {e.expected:>6.1%} (bound {e.bound:.0%})   absolute {e.absolute_right:>4.0%} / "
            f"{e.absolute_wrong:<4.0%}  justified {e.justified_right:>4.0%} / {e.justified_wrong:<4.0%}"
            f"  giveaways {len(e.giveaways)}\n"
        )
    drill = Counter(q.level.value for q in drill_pool(bank))
    out.write(
        f"\nFlask 2 -> 3 drill (MCQs whose versions name a Flask or Werkzeug 2.x/3.x release): "
        f"{sum(drill.values())}, at least {MIN_DRILL_QUESTIONS}\n"
        + "".join(f"  {lv.value:<22} {drill[lv.value]:>4}\n" for lv in Level)
    )
    checked = sum(1 for q in bank if q.checks)
    out.write(f"\nWith an executable check: {checked} of {len(bank)}\n")
    shown = Counter(q.level.value for q in bank if isinstance(q, McqQuestion) and q.shows_output)
    per_level = ", ".join(f"{lv.value} {shown[lv.value]}" for lv in Level)
    out.write(f"Code-reading (shows_output, output pinned in tests/bank/outputs.json): {shown.total()} ({per_level})\n")
    _follow_up_report(bank, out)
    out.write(f"\nPoll-eligible MCQs (a native quiz poll; at least {MIN_PER_LEVEL} per level)\n")
    for level in Level:
        polls = eligible(bank, level)
        alone = sum(1 for q in polls if poll_question(q) is not None)
        after = len(polls) - alone
        out.write(f"  {level.value:<22} {len(polls):>4}  ({alone} ask the prompt itself, {after} after a message)\n")
    fit = {q.id for q in eligible(bank)}
    unused = [q.id for q in bank if isinstance(q, McqQuestion) and q.poll_explanation and q.id not in fit]
    for qid in unused:
        out.write(f"WARNING {qid} has a poll_explanation but its options do not fit a poll\n")
    out.write(f"\nNear-duplicates (prompt and right answer, score >= {DUPLICATE_THRESHOLD:.2f}): {len(pairs)}\n")
    for pair in pairs:
        if not pair.same_level:
            out.write(
                f"WARNING {pair.first.id} ({pair.first.level.value}) and {pair.second.id}"
                f" ({pair.second.level.value}) may teach the same fact ({_alike(pair)})\n"
            )
    for p in problems:
        out.write(f"ERROR {p}\n")
    if problems:
        out.write(f"\nbank check failed: {len(problems)} problem(s)\n")
        return 1
    out.write("\nbank check passed\n")
    return 0
