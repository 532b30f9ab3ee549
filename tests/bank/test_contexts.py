"""Executable checks for the contexts questions of the bank."""

import threading
from collections.abc import Callable
from contextvars import ContextVar

import flask
import pytest
from flask import (
    Flask,
    abort,
    copy_current_request_context,
    current_app,
    g,
    has_request_context,
    request,
    session,
    stream_with_context,
)
from werkzeug.local import LocalProxy


def test_g_is_fresh_for_each_request() -> None:
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        seen = g.get("counter")
        g.counter = 1
        return repr(seen)

    client = app.test_client()
    # Each request gets its own app context, so g starts empty every time.
    assert client.get("/").data == b"None"
    assert client.get("/").data == b"None"


def test_g_belongs_to_the_app_context() -> None:
    app = Flask(__name__)
    # g is not a process-wide object: outside any context it is unbound.
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        g.x = 1
    with app.app_context():
        g.x = 1
        assert flask.globals.app_ctx.g is g._get_current_object()
    with app.app_context():
        assert "x" not in g


def test_current_app_outside_context_raises() -> None:
    app = Flask(__name__)
    app.config["GREETING"] = "hi"
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        current_app.config["GREETING"]
    with app.app_context():
        assert current_app.config["GREETING"] == "hi"
        assert current_app._get_current_object() is app


def test_session_persists_but_g_does_not() -> None:
    app = Flask(__name__)
    app.secret_key = "test-secret"

    @app.route("/set")
    def set_values() -> str:
        g.user_id = 42
        session["user_id"] = 42
        return "ok"

    @app.route("/get")
    def get_values() -> str:
        return f"{g.get('user_id')} {session.get('user_id')}"

    client = app.test_client()
    client.get("/set")
    assert client.get("/get").data == b"None 42"
    # request.cookies only mirrors what the browser sent: it cannot be written to
    with app.test_request_context(headers={"Cookie": "theme=dark"}), pytest.raises(TypeError):
        request.cookies["user_id"] = "42"  # type: ignore[index]


def test_request_needs_a_request_context() -> None:
    app = Flask(__name__)
    with app.app_context():
        assert current_app._get_current_object() is app
        with pytest.raises(RuntimeError, match="Working outside of request context"):
            _ = request.path
    with app.test_request_context("/search?q=flask"):
        assert request.path == "/search"
        assert request.args["q"] == "flask"
        # A request context also pushes an app context.
        assert current_app._get_current_object() is app


def _app_with_teardown_log() -> tuple[Flask, list]:
    app = Flask(__name__)
    log: list = []

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        log.append(("teardown_request", exc))

    @app.teardown_appcontext
    def teardown_appcontext(exc: BaseException | None) -> None:
        log.append(("teardown_appcontext", exc))

    return app, log


def test_teardown_exception_after_an_error_handler_depends_on_what_it_was_registered_for() -> None:
    # A handler for the exception's class (or a base class) handles it: teardown gets None. A handler for
    # the status code 500 only renders the response for an unhandled error: teardown still gets the error.
    def run(register: object) -> tuple[int, BaseException | None]:
        app, log = _app_with_teardown_log()
        app.logger.disabled = True

        @app.route("/div")
        def div() -> str:
            return str(1 / 0)

        app.register_error_handler(register, lambda e: ("handled", 500))  # type: ignore[arg-type]
        response = app.test_client().get("/div")
        assert response.get_data() == b"handled"
        assert log[0][1] is log[1][1]
        return response.status_code, log[1][1]

    status, exc = run(500)
    assert status == 500 and isinstance(exc, ZeroDivisionError)
    assert run(ZeroDivisionError) == (500, None)
    assert run(ArithmeticError) == (500, None)
    assert run(Exception) == (500, None)


def test_teardown_order_and_which_runs() -> None:
    app, log = _app_with_teardown_log()

    @app.route("/")
    def index() -> str:
        return "ok"

    app.test_client().get("/")
    assert [name for name, _ in log] == ["teardown_request", "teardown_appcontext"]

    log.clear()
    with app.app_context():
        pass
    # No request was involved, so only the app-context teardown ran.
    assert [name for name, _ in log] == ["teardown_appcontext"]


