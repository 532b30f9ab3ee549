"""Executable checks for the testing-depth questions: mocking HTTP services, where to patch, async views under
an async test, app fixtures made by the factory, request contexts without dispatch, and branch coverage."""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import sys
from pathlib import Path
from typing import Any

import coverage
import pytest
import requests
import responses
from flask import Flask, g, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["PAYMENTS_URL"] = os.environ.get("PAYMENTS_URL", "https://payments.example.com")
    if test_config:
        app.config.update(test_config)

    @app.route("/pay")
    def pay() -> tuple[dict[str, Any], int]:
        try:
            resp = requests.post(app.config["PAYMENTS_URL"] + "/charges", json={"amount": 500}, timeout=3)
        except requests.Timeout:
            return {"error": "payment provider timed out"}, 503
        rates = requests.get(app.config["PAYMENTS_URL"] + "/fees", timeout=3) if request.args.get("fees") else None
        return {"charge": resp.json()["id"], "fees": rates.json() if rates else None}, 201

    return app


def test_environment_is_read_when_the_factory_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYMENTS_URL", raising=False)
    app = create_app()  # what an `app` fixture did before the test body ran
    monkeypatch.setenv("PAYMENTS_URL", "http://localhost:9999")
    assert app.config["PAYMENTS_URL"] == "https://payments.example.com"
    assert create_app().config["PAYMENTS_URL"] == "http://localhost:9999"
    # Passing the value to the factory does not depend on the order at all.
    assert create_app({"PAYMENTS_URL": "http://fake"}).config["PAYMENTS_URL"] == "http://fake"


@responses.activate
def test_responses_refuses_a_request_nobody_registered() -> None:
    responses.post("https://payments.example.com/charges", json={"id": "ch_1"})
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/pay").get_json() == {"charge": "ch_1", "fees": None}
    assert len(responses.calls) == 1
    assert responses.calls[0].request.body == b'{"amount": 500}'
    # The view also calls /fees, which the test did not register: no real request is made.
    with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
        client.get("/pay?fees=1")


@responses.activate
def test_a_mocked_timeout_drives_the_error_path() -> None:
    responses.post("https://payments.example.com/charges", body=requests.Timeout("read timed out"))
    resp = create_app({"TESTING": True}).test_client().get("/pay")
    assert resp.status_code == 503
    assert resp.get_json() == {"error": "payment provider timed out"}


SERVICES = """
def fetch_rate(currency):
    raise RuntimeError("the real rate service was called")
"""

VIEWS = """
from flask import Flask
from bank_depth_services import fetch_rate

app = Flask(__name__)


@app.route("/price")
def price():
    return {"eur": 10 * fetch_rate("EUR")}
"""


def test_patch_the_name_where_the_view_looks_it_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bank_depth_services.py").write_text(SERVICES, encoding="utf-8")
    (tmp_path / "bank_depth_views.py").write_text(VIEWS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("bank_depth_services", "bank_depth_views"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    services = importlib.import_module("bank_depth_services")
    views = importlib.import_module("bank_depth_views")
    views.app.testing = True
    client = views.app.test_client()

    monkeypatch.setattr(services, "fetch_rate", lambda currency: 0.5)
    # views did `from ... import fetch_rate` at import time: it holds the original function.
    with pytest.raises(RuntimeError, match="real rate service"):
        client.get("/price")
    monkeypatch.setattr(views, "fetch_rate", lambda currency: 0.5)
    assert client.get("/price").get_json() == {"eur": 5.0}


def _async_app() -> Flask:
    app = Flask(__name__)
    app.testing = True

    @app.route("/report")
    async def report() -> str:
        await asyncio.sleep(0)
        return "ready"

    return app


def test_async_view_from_a_plain_test() -> None:
    assert _async_app().test_client().get("/report").text == "ready"


async def test_async_view_from_an_async_test_fails() -> None:
    client = _async_app().test_client()
    # The test already runs an event loop in this thread; Flask's async_to_sync refuses to start another.
    with pytest.raises(RuntimeError, match="cannot use AsyncToSync in the same thread as an async event loop"):
        client.get("/report")


def test_setup_methods_fail_after_the_app_served_a_request() -> None:
    app = create_app({"TESTING": True})
    app.test_client().get("/missing")  # an earlier test used the shared app

    with pytest.raises(AssertionError, match="can no longer be called on the application"):

        @app.route("/boom")
        def boom() -> str:
            raise ZeroDivisionError

    fresh = create_app({"TESTING": True})  # a function-scoped fixture builds a new app per test

    @fresh.route("/boom")
    def boom_fresh() -> str:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fresh.test_client().get("/boom")


def test_request_context_runs_no_hooks_but_the_client_does() -> None:
    app = Flask(__name__)
    seen: list[str] = []

    @app.before_request
    def load_user() -> None:
        g.user = request.args.get("as", "anonymous")
        seen.append("before_request")

    @app.route("/me")
    def me() -> str:
        return g.user

    with app.test_request_context("/me?as=alice"):
        assert request.args["as"] == "alice"  # the request object is there...
        assert "user" not in g  # ...but no hook ran and no view was dispatched
        assert seen == []
        app.preprocess_request()  # runs the before_request functions on demand
        assert g.user == "alice"
    client = app.test_client()
    with client:
        assert client.get("/me?as=bob").text == "bob"
        assert g.user == "bob"  # `with client` keeps the last request's context for inspection
    assert seen == ["before_request", "before_request"]


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Note(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(50))


def _db_app(path: Path) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    db.init_app(app)  # one module-level extension object, bound to each app through its context
    with app.app_context():
        db.create_all()
    return app


def test_factory_apps_with_their_own_database_are_isolated(tmp_path: Path) -> None:
    first, second = _db_app(tmp_path / "first.db"), _db_app(tmp_path / "second.db")
    with first.app_context():
        db.session.add(Note(text="from the first test"))
        db.session.commit()
        assert db.session.query(Note).count() == 1
    with second.app_context():
        assert db.session.query(Note).count() == 0
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


BRANCHY = """
def discount(total, is_member):
    price = total
    if is_member:
        price = total * 0.9
    return price
"""


def test_line_coverage_can_be_full_while_a_branch_never_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module_path = tmp_path / "bank_depth_pricing.py"
    module_path.write_text(BRANCHY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    results = {}
    for branch in (False, True):
        monkeypatch.delitem(sys.modules, "bank_depth_pricing", raising=False)
        cov = coverage.Coverage(branch=branch, data_file=None, include=[str(module_path)])
        cov.start()
        try:
            pricing = importlib.import_module("bank_depth_pricing")
            assert pricing.discount(100, True) == 90.0  # the only test: a member
        finally:
            cov.stop()
        results[branch] = round(cov.report(file=io.StringIO(), show_missing=True), 1)
    # Every line ran, but the path where `is_member` is false (skipping the if body) never did.
    assert results[False] == 100.0
    assert results[True] < 100.0
