"""Executable checks for the internals questions of the bank."""

import functools
import importlib.metadata
import threading
import types
from typing import Any

import blinker
import flask.signals
import pytest
from flask import Flask, Response, g, url_for
from flask.cli import NoAppException, find_best_app
from flask.signals import request_finished, request_started, request_tearing_down
from flask.views import MethodView, View
from werkzeug.test import Client


def test_blinker_is_a_required_dependency() -> None:
    requirements = importlib.metadata.requires("flask") or []
    blinker_reqs = [r for r in requirements if r.startswith("blinker")]
    assert blinker_reqs, requirements
    # Not behind an extra such as `flask[signals]`.
    assert all("extra ==" not in r for r in blinker_reqs)
    assert isinstance(request_started, blinker.NamedSignal)
    # The old feature flag for optional blinker is gone.
    assert not hasattr(flask.signals, "signals_available")


def test_signal_receivers_run_synchronously_and_cannot_short_circuit() -> None:
    app = Flask(__name__)
    log: list[str] = []
    main_thread = threading.get_ident()

    def on_started(sender: Flask, **extra: Any) -> Response:
        log.append("request_started")
        assert threading.get_ident() == main_thread
        # The return value of a receiver is ignored by Flask.
        return Response("from signal", status=403)

    @app.route("/")
    def index() -> str:
        log.append("view")
        return "from view"

    with request_started.connected_to(on_started, app):
        response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.data == b"from view"
    assert log == ["request_started", "view"]


def test_before_request_can_short_circuit() -> None:
    app = Flask(__name__)
    log: list[str] = []

    @app.before_request
    def block() -> tuple[str, int]:
        log.append("block")
        return "blocked", 403

    @app.before_request
    def second() -> None:
        log.append("second")

    @app.after_request
    def after(response: Response) -> Response:
        log.append("after")
        return response

    @app.route("/")
    def index() -> str:
        log.append("view")
        return "view"

    response = app.test_client().get("/")
    assert response.status_code == 403
    assert response.data == b"blocked"
    # The view and the remaining before_request functions are skipped,
    # but after_request functions still process the response.
    assert log == ["block", "after"]


def test_dispatch_order() -> None:
    app = Flask(__name__)
    log: list[str] = []

    @app.url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, Any] | None) -> None:
        log.append("url_value_preprocessor")

    @app.before_request
    def before() -> None:
        log.append("before_request")

    @app.after_request
    def after_a(response: Response) -> Response:
        log.append("after_request A")
        return response

    @app.after_request
    def after_b(response: Response) -> Response:
        log.append("after_request B")
        return response

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        log.append("teardown_request")

    @app.teardown_appcontext
    def teardown_appcontext(exc: BaseException | None) -> None:
        log.append("teardown_appcontext")

    @app.route("/<int:item_id>")
    def view(item_id: int) -> str:
        log.append("view")
        return "ok"

    def on_started(sender: Flask, **extra: Any) -> None:
        log.append("request_started")

    def on_finished(sender: Flask, **extra: Any) -> None:
        log.append("request_finished")

    def on_tearing_down(sender: Flask, **extra: Any) -> None:
        log.append("request_tearing_down")

    with (
        request_started.connected_to(on_started, app),
        request_finished.connected_to(on_finished, app),
        request_tearing_down.connected_to(on_tearing_down, app),
    ):
        app.test_client().get("/1")

    assert log == [
        "request_started",
        "url_value_preprocessor",
        "before_request",
        "view",
        "after_request B",  # after_request functions run in reverse order
        "after_request A",
        "request_finished",
        "teardown_request",
        "request_tearing_down",
        "teardown_appcontext",
    ]


def test_wsgi_app_middleware() -> None:
    class AddHeader:
        def __init__(self, wsgi_app: Any) -> None:
            self.wsgi_app = wsgi_app

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            def patched_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
                headers.append(("X-Middleware", "yes"))
                return start_response(status, headers, exc_info)

            return self.wsgi_app(environ, patched_start_response)

    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "ok"

    plain = Flask(__name__)
    plain.add_url_rule("/", view_func=index)
    wrapped = AddHeader(plain)
    app.wsgi_app = AddHeader(app.wsgi_app)  # type: ignore[method-assign]
    # Both ways put the middleware in the request path exactly once, with the real environ.
    assert app.test_client().get("/").headers.getlist("X-Middleware") == ["yes"]
    assert Client(wrapped).get("/").headers.getlist("X-Middleware") == ["yes"]
    # Only the first keeps `app` usable as the Flask application: the flask command finds it...
    module = types.ModuleType("bank_middleware")
    module.app = app  # type: ignore[attr-defined]
    assert find_best_app(module) is app
    # ...but not the middleware object that wraps the application.
    module.app = wrapped  # type: ignore[attr-defined]
    with pytest.raises(NoAppException):
        find_best_app(module)


