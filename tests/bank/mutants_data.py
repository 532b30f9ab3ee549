"""Mutants for the data and workers checks: SQLAlchemy, Alembic/Flask-Migrate, Gunicorn, module-level state.

Gunicorn checks run a real gunicorn in a subprocess; their mutants reach it through a `sitecustomize`
module put first on PYTHONPATH, which patches gunicorn (or gevent) in every Python process started after it.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import threading
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


@mutant("recorded-queries-empty", "SQLALCHEMY_RECORD_QUERIES keeps no statements to read back", _REL)
def _no_recorded_queries(mp: pytest.MonkeyPatch) -> None:
    import flask_sqlalchemy.record_queries

    mp.setattr(flask_sqlalchemy.record_queries, "get_recorded_queries", lambda: [])


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


# ---------------------------------------------------------------- migrations


def _migrate_defaults(mp: pytest.MonkeyPatch, **values: Any) -> None:
    from flask_migrate import Migrate

    _with_kwargs(mp, Migrate, "__init__", **values)


@mutant("autogenerate-compares-server-defaults", "autogenerate writes server_default changes by default", _MIG)
def _compare_server_default(mp: pytest.MonkeyPatch) -> None:
    _migrate_defaults(mp, compare_server_default=True)


@mutant("flask-migrate-no-batch", "Flask-Migrate renders plain ALTER statements on SQLite", _MIG)
def _no_batch(mp: pytest.MonkeyPatch) -> None:
    _migrate_defaults(mp, render_as_batch=False)


@mutant("batch-mode-just-groups-alters", "batch mode sends the ALTERs together instead of copying the table", _MIG)
def _batch_never_recreates(mp: pytest.MonkeyPatch) -> None:
    from alembic.operations import Operations

    _with_kwargs(mp, Operations, "batch_alter_table", recreate="never")


@mutant("not-null-column-gets-a-default", "adding a NOT NULL column fills existing rows with an empty value", _MIG)
def _not_null_default(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa
    from alembic.ddl.impl import DefaultImpl

    def make(orig: Any) -> Any:
        @wraps(orig)
        def add_column(self: Any, table_name: str, column: Any, *args: Any, **kwargs: Any) -> Any:
            if not column.nullable and column.server_default is None:
                column.server_default = sa.DefaultClause("")
            return orig(self, table_name, column, *args, **kwargs)

        return add_column

    _wrap(mp, DefaultImpl, "add_column", make)


@mutant("downgrade-goes-to-base", "`flask db downgrade` without an argument reverts every migration", _MIG)
def _downgrade_to_base(mp: pytest.MonkeyPatch) -> None:
    import flask_migrate.cli

    def make(orig: Any) -> Any:
        @wraps(orig)
        def downgrade(directory: Any, revision: str, *args: Any) -> Any:
            return orig(directory, "base" if revision == "-1" else revision, *args)

        return downgrade

    _wrap(mp, flask_migrate.cli, "_downgrade", make)


@mutant("upgrade-applies-every-head", "`flask db upgrade` applies every head when there are several", _MIG)
def _upgrade_heads(mp: pytest.MonkeyPatch) -> None:
    import flask_migrate.cli

    def make(orig: Any) -> Any:
        @wraps(orig)
        def upgrade(directory: Any, revision: str, *args: Any) -> Any:
            return orig(directory, "heads" if revision == "head" else revision, *args)

        return upgrade

    _wrap(mp, flask_migrate.cli, "_upgrade", make)


@mutant("naming-convention-ignored", "constraints get names without a naming convention", _MIG)
def _no_naming_convention(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("naming_convention", None)
            orig(self, *args, **kwargs)

        return __init__

    _wrap(mp, sa.MetaData, "__init__", make)


# ---------------------------------------------------------------- gunicorn, in a subprocess


def _sitecustomize(mp: pytest.MonkeyPatch, code: str) -> None:
    """Patch every Python started from now on: gunicorn's master and workers included."""
    folder = tempfile.mkdtemp(prefix="bank-mutant-")
    with open(os.path.join(folder, "sitecustomize.py"), "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(code))
    mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (folder, os.environ.get("PYTHONPATH")) if p))


@mutant("gunicorn-timeout-only-logs", "the arbiter lets a sync worker finish a request past --timeout", _GW)
def _timeout_only_logs(mp: pytest.MonkeyPatch) -> None:
    _sitecustomize(
        mp,
        """
        import gunicorn.arbiter
        gunicorn.arbiter.Arbiter.murder_workers = lambda self: None
        """,
    )


@mutant("gunicorn-gthread-timeout-per-request", "a gthread worker is killed when one request outlasts --timeout", _GW)
def _gthread_per_request(mp: pytest.MonkeyPatch) -> None:
    _sitecustomize(
        mp,
        """
        import gunicorn.workers.gthread as gthread
        _notify = gthread.ThreadWorker.notify
        def notify(self):
            # Silent while a connection is being served, as a sync worker is.
            if not getattr(self, "nr_conns", 0):
                _notify(self)
        gthread.ThreadWorker.notify = notify
        """,
    )


@mutant("gunicorn-sigterm-kills-at-once", "SIGTERM stops workers at once, in-flight requests included", _GW)
def _sigterm_at_once(mp: pytest.MonkeyPatch) -> None:
    _sitecustomize(
        mp,
        """
        import gunicorn.arbiter
        _stop = gunicorn.arbiter.Arbiter.stop
        gunicorn.arbiter.Arbiter.stop = lambda self, graceful=True: _stop(self, graceful=False)
        """,
    )


