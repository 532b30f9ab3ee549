"""The output pinning of code-reading questions: the pins cover the bank, and a wrong pin, output or text fails.

Not a check of the bank (bench/bank_mutants.py leaves this file out): it shows that test_outputs.py's
`test_output[<id>]` can fail, and how the regeneration command behaves.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml

from bot.domain.bank import McqQuestion
from bot.domain.shown_output import output_check
from tests.bank.snippet_outputs import OUTPUTS_FILE, SnippetRun, main, output_problems, run_question, run_snippet
from tests.bank.test_outputs import PINNED, QUESTIONS


def test_pinned_outputs_are_exactly_the_code_reading_questions() -> None:
    assert len(QUESTIONS) >= 60
    assert set(PINNED) == set(QUESTIONS), "stale or missing pins: run python -m tests.bank.snippet_outputs --write"


def test_each_code_reading_question_names_its_output_check() -> None:
    assert all(output_check(qid) in q.checks for qid, q in QUESTIONS.items())


def _any_question() -> McqQuestion:
    return QUESTIONS[min(QUESTIONS)]


def test_a_wrong_pinned_output_fails() -> None:
    q = _any_question()
    run = run_question(q)
    assert output_problems(q, run, PINNED[q.id]) == []
    problems = output_problems(q, run, PINNED[q.id] + " (changed)")
    assert len(problems) == 1 and "pins" in problems[0]


def test_an_explanation_or_option_that_disagrees_with_the_run_fails() -> None:
    q = _any_question()
    printed = run_question(q).output
    wrong_option = next(o for o in q.options if not o.correct).text
    # The explanation shows a distractor's text as the output; the pin was taken from it too.
    lying = q.model_copy(update={"explanation": f"Flask prints:\n```text\n{wrong_option}\n```\n"})
    problems = output_problems(lying, SnippetRun(printed), printed)
    assert any("explanation shows" in p for p in problems), problems
    # The snippet now prints what a distractor says: the right option no longer matches, a distractor does.
    problems = output_problems(q, SnippetRun(wrong_option.replace("`", "")), printed)
    assert any("pins" in p for p in problems) and any("options matching" in p for p in problems), problems


def test_a_snippet_that_raises_or_hangs_is_reported() -> None:
    raised = run_snippet("print('before')\nraise ValueError('boom')\n")
    assert raised == SnippetRun("before", "ValueError: boom")
    hung = run_snippet("while True:\n    pass\n", timeout=0.2)
    assert hung.error is not None and hung.error.startswith("SnippetTimeout")
    assert output_problems(_any_question(), raised, "before")[0].endswith("(after printing 'before')")


def test_a_snippet_runs_in_its_own_namespace_and_folder() -> None:
    first = run_snippet(
        "import pathlib\nleft = 1\npathlib.Path('f.txt').touch()\n"
        "print(sorted(p.name for p in pathlib.Path().iterdir()))\n"
    )
    second = run_snippet("print('left' in globals(), __name__)\n")
    assert (first.output, second.output) == ("['f.txt', 'snippet.py']", "False snippet")


def _bank_of(tmp_path: Path, *questions: McqQuestion) -> Path:
    folder = tmp_path / "questions"
    folder.mkdir()
    raw = [q.model_dump(mode="json", exclude_defaults=True) for q in questions]
    (folder / "output.yaml").write_text(yaml.safe_dump({"questions": raw}, sort_keys=False), encoding="utf-8")
    return folder


def test_check_command_fails_on_a_changed_pin(tmp_path: Path) -> None:
    q = _any_question()
    pins = tmp_path / "outputs.json"
    args = ["--questions", str(_bank_of(tmp_path, q)), "--outputs", str(pins)]
    with redirect_stdout(io.StringIO()):
        assert main([*args, "--write"]) == 0
        assert main(args) == 0
    data = json.loads(pins.read_text(encoding="utf-8"))
    assert data["outputs"] == {q.id: PINNED[q.id]}
    data["outputs"][q.id] += "!"
    pins.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(args) == 1
    assert f"{q.id}: prints" in out.getvalue()


def test_write_refuses_a_snippet_that_raises(tmp_path: Path) -> None:
    q = _any_question()
    broken = q.model_copy(update={"prompt": q.prompt.replace("```python\n", "```python\nraise ValueError('x')\n", 1)})
    pins = tmp_path / "outputs.json"
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["--questions", str(_bank_of(tmp_path, broken)), "--outputs", str(pins), "--write"]) == 1
    assert not pins.exists()
    assert f"{q.id}: the snippet raised ValueError: x" in err.getvalue()


def test_the_pinned_file_is_as_written() -> None:
    committed = json.loads(OUTPUTS_FILE.read_text(encoding="utf-8"))
    assert committed["generated_by"] == "python -m tests.bank.snippet_outputs --write"
    assert list(committed["outputs"]) == sorted(committed["outputs"])
