"""The bank as content: sizes, `bank check`, named checks that exist, and snippets that compile and run."""

from __future__ import annotations

import ast
import io
import os
import runpy
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from bot.cli.bank_check import run_bank_check
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Bank, Level, code_blocks, follow_ups_of, load_bank

ROOT = Path(__file__).resolve().parents[2]
BANK: Bank = load_bank(DEFAULT_QUESTIONS_DIR)
# Follow-ups are asked like open questions: their checks and snippets are held to the same rules.
FOLLOW_UPS = {q.id: q for q in follow_ups_of(BANK)}


def _texts(q: object) -> list[str]:
    parts = [getattr(q, "prompt", ""), getattr(q, "explanation", ""), getattr(q, "model_answer", "")]
    return [p for p in parts if p]


def test_bank_check_passes() -> None:
    out = io.StringIO()
    code = run_bank_check(DEFAULT_QUESTIONS_DIR, out)
    assert code == 0, out.getvalue()


def test_bank_size_and_mix() -> None:
    levels = Counter(q.level for q in BANK)
    kinds = Counter(q.kind for q in BANK)
    assert len(BANK) >= 200
    assert all(levels[lv] >= 40 for lv in Level), levels
    assert kinds["mcq"] / len(BANK) >= 0.6, kinds


@cache
def _functions(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def test_every_named_check_exists() -> None:
    missing = []
    for q in [*BANK, *FOLLOW_UPS.values()]:
        for check in q.checks:
            file, func = check.split("::")
            # A parametrized check (test_output[<id>]) takes a question id: the function and the id must exist.
            func, _, param = func.partition("[")
            path = ROOT / file
            if not path.exists() or func not in _functions(path) or (param and param.rstrip("]") not in BANK):
                missing.append(f"{q.id}: {check}")
    assert not missing, missing


def test_bank_check_fails_on_a_question_without_a_check(tmp_path: Path) -> None:
    source = (DEFAULT_QUESTIONS_DIR / "routing.yaml").read_text(encoding="utf-8")
    first = source.index("    checks:\n")
    end = source.index("\n\n", first)
    (tmp_path / "routing.yaml").write_text(source[:first] + source[end + 1 :], encoding="utf-8")
    out = io.StringIO()
    assert run_bank_check(tmp_path, out) == 1
    assert "names no executable check" in out.getvalue()


def test_every_check_file_is_a_test_module() -> None:
    named = {c.split("::")[0] for q in [*BANK, *FOLLOW_UPS.values()] for c in q.checks}
    assert named, "no question names a check"
    for file in named:
        assert file.startswith("tests/bank/test_"), file


@pytest.mark.parametrize(
    "qid", sorted(q.id for q in [*BANK, *FOLLOW_UPS.values()] if any(code_blocks(t) for t in _texts(q)))
)
def test_python_snippets_compile(qid: str) -> None:
    for text in _texts(FOLLOW_UPS[qid] if qid in FOLLOW_UPS else BANK[qid]):
        for block in code_blocks(text):
            compile(block, f"<{qid}>", "exec")


@pytest.mark.parametrize("qid", sorted(q.id for q in BANK if q.code_runs))
def test_runnable_snippets_run(qid: str, tmp_path: Path) -> None:
    blocks = code_blocks(BANK[qid].prompt)
    assert blocks, f"{qid} says code_runs but has no python block"
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        for i, block in enumerate(blocks):
            script = tmp_path / f"snippet_{i}.py"
            script.write_text(block, encoding="utf-8")
            runpy.run_path(str(script), run_name="bank_snippet")
    finally:
        os.chdir(old)


@pytest.mark.parametrize("qid", sorted(FOLLOW_UPS))
def test_a_follow_up_model_answer_covers_its_own_key_points(qid: str) -> None:
    # Its keywords are the ones the current grader looks for: its own model answer must be found to cover them.
    from bot.domain.grading import covered_points

    follow_up = FOLLOW_UPS[qid]
    hits = covered_points(list(follow_up.key_points), follow_up.model_answer)
    assert all(hits), [kp.point for kp, hit in zip(follow_up.key_points, hits, strict=True) if not hit]
