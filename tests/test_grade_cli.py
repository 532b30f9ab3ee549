"""`python -m bot grade QUESTION_ID`: one JSON object, offline or through the (fake) LLM; exit 2 on a bad id."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import McqQuestion, load_bank
from tests.fake_llm import FakeLlm, recorded

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
QID = "basics-flask-run-vs-python"
ANSWER = (
    "python app.py just runs the file, and only serves if it calls app.run() at the bottom. flask run finds "
    "the app itself (FLASK_APP or --app) and is what the docs recommend. Both are dev servers only."
)
KEYS = {"question", "grader", "score", "points", "wrong", "feedback", "follow_up"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "TELEGRAM_"))}
    env.update(extra)
    return env


async def _grade(cwd: Path, args: list[str], stdin: str, **env: str) -> tuple[int, str, str]:
    # Run from another folder, as an operator would; asyncio's subprocess keeps the fake server's loop running.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "grade",
        *args,
        cwd=cwd,
        env=_env(**env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(stdin.encode())
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_offline_grade_prints_one_json_object(tmp_path: Path) -> None:
    code, out, err = await _grade(tmp_path, [QID], ANSWER)
    assert code == 0, err
    assert out.count("\n") == 1
    grade = json.loads(out)
    assert set(grade) == KEYS
    assert grade["question"] == QID and grade["grader"] == "offline"
    assert 0 <= grade["score"] <= 1
    question = BANK[QID]
    assert [p["text"] for p in grade["points"]] == [kp.point for kp in question.key_points]  # type: ignore[union-attr]
    for p in grade["points"]:
        assert p["verdict"] in ("covered", "partly", "missing")
        assert (p["quote"] is None) == (p["verdict"] == "missing")
        assert p["quote"] is None or p["quote"] in ANSWER
    assert isinstance(grade["wrong"], list) and isinstance(grade["feedback"], str)


async def test_llm_grade_goes_through_the_configured_endpoint(tmp_path: Path, fake_llm: FakeLlm) -> None:
    fake_llm.replies.append(recorded(QID))
    code, out, err = await _grade(tmp_path, [QID], ANSWER, LLM_BASE_URL=fake_llm.base_url, LLM_MODEL="test-model")
    assert code == 0, err
    grade = json.loads(out)
    assert grade["grader"] == "llm" and len(fake_llm.requests) == 1
    assert [p["verdict"] for p in grade["points"]] == ["covered", "covered", "partly", "missing", "partly"]
    assert grade["points"][3]["quote"] is None  # the recorded reply invented that quote
    assert grade["score"] == pytest.approx(0.6)
    assert grade["follow_up"].startswith("What happens to an app.run() call")


async def test_llm_failure_prints_the_offline_grade_and_one_log_line(tmp_path: Path, fake_llm: FakeLlm) -> None:
    fake_llm.mode = "schema"
    key = "sk-cli-secret-0123456789"
    code, out, err = await _grade(
        tmp_path, [QID], ANSWER, LLM_BASE_URL=fake_llm.base_url, LLM_MODEL="m", LLM_API_KEY=key
    )
    assert code == 0
    assert json.loads(out)["grader"] == "offline"
    assert len(err.strip().splitlines()) == 1 and "schema" in err
    assert key not in err and key not in out


async def test_follow_up_ids_are_graded_too(tmp_path: Path) -> None:
    code, out, err = await _grade(tmp_path, [f"{QID}/1"], "It is ignored.")
    assert code == 0, err
    assert json.loads(out)["question"] == f"{QID}/1"


@pytest.mark.parametrize(
    "qid",
    ["no-such-question", next(q.id for q in BANK if isinstance(q, McqQuestion)), f"{QID}/9", f"{QID}/x"],
)
async def test_unknown_or_mcq_id_gets_one_line_and_exit_2(tmp_path: Path, qid: str) -> None:
    code, out, err = await _grade(tmp_path, [qid], ANSWER)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and qid in err
