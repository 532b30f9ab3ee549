"""Mutants for the data and workers checks: SQLAlchemy, Alembic/Flask-Migrate, Gunicorn, module-level state.

Gunicorn checks run a real gunicorn in a subprocess; their mutants reach it through a `sitecustomize`
module put first on PYTHONPATH, which patches gunicorn (or gevent) in every Python process started after it.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from functools import wraps
from typing import Any

import pytest

from tests.bank.mutants import _with_kwargs, _wrap, mutant

_REL = "test_sqla_relationships.py"
_TX = "test_sqla_transactions.py"
_MIG = "test_migrations.py"
_GW = "test_gunicorn_workers.py"
_TS = "test_thread_state.py"


# ---------------------------------------------------------------- relationships and loading


@mutant("back-populates-at-flush", "back_populates fills the other side only when the session flushes", _REL)
def _back_populates_at_flush(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.orm

    def make(orig: Any) -> Any:
        @wraps(orig)
        def relationship(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("back_populates", None)
            return orig(*args, **kwargs)

        return relationship

    _wrap(mp, sqlalchemy.orm, "relationship", make)


@mutant("joinedload-is-a-second-query", "joinedload on a collection loads it with its own query", _REL)
def _joinedload_second_query(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.orm

    mp.setattr(sqlalchemy.orm, "joinedload", sqlalchemy.orm.selectinload)


@mutant("joinedload-limit-cuts-rows", "LIMIT with a joined eager load limits the joined rows", _REL)
def _joinedload_limit_rows(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm.context import _ORMSelectCompileState

    mp.setattr(_ORMSelectCompileState, "_should_nest_selectable", property(lambda self: False))


@mutant("selectinload-one-in-query", "selectinload sends every parent key in one IN query", _REL)
def _selectin_one_query(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm.strategies import _SelectInLoader

    mp.setattr(_SelectInLoader, "_chunksize", 100_000)


@mutant("raiseload-only-on-sql", "raiseload('*') raises only where SQL would be emitted", _REL)
def _raiseload_sql_only(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.orm

    _with_kwargs(mp, sqlalchemy.orm, "raiseload", sql_only=True)


@mutant("default-cascade-deletes-children", "deleting a parent deletes its children by default", _REL)
def _cascade_delete_default(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.orm

    _with_kwargs(mp, sqlalchemy.orm, "relationship", force=False, cascade="all, delete-orphan")


@mutant(
    "session-outlives-app-context", "objects stay attached after the app context ends", _REL, "test_ext_sqlalchemy.py"
)
def _session_not_removed(mp: pytest.MonkeyPatch) -> None:
    from flask_sqlalchemy import SQLAlchemy

    mp.setattr(SQLAlchemy, "_teardown_session", lambda self, exc: None)


@mutant("commit-does-not-expire", "commit leaves loaded attributes in place", _REL, _TX)
def _no_expire_on_commit(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    _with_kwargs(mp, Session, "__init__", expire_on_commit=False)


# ---------------------------------------------------------------- transactions


@mutant("failed-commit-recovers", "after a failed commit the session can be used again at once", _TX)
def _failed_commit_recovers(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy import exc
    from sqlalchemy.orm import Session

    def make(orig: Any) -> Any:
        @wraps(orig)
        def commit(self: Any) -> None:
            try:
                orig(self)
            except exc.IntegrityError:
                self.rollback()
                raise

        return commit

    _wrap(mp, Session, "commit", make)


@mutant("no-autoflush", "a query does not see objects added but not yet committed", _TX)
def _no_autoflush(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    _with_kwargs(mp, Session, "__init__", autoflush=False)


@mutant("commit-on-teardown-honoured", "Flask-SQLAlchemy 3 commits at teardown when COMMIT_ON_TEARDOWN is set", _TX)
def _commit_on_teardown(mp: pytest.MonkeyPatch) -> None:
    from flask import current_app
    from flask_sqlalchemy import SQLAlchemy

    def make(orig: Any) -> Any:
        @wraps(orig)
        def teardown(self: Any, exc: BaseException | None) -> None:
            if exc is None and current_app.config.get("SQLALCHEMY_COMMIT_ON_TEARDOWN"):
                self.session.commit()
            orig(self, exc)

        return teardown

    _wrap(mp, SQLAlchemy, "_teardown_session", make)


@mutant("released-savepoint-is-durable", "leaving a begin_nested() block commits the work for good", _TX)
def _savepoint_durable(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    def make(orig: Any) -> Any:
        @wraps(orig)
        def begin_nested(self: Any) -> Any:
            nested = orig(self)
            session = self

            class Durable:
                def __enter__(self) -> Any:
                    return nested.__enter__()

                def __exit__(self, *exc_info: Any) -> Any:
                    result = nested.__exit__(*exc_info)
                    if exc_info[0] is None:
                        session.commit()
                    return result

            return Durable()

        return begin_nested

    _wrap(mp, Session, "begin_nested", make)


@mutant("orm-sends-increments", "the ORM writes `value += 1` as an atomic `value = value + 1`", _TX)
def _orm_increments(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    def before_flush(session: Any, context: Any, instances: Any) -> None:
        for obj in list(session.dirty):
            state = sa.inspect(obj)
            for attr in state.mapper.column_attrs:
                history = state.attrs[attr.key].history
                old, new = history.deleted, history.added
                if len(old) == 1 and len(new) == 1 and isinstance(new[0], int) and isinstance(old[0], int):
                    setattr(obj, attr.key, getattr(type(obj), attr.key) + (new[0] - old[0]))

    sa.event.listen(Session, "before_flush", before_flush)


@mutant("unique-not-enforced", "a unique column lets a duplicate in when the code checked first", _TX)
def _unique_not_enforced(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.orm

    def make(orig: Any) -> Any:
        @wraps(orig)
        def mapped_column(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("unique", None)
            return orig(*args, **kwargs)

        return mapped_column

    _wrap(mp, sqlalchemy.orm, "mapped_column", make)


# ---------------------------------------------------------------- gunicorn, in a subprocess


def _sitecustomize(mp: pytest.MonkeyPatch, code: str) -> None:
    """Patch every Python started from now on: gunicorn's master and workers included."""
    folder = tempfile.mkdtemp(prefix="bank-mutant-")
    with open(os.path.join(folder, "sitecustomize.py"), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(code))
    mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (folder, os.environ.get("PYTHONPATH")) if p))
