"""SQLAlchemy's documented pysqlite recipe, shared by the bank's checks that need SAVEPOINT on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


@contextmanager
def sqlite_savepoints(engine: sa.Engine) -> Iterator[sa.Engine]:
    """Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINT behaves as on PostgreSQL; undone on exit."""

    def no_driver_transactions(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None

    def emit_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    engine.dispose()
    sa.event.listen(engine, "connect", no_driver_transactions)
    sa.event.listen(engine, "begin", emit_begin)
    try:
        yield engine
    finally:
        sa.event.remove(engine, "connect", no_driver_transactions)
        sa.event.remove(engine, "begin", emit_begin)
        engine.dispose()
