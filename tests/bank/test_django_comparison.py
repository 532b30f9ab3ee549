"""Executable checks for the django-comparison questions of the bank."""

from __future__ import annotations

import importlib.metadata
import os
import types
from typing import Any

import flask
import pytest
from flask import Flask, g, render_template_string, request, session
from flask.cli import NoAppException, find_best_app
from packaging.requirements import Requirement
from werkzeug.middleware.proxy_fix import ProxyFix


def test_flask_core_has_no_orm_admin_or_forms() -> None:
    app = Flask(__name__)
    app.secret_key = "test"

    @app.route("/")
    def index() -> str:
        session["seen"] = True
        return render_template_string("Hi {{ name }}", name="Ada")

    # routing, templating, sessions, CLI and a test client are built in
    assert app.test_client().get("/").text == "Hi Ada"
    assert app.cli.name
    with app.test_request_context():
        assert session.get("seen") is None  # sessions are built in (signed cookies)
    # Everything else is a choice: the core depends on no ORM, forms, auth or admin library.
    requirements = [Requirement(r) for r in importlib.metadata.requires("flask") or []]
    assert {r.name.lower() for r in requirements if r.marker is None} == {
        "werkzeug",
        "jinja2",
        "markupsafe",
        "click",
        "itsdangerous",
        "blinker",
    }


def test_default_template_and_static_folders() -> None:
    app = Flask(__name__)
    assert app.template_folder == "templates"
    assert app.static_folder == os.path.join(app.root_path, "static")
    assert app.static_url_path == "/static"
    assert app.root_path == os.path.dirname(os.path.abspath(__file__))
    custom = Flask(__name__, template_folder="views", static_folder="assets")
    assert custom.template_folder == "views"
    assert custom.static_folder == os.path.join(custom.root_path, "assets")


def test_wsgi_middleware_wraps_wsgi_app() -> None:
    app = Flask(__name__)

    @app.route("/ip")
    def ip() -> str:
        return str(request.remote_addr)

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    client = app.test_client()
    assert client.get("/ip", headers={"X-Forwarded-For": "203.0.113.9"}).text == "203.0.113.9"
    # Flask has no MIDDLEWARE setting: a config key changes nothing.
    plain = Flask(__name__)
    plain.config["MIDDLEWARE"] = [ProxyFix]
    plain.add_url_rule("/ip", view_func=ip)
    assert plain.test_client().get("/ip", headers={"X-Forwarded-For": "203.0.113.9"}).text == "127.0.0.1"
    # The wrapper does not forward the Flask API: the flask command finds no app behind it.
    module = types.ModuleType("bank_proxied")
    module.app = ProxyFix(Flask(__name__), x_for=1)  # type: ignore[attr-defined]
    with pytest.raises(NoAppException):
        find_best_app(module)


def test_wsgi_middleware_runs_outside_flask_contexts() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    seen: list[str] = []

    @app.before_request
    def hook() -> None:
        seen.append(f"hook user={session.get('user_id')}")

    @app.route("/")
    def index() -> str:
        return "ok"

    inner = app.wsgi_app

    def audit(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            seen.append(f"middleware user={session.get('user_id')}")
        except RuntimeError as exc:
            seen.append(f"middleware error: {exc}")
        return inner(environ, start_response)

    app.wsgi_app = audit  # type: ignore[method-assign]
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user_id"] = 7
    assert client.get("/").status_code == 200
    assert seen[0].startswith("middleware error: Working outside of request context")
    assert seen[1] == "hook user=7"


def test_before_request_short_circuits() -> None:
    app = Flask(__name__)
    calls: list[str] = []

    @app.before_request
    def maintenance() -> Any:
        calls.append("before")
        if request.path.startswith("/api/") and "X-Token" not in request.headers:
            return {"error": "missing token"}, 401
        return None

    @app.before_request
    def second() -> None:
        calls.append("second before")

    @app.after_request
    def add_header(response: flask.Response) -> flask.Response:
        calls.append("after")
        response.headers["X-Processed"] = "1"
        return response

    @app.route("/api/data")
    def data() -> dict[str, int]:
        calls.append("view")
        return {"x": 1}

    client = app.test_client()
    response = client.get("/api/data")
    assert response.status_code == 401
    assert response.get_json() == {"error": "missing token"}
    assert response.headers["X-Processed"] == "1"
    # later before_request functions and the view are skipped, after_request still runs
    assert calls == ["before", "after"]
    calls.clear()
    assert client.get("/api/data", headers={"X-Token": "t"}).status_code == 200
    assert calls == ["before", "second before", "view", "after"]


def test_hook_order() -> None:
    app = Flask(__name__)
    order: list[str] = []

    @app.before_request
    def before_a() -> None:
        order.append("before A")

    @app.before_request
    def before_b() -> None:
        order.append("before B")

    @app.after_request
    def after_a(response: flask.Response) -> flask.Response:
        order.append("after A")
        return response

    @app.after_request
    def after_b(response: flask.Response) -> flask.Response:
        order.append("after B")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        order.append("teardown")

    @app.route("/")
    def index() -> str:
        order.append("view")
        g.done = True
        return "ok"

    app.test_client().get("/")
    assert order == ["before A", "before B", "view", "after B", "after A", "teardown"]


def test_default_instance_folder() -> None:
    app = Flask(__name__)
    assert os.path.basename(app.instance_path) == "instance"
    assert not app.config.root_path.endswith("instance")
