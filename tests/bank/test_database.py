"""Executable checks for the database questions of the bank."""

from __future__ import annotations

import importlib.metadata
import sqlite3
from pathlib import Path

import flask
import pytest
from flask import Flask, current_app, g
from packaging.requirements import Requirement


def _make_app(db_path: Path) -> tuple[Flask, list[sqlite3.Connection], list[str]]:
    """An app using the tutorial pattern: get_db() on g, close_db on teardown_appcontext."""
    app = Flask(__name__)
    app.config["DATABASE"] = str(db_path)
    opened: list[sqlite3.Connection] = []
    events: list[str] = []

    def get_db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(current_app.config["DATABASE"])
            opened.append(g.db)
        return g.db

    def close_db(exc: BaseException | None = None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()
            events.append("closed")

    app.teardown_appcontext(close_db)
    app.extensions["get_db"] = get_db

    @app.after_request
    def after(response: flask.Response) -> flask.Response:
        events.append("after_request")
        return response

    @app.route("/twice")
    def twice() -> dict[str, bool]:
        return {"same": get_db() is get_db()}

    return app, opened, events


def _is_closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("select 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_flask_has_no_orm() -> None:
    requirements = [Requirement(r) for r in importlib.metadata.requires("flask") or []]
    core = {r.name.lower() for r in requirements if r.marker is None}
    # None of Flask's dependencies is a database layer; SQLAlchemy is not even an optional extra.
    assert core == {"werkzeug", "jinja2", "markupsafe", "click", "itsdangerous", "blinker"}
    assert "sqlalchemy" not in {r.name.lower() for r in requirements}
    # The tutorial's pattern: the standard library's sqlite3, opened per request by your own code.
    app = Flask(__name__)
    with app.app_context():
        g.db = sqlite3.connect(":memory:")
        assert g.db.execute("select 1").fetchone() == (1,)
        g.db.close()


def test_get_db_reuses_connection_within_one_context(tmp_path: Path) -> None:
    app, opened, events = _make_app(tmp_path / "app.db")
    client = app.test_client()
    assert client.get("/twice").get_json() == {"same": True}
    client.get("/twice")
    # one connection per request, not one per call and not one shared forever
    assert len(opened) == 2
    assert opened[0] is not opened[1]
    assert all(_is_closed(c) for c in opened)
    assert events.count("closed") == 2


def test_teardown_appcontext_runs_outside_requests(tmp_path: Path) -> None:
    app, opened, events = _make_app(tmp_path / "app.db")
    with app.app_context():
        app.extensions["get_db"]()
        assert not _is_closed(opened[0])
    # a plain app context (CLI command, script) closes the connection too,
    # while after_request never runs outside a request
    assert _is_closed(opened[0])
    assert events == ["closed"]


def test_teardown_runs_when_view_raises(tmp_path: Path) -> None:
    app, opened, events = _make_app(tmp_path / "app.db")
    app.testing = True  # exceptions propagate to the caller

    @app.route("/boom")
    def boom() -> str:
        app.extensions["get_db"]()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        app.test_client().get("/boom")
    assert "after_request" not in events
    assert events == ["closed"]
    assert _is_closed(opened[0])


def test_sqlite_close_without_commit_discards_changes(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    setup = sqlite3.connect(path)
    setup.execute("create table item (name text)")
    setup.commit()
    setup.close()

    app, _, _ = _make_app(path)

    @app.post("/items")
    def add() -> tuple[dict[str, str], int]:
        app.extensions["get_db"]().execute("insert into item values ('x')")
        return {"status": "created"}, 201  # no commit before teardown closes

    assert app.test_client().post("/items").status_code == 201
    check = sqlite3.connect(path)
    assert check.execute("select count(*) from item").fetchone()[0] == 0
    check.close()


def test_current_app_outside_context_raises() -> None:
    app = Flask(__name__)
    with pytest.raises(RuntimeError, match="outside of application context"):
        current_app.config  # noqa: B018
    with app.app_context():
        assert current_app.name == app.name


def _commit_on_none_app(tmp_path: Path) -> tuple[Flask, Path, list[BaseException | None]]:
    """The tempting design: an item table, and a teardown that commits on None and rolls back otherwise."""
    path = tmp_path / "app.db"
    setup = sqlite3.connect(path)
    setup.execute("create table item (name text)")
    setup.commit()
    setup.close()
    app = Flask(__name__)
    seen: list[BaseException | None] = []

    def get_db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(path)
        return g.db

    @app.teardown_appcontext
    def finish(exc: BaseException | None) -> None:
        seen.append(exc)
        db = g.pop("db", None)
        if db is None:
            return
        if exc is None:
            db.commit()
        else:
            db.rollback()
        db.close()

    app.extensions["get_db"] = get_db
    return app, path, seen


def _item_names(path: Path) -> list[str]:
    check = sqlite3.connect(path)
    try:
        return [r[0] for r in check.execute("select name from item")]
    finally:
        check.close()


def test_teardown_commit_or_rollback_per_request(tmp_path: Path) -> None:
    app, path, seen = _commit_on_none_app(tmp_path)
    get_db = app.extensions["get_db"]

    @app.post("/ok")
    def ok() -> tuple[str, int]:
        get_db().execute("insert into item values ('ok')")
        return "", 201

    @app.post("/fail")
    def fail() -> str:
        get_db().execute("insert into item values ('fail')")
        raise RuntimeError("half done")

    client = app.test_client()
    assert client.post("/ok").status_code == 201
    # not in testing mode: the error becomes a 500, yet teardown still gets it
    assert client.post("/fail").status_code == 500
    assert seen[0] is None
    assert isinstance(seen[1], RuntimeError)
    assert _item_names(path) == ["ok"]


def test_after_request_can_read_g() -> None:
    app = Flask(__name__)
    seen: list[object] = []

    @app.after_request
    def after(response: flask.Response) -> flask.Response:
        seen.append(g.get("marker"))
        return response

    @app.route("/")
    def index() -> str:
        g.marker = "set in view"
        return "ok"

    app.test_client().get("/")
    assert seen == ["set in view"]


def test_teardown_gets_none_after_abort() -> None:
    app = Flask(__name__)
    seen: list[BaseException | None] = []

    @app.teardown_appcontext
    def finish(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/bad")
    def bad() -> str:
        flask.abort(400)

    assert app.test_client().get("/bad").status_code == 400
    # an HTTPException turned into a response is not an unhandled error,
    # so a "commit when exc is None" teardown would commit this request's work
    assert seen == [None]


def test_commit_failing_in_teardown_gives_a_bare_500_unless_swallowed() -> None:
    # A real WSGI server, because the test client would re-raise the teardown error into the test.
    import http.client
    import threading

    from werkzeug.serving import make_server

    app = Flask(__name__)
    handled: list[int] = []
    swallow = {"on": False}

    @app.errorhandler(500)
    def on_500(exc: Exception) -> tuple[dict[str, str], int]:
        handled.append(500)
        return {"error": "handled"}, 500

    @app.teardown_appcontext
    def commit(exc: BaseException | None) -> None:
        try:
            raise sqlite3.OperationalError("database is locked")  # the commit fails
        except sqlite3.OperationalError:
            if not swallow["on"]:
                raise

    @app.post("/items")
    def create() -> tuple[str, int]:
        return "created", 201

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:

        def post() -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
            try:
                conn.request("POST", "/items")
                resp = conn.getresponse()
                return resp.status, resp.read()
            finally:
                conn.close()

        status, body = post()
        assert status == 500
        assert b"handled" not in body and b"created" not in body
        assert handled == []  # the app's error handlers never saw it
        swallow["on"] = True
        assert post() == (201, b"created")  # swallowed: the client is told 201 for unsaved data
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_commit_on_none_teardown_commits_the_work_done_before_abort(tmp_path: Path) -> None:
    app, path, seen = _commit_on_none_app(tmp_path)
    get_db = app.extensions["get_db"]

    @app.post("/half")
    def half() -> str:
        get_db().execute("insert into item values ('first')")
        get_db().execute("insert into item values ('second')")
        flask.abort(400)

    assert app.test_client().post("/half").status_code == 400
    assert seen == [None]
    assert _item_names(path) == ["first", "second"]


def test_sqlite_connection_refuses_other_threads() -> None:
    import threading

    shared = sqlite3.connect(":memory:")
    errors: list[BaseException] = []

    def use() -> None:
        try:
            shared.execute("select 1")
        except sqlite3.ProgrammingError as exc:
            errors.append(exc)

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    assert len(errors) == 1 and "same thread" in str(errors[0])
    shared.close()


def test_shared_connection_rollback_undoes_the_other_request(tmp_path: Path) -> None:
    shared = sqlite3.connect(tmp_path / "shared.db", check_same_thread=False)
    shared.execute("create table item (name text)")
    shared.commit()
    # Request A writes; request B, on the same connection, fails and rolls back; A then commits.
    shared.execute("insert into item values ('from A')")
    shared.execute("insert into item values ('from B')")
    shared.rollback()
    shared.commit()
    assert shared.execute("select count(*) from item").fetchone() == (0,)
    # And the other way round: A's commit also commits B's half-done work.
    shared.execute("insert into item values ('from B, half done')")
    shared.commit()
    assert shared.execute("select name from item").fetchall() == [("from B, half done",)]
    shared.close()
