"""Code-reading questions (`shows_output: true`): the rules `bank check` can verify without running code.

Such an MCQ asks what a snippet prints. Its prompt holds exactly one ```python block (a complete program
the test suite runs, tests/bank/test_outputs.py); its explanation shows what that program printed in one
```text block; its right option *is* that output. An option matches an output when both are equal once
inline-code backticks are dropped from the option and every run of whitespace (line breaks included) is
one space in both: "`200` `text/html; charset=utf-8`" matches a program that printed two lines, `200`
and `text/html; charset=utf-8`. Exactly one option may match, the right one.

The output itself is pinned in tests/bank/outputs.json, regenerated with
`python -m tests.bank.snippet_outputs --write`; the suite compares a fresh run against it.
"""

from __future__ import annotations

from bot.domain.bank import McqQuestion, code_blocks
from bot.domain.markup import to_label

__all__ = [
    "OUTPUT_CHECK",
    "SNIPPET_MAX_LINES",
    "explanation_output",
    "normalise_output",
    "option_matches",
    "output_check",
    "shown_output_problems",
    "snippet",
]

# Lines of code (blank ones not counted), read on a phone: longer programs stop being about one behaviour.
SNIPPET_MAX_LINES = 15
# The parametrized test that runs a question's snippet and compares its output with the pinned one.
OUTPUT_CHECK = "tests/bank/test_outputs.py::test_output[{qid}]"


def output_check(qid: str) -> str:
    """The check id that runs this question's snippet."""
    return OUTPUT_CHECK.format(qid=qid)


def normalise_output(text: str) -> str:
    """Text compared as an output: inline backticks dropped, whitespace runs (newlines too) one space."""
    return " ".join(to_label(text).split())


def option_matches(option_text: str, output: str) -> bool:
    """True when the option, as shown on its button, is the output."""
    return normalise_output(option_text) == " ".join(output.split())


def snippet(q: McqQuestion) -> str:
    """The program a code-reading question asks about (its prompt's single python block)."""
    blocks = code_blocks(q.prompt)
    if len(blocks) != 1:
        raise ValueError(f"{q.id}: a shows_output prompt holds exactly one python block, found {len(blocks)}")
    return blocks[0]


def explanation_output(q: McqQuestion) -> str | None:
    """The output the explanation shows (its single ```text block, without the final newline)."""
    blocks = code_blocks(q.explanation, "text")
    return blocks[0].rstrip("\n") if len(blocks) == 1 else None


def shown_output_problems(q: McqQuestion) -> list[str]:
    """What is wrong with a code-reading question, as far as can be told without running its snippet."""
    if not q.shows_output:
        return []
    problems = []
    blocks = code_blocks(q.prompt)
    if len(blocks) != 1:
        problems.append(f"shows_output: the prompt needs exactly one ```python block, found {len(blocks)}")
    else:
        lines = [line for line in blocks[0].splitlines() if line.strip()]
        if len(lines) > SNIPPET_MAX_LINES:
            problems.append(f"shows_output: the snippet has {len(lines)} lines of code, over {SNIPPET_MAX_LINES}")
        if "print(" not in blocks[0]:
            problems.append("shows_output: the snippet prints nothing (no print() call)")
    if q.code_runs:
        problems.append("shows_output already runs the snippet: drop code_runs")
    if output_check(q.id) not in q.checks:
        problems.append(f"shows_output: checks must name {output_check(q.id)}")
    shown = explanation_output(q)
    if shown is None:
        found = len(code_blocks(q.explanation, "text"))
        problems.append(f"shows_output: the explanation needs exactly one ```text block (the output), found {found}")
        return problems
    if not shown.strip():
        problems.append("shows_output: the explanation's output block is empty")
    matching = [i for i, o in enumerate(q.options) if option_matches(o.text, shown)]
    if q.correct_index not in matching:
        problems.append("shows_output: the right option is not the output the explanation shows")
    if any(i != q.correct_index for i in matching):
        problems.append("shows_output: a distractor reads the same as the output")
    return problems
