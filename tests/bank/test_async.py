"""Executable checks for the async questions of the bank.

asgiref (the `flask[async]` extra) is not installed in the check environment, so checks
that need a working async view use a Flask subclass whose `async_to_sync` hook runs the
coroutine with `asyncio.run`; Flask documents that hook as the place to change how async
code is made callable. The checks assert what Flask itself does around that hook.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable, Coroutine
from typing import Any, cast

import pytest
from flask import Flask, current_app, g
from werkzeug.test import create_environ


class _LoopFlask(Flask):
    converted: list[str]

    def async_to_sync(self, func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        self.converted.append(func.__name__)
        return lambda *args, **kwargs: asyncio.run(func(*args, **kwargs))


def _loop_app() -> _LoopFlask:
    app = _LoopFlask(__name__)
    app.converted = []
    return app


def _hide_asgiref(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asgiref", None)
    monkeypatch.setitem(sys.modules, "asgiref.sync", None)


def test_async_view_without_extra_fails_at_request_time(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_asgiref(monkeypatch)
    app = Flask(__name__)

    @app.route("/data")  # registering works: nothing checks for asgiref yet
    async def data() -> str:
        return "data"

    app.testing = True
    with pytest.raises(RuntimeError, match=r"Install Flask with the 'async' extra"):
        app.test_client().get("/data")
    app.testing = False
    assert app.test_client().get("/data").status_code == 500


def test_async_view_goes_through_async_to_sync() -> None:
    app = _loop_app()

    @app.route("/sync")
    def plain() -> str:
        return "sync"

    @app.route("/async")
    async def coro() -> str:
        await asyncio.sleep(0)
        return "async"

    client = app.test_client()
    assert client.get("/sync").data == b"sync"
    assert app.converted == []  # sync views are called directly
    assert client.get("/async").data == b"async"
    assert app.converted == ["coro"]  # async views are wrapped into a blocking call


def test_async_before_request_and_error_handler() -> None:
    app = _loop_app()

    @app.before_request
    async def load_user() -> None:
        g.user = "ann"

    @app.errorhandler(404)
    async def not_found(error: Exception) -> tuple[str, int]:
        return "custom 404", 404

    @app.route("/me")
    def me() -> str:
        return str(g.user)

    client = app.test_client()
    assert client.get("/me").data == b"ann"
    assert client.get("/missing").data == b"custom 404"
    # before_request also runs for the 404 request (before routing fails); the handler once.
    assert app.converted == ["load_user", "load_user", "not_found"]


def test_async_hook_without_extra_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_asgiref(monkeypatch)
    app = Flask(__name__)

    @app.before_request
    async def hook() -> None:
        return None

    @app.route("/")
    def index() -> str:
        return "sync view"

    app.testing = True
    with pytest.raises(RuntimeError, match="async"):
        app.test_client().get("/")


def test_sync_wrapper_around_async_view_breaks() -> None:
    app = _loop_app()
    app.testing = True

    returned: list[Any] = []

    def naive(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            returned.append(view(*args, **kwargs))
            return returned[-1]

        return wrapper

    def aware(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return current_app.ensure_sync(view)(*args, **kwargs)

        return wrapper

    @app.route("/naive")
    @naive
    async def naive_view() -> str:
        return "naive"

    @app.route("/aware")
    @aware
    async def aware_view() -> str:
        return "aware"

    client = app.test_client()
    # The naive wrapper is a plain function, so Flask calls it directly and gets an
    # un-awaited coroutine back instead of a response.
    with pytest.raises(TypeError, match="but it was a coroutine"):
        client.get("/naive")
    assert asyncio.iscoroutine(returned[0])
    returned[0].close()  # never awaited: close it so no warning leaks into other tests
    assert client.get("/aware").data == b"aware"


def test_flask_is_wsgi_not_asgi() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def index() -> str:
        return "hi"

    statuses: list[str] = []
    body = app(create_environ("/nowhere"), cast(Any, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["404 NOT FOUND"] and b"".join(body)
    # An ASGI server calls app(scope, receive, send): Flask's WSGI signature does not accept that.
    with pytest.raises(TypeError):
        cast(Any, app)({"type": "http"}, None, None)
    assert not hasattr(app, "websocket")
