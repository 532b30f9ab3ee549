"""Executable checks for the bank's Flask-SQLAlchemy and SQLAlchemy claims (sessions, pools, N+1, isolation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship, selectinload

from tests.bank.sqlite_savepoints import sqlite_savepoints

# Created unbound, as in an `extensions.py` module; every test binds it to its own app with init_app().
db = SQLAlchemy()


class Author(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


def _app(tmp_path: Path, name: str = "app.db", **config: Any) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / name}"
    app.config.update(config)
    db.init_app(app)
    with app.app_context():
        db.create_all()
    return app


def _seed(app: Flask, authors: int) -> None:
    with app.app_context():
        for i in range(authors):
            db.session.add(Author(name=f"a{i}", books=[Book(title=f"b{i}")]))
        db.session.commit()


class _SelectCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.count += 1


@pytest.fixture()
def seeded(tmp_path: Path) -> Iterator[tuple[Flask, _SelectCounter]]:
    app = _app(tmp_path)
    _seed(app, 50)
    counter = _SelectCounter()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield app, counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)


def test_session_is_scoped_to_the_app_context(tmp_path: Path) -> None:
    app = _app(tmp_path)
    sessions: list[Session] = []

    @app.route("/")
    def index() -> str:
        sessions.append(db.session())
        db.session.add(Author(name="never committed"))
        return "ok"

    client = app.test_client()
    client.get("/")
    client.get("/")
    # Same thread, two requests: two sessions, so it is not a per-thread or per-process session.
    assert sessions[0] is not sessions[1]
    # Removed at teardown: the pending object was discarded and nothing reached the database.
    assert not sessions[0].new
    with app.app_context():
        outer = db.session()
        with app.app_context():
            assert db.session() is not outer  # a nested app context has its own session
        assert db.session() is outer
        assert db.session.scalar(sa.select(sa.func.count(Author.id))) == 0
    with pytest.raises(RuntimeError, match="application context"):
        db.session.scalar(sa.select(Author))


def test_engine_pool_per_app_and_engine_options(tmp_path: Path) -> None:
    app = _app(tmp_path)
    tuned = _app(tmp_path, "tuned.db", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "pool_pre_ping": True})
    with app.app_context():
        pool = db.engine.pool
        # A file database gets SQLAlchemy's default QueuePool: 5 connections plus 10 overflow.
        assert isinstance(pool, sa.pool.QueuePool)
        assert (pool.size(), pool._max_overflow) == (5, 10)
    with tuned.app_context():
        assert db.engine.pool is not pool  # each app (and each process) has its own engine and pool
        assert db.engine.pool.size() == 2
        assert db.engine.pool._pre_ping is True

    during: list[int] = []

    @app.route("/")
    def index() -> str:
        db.session.scalar(sa.select(sa.func.count(Author.id)))
        during.append(pool.checkedout())
        return "ok"

    app.test_client().get("/")
    # The session held a connection during the request and gave it back at teardown.
    assert during == [1]
    assert pool.checkedout() == 0


def test_lazy_collection_is_n_plus_one_and_selectinload_fixes_it(seeded: tuple[Flask, _SelectCounter]) -> None:
    _, counter = seeded
    db.session.remove()
    authors = db.session.scalars(sa.select(Author)).all()
    titles = [[b.title for b in a.books] for a in authors]
    assert len(titles) == 50 and counter.count == 51

    db.session.remove()
    counter.count = 0
    authors = db.session.scalars(sa.select(Author).options(selectinload(Author.books))).all()
    assert sum(len(a.books) for a in authors) == 50
    assert counter.count == 2  # one for the authors, one IN query for all the books


def test_many_to_one_in_template_is_n_plus_one_and_joinedload_fixes_it(
    seeded: tuple[Flask, _SelectCounter],
) -> None:
    app, counter = seeded
    template = "{% for book in books %}{{ book.author.name }};{% endfor %}"
    with app.test_request_context():
        db.session.remove()
        books = db.session.scalars(sa.select(Book)).all()
        out = render_template_string(template, books=books)
        # The template only touches attributes; each first access to `author` runs one query.
        assert out.count(";") == 50 and counter.count == 51

        db.session.remove()
        counter.count = 0
        books = db.session.scalars(sa.select(Book).options(joinedload(Book.author))).all()
        render_template_string(template, books=books)
        assert counter.count == 1


def test_outer_transaction_with_savepoint_isolates_a_test(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with app.app_context():
        # SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, emit BEGIN so SAVEPOINT works.
        with sqlite_savepoints(db.engine) as engine:
            connection = engine.connect()
            outer = connection.begin()
            session = Session(bind=connection, join_transaction_mode="create_savepoint")
            session.add(Author(name="written by the code under test"))
            session.commit()  # the code under test commits: only the savepoint is released
            assert session.scalar(sa.select(sa.func.count(Author.id))) == 1
            session.close()
            outer.rollback()  # the fixture's teardown
            connection.close()
        assert db.session.scalar(sa.select(sa.func.count(Author.id))) == 0


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_one_extension_object_serves_each_app_through_current_app(tmp_path: Path) -> None:
    first = _app(tmp_path, "first.db")
    second = _app(tmp_path, "second.db")
    # init_app keeps each app's state on that app; the extension object itself is shared.
    assert first.extensions["sqlalchemy"] is db and second.extensions["sqlalchemy"] is db
    with first.app_context():
        db.session.add(Author(name="only in first"))
        db.session.commit()
        first_url = str(db.engine.url)
    with second.app_context():
        assert str(db.engine.url) != first_url
        assert db.session.scalar(sa.select(sa.func.count(Author.id))) == 0
    with first.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Author.id))) == 1
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        _ = db.engine


def test_exhausted_pool_waits_pool_timeout_then_raises(tmp_path: Path) -> None:
    default = sa.create_engine(f"sqlite:///{tmp_path / 'default.db'}")
    assert isinstance(default.pool, sa.pool.QueuePool)
    assert (default.pool.size(), default.pool._max_overflow, default.pool._timeout) == (5, 10, 30.0)
    default.dispose()

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'small.db'}", pool_size=1, max_overflow=1, pool_timeout=0.01)
    held = [engine.connect(), engine.connect()]  # pool_size + max_overflow connections, all checked out
    with pytest.raises(sa.exc.TimeoutError, match="QueuePool limit of size 1 overflow 1 reached"):
        engine.connect()
    held.pop().close()
    with engine.connect() as conn:  # one returned: the next checkout gets it
        assert conn.scalar(sa.text("select 1")) == 1
    held.pop().close()
    engine.dispose()


def test_dispose_close_false_gives_a_fresh_pool_and_keeps_old_connections(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'fork.db'}")
    with engine.connect() as conn:
        inherited = conn.connection.dbapi_connection
    old_pool = engine.pool
    assert old_pool.checkedin() == 1
    # What a worker does after the fork: drop the parent's pool without closing its connections.
    engine.dispose(close=False)
    assert engine.pool is not old_pool and engine.pool.checkedin() == 0
    assert inherited is not None and inherited.execute("select 1").fetchone() == (1,)  # still open
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is not inherited  # the worker opens its own
    inherited.close()
    engine.dispose()


# ---------------------------------------------------------------- open questions of issue 22


def test_failed_commit_needs_rollback(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with app.app_context():
        db.session.add(Author(id=1, name="first"))
        db.session.commit()
        db.session.add(Author(id=1, name="same primary key"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        with pytest.raises(sa.exc.PendingRollbackError):
            db.session.scalar(sa.select(sa.func.count(Author.id)))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Author.id))) == 1


def test_recorded_queries_count_the_statements_of_a_context(tmp_path: Path) -> None:
    from flask_sqlalchemy.record_queries import get_recorded_queries

    app = _app(tmp_path, SQLALCHEMY_RECORD_QUERIES=True)
    _seed(app, 5)
    with app.app_context():
        authors = db.session.scalars(sa.select(Author)).all()
        titles = [book.title for author in authors for book in author.books]  # lazy: one query per author
        selects = [q for q in get_recorded_queries() if q.statement.lstrip().upper().startswith("SELECT")]
        assert len(titles) == 5
        assert len(selects) == 1 + 5
