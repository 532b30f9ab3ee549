"""One grading table: no SQL names a grade or its score, and services build no HTML (issue 21).

The table is bot/domain/grading.py. Storage reads it through parameters or scores rows in Python with it, so
changing a score there changes every figure (summaries, /stats, the review's mistakes, the interview estimate,
calibration) and no SQL can disagree. Migrations up to 7 are shipped history (7's generated `score` column was
dropped by 8); what is in force is checked on the live schema of a fresh database.
"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

import pytest

from bot.domain.grading import GRADE_SCORES, SelfGrade
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[2] / "bot"
STORAGE = sorted((ROOT / "storage").glob("*.py"))
SHIPPED_BEFORE_THE_TABLE = 7  # migrations 1-7; 8 moved the grading rule out of SQL
GRADES = "|".join(g.value for g in SelfGrade)
# A grade named in SQL ('nailed'), or an outcome column turned into a number (THEN 1, THEN 0.5).
GRADE_LITERAL = re.compile(rf"'({GRADES})'", re.IGNORECASE)
SCORE_NUMBER = re.compile(r"\b(self_grade|correct|timed_out|kind)\b[^;]*?\bTHEN\s+-?[0-9.]+", re.IGNORECASE | re.DOTALL)
SCORE_COLUMN = re.compile(r"\bscore\b", re.IGNORECASE)
# Modules that write HTML: the texts layer, Telegram's rendering, markup; a service returns a view instead.
HTML_HELPERS = ("html", "bot.texts", "bot.telegram", "bot.domain.markup", "telegram", "markdown")


def _strings(path: Path) -> list[str]:
    """Every string literal of a module, f-strings with their constant parts joined."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            found.append(
                "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            )
    return found


def _sql(text: str) -> bool:
    return bool(re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|CASE)\b", text))


def _problems(sql: str) -> list[str]:
    return [p.pattern for p in (GRADE_LITERAL, SCORE_NUMBER) if p.search(sql)]


@pytest.mark.parametrize("path", [p for p in STORAGE if p.name != "migrations.py"], ids=lambda p: p.name)
def test_no_storage_sql_names_a_grade_or_its_score(path: Path) -> None:
    bad = {s[:90]: _problems(s) for s in _strings(path) if _sql(s) and _problems(s)}
    assert bad == {}


def test_no_migration_after_the_table_names_a_grade_or_its_score() -> None:
    for number, script in enumerate(MIGRATIONS, start=1):
        if number > SHIPPED_BEFORE_THE_TABLE:
            assert _problems(script) == [], f"migration {number}"


def test_the_live_schema_holds_no_grading_rule(tmp_path: Path) -> None:
    async def schema() -> list[tuple[str, str]]:
        db = await Database.open(tmp_path / "bot.sqlite3")
        try:
            rows = await db.fetch_all("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
            return [(str(r[0]), str(r[1])) for r in rows]
        finally:
            await db.close()

    for name, sql in asyncio.run(schema()):
        if name == "answers":
            # The one place grades are named: the CHECK that only the domain's grades are stored.
            check = re.search(r"self_grade\s+TEXT\s+CHECK\s*\(self_grade IN \(([^)]*)\)\)", sql)
            assert check is not None
            assert {g.strip(" '") for g in check.group(1).split(",")} == {g.value for g in SelfGrade}
            sql = sql.replace(check.group(0), "")
        assert _problems(sql) == [], name
        assert not SCORE_COLUMN.search(sql), name


def test_the_checks_can_fail() -> None:
    """The patterns catch the rules that used to live in SQL (migration 7, /stats, the review's mistakes)."""
    assert _problems(MIGRATIONS[6])  # 7: score GENERATED ALWAYS AS (CASE ... 'nailed' THEN 1.0 ...)
    assert _problems("SELECT CASE WHEN kind = 'mcq' THEN correct WHEN self_grade = 'nailed' THEN 1 ELSE 0 END")
    assert _problems("SELECT 1 FROM answers WHERE correct = 0 OR self_grade IN ('partly', 'missed')")
    assert not _problems(
        "SELECT CASE WHEN kind = 'mcq' THEN correct WHEN self_grade IS NULL THEN NULL ELSE self_grade IN (?) END"
    )
    assert len(GRADE_SCORES) == len(SelfGrade)


def test_services_import_no_html_helpers() -> None:
    leaks = {}
    for path in sorted((ROOT / "services").glob("*.py")):
        if path.name == "wiring.py":
            continue  # the composition root: it hands the texts layer to the group service (issue 21, i21d)
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
        found = sorted(m for m in imported if any(m == h or m.startswith(h + ".") for h in HTML_HELPERS))
        if found:
            leaks[path.name] = found
    assert leaks == {}