@mutant("gunicorn-max-requests-ignored", "a worker serves requests forever, whatever --max-requests says", _GW)
def _max_requests_ignored(mp: pytest.MonkeyPatch) -> None:
    import sys

    from gunicorn.workers.base import Worker

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.max_requests = sys.maxsize

        return __init__

    _wrap(mp, Worker, "__init__", make)
    _sitecustomize(
        mp,
        """
        import sys
        from gunicorn.workers.base import Worker
        _init = Worker.__init__
        def __init__(self, *args, **kwargs):
            _init(self, *args, **kwargs)
            self.max_requests = sys.maxsize
        Worker.__init__ = __init__
        """,
    )


@mutant("gunicorn-preload-ignored", "--preload still builds the app in each worker", _GW)
def _preload_ignored(mp: pytest.MonkeyPatch) -> None:
    _sitecustomize(
        mp,
        """
        import gunicorn.arbiter
        _setup = gunicorn.arbiter.Arbiter.setup
        def setup(self, app):
            app.cfg.set("preload_app", False)
            _setup(self, app)
        gunicorn.arbiter.Arbiter.setup = setup
        """,
    )


@mutant("gevent-worker-leaves-time-alone", "the gevent worker patches sockets but not time.sleep", _GW)
def _gevent_no_time(mp: pytest.MonkeyPatch) -> None:
    _sitecustomize(
        mp,
        """
        import gevent.monkey
        _patch_all = gevent.monkey.patch_all
        def patch_all(*args, **kwargs):
            kwargs["time"] = False
            return _patch_all(*args, **kwargs)
        gevent.monkey.patch_all = patch_all
        """,
    )


@mutant("gunicorn-workers-share-globals", "the workers of one gunicorn share module globals", _TS)
def _workers_share_globals(mp: pytest.MonkeyPatch) -> None:
    # One process with two threads stands for "one shared state": what -w 2 would be if workers shared memory.
    _sitecustomize(
        mp,
        """
        import gunicorn.arbiter
        _setup = gunicorn.arbiter.Arbiter.setup
        def setup(self, app):
            app.cfg.set("threads", 2)
            _setup(self, app)
            self.num_workers = 1
        gunicorn.arbiter.Arbiter.setup = setup
        """,
    )


# ---------------------------------------------------------------- module-level state and threads


@mutant("threads-run-one-at-a-time", "the GIL runs one thread's code to the end before another starts", _TS)
def _threads_serialised(mp: pytest.MonkeyPatch) -> None:
    import threading

    def make(orig: Any) -> Any:
        @wraps(orig)
        def start(self: Any) -> None:
            target = getattr(self, "_target", None)
            if getattr(target, "__module__", "").startswith("tests.bank.test_thread_state") or (
                getattr(getattr(target, "func", None), "__module__", "").startswith("tests.bank.test_thread_state")
            ):
                self._bank_ran = True
                self.run()  # to completion, in the caller's thread
                return None
            return orig(self)

        return start

    def make_join(orig: Any) -> Any:
        @wraps(orig)
        def join(self: Any, timeout: float | None = None) -> None:
            if getattr(self, "_bank_ran", False):
                return None
            return orig(self, timeout)

        return join

    _wrap(mp, threading.Thread, "start", make)
    _wrap(mp, threading.Thread, "join", make_join)
    mp.setattr(threading.Barrier, "wait", lambda self, timeout=None: 0)


@mutant("flask-serialises-requests", "Flask handles one request at a time per process", _TS)
def _flask_serialises(mp: pytest.MonkeyPatch) -> None:
    import threading

    from flask import Flask

    lock = threading.Lock()

    def make(orig: Any) -> Any:
        @wraps(orig)
        def wsgi_app(self: Any, environ: Any, start_response: Any) -> Any:
            with lock:
                return orig(self, environ, start_response)

        return wsgi_app

    _wrap(mp, Flask, "wsgi_app", make)


@mutant("g-is-per-thread", "g is kept per thread, so it carries over to the thread's next request", _TS)
def _g_per_thread(mp: pytest.MonkeyPatch) -> None:
    import threading

    from flask.ctx import AppContext

    shared: dict[int, Any] = {}

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.g = shared.setdefault(threading.get_ident(), self.g)

        return __init__

    _wrap(mp, AppContext, "__init__", make)


@mutant("setup-methods-open-at-run-time", "hooks and routes can be added while the app serves requests", _TS)
def _setup_allowed(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    mp.setattr(App, "_check_setup_finished", lambda self, f_name: None)


_MISSING = object()


class _ThreadLocalVar:
    """A ContextVar look-alike that keeps its value per thread, as Flask's locals did before contextvars."""

    def __init__(self, name: str, *, default: Any = _MISSING) -> None:
        self.name = name
        self._default = default
        self._local = threading.local()

    def get(self, *default: Any) -> Any:
        if hasattr(self._local, "value"):
            return self._local.value
        if default:
            return default[0]
        if self._default is not _MISSING:
            return self._default
        raise LookupError(self)

    def set(self, value: Any) -> Any:
        token = getattr(self._local, "value", _MISSING)
        self._local.value = value
        return token

    def reset(self, token: Any) -> None:
        if token is _MISSING:
            del self._local.value
        else:
            self._local.value = token


@mutant("context-locals-are-thread-locals", "Flask's request and g are thread-local", _TS)
def _thread_local_contexts(mp: pytest.MonkeyPatch) -> None:
    import contextvars

    # Before Flask is imported, so that flask.globals and werkzeug.local build on the look-alike.
    mp.setattr(contextvars, "ContextVar", _ThreadLocalVar)
