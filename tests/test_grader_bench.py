"""bench/grader_eval.py: the labelled set fits the bank, the offline grader meets issue 23's goals on the
held-out part, and the LLM path runs end to end against the loopback fake endpoint (plumbing, not the model)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.grader_eval import (
    Labelled,
    goals,
    keyword_scorer,
    load_set,
    offline_scorer,
    run,
    spearman,
    with_fake_llm,
)
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank
from bot.domain.grader import MAX_ANSWER_CHARS

ROOT = Path(__file__).resolve().parent.parent
BANK = load_bank(DEFAULT_QUESTIONS_DIR)


def _part(split: str) -> list[Labelled]:
    return [x for x in load_set(BANK) if x.split == split]


def test_the_set_fits_the_bank_and_has_every_kind() -> None:
    # load_set raises when a question left the bank or its key points changed: relabel bench/grader_set then.
    items = load_set(BANK)
    questions = {x.qid for x in items if x.kind in ("correct", "partial", "wrong", "vague")}
    assert len(questions) >= 40
    for qid in questions:
        kinds = {x.kind for x in items if x.qid == qid}
        assert {"correct", "partial", "wrong", "vague"} <= kinds, qid
    assert sum(x.kind == "injection" for x in items) >= 4 and sum(x.kind == "salad" for x in items) >= 3
    assert {x.split for x in items} == {"dev", "holdout"}


async def test_offline_grader_meets_the_goals_on_the_held_out_part() -> None:
    part = _part("holdout")
    preds = await run(BANK, part, offline_scorer())
    missed = [f"{g.name}: {g.value:.2f} (target {g.target})" for g in goals(part, preds) if not g.met]
    assert missed == []


@pytest.mark.parametrize("split", ["dev", "holdout"])
async def test_offline_grader_beats_keyword_match(split: str) -> None:
    part = _part(split)
    labels = [x.score for x in part]
    before = await run(BANK, part, keyword_scorer())
    after = await run(BANK, part, offline_scorer())
    assert spearman(labels, after) > spearman(labels, before)
    poor = [i for i, x in enumerate(part) if x.score < 0.3]
    assert sum(after[i] >= 0.5 for i in poor) < sum(before[i] >= 0.5 for i in poor)


async def test_llm_path_runs_against_the_fake_endpoint() -> None:
    part = _part("holdout")[:12]
    preds, size = await with_fake_llm(BANK, part)  # raises if any answer fell back to offline
    assert len(preds) == size.requests == len(part)
    assert all(0 <= p <= 1 for p in preds)
    assert 0 < size.mean_chars <= size.max_chars < MAX_ANSWER_CHARS + 8000


def test_the_script_runs_with_the_fake_llm() -> None:
    out = subprocess.run(
        [sys.executable, "bench/grader_eval.py", "--no-llm", "--fake-llm", "--split", "holdout"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "keyword (before), holdout" in out and "offline, holdout" in out
    assert "llm (fake endpoint: plumbing only), holdout" in out
    assert "LLM prompts recorded by the fake, holdout" in out
