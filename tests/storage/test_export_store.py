"""`/export json` covers the schema: every table with a user's id, or hanging off one that has it, is exported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.storage.db import Database
from bot.storage.export import CHILD_TABLES, USER_TABLES, ExportStore

# Columns that hold a Telegram user id under another name.
USER_ID_COLUMNS = {"user_id", "disabled_by"}


def _schema(path: Path) -> dict[str, tuple[set[str], set[tuple[str, str]]]]:
    """Table name to (its columns, its foreign keys as (column, parent table))."""
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {
            name: (
                {r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (name,))},
                {(r[3], r[2]) for r in conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (name,))},
            )
            for name in names
        }
    finally:
        conn.close()


async def test_every_table_about_a_user_is_exported(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    schema = _schema(path)
    exported = {t for t, _ in USER_TABLES} | {t for t, *_ in CHILD_TABLES}
    assert exported <= set(schema), "an exported table is missing from the schema"
    for table, column in USER_TABLES:
        assert column in schema[table][0], (table, column)
    for table, (columns, keys) in schema.items():
        holds_id = columns & USER_ID_COLUMNS or any(parent == "users" for _, parent in keys)
        assert not holds_id or table in exported, f"{table} holds a user's id but /export json leaves it out"
        # A row that belongs to an exported row (a session's questions) is about the same user.
        belongs = any(parent in exported and parent != table for _, parent in keys)
        assert not belongs or table in exported, f"{table} belongs to an exported table but is not exported"


async def test_only_the_users_rows_in_one_snapshot(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        for uid in (1, 2):
            await db.execute(
                "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, 'U', 0)", (uid, uid)
            )
            await db.execute(
                "INSERT INTO sessions (user_id, mode, level, status, size, started_at) "
                "VALUES (?, 'quiz', 'fresher', 'open', 10, 0)",
                (uid,),
            )
            await db.execute(
                "INSERT INTO session_questions (session_id, position, question_id, option_order) "
                "SELECT session_id, 0, 'q' || ?, '[0,1]' FROM sessions WHERE user_id = ?",
                (uid, uid),
            )
        rows = await ExportStore(db).user_rows(2)
    finally:
        await db.close()
    assert set(rows) == {t for t, _ in USER_TABLES} | {t for t, *_ in CHILD_TABLES}
    assert [r["user_id"] for r in rows["users"]] == [2]
    assert [r["user_id"] for r in rows["sessions"]] == [2]
    assert [r["question_id"] for r in rows["session_questions"]] == ["q2"]
    assert rows["answers"] == []
