"""The terminal interview in-process with an injected clock: over-time answers, without waiting."""

from __future__ import annotations

import datetime as dt
import io
import random
import sqlite3

from bot.cli.practice import run_practice
from bot.config import Settings
from bot.domain.bank import Level
from bot.domain.interview import Mode
from tests.clock import FakeClock


class SlowTyper(FakeClock):
    """A clock that moves 100 s every time it is read: the candidate is slow."""

    def now(self) -> dt.datetime:
        self.advance(seconds=100)
        return super().now()


async def test_terminal_interview_marks_late_answers_over_time(settings: Settings) -> None:
    out = io.StringIO()
    code = await run_practice(
        settings, Level.FRESHER, Mode.INTERVIEW, io.StringIO("1\n" * 40), out, SlowTyper(), random.Random(3)
    )
    assert code == 0
    text = out.getvalue()
    assert "Answer received. (over time)" in text
    assert "Estimated level: " in text and "over time)" in text.split("Estimated level: ")[1]
    with sqlite3.connect(settings.database_path) as db:
        over = db.execute("SELECT COUNT(*) FROM answers WHERE over_time = 1").fetchone()[0]
        assert over >= 1 and db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 10
