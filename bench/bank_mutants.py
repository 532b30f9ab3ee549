"""Show that the bank's checks can fail: run them under mutants and under older Flask/Werkzeug releases.

    python -m bench.bank_mutants                      # every mutant of tests/bank/mutants.py
    python -m bench.bank_mutants -m no-autoescape     # one mutant (repeatable)
    python -m bench.bank_mutants --versions           # also Flask 3.0 and 2.2 in throwaway venvs
    python -m bench.bank_mutants --out bench/results/bank_mutants.md

A check is "shown able to fail" when it passes in the real environment (the baseline run) and fails
under at least one mutant or older release. The report lists, for every check, what made it fail, and
the checks nothing made fail, with the reason recorded in SURVIVOR_REASONS.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.bank.mutants import MUTANTS

ROOT = Path(__file__).resolve().parents[1]
CHECK_FILES_EXCLUDED = {
    "test_bank_meta.py",
    "test_seed_coverage.py",
    "test_mutants.py",
    "test_references.py",
    "test_output_pins.py",
}

# Older releases whose behaviour differs where the bank says "since 3.x": each is a wrong environment.
VERSIONS = {
    "flask-3.0": ("flask==3.0.3", "werkzeug==3.0.6"),
    "flask-2.2": ("flask==2.2.5", "werkzeug==2.2.3"),
}

# Checks that no mutant or release made fail, and why that is acceptable (filled in from the report).
_JINJA = (
    "Jinja's template inheritance, which Flask only hosts: the Flask 3.0 and 2.2 runs use the same Jinja 3.1, "
    "and no small patch of Jinja's compiler reproduces the wrong options"
)
SURVIVOR_REASONS: dict[str, str] = {
    "tests/bank/test_extensions.py::test_route_must_be_outermost_decorator": (
        "decorator order is Python's: @app.route registers the function it is handed, so no Flask could run a "
        "check added after registration; the check shows that consequence on the real Flask"
    ),
    "tests/bank/test_gunicorn.py::test_gunicorn_serves_the_factory_app": (
        "runs a real gunicorn process, which in-process patches cannot reach; the same claim fails under "
        "gunicorn-does-not-call-factory in test_call_after_the_colon_runs_the_factory"
    ),
    "tests/bank/test_routing.py::test_static_rule_beats_variable_rule": (
        "Werkzeug orders rules inside its compiled state machine; matching in declaration order would need a "
        "rewrite of the matcher, not a patch"
    ),
    "tests/bank/test_templates.py::test_child_content_outside_blocks_ignored": _JINJA,
    "tests/bank/test_templates.py::test_text_before_extends_is_printed": _JINJA,
    "tests/bank/test_templates.py::test_super_renders_parent_block": _JINJA,
    "tests/bank/test_templates.py::test_template_injection_in_render_template_string": (
        "the f-string builds the template source before Jinja sees it; no Flask or Jinja setting changes that, "
        "which is what the question teaches"
    ),
}


def all_checks() -> list[str]:
    """Every test function in tests/bank/test_*.py, as a node id without parameters."""
    found = []
    for path in sorted((ROOT / "tests" / "bank").glob("test_*.py")):
        if path.name in CHECK_FILES_EXCLUDED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                found.append(f"tests/bank/{path.name}::{node.name}")
    return found


def _failures(xml_path: Path) -> tuple[set[str], set[str]]:
    """(failed node ids, passed node ids) from a junit XML report; parameters folded into the function."""
    failed: set[str] = set()
    passed: set[str] = set()
    if not xml_path.exists():
        return failed, passed
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        name = case.get("name", "").split("[", 1)[0]
        node = f"{module}.py::{name}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(node)
        elif case.find("skipped") is None:
            passed.add(node)
    return failed, passed


def run_pytest(python: str, files: list[str], env_extra: dict[str, str], plugin: bool) -> tuple[set[str], set[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = Path(tmp) / "report.xml"
        # The bank's checks need no fixture from tests/conftest.py (whose imports cost seconds per run);
        # tests/bank/conftest.py only collects Werkzeug's spooled files, whose warning is ignored instead.
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", f"--junitxml={xml_path}"]
        cmd += ["-W", "ignore::ResourceWarning"]
        if plugin:
            cmd += ["-p", "tests.bank.mutants"]
        else:
            # Old releases emit deprecation warnings that the suite's `error` filter would turn into failures.
            cmd += ["-W", "ignore::DeprecationWarning"]
        env = {**os.environ, **env_extra}
        done = subprocess.run([*cmd, *files], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode not in (0, 1):  # 2+: interrupted, internal error (a broken patch), usage error
            raise RuntimeError(f"pytest exited {done.returncode} for {env_extra or python}:\n{done.stdout[-2000:]}")
        return _failures(xml_path)


def ensure_venv(name: str, pins: tuple[str, ...]) -> str:
    """A throwaway venv with the project's dev extra and the older release pinned; reused when present."""
    venv = Path(tempfile.gettempdir()) / f"bank-mutants-{name}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    return str(python)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--mutant", action="append", help="run only this mutant (repeatable)")
    parser.add_argument("--versions", action="store_true", help="also run every check under older releases")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    parser.add_argument("--jobs", type=int, default=2, help="mutant runs at a time (default 2)")
    args = parser.parse_args()

    checks = all_checks()
    names = args.mutant or sorted(MUTANTS)
    killed_by: dict[str, list[str]] = defaultdict(list)
    mutant_kills: dict[str, int] = {}
    started = time.monotonic()

    check_files = sorted({c.split("::")[0] for c in checks})
    baseline_failed, baseline_passed = run_pytest(sys.executable, check_files, {}, plugin=False)
    print(f"baseline: {len(baseline_passed)} passed, {len(baseline_failed)} failed", flush=True)

    def run_mutant(name: str) -> tuple[str, set[str]]:
        failed, _ = run_pytest(sys.executable, list(MUTANTS[name].files), {"BANK_MUTANT": name}, plugin=True)
        return name, failed - baseline_failed

    # A few at a time (--jobs): each run is a separate process, and the machine may be shared.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, failed in pool.map(run_mutant, names):
            mutant_kills[name] = len(failed)
            for node in failed:
                killed_by[node].append(name)
            print(f"{name}: {len(failed)} checks fail", flush=True)

    version_kills: dict[str, int] = {}
    if args.versions:
        for version, pins in VERSIONS.items():
            python = ensure_venv(version, pins)
            failed, passed = run_pytest(python, check_files, {}, plugin=False)
            failed -= baseline_failed
            version_kills[version] = len(failed)
            for node in failed:
                killed_by[node].append(version)
            print(f"{version}: {len(failed)} checks fail, {len(passed)} pass", flush=True)

    shown = [c for c in checks if killed_by.get(c) and c in baseline_passed]
    survivors = [c for c in checks if c not in shown]
    seconds = time.monotonic() - started
    lines = [
        "# Bank checks under mutants and older releases",
        "",
        f"Generated by `python -m bench.bank_mutants{' --versions' if args.versions else ''}` in {seconds:.0f} s.",
        "",
        f"- checks (test functions in tests/bank/test_*.py): {len(checks)}",
        f"- passing in the real environment (baseline): {len(baseline_passed & set(checks))}",
        f"- shown able to fail: {len(shown)}",
        f"  - by a mutant: {sum(1 for c in shown if any(k in MUTANTS for k in killed_by[c]))}",
        f"  - by an older release: {sum(1 for c in shown if any(k in VERSIONS for k in killed_by[c]))}",
        f"  - only by an older release: {sum(1 for c in shown if all(k in VERSIONS for k in killed_by[c]))}",
        f"- not shown: {len(survivors)}",
        "",
        "## Mutants",
        "",
        "| mutant | wrong claim it makes true | checks failing |",
        "| --- | --- | ---: |",
    ]
    lines += [f"| `{n}` | {MUTANTS[n].claim} | {mutant_kills[n]} |" for n in names]
    if version_kills:
        lines += ["", "## Older releases", "", "| release | pins | checks failing |", "| --- | --- | ---: |"]
        lines += [f"| {v} | {' '.join(VERSIONS[v])} | {k} |" for v, k in version_kills.items()]
    lines += ["", "## Checks not shown able to fail", ""]
    lines += [f"- `{c}`: {SURVIVOR_REASONS.get(c, 'no reason recorded')}" for c in survivors] or ["(none)"]
    lines += ["", "## What made each check fail", ""]
    lines += [f"- `{c}`: {', '.join(sorted(killed_by[c]))}" for c in shown]
    report = "\n".join(lines) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    print(report if not args.out else f"shown able to fail: {len(shown)} of {len(checks)}; report in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
