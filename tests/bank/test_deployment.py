"""Executable checks for the deployment questions of the bank."""

from __future__ import annotations

import inspect
import types
from typing import Any, cast

import pytest
import werkzeug.serving
from flask import Flask, request, url_for
from flask.cli import NoAppException, find_best_app, run_command
from werkzeug.debug import DebuggedApplication
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Client, create_environ

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Host": "shop.example.com",
}


def _echo_app() -> Flask:
    app = Flask(__name__)

    @app.route("/where")
    def where() -> dict[str, Any]:
        return {
            "url": url_for("where", _external=True),
            "ip": request.remote_addr,
            "secure": request.is_secure,
        }

    return app


def _module(**attrs: Any) -> types.ModuleType:
    module = types.ModuleType("bank_wsgi_module")
    module.__dict__.update(attrs)
    return module


def _json(response: Any) -> dict[str, Any]:
    data = response.json
    assert isinstance(data, dict)
    return data


def _capture_run(app: Flask, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> dict[str, Any]:
    """Call app.run() with Werkzeug's run_simple replaced, and return what it was given."""
    seen: dict[str, Any] = {}

    def fake_run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        seen.update(host=host, port=port, application=application, **options)

    monkeypatch.setattr(werkzeug.serving, "run_simple", fake_run_simple)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app.run(load_dotenv=False, **kwargs)
    return seen


def test_app_run_uses_werkzeug_dev_server(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Flask(__name__)
    seen = _capture_run(app, monkeypatch)
    # app.run() only hands the app to Werkzeug's development server.
    assert seen["application"] is app
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 5000)


def test_run_defaults_threaded_without_debugger(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Flask(__name__)
    seen = _capture_run(app, monkeypatch)
    assert seen["threaded"] is True
    assert seen["use_debugger"] is False
    assert seen["use_reloader"] is False


def test_cli_run_threads_by_default() -> None:
    option = next(p for p in run_command.params if p.name == "with_threads")
    assert option.default is True
    assert run_command.callback is not None
    assert "with_threads" in inspect.signature(run_command.callback).parameters


def test_debug_off_by_default_and_debug_enables_debugger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = Flask(__name__)
    assert app.debug is False
    assert app.config["DEBUG"] is False
    seen = _capture_run(app, monkeypatch, debug=True)
    assert seen["use_debugger"] is True
    assert seen["use_reloader"] is True


class _ServerNotStarted(Exception):
    pass


def test_debug_run_serves_the_interactive_debugger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the real app.run() and run_simple() up to the point where the socket would be opened."""
    served: list[Any] = []

    def make_server(host: str, port: int, application: Any, *args: Any, **kwargs: Any) -> Any:
        served.append(application)
        raise _ServerNotStarted

    monkeypatch.setattr(werkzeug.serving, "make_server", make_server)
    for var in ("FLASK_RUN_FROM_CLI", "FLASK_DEBUG", "WERKZEUG_RUN_MAIN"):
        monkeypatch.delenv(var, raising=False)
    app = Flask(__name__)

    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError("boom")

    with pytest.raises(_ServerNotStarted):
        app.run(debug=True, use_reloader=False, load_dotenv=False)
    (debugged,) = served
    assert isinstance(debugged, DebuggedApplication) and debugged.app is app
    # evalex: every traceback frame offers a Python console that runs code on the server.
    assert debugged.evalex is True
    page = Client(debugged).get("/boom")
    assert page.status_code == 500
    assert b"EVALEX = true" in page.data and b"ZeroDivisionError" in page.data

    served.clear()
    with pytest.raises(_ServerNotStarted):
        app.run(debug=False, load_dotenv=False)
    assert served == [app]  # without debug the app is served bare


def test_app_is_a_wsgi_callable() -> None:
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "hello"

    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status

    body = app(create_environ("/"), cast(Any, start_response))
    assert captured["status"] == "200 OK"
    assert b"".join(body) == b"hello"


def test_wsgi_app_wrapping_keeps_flask_object() -> None:
    app = Flask(__name__)
    calls: list[str] = []

    @app.route("/")
    def index() -> str:
        return "ok"

    inner = app.wsgi_app

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    assert app.test_client().get("/").data == b"ok"
    assert calls == ["/"]  # Flask.__call__ goes through the wrapped wsgi_app
    # Routes and the CLI still work on the same object, and the flask command still finds it.
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "index"] == ["/"]
    assert find_best_app(_module(app=app)) is app
    # Wrapping the object instead: the flask command no longer finds a Flask application.
    with pytest.raises(NoAppException):
        find_best_app(_module(app=ProxyFix(app)))


def test_without_proxyfix_app_sees_the_proxy() -> None:
    app = _echo_app()
    data = app.test_client().get("/where", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"}).json
    assert data == {"url": "http://localhost/where", "ip": "127.0.0.1", "secure": False}


def test_proxyfix_applies_forwarded_values() -> None:
    app = _echo_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    data = app.test_client().get("/where", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"}).json
    assert data == {"url": "https://shop.example.com/where", "ip": "203.0.113.7", "secure": True}


def test_proxyfix_trusting_too_many_proxies_accepts_spoofed_ip() -> None:
    # One real proxy appended the client's true address to a header the client forged.
    headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.20"}
    right = _echo_app()
    right.wsgi_app = ProxyFix(right.wsgi_app, x_for=1)  # type: ignore[method-assign]
    wrong = _echo_app()
    wrong.wsgi_app = ProxyFix(wrong.wsgi_app, x_for=2)  # type: ignore[method-assign]
    env = {"REMOTE_ADDR": "127.0.0.1"}
    assert _json(right.test_client().get("/where", headers=headers, environ_base=env))["ip"] == "198.51.100.20"
    assert _json(wrong.test_client().get("/where", headers=headers, environ_base=env))["ip"] == "6.6.6.6"


def test_proxyfix_without_a_proxy_lets_clients_spoof() -> None:
    app = _echo_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_host=1)  # type: ignore[method-assign]
    # A client talking straight to the app server forges the headers itself.
    data = _json(
        app.test_client().get(
            "/where",
            headers={"X-Forwarded-For": "10.0.0.99", "X-Forwarded-Host": "evil.example"},
            environ_base={"REMOTE_ADDR": "198.51.100.20"},
        )
    )
    assert data["ip"] == "10.0.0.99"
    assert data["url"] == "http://evil.example/where"


def test_proxyfix_prefix_sets_script_name() -> None:
    app = Flask(__name__)

    @app.route("/login")
    def login() -> str:
        return url_for("login")

    client = app.test_client()
    assert client.get("/login", headers={"X-Forwarded-Prefix": "/shop"}).data == b"/login"
    app.wsgi_app = ProxyFix(app.wsgi_app, x_prefix=1)  # type: ignore[method-assign]
    assert client.get("/login", headers={"X-Forwarded-Prefix": "/shop"}).data == b"/shop/login"


def test_preferred_url_scheme_only_used_outside_request() -> None:
    app = Flask(__name__)
    app.config.update(PREFERRED_URL_SCHEME="https", SERVER_NAME="example.com")

    @app.route("/page")
    def page() -> str:
        return url_for("page", _external=True)

    # Inside a request, the scheme of that request wins.
    assert app.test_client().get("/page", base_url="http://example.com").data == b"http://example.com/page"
    # Outside a request (CLI, jobs), the preferred scheme is used.
    with app.app_context():
        assert url_for("page") == "https://example.com/page"


def test_url_for_outside_request_needs_server_name() -> None:
    app = Flask(__name__)

    @app.route("/reset")
    def reset() -> str:
        return "ok"

    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("reset")
    # Asking for a relative URL does not avoid the need for SERVER_NAME.
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("reset", _external=False)
    app.config["SERVER_NAME"] = "example.com"
    with app.app_context():
        assert url_for("reset") == "http://example.com/reset"
        assert url_for("reset", _external=False) == "/reset"


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_proxyfix_two_proxies_need_x_for_2() -> None:
    # The client forged a value; the CDN appended the client's address, Nginx appended the CDN's.
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 198.51.100.20"}
    env = {"REMOTE_ADDR": "127.0.0.1"}
    seen = {}
    for count in (1, 2, 3):
        app = _echo_app()
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)  # type: ignore[method-assign]
        seen[count] = _json(app.test_client().get("/where", headers=headers, environ_base=env))["ip"]
    assert seen == {1: "198.51.100.20", 2: "203.0.113.7", 3: "6.6.6.6"}


def test_trusted_hosts_rejects_a_forged_forwarded_host() -> None:
    app = _echo_app()
    app.config["TRUSTED_HOSTS"] = ["shop.example.com"]
    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1)  # type: ignore[method-assign]
    client = app.test_client()
    forged = client.get("/where", headers={"X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 400
    honest = client.get("/where", headers={"X-Forwarded-Host": "shop.example.com"})
    assert _json(honest)["url"] == "http://shop.example.com/where"
