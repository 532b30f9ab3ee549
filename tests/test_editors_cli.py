"""`python -m bot bank calibrate` and `python -m bot reports [--csv]` as real processes on a generated database."""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from pathlib import Path

from bot.config import DEFAULT_QUESTIONS_DIR, Settings
from bot.domain.bank import Level, load_bank
from bot.domain.report_reason import Reason
from bot.services.reports import ReportService
from bot.storage.db import Database
from bot.storage.reports import ReportStore
from tests.clock import FakeClock
from tests.test_practice import _run

BANK = load_bank(DEFAULT_QUESTIONS_DIR)


def _generate(path: Path, answers: dict[str, tuple[Level, float]], n: int = 40, seed: int = 1) -> None:
    """n answers per question, given in sessions of a level, each right with the given chance."""
    rng = random.Random(seed)
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (1, 1, 'gen', 0)")
        for qid, (level, chance) in answers.items():
            cur = raw.execute(
                "INSERT INTO sessions (user_id, mode, level, status, position, size, started_at) "
                "VALUES (1, 'quiz', ?, 'finished', ?, ?, 0)",
                (level.value, n, n),
            )
            sid = cur.lastrowid
            for pos in range(n):
                raw.execute(
                    "INSERT INTO session_questions (session_id, position, question_id, option_order, asked_at) "
                    "VALUES (?, ?, ?, '0,1,2', 0)",
                    (sid, pos, qid),
                )
                raw.execute(
                    "INSERT INTO answers (session_id, position, user_id, question_id, mode, level, topic, kind, "
                    "chosen, correct, answered_at, time_taken_ms) "
                    "VALUES (?, ?, 1, ?, 'quiz', ?, 'x', 'mcq', 0, ?, 1, ?)",
                    (sid, pos, qid, level.value, int(rng.random() < chance), rng.randint(5_000, 60_000)),
                )


async def test_calibrate_names_questions_that_play_off_their_level(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    await (await Database.open(path)).close()
    fresher = BANK.of_level(Level.FRESHER, "mcq")
    hard, normal, few = fresher[0].id, fresher[1].id, fresher[2].id
    _generate(path, {hard: (Level.FRESHER, 0.05), normal: (Level.FRESHER, 0.6)})
    with sqlite3.connect(path) as raw:  # too few answers to say anything
        raw.execute("DELETE FROM answers WHERE question_id = ? AND position >= 10", (normal,))
    done = _run(["bank", "calibrate"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 questions have enough answers to calibrate; 1 to look at" in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.startswith(hard))
    assert "plays like" in line and "[fresher]" in line and "40 answers" in line
    assert normal not in done.stdout and few not in done.stdout


async def test_reports_print_and_csv(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    db = await Database.open(path)
    qid = BANK.of_level(Level.FRESHER, "mcq")[0].id
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (7, 7, 'A', 0)")
        raw.execute(
            "INSERT INTO sessions (user_id, mode, level, status, position, size, started_at) "
            "VALUES (7, 'quiz', 'fresher', 'open', 0, 1, 0)"
        )
        raw.execute(
            "INSERT INTO session_questions (session_id, position, question_id, option_order) VALUES (1, 0, ?, '0,1,2')",
            (qid,),
        )
    service = ReportService(ReportStore(db), BANK, FakeClock())
    filed = await service.file(7, 1, 0, Reason.OUTDATED)
    assert filed is not None and filed.first_today
    assert await service.comment(7, 'Flask 3.1 says otherwise, "see docs", line\nbreak')
    await db.close()
    printed = _run(["reports"], tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert f"{qid}  (" in printed.stdout and "outdated x1" in printed.stdout and "Flask 3.1 says" in printed.stdout
    exported = _run(["reports", "--csv"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 1 and rows[0]["question_id"] == qid and rows[0]["reason"] == "outdated"
    assert rows[0]["comment"] == 'Flask 3.1 says otherwise, "see docs", line\nbreak'
    assert rows[0]["hash_then"] == rows[0]["hash_now"]
    settings = Settings(database_path=path, _env_file=None)  # type: ignore[call-arg]
    assert settings.interview_seconds_mcq == 90 and settings.interview_seconds_open == 300