def test_teardown_receives_unhandled_exception_only() -> None:
    app, log = _app_with_teardown_log()

    @app.route("/missing")
    def missing() -> str:
        abort(404)

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    client = app.test_client()
    assert client.get("/missing").status_code == 404
    # abort(404) is turned into a normal 404 response: teardown sees None.
    assert log == [("teardown_request", None), ("teardown_appcontext", None)]

    log.clear()
    app.logger.disabled = True
    assert client.get("/boom").status_code == 500
    exc = log[0][1]
    assert isinstance(exc, ValueError)
    assert log == [("teardown_request", exc), ("teardown_appcontext", exc)]

    # Teardown still runs (with the exception) when it propagates in testing mode.
    log.clear()
    app.testing = True
    with pytest.raises(ValueError):
        client.get("/boom")
    assert [type(e) for _, e in log] == [ValueError, ValueError]


def test_context_locals_are_contextvar_proxies() -> None:
    assert isinstance(flask.globals._cv_request, ContextVar)
    assert isinstance(flask.globals._cv_app, ContextVar)
    assert isinstance(request, LocalProxy)
    assert isinstance(current_app, LocalProxy)
    assert isinstance(g, LocalProxy)

    app = Flask(__name__)
    seen: dict[str, bool] = {}

    def in_thread() -> None:
        seen["thread"] = has_request_context()

    with app.test_request_context("/a"):
        worker = threading.Thread(target=in_thread)
        worker.start()
        worker.join()
        assert request.path == "/a"
    # A new thread starts with an empty context: the request is not visible.
    assert seen == {"thread": False}


def test_copy_current_request_context_in_thread() -> None:
    app = Flask(__name__)
    results: dict[str, str] = {}

    @app.route("/work")
    def work() -> str:
        def plain() -> None:
            try:
                results["plain"] = request.path
            except RuntimeError:
                results["plain"] = "RuntimeError"

        @copy_current_request_context
        def copied() -> None:
            results["copied"] = request.path

        for target in (plain, copied):
            worker = threading.Thread(target=target)
            worker.start()
            worker.join()
        return "ok"

    assert app.test_client().get("/work").data == b"ok"
    assert results == {"plain": "RuntimeError", "copied": "/work"}


def test_copy_current_request_context_needs_a_request() -> None:
    with pytest.raises(RuntimeError):
        copy_current_request_context(lambda: None)


def test_stream_with_context() -> None:
    app = Flask(__name__)

    threads: list[int] = []

    @app.route("/plain")
    def plain():  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())

        def generate():  # type: ignore[no-untyped-def]
            yield "name="
            threads.append(threading.get_ident())
            yield request.args.get("name", "")

        return generate()

    @app.route("/wrapped")
    def wrapped():  # type: ignore[no-untyped-def]
        def generate():  # type: ignore[no-untyped-def]
            yield "name="
            yield request.args.get("name", "")

        return stream_with_context(generate())

    client = app.test_client()
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        _ = client.get("/plain?name=ada").data
    # the body is iterated later, but in the same thread as the view
    assert threads == [threading.get_ident()] * 2
    assert client.get("/wrapped?name=ada").data == b"name=ada"


def test_g_is_per_request_session_persists() -> None:
    app = Flask(__name__)
    app.secret_key = "test"

    @app.route("/login")
    def login() -> str:
        g.user_id = 42
        session["user_id"] = 42
        return "ok"

    @app.route("/me")
    def me() -> dict[str, object]:
        return {"g": g.get("user_id"), "session": session.get("user_id")}

    client = app.test_client()
    r = client.get("/login")
    cookie = r.headers["Set-Cookie"]
    assert "session=" in cookie and "HttpOnly" in cookie
    assert client.get("/me").get_json() == {"g": None, "session": 42}
    # Another browser (no cookie) does not see it.
    assert app.test_client().get("/me").get_json() == {"g": None, "session": None}


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_thread_needs_the_real_app_and_its_own_context() -> None:
    app = Flask(__name__)
    app.config["GREETING"] = "hi"
    results: dict[str, str] = {}

    def run(target: Callable[[], None]) -> None:
        worker = threading.Thread(target=target)
        worker.start()
        worker.join()

    @app.route("/")
    def index() -> str:
        proxy = current_app
        real = current_app._get_current_object()  # type: ignore[attr-defined]

        def with_proxy() -> None:
            try:
                results["proxy"] = proxy.config["GREETING"]
            except RuntimeError as exc:
                results["proxy"] = str(exc).splitlines()[0]

        def with_real_app() -> None:
            with real.app_context():
                results["pushed"] = current_app.config["GREETING"]

        run(with_proxy)
        run(with_real_app)
        return "ok"

    assert app.test_client().get("/").text == "ok"
    assert results == {"proxy": "Working outside of application context.", "pushed": "hi"}
