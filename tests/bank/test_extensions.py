"""Executable checks for the extensions questions of the bank."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort, current_app, g, session
from werkzeug.security import check_password_hash, generate_password_hash


class Greeter:
    """A toy extension written the recommended way."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.config.setdefault("GREETER_WORD", "Hello")
        app.extensions["greeter"] = {"count": 0}

    def greet(self, name: str) -> str:
        state = current_app.extensions["greeter"]
        state["count"] += 1
        return f"{current_app.config['GREETER_WORD']}, {name}"


class BadGreeter:
    """The anti-pattern: state for one app kept on the shared extension object."""

    def init_app(self, app: Flask) -> None:
        self.app = app

    def word(self) -> str:
        return str(self.app.config.get("WORD"))


def test_init_app_supports_several_apps() -> None:
    greeter = Greeter()  # created without an app, e.g. in extensions.py
    first, second = Flask("first"), Flask("second")
    second.config["GREETER_WORD"] = "Hi"
    greeter.init_app(first)
    greeter.init_app(second)
    with first.app_context():
        assert greeter.greet("Ada") == "Hello, Ada"
        assert greeter.greet("Bob") == "Hello, Bob"
    with second.app_context():
        assert greeter.greet("Ada") == "Hi, Ada"
    assert first.extensions["greeter"] == {"count": 2}
    assert second.extensions["greeter"] == {"count": 1}


def test_extensions_dict_is_per_app() -> None:
    assert Flask("a").extensions == {}
    a, b = Flask("a"), Flask("b")
    a.extensions["x"] = 1
    assert "x" not in b.extensions


def test_storing_app_on_extension_breaks_second_app() -> None:
    bad = BadGreeter()
    first, second = Flask("first"), Flask("second")
    first.config["WORD"] = "one"
    second.config["WORD"] = "two"
    bad.init_app(first)
    bad.init_app(second)
    with first.app_context():
        # serving the first app, but the extension reads the second app's config
        assert bad.word() == "two"

    # The recommended way: state in app.extensions, found through current_app in the active context.
    good = Greeter()
    first.config["GREETER_WORD"], second.config["GREETER_WORD"] = "one", "two"
    good.init_app(first)
    good.init_app(second)
    with first.app_context():
        assert good.greet("x") == "one, x"
        with second.app_context():
            assert good.greet("x") == "two, x"
        assert good.greet("x") == "one, x"  # back in the first app's context
    assert first.extensions["greeter"] == {"count": 2}
    assert second.extensions["greeter"] == {"count": 1}


def test_config_setdefault_keeps_user_value() -> None:
    app = Flask(__name__)
    app.config["GREETER_WORD"] = "Howdy"  # user configured before init_app
    Greeter(app)
    assert app.config["GREETER_WORD"] == "Howdy"
    other = Flask(__name__)
    Greeter(other)
    assert other.config["GREETER_WORD"] == "Hello"


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if "user_id" not in session:
            abort(401)
        return view(*args, **kwargs)

    return wrapped


def test_route_must_be_outermost_decorator() -> None:
    app = Flask(__name__)
    app.secret_key = "test"

    @app.route("/good")
    @login_required
    def good() -> str:
        return "secret"

    @login_required
    @app.route("/bad")
    def bad() -> str:
        return "secret"

    client = app.test_client()
    assert client.get("/good").status_code == 401
    # route registered the undecorated function, so the check never runs
    assert client.get("/bad").status_code == 200


def role_required_without_wraps(role: str) -> Callable[..., Any]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if session.get("role") != role:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def role_required(role: str) -> Callable[..., Any]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if session.get("role") != role:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def test_decorator_without_wraps_clashes_on_endpoint() -> None:
    app = Flask(__name__)

    @app.route("/reports")
    @role_required_without_wraps("admin")
    def reports() -> str:
        return "reports"

    assert "wrapper" in app.view_functions
    with pytest.raises(AssertionError, match="overwriting an existing endpoint function: wrapper"):

        @app.route("/users")
        @role_required_without_wraps("admin")
        def users() -> str:
            return "users"


def test_decorator_with_wraps_enforces_role() -> None:
    app = Flask(__name__)
    app.secret_key = "test"

    @app.route("/reports")
    @role_required("admin")
    def reports() -> str:
        return "reports"

    @app.route("/users")
    @role_required("admin")
    def users() -> str:
        return "users"

    assert {"reports", "users"} <= set(app.view_functions)
    client = app.test_client()
    assert client.get("/users").status_code == 403
    with client.session_transaction() as sess:
        sess["role"] = "admin"
    assert client.get("/users").status_code == 200


def test_g_resource_per_request_closed_on_teardown() -> None:
    closed: list[int] = []

    class Conn:
        def __init__(self, n: int) -> None:
            self.n = n

        def close(self) -> None:
            closed.append(self.n)

    opened: list[Conn] = []

    class Pool:
        def init_app(self, app: Flask) -> None:
            app.teardown_appcontext(self.teardown)

        @property
        def conn(self) -> Conn:
            if "_pool_conn" not in g:
                g._pool_conn = Conn(len(opened))
                opened.append(g._pool_conn)
            return g._pool_conn

        def teardown(self, exc: BaseException | None) -> None:
            conn = g.pop("_pool_conn", None)
            if conn is not None:
                conn.close()

    pool = Pool()
    app = Flask(__name__)
    pool.init_app(app)

    @app.route("/")
    def index() -> str:
        return str(pool.conn.n + pool.conn.n)

    client = app.test_client()
    assert client.get("/").text == "0"
    assert client.get("/").text == "2"
    assert len(opened) == 2
    assert closed == [0, 1]


def test_password_hash_helpers() -> None:
    hashed = generate_password_hash("s3cret")
    assert hashed != "s3cret"
    assert check_password_hash(hashed, "s3cret")
    assert not check_password_hash(hashed, "wrong")
    # salted: hashing the same password twice gives different strings
    assert generate_password_hash("s3cret") != hashed


def test_password_hash_is_salted_scrypt_by_default() -> None:
    import hashlib

    hashed = generate_password_hash("s3cret")
    method, salt, digest = hashed.split("$")
    assert method == "scrypt:32768:8:1"
    assert salt and digest
    assert hashed.split("$")[1] != generate_password_hash("s3cret").split("$")[1]  # a new salt each time
    # A plain SHA-256 is the same for every user with this password.
    assert hashlib.sha256(b"s3cret").hexdigest() == hashlib.sha256(b"s3cret").hexdigest()
    assert digest != hashlib.sha256(b"s3cret").hexdigest()
