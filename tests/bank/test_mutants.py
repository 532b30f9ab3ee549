"""The mutation harness itself: its mutants aim at real check files, and a mutant does make a check fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.bank.mutants import MUTANTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_mutant_targets_existing_check_files() -> None:
    assert len(MUTANTS) >= 60
    for name, mutant in MUTANTS.items():
        assert mutant.claim and mutant.files, name
        for file in mutant.files:
            assert (ROOT / file).is_file(), (name, file)


def test_a_mutant_makes_its_check_fail() -> None:
    # The same check passes in the suite itself; here the plugin patches itsdangerous before it runs.
    check = "tests/bank/test_sessions_and_security.py::test_session_tampered_cookie_rejected"
    env = {**os.environ, "BANK_MUTANT": "session-signature-not-checked"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", "-p", "tests.bank.mutants"]
    result = subprocess.run([*cmd, check], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
