"""Executable checks for the bank's claims on transactions: rollback, autoflush, savepoints, lost updates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import exc
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from tests.bank.sqlite_savepoints import sqlite_savepoints

db = SQLAlchemy()


class Account(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(unique=True)


class Counter(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int]


class VersionedCounter(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int]
    version = mapped_column(sa.Integer, nullable=False)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


def _app(tmp_path: Path, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'tx.db'}"
    app.config.update(config)
    db.init_app(app)
    with app.app_context():
        db.create_all()
    return app


def _count(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def test_a_failed_flush_leaves_the_session_needing_rollback(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with app.app_context():
        db.session.add(Account(email="ann@example.com"))
        db.session.commit()
        db.session.add(Account(email="ann@example.com"))
        with pytest.raises(exc.IntegrityError, match="UNIQUE constraint failed"):
            db.session.commit()
        # Any further use of the session fails until the caller rolls it back explicitly.
        with pytest.raises(exc.PendingRollbackError, match=r"first issue Session\.rollback\(\)"):
            _count(Account)
        db.session.rollback()
        assert _count(Account) == 1


def test_autoflush_sends_pending_objects_before_a_query(tmp_path: Path) -> None:
    app = _app(tmp_path)
    seen: list[int] = []

    @app.post("/signup")
    def signup() -> str:
        db.session.add(Account(email="new@example.com"))
        seen.append(_count(Account))  # autoflush INSERTs first, inside the still-open transaction
        return "no commit"

    app.test_client().post("/signup")
    assert seen == [1]
    with app.app_context():
        assert _count(Account) == 0  # never committed: the teardown's session.remove() rolled it back


def test_commit_on_teardown_setting_is_gone_in_flask_sqlalchemy_3(tmp_path: Path) -> None:
    app = _app(tmp_path, SQLALCHEMY_COMMIT_ON_TEARDOWN=True)

    @app.post("/signup")
    def signup() -> str:
        db.session.add(Account(email="lost@example.com"))
        return "ok"

    assert app.test_client().post("/signup").status_code == 200
    with app.app_context():
        assert _count(Account) == 0


@pytest.fixture()
def savepoint_app(tmp_path: Path) -> Iterator[Flask]:
    """SQLite with SQLAlchemy's documented pysqlite recipe, so it honours SAVEPOINT as PostgreSQL does."""
    app = _app(tmp_path)
    with sqlite_savepoints(_engine(app)):
        yield app


def test_begin_nested_rolls_back_only_the_failing_row(savepoint_app: Flask) -> None:
    with savepoint_app.app_context():
        db.session.add(Account(email="dup@example.com"))
        db.session.commit()
        skipped = []
        for email in ["a@example.com", "dup@example.com", "b@example.com"]:
            try:
                with db.session.begin_nested():
                    db.session.add(Account(email=email))
            except exc.IntegrityError:
                skipped.append(email)  # only the savepoint was rolled back; the session is still usable
        db.session.commit()
        assert skipped == ["dup@example.com"]
        assert _count(Account) == 3


def test_a_released_savepoint_is_undone_by_the_outer_rollback(savepoint_app: Flask) -> None:
    with savepoint_app.app_context():
        with db.session.begin_nested():
            db.session.add(Account(email="kept?@example.com"))
        db.session.rollback()
        assert _count(Account) == 0


def test_commit_expires_objects_so_each_one_reloads(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with app.app_context():
        db.session.add_all([Account(email=f"u{i}@example.com") for i in range(10)])
        db.session.commit()
        accounts = db.session.scalars(sa.select(Account)).all()
        for account in accounts:
            account.email = account.email.upper()
        db.session.commit()
        selects: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            selects.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            emails = [a.email for a in accounts]
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert len(emails) == 10
        assert len(selects) == 10 and all(s.lstrip().startswith("SELECT") for s in selects)

    kept = Session(_engine(app), expire_on_commit=False)
    with kept:
        rows = kept.scalars(sa.select(Account)).all()
        rows[0].email = "changed@example.com"
        kept.commit()
        assert not sa.inspect(rows[0]).expired_attributes


def _engine(app: Flask) -> sa.Engine:
    with app.app_context():
        return db.engine


def test_read_modify_write_loses_an_update_and_an_sql_expression_does_not(tmp_path: Path) -> None:
    app = _app(tmp_path)
    engine = _engine(app)
    with Session(engine) as s:
        s.add_all([Counter(id=1, value=0), VersionedCounter(id=1, value=0, version=1)])
        s.commit()

    def interleave(model: Any, write: Callable[[Any], None]) -> tuple[Session, Session]:
        """Two requests: both read the row, then each writes and commits in turn."""
        first, second = Session(engine), Session(engine)
        a, b = first.get(model, 1), second.get(model, 1)
        write(a)
        write(b)
        first.commit()
        return first, second

    def increment(row: Any) -> None:
        row.value += 1

    def increment_in_sql(row: Any) -> None:
        row.value = type(row).value + 1

    def value(model: Any) -> int:
        with Session(engine) as s:
            return int(s.scalar(sa.select(model.value)))

    # Both read 0, both write 1.
    first, second = interleave(Counter, increment)
    second.commit()
    first.close()
    second.close()
    assert value(Counter) == 1

    # The same interleaving with an SQL expression: UPDATE counter SET value = value + 1.
    first, second = interleave(Counter, increment_in_sql)
    second.commit()
    first.close()
    second.close()
    assert value(Counter) == 3

    # Optimistic locking only where the mapping asks for it: version_id_col turns the lost update into an error.
    first, second = interleave(VersionedCounter, increment)
    with pytest.raises(StaleDataError, match="0 were matched"):
        second.commit()
    second.close()
    first.close()


def test_checking_first_does_not_prevent_a_duplicate_insert(tmp_path: Path) -> None:
    app = _app(tmp_path)
    engine = _engine(app)
    first, second = Session(engine), Session(engine)
    email = "race@example.com"
    # Both requests check, both see no such account...
    for s in (first, second):
        assert s.scalar(sa.select(Account).where(Account.email == email)) is None
    first.add(Account(email=email))
    second.add(Account(email=email))
    first.commit()
    # ...and only the database's UNIQUE constraint stops the second one.
    with pytest.raises(exc.IntegrityError, match=r"UNIQUE constraint failed: account\.email"):
        second.commit()
    second.rollback()
    assert second.scalar(sa.select(sa.func.count(Account.id))) == 1
    first.close()
    second.close()