def test_url_value_preprocessor_and_defaults() -> None:
    app = Flask(__name__)

    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" in g and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values.setdefault("lang", g.lang)

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = values.pop("lang") if values else None

    @app.route("/<lang>/about")
    def about() -> str:  # no `lang` parameter: it was popped from view_args
        return f"{g.lang} {url_for('about')}"

    response = app.test_client().get("/de/about")
    assert response.data == b"de /de/about"


def test_url_value_preprocessor_without_pop_breaks_view() -> None:
    app = Flask(__name__)

    @app.url_value_preprocessor
    def read_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = values["lang"] if values else None

    @app.route("/<lang>/about")
    def about() -> str:
        return "about"

    app.testing = True
    with pytest.raises(TypeError):
        app.test_client().get("/de/about")


def test_view_decorators_wrap_every_method() -> None:
    calls: list[str] = []

    def login_required(view: Any) -> Any:
        calls.append("decorated")

        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            if g.get("user") is None:
                return "login required", 401
            return view(**kwargs)

        return wrapped

    class ItemAPI(MethodView):
        decorators = [login_required]  # noqa: RUF012 (Flask reads this class attribute as a list)

        def get(self) -> str:
            return "list"

        def post(self) -> tuple[str, int]:
            calls.append("post")
            return "created", 201

    app = Flask(__name__)
    app.add_url_rule("/items", view_func=ItemAPI.as_view("items"))
    # The decorator wraps the single function returned by as_view(), once.
    assert calls == ["decorated"]
    assert ItemAPI.methods == {"GET", "POST"}

    client = app.test_client()
    assert client.get("/items").status_code == 401
    response = client.post("/items")
    assert response.status_code == 401
    assert response.data == b"login required"
    assert "post" not in calls

    def set_user() -> None:
        g.user = "ada"

    other = Flask(__name__)
    other.before_request(set_user)
    other.add_url_rule("/items", view_func=ItemAPI.as_view("items"))
    assert other.test_client().post("/items").status_code == 201


def test_view_init_every_request() -> None:
    created: list[str] = []

    class Greeting(View):
        def __init__(self, word: str) -> None:
            created.append(word)
            self.word = word

        def dispatch_request(self) -> str:
            return self.word

    class SharedGreeting(Greeting):
        init_every_request = False

    app = Flask(__name__)
    app.add_url_rule("/hi", view_func=Greeting.as_view("hi", "hello"))
    app.add_url_rule("/shared", view_func=SharedGreeting.as_view("shared", "hey"))

    # With init_every_request=False the instance is built once, in as_view().
    assert created == ["hey"]
    client = app.test_client()
    for _ in range(3):
        assert client.get("/hi").data == b"hello"
        assert client.get("/shared").data == b"hey"
    assert created.count("hello") == 3
    assert created.count("hey") == 1


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_signal_receiver_exception_propagates() -> None:
    from flask import abort

    app = Flask(__name__)

    def blocker(sender: Flask, **extra: Any) -> None:
        abort(403)

    @app.get("/")
    def index() -> str:
        return "ok"

    request_started.connect(blocker, app)
    try:
        assert app.test_client().get("/").status_code == 403
    finally:
        request_started.disconnect(blocker, app)


def test_custom_signal_needs_the_real_app_as_sender() -> None:
    from flask import current_app

    order_placed = blinker.Namespace().signal("order-placed")
    app = Flask(__name__)
    got: list[int] = []

    @order_placed.connect_via(app)
    def on_order(sender: Flask, order_id: int) -> None:
        got.append(order_id)

    with app.app_context():
        order_placed.send(current_app, order_id=1)
        order_placed.send(current_app._get_current_object(), order_id=2)  # type: ignore[attr-defined]
    assert got == [2]


def test_before_request_runs_for_an_unmatched_url() -> None:
    from flask import request

    app = Flask(__name__)
    seen: list[tuple[str | None, str]] = []

    @app.before_request
    def look() -> None:
        seen.append((request.endpoint, type(request.routing_exception).__name__))

    @app.post("/only-post")
    def only_post() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/nope").status_code == 404
    assert client.get("/only-post").status_code == 405
    assert seen == [(None, "NotFound"), (None, "MethodNotAllowed")]


def test_after_request_skipped_when_exceptions_propagate() -> None:
    app = Flask(__name__)
    log: list[str] = []

    @app.after_request
    def after(response: Response) -> Response:
        log.append("after")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append(f"teardown {type(exc).__name__}")

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    assert app.test_client().get("/boom").status_code == 500
    assert log == ["after", "teardown ZeroDivisionError"]
    log.clear()
    app.debug = True
    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/boom")
    assert log == ["teardown ZeroDivisionError"]
