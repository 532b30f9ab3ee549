"""Executable checks for the bank's claims on SQLAlchemy relationships, loader strategies and detached objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import exc
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    raiseload,
    relationship,
    selectinload,
)
from sqlalchemy.orm.exc import DetachedInstanceError


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    # NOT NULL, as a book's author usually is.
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


class Shelf(Base):
    __tablename__ = "shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    slots: Mapped[list[Slot]] = relationship(back_populates="shelf", cascade="all, delete-orphan")


class Slot(Base):
    __tablename__ = "slot"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(sa.ForeignKey("shelf.id"))
    shelf: Mapped[Shelf] = relationship(back_populates="slots")


class _Statements:
    """Records the SQL statements an engine runs."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sql.append(statement)

    @property
    def selects(self) -> int:
        return sum(1 for s in self.sql if s.lstrip().upper().startswith("SELECT"))


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rel.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _seed(engine: sa.Engine, authors: int, books_each: int = 2) -> None:
    with Session(engine) as session:
        for i in range(authors):
            session.add(Author(name=f"a{i}", books=[Book(title=f"b{i}-{j}") for j in range(books_each)]))
        session.commit()


@pytest.fixture()
def statements(engine: sa.Engine) -> Iterator[_Statements]:
    recorder = _Statements()
    sa.event.listen(engine, "before_cursor_execute", recorder)
    yield recorder
    sa.event.remove(engine, "before_cursor_execute", recorder)


def test_back_populates_updates_the_other_side_in_python() -> None:
    author = Author(name="Ann")
    book = Book(title="Flask")
    book.author = author
    assert book.author_id is None  # the foreign key column waits for a flush
    # No session, no flush: the reverse collection is updated by attribute events at assignment time.
    assert author.books == [book]
    other = Author(name="Bob")
    other.books.append(book)
    assert book.author is other
    assert author.books == []


def test_joinedload_on_a_collection_needs_unique(engine: sa.Engine) -> None:
    _seed(engine, 3)
    with Session(engine) as session:
        stmt = sa.select(Author).options(joinedload(Author.books))
        with pytest.raises(exc.InvalidRequestError, match="unique"):
            session.scalars(stmt).all()
        authors = session.scalars(stmt).unique().all()
        assert [len(a.books) for a in authors] == [2, 2, 2]
        # The joined rows themselves repeat each author once per book.
        assert len(session.execute(stmt).unique().all()) == 3
        assert len(session.execute(sa.select(Author.id).join(Author.books)).all()) == 6
        # A many-to-one joined load repeats nothing, and needs no unique().
        assert len(session.scalars(sa.select(Book).options(joinedload(Book.author))).all()) == 6


def test_joinedload_with_limit_limits_parents_in_a_subquery(engine: sa.Engine, statements: _Statements) -> None:
    _seed(engine, 30, books_each=3)
    with Session(engine) as session:
        statements.sql.clear()
        authors = session.scalars(sa.select(Author).options(joinedload(Author.books)).limit(10)).unique().all()
        # Ten authors, each with every one of their books: LIMIT applies to the authors, not the joined rows.
        assert len(authors) == 10
        assert [len(a.books) for a in authors] == [3] * 10
        assert statements.selects == 1
        sql = " ".join(statements.sql[-1].split())
        assert "FROM (SELECT author.id AS id, author.name AS name FROM author LIMIT" in sql
        assert "LEFT OUTER JOIN book" in sql


def test_selectinload_batches_parent_keys_500_at_a_time(engine: sa.Engine, statements: _Statements) -> None:
    _seed(engine, 1200, books_each=1)
    with Session(engine) as session:
        statements.sql.clear()
        authors = session.scalars(sa.select(Author).options(selectinload(Author.books))).all()
        assert sum(len(a.books) for a in authors) == 1200
        # One SELECT for the authors, then one IN query per 500 authors: 500 + 500 + 200.
        assert statements.selects == 4
        assert all(" IN (" in s for s in statements.sql[1:])
        # The back reference of the loaded books is filled from the identity map: no further SQL.
        assert authors[0].books[0].author is authors[0]
        assert statements.selects == 4


