"""The code-reading questions print what they say: each snippet runs and its output is compared with the pin.

`test_output[<id>]` is the check every `shows_output` question names. It runs the snippet against the
installed Flask and fails when the output differs from tests/bank/outputs.json (regenerate with
`python -m tests.bank.snippet_outputs --write` after checking the change), from the explanation's output
block, or when an option other than the right one reads as that output. The machinery itself is tested in
test_output_pins.py.
"""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank
from tests.bank.snippet_outputs import load_outputs, output_problems, output_questions, run_question

QUESTIONS = {q.id: q for q in output_questions(load_bank(DEFAULT_QUESTIONS_DIR))}
PINNED = load_outputs()


@pytest.mark.parametrize("qid", sorted(QUESTIONS))
def test_output(qid: str) -> None:
    q = QUESTIONS[qid]
    problems = output_problems(q, run_question(q), PINNED.get(qid))
    assert not problems, "\n".join(problems)
