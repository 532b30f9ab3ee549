"""Every stored row about one user, for `/export json`: the tables are listed here, once."""

from __future__ import annotations

from typing import Final

import aiosqlite

from bot.storage.db import Database

# Each table that holds rows about a user, and the column with their Telegram user id. A new table with such a
# column goes here: tests/storage/test_export_store.py fails until it does.
USER_TABLES: Final[tuple[tuple[str, str], ...]] = (
    ("users", "user_id"),  # settings: name, level, time zone, daily time, blocked
    ("sessions", "user_id"),
    ("answers", "user_id"),
    ("cards", "user_id"),
    ("deliveries", "user_id"),
    ("broadcast_deliveries", "user_id"),  # the announcements sent to them
    ("reports", "user_id"),
    ("poll_votes", "user_id"),
    ("group_members", "user_id"),
    ("disabled_questions", "disabled_by"),  # an admin's own actions
    ("goals", "user_id"),  # interview dates, levels and how they went
    ("pauses", "user_id"),
    ("nudges", "user_id"),
    ("broadcasts", "created_by"),
)
# Tables whose rows belong to rows of a user table: (table, its key column, parent table, parent key column).
CHILD_TABLES: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("session_questions", "session_id", "sessions", "session_id"),
    ("answer_grades", "session_id", "sessions", "session_id"),  # the grader's verdict on each typed answer
)

Row = dict[str, object]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _user_column(table: str) -> str:
    return next(column for name, column in USER_TABLES if name == table)


async def _rows(conn: aiosqlite.Connection, sql: str, user_id: int) -> list[Row]:
    cur = await conn.execute(sql, (user_id,))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, tuple(values), strict=True)) for values in await cur.fetchall()]


class ExportStore:
    """Reads every row about a user in one snapshot."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def user_rows(self, user_id: int) -> dict[str, list[Row]]:
        """Table name to the user's rows in it (column name to value), every listed table present, one snapshot."""
        found: dict[str, list[Row]] = {}
        # Identifiers come from the constants above; the user id is the only value, and it is a parameter.
        async with self._db.read() as conn:
            for table, column in USER_TABLES:
                sql = f"SELECT * FROM {_quote(table)} WHERE {_quote(column)} = ?"  # noqa: S608
                found[table] = await _rows(conn, sql, user_id)
            for table, key, parent, parent_key in CHILD_TABLES:
                sql = (
                    f"SELECT * FROM {_quote(table)} WHERE {_quote(key)} IN "  # noqa: S608
                    f"(SELECT {_quote(parent_key)} FROM {_quote(parent)} WHERE {_quote(_user_column(parent))} = ?)"
                )
                found[table] = await _rows(conn, sql, user_id)
        return found