def test_raiseload_star_also_refuses_identity_map_lookups(engine: sa.Engine, statements: _Statements) -> None:
    _seed(engine, 2)
    with Session(engine) as session:
        strict = session.scalars(sa.select(Author).options(selectinload(Author.books), raiseload("*"))).all()
        with pytest.raises(exc.InvalidRequestError, match="lazy='raise'"):
            _ = strict[0].books[0].author
    with Session(engine) as session:
        loose = session.scalars(
            sa.select(Author).options(selectinload(Author.books), raiseload("*", sql_only=True))
        ).all()
        before = statements.selects
        # sql_only=True raises only where SQL would be emitted; the author is already in the identity map.
        assert loose[0].books[0].author is loose[0]
        assert statements.selects == before
        book = session.scalars(sa.select(Book).where(Book.author_id == loose[1].id)).first()
        assert book is not None
    with Session(engine) as session:
        lone = session.scalars(sa.select(Book).options(raiseload("*", sql_only=True))).first()
        assert lone is not None
        with pytest.raises(exc.InvalidRequestError, match="lazy='raise_on_sql'"):
            _ = lone.author  # not in this session's identity map: it would need SQL


def test_default_cascade_orphans_children_instead_of_deleting_them(engine: sa.Engine) -> None:
    _seed(engine, 1)
    with Session(engine) as session:
        author = session.scalars(sa.select(Author)).one()
        session.delete(author)
        # Default cascade is "save-update, merge": SQLAlchemy sets the books' author_id to NULL.
        with pytest.raises(exc.IntegrityError, match=r"NOT NULL constraint failed: book\.author_id"):
            session.commit()
    with Session(engine) as session:
        session.add(Shelf(id=1, slots=[Slot(id=1), Slot(id=2)]))
        session.commit()
        shelf = session.get(Shelf, 1)
        assert shelf is not None
        shelf.slots.remove(shelf.slots[0])  # delete-orphan: removing a child from the collection deletes it
        session.commit()
        assert session.scalars(sa.select(Slot.id)).all() == [2]
        session.delete(shelf)  # "all" includes delete: the remaining child goes with the parent
        session.commit()
        assert session.scalars(sa.select(Slot.id)).all() == []


# Flask-SQLAlchemy: objects outlive the app context their session belonged to.
fdb = SQLAlchemy()


class Member(fdb.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    posts: Mapped[list[Post]] = relationship(back_populates="member")


class Post(fdb.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"))
    member: Mapped[Member] = relationship(back_populates="posts")


def _member_app(tmp_path: Path) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'members.db'}"
    fdb.init_app(app)
    with app.app_context():
        fdb.create_all()
        fdb.session.add(Member(id=1, name="Ann", posts=[Post(), Post()]))
        fdb.session.commit()
    return app


def test_detached_after_app_context_loaded_columns_stay_lazy_ones_fail(tmp_path: Path) -> None:
    app = _member_app(tmp_path)
    with app.app_context():
        member = fdb.session.get(Member, 1)
    with app.app_context():
        eager = fdb.session.scalars(sa.select(Member).options(selectinload(Member.posts))).one()
    assert member is not None
    # The context's teardown closed the session: the objects are detached, their loaded state kept.
    assert sa.inspect(member).detached
    assert member.name == "Ann"
    with pytest.raises(DetachedInstanceError, match="lazy load operation of attribute 'posts'"):
        _ = member.posts
    assert len(eager.posts) == 2  # loaded inside the context, so it is plain state now

    with app.app_context():
        renamed = fdb.session.get(Member, 1)
        assert renamed is not None
        renamed.name = "Anna"
        fdb.session.commit()  # expire_on_commit: every attribute is expired, to be reloaded on access
    with pytest.raises(DetachedInstanceError, match="attribute refresh operation"):
        _ = renamed.name


def test_recorded_queries_list_the_statements_of_a_request(tmp_path: Path) -> None:
    from flask_sqlalchemy.record_queries import get_recorded_queries

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'recorded.db'}", SQLALCHEMY_RECORD_QUERIES=True)
    rdb = SQLAlchemy(app)

    class Item(rdb.Model):  # type: ignore[name-defined,misc]
        id: Mapped[int] = mapped_column(primary_key=True)

    with app.app_context():
        rdb.create_all()
    seen: list[list[str]] = []

    @app.get("/")
    def index() -> str:
        for i in range(3):
            rdb.session.get(Item, i)
        seen.append([q.statement for q in get_recorded_queries()])
        return "ok"

    app.test_client().get("/")
    assert len(seen[0]) == 3 and all(s.startswith("SELECT") for s in seen[0])
