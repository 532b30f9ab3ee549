"""`python -m bot practice` with piped stdin, and start-up errors, as real processes."""

from __future__ import annotations

import io
import os
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.practice import run_practice
from bot.config import Settings
from bot.domain.bank import Level

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "LOG_"))}
    full_env.update({"DATABASE_PATH": str(tmp_path / "p.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=full_env,
        timeout=120,
    )


def test_practice_completes_a_quiz_from_piped_input(tmp_path: Path) -> None:
    answers = "x\nA\n2\nc\n4\n1\nb\nB\n3\nD\na\n"
    done = _run(["practice", "--level", "fresher"], tmp_path, answers)
    assert done.returncode == 0, done.stderr
    assert "Please answer with a letter" in done.stdout
    assert done.stdout.count("Question ") == 10
    score = re.search(r"Score: (\d+)/10", done.stdout)
    assert score is not None
    right_marks = done.stdout.count("✅ Right.")
    assert int(score.group(1)) == right_marks
    with sqlite3.connect(tmp_path / "p.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 10


def test_practice_end_of_input_prints_score_so_far(tmp_path: Path) -> None:
    done = _run(["practice", "--level", "advanced"], tmp_path, "1\n")
    assert done.returncode == 0
    assert "(end of input)" in done.stdout
    assert re.search(r"Score: [01]/1\n", done.stdout)


def test_practice_interview_is_the_adaptive_engine_with_debrief_and_report(tmp_path: Path) -> None:
    # Every line answers whatever is asked: "1" is option A, an open answer, or the self-grade "Nailed it".
    lines = "\n".join(["1"] * 40) + "\n"
    done = _run(["practice", "--level", "intermediate", "--mode", "interview"], tmp_path, lines)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("(time budget: ") == 10
    assert "=== Debrief ===" in done.stdout and "Debrief 10/10" in done.stdout
    assert re.search(r"Estimated level: (Fresher|Intermediate|Experienced|Advanced)\n", done.stdout)
    with sqlite3.connect(tmp_path / "p.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 10
        assert db.execute("SELECT estimate_level FROM sessions").fetchone()[0] is not None


def test_no_token_points_to_terminal_practice(tmp_path: Path) -> None:
    done = _run([], tmp_path, "")
    assert done.returncode == 0
    assert "No TELEGRAM_BOT_TOKEN" in done.stderr
    assert "Score:" in done.stdout


def test_invalid_setting_is_one_clear_line(tmp_path: Path) -> None:
    done = _run(["practice"], tmp_path, "", PUSH_RATE="fast")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "PUSH_RATE" in done.stderr
    zone = _run(["practice"], tmp_path, "", DEFAULT_TIMEZONE="Mars/Base")
    assert zone.returncode == 2 and "DEFAULT_TIMEZONE" in zone.stderr


def test_invalid_bank_names_file_and_id(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "bad.yaml").write_text(
        "questions:\n  - id: bad-one\n    level: fresher\n    topic: routing\n    kind: mcq\n    prompt: p\n"
        "    references: [https://flask.palletsprojects.com/]\n    explanation: e\n"
        "    options:\n      - text: a\n        correct: true\n      - text: b\n        correct: true\n"
        "      - text: c\n"
    )
    done = _run(["practice"], tmp_path, "", QUESTIONS_DIR=str(bank))
    assert done.returncode == 2
    assert "bad.yaml: bad-one" in done.stderr and "exactly one correct" in done.stderr
    check = _run(["bank", "check"], tmp_path, "", QUESTIONS_DIR=str(bank))
    assert check.returncode == 1 and "bad.yaml: bad-one" in check.stdout


def test_practice_runs_where_fcntl_does_not_exist(tmp_path: Path) -> None:
    # Windows has no fcntl: only the bot's instance lock needs it, so the terminal practice must not import it.
    no_fcntl = (
        "import runpy, sys; sys.modules['fcntl'] = None; sys.argv = ['bot', 'practice', '--level', 'fresher']; "
        "runpy.run_module('bot', run_name='__main__', alter_sys=True)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "LOG_"))}
    env["DATABASE_PATH"] = str(tmp_path / "p.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", no_fcntl],
        input="A\n" * 10,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Question ") == 10 and "Score: " in done.stdout


async def test_practice_follows_lang(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    out = io.StringIO()
    await run_practice(settings, Level.FRESHER, inp=io.StringIO("A\n" * 10), out=out, rng=random.Random(1))
    shown = out.getvalue()
    assert shown.startswith("(Сами вопросы — на английском.)")
    assert shown.count("Вопрос ") == 10 and re.search(r"Результат: \d+/10", shown)
    monkeypatch.setenv("LANGUAGE", "en:ru")
    monkeypatch.setenv("LANG", "C.UTF-8")
    out = io.StringIO()
    await run_practice(settings, Level.FRESHER, inp=io.StringIO("A\n" * 10), out=out, rng=random.Random(1))
    assert out.getvalue().count("Question ") == 10
