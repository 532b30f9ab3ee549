"""Run the code-reading questions' snippets and pin what they print (tests/bank/outputs.json).

    python -m tests.bank.snippet_outputs            # run every snippet, compare with the file (exit 1 on a change)
    python -m tests.bank.snippet_outputs --write    # regenerate the file from the installed Flask
    python -m tests.bank.snippet_outputs --json     # print {id: output} as run now (bench/output_versions.py)

Each snippet runs in this process, in its own module namespace and temporary working folder, with stdout
captured, stderr discarded, warnings turned into errors (as in the suite) and a wall-clock timeout. In-process
so that the mutants of tests/bank/mutants.py, which patch Flask inside the pytest process, reach the snippets too.
tests/bank/test_outputs.py runs the same function for each question and compares with the pinned file, so a
Flask, Werkzeug or Jinja release that changes an output fails the suite, and with it CI.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import runpy
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from types import FrameType

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Bank, McqQuestion, load_bank
from bot.domain.shown_output import explanation_output, option_matches, snippet

OUTPUTS_FILE = Path(__file__).with_name("outputs.json")
WRITE_COMMAND = "python -m tests.bank.snippet_outputs --write"
# Generous: every snippet runs in well under a second; this only stops one that hangs.
TIMEOUT_SECONDS = 20.0
_VERSIONED = ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous")


@dataclass(frozen=True)
class SnippetRun:
    """What a snippet printed, and the exception that ended it early, if any."""

    output: str
    error: str | None = None


class SnippetTimeout(Exception):
    """The snippet ran longer than its timeout."""


def normalise(stdout: str) -> str:
    """The pinned form of an output: trailing spaces of each line and blank lines at the end dropped."""
    return "\n".join(line.rstrip() for line in stdout.splitlines()).strip("\n")


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise SnippetTimeout(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_snippet(code: str, name: str = "snippet", timeout: float = TIMEOUT_SECONDS, warn: str = "error") -> SnippetRun:
    """Run one program as its own module in a fresh temporary folder; return what it printed."""
    stdout, stderr = io.StringIO(), io.StringIO()
    old_cwd = Path.cwd()
    error = None
    with tempfile.TemporaryDirectory(prefix="bank-snippet-") as tmp:
        script = Path(tmp) / f"{name.replace('-', '_')}.py"
        script.write_text(code, encoding="utf-8")
        os.chdir(tmp)
        try:
            with (
                warnings.catch_warnings(),
                contextlib.redirect_stdout(stdout),
                contextlib.redirect_stderr(stderr),
                _time_limit(timeout),
            ):
                warnings.simplefilter(warn)  # type: ignore[arg-type]
                runpy.run_path(str(script), run_name="snippet")
        except BaseException as exc:  # a snippet may even call sys.exit(); report it, do not stop the run
            if isinstance(exc, KeyboardInterrupt):
                raise
            error = f"{type(exc).__name__}: {exc}"
        finally:
            os.chdir(old_cwd)
    return SnippetRun(normalise(stdout.getvalue()), error)


def output_questions(bank: Bank) -> list[McqQuestion]:
    """The code-reading questions, in id order."""
    return sorted((q for q in bank if isinstance(q, McqQuestion) and q.shows_output), key=lambda q: q.id)


def load_outputs(path: Path = OUTPUTS_FILE) -> dict[str, str]:
    """The pinned outputs by question id (empty when the file does not exist yet)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    outputs = data["outputs"]
    assert isinstance(outputs, dict)
    return {str(k): str(v) for k, v in outputs.items()}


def output_problems(q: McqQuestion, run: SnippetRun, pinned: str | None) -> list[str]:
    """Why this question's output is not trustworthy as run now; empty when it is."""
    if run.error is not None:
        return [f"{q.id}: the snippet raised {run.error} (after printing {run.output!r})"]
    problems = []
    if pinned is None:
        problems.append(f"{q.id}: no pinned output in {OUTPUTS_FILE.name}; run `{WRITE_COMMAND}`")
    elif run.output != pinned:
        problems.append(f"{q.id}: prints {run.output!r}, but {OUTPUTS_FILE.name} pins {pinned!r}")
    shown = explanation_output(q)
    if shown != run.output:
        problems.append(f"{q.id}: the explanation shows {shown!r}, the snippet prints {run.output!r}")
    matching = [i for i, o in enumerate(q.options) if option_matches(o.text, run.output)]
    if matching != [q.correct_index]:
        right = q.options[q.correct_index].text
        problems.append(f"{q.id}: options matching the output {run.output!r}: {matching}; the right one is {right!r}")
    return problems


def run_question(q: McqQuestion, warn: str = "error") -> SnippetRun:
    """Run the snippet of one code-reading question."""
    return run_snippet(snippet(q), q.id, warn=warn)


def write_outputs(runs: dict[str, SnippetRun], path: Path = OUTPUTS_FILE) -> None:
    """Pin the outputs, with the versions they were produced on (for the reader; not compared)."""
    data = {
        "generated_by": WRITE_COMMAND,
        "versions": {name: version(name) for name in _VERSIONED},
        "outputs": {qid: runs[qid].output for qid in sorted(runs)},
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help="regenerate the pinned outputs")
    what.add_argument("--json", action="store_true", help="print the outputs as run now, as JSON")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS_DIR, help="bank folder")
    parser.add_argument("--outputs", type=Path, default=OUTPUTS_FILE, help="pinned outputs file")
    parser.add_argument("--ignore-warnings", action="store_true", help="run snippets with warnings ignored")
    args = parser.parse_args(argv)

    questions = output_questions(load_bank(args.questions))
    warn = "ignore" if args.ignore_warnings else "error"
    runs = {q.id: run_question(q, warn) for q in questions}
    if args.json:
        print(json.dumps({qid: r.output if r.error is None else f"<{r.error}>" for qid, r in runs.items()}, indent=2))
        return 0
    if args.write:
        failed = {qid: r.error for qid, r in runs.items() if r.error is not None}
        for qid, error in failed.items():
            print(f"{qid}: the snippet raised {error}", file=sys.stderr)
        if failed:
            print(f"nothing written: {len(failed)} snippet(s) raised", file=sys.stderr)
            return 1
        write_outputs(runs, args.outputs)
        print(f"{len(runs)} outputs written to {args.outputs}")
        return 0
    pinned = load_outputs(args.outputs)
    problems = [p for q in questions for p in output_problems(q, runs[q.id], pinned.get(q.id))]
    stale = sorted(set(pinned) - set(runs))
    problems += [f"{qid}: pinned, but no shows_output question has this id" for qid in stale]
    for problem in problems:
        print(problem)
    print(f"{len(runs)} snippets run, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
