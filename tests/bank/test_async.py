"""Executable checks for the async questions of the bank.

asgiref (the `flask[async]` extra) is installed, so these checks run async code the way a
real deployment does. Where a check counts which functions Flask converts, it uses a Flask
subclass whose `async_to_sync` records the name and then calls the real implementation;
Flask documents that hook as the place to change how async code is made callable.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, cast

import pytest
from asgiref.wsgi import WsgiToAsgi
from flask import Flask, current_app, g
from werkzeug.test import create_environ


class _RecordingFlask(Flask):
    converted: list[str]

    def async_to_sync(self, func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        self.converted.append(func.__name__)
        return super().async_to_sync(func)


def _loop_app() -> _RecordingFlask:
    app = _RecordingFlask(__name__)
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
    torn_down: list[str] = []

    @app.before_request
    async def load_user() -> None:
        g.user = "ann"

    @app.errorhandler(404)
    async def not_found(error: Exception) -> tuple[str, int]:
        return "custom 404", 404

    # after_request and teardown functions may be coroutine functions as well.
    @app.after_request
    async def stamp(response: Any) -> Any:
        response.headers["X-Async"] = "yes"
        return response

    @app.teardown_request
    async def cleanup(exc: BaseException | None) -> None:
        torn_down.append(str(g.user))

    @app.route("/me")
    def me() -> str:
        return str(g.user)

    client = app.test_client()
    me_response = client.get("/me")
    assert me_response.data == b"ann" and me_response.headers["X-Async"] == "yes"
    assert client.get("/missing").data == b"custom 404"
    # before_request also runs for the 404 request (before routing fails); the handler once.
    assert app.converted == ["load_user", "stamp", "cleanup", "load_user", "not_found", "stamp", "cleanup"]
    assert torn_down == ["ann", "ann"]


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

    def awaiting(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await view(*args, **kwargs)

        return wrapper

    @app.route("/awaiting-sync")
    @awaiting
    def sync_view() -> str:
        return "sync"

    client = app.test_client()
    # An async wrapper that awaits the view breaks sync views: a str cannot be awaited.
    with pytest.raises(TypeError, match="await"):
        client.get("/awaiting-sync")
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
    # A WebSocket handshake to a Flask route is refused (400): routes are plain HTTP, no socket is handed over.
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket"}
    assert app.test_client().get("/", headers=upgrade).status_code == 400
    assert app.test_client().get("/").data == b"hi"


def test_asgi_server_needs_an_adapter() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def index() -> str:
        return "hi"

    asgi_app = cast(Any, WsgiToAsgi)(app)  # asgiref ships no annotations for it
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("testserver", 80),
    }
    asyncio.run(asgi_app(scope, receive, send))
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"hi"


def test_each_async_view_call_gets_its_own_loop_in_another_thread() -> None:
    app = Flask(__name__)
    seen: list[tuple[int, asyncio.AbstractEventLoop]] = []

    @app.route("/")
    async def index() -> str:
        seen.append((threading.get_ident(), asyncio.get_running_loop()))
        return "ok"

    client = app.test_client()
    assert client.get("/").data == b"ok"
    assert client.get("/").data == b"ok"
    (thread_a, loop_a), (thread_b, loop_b) = seen
    assert threading.get_ident() not in (thread_a, thread_b)
    assert loop_a is not loop_b
    assert loop_a.is_closed() and loop_b.is_closed()


def test_gather_overlaps_io_inside_one_request() -> None:
    app = Flask(__name__)
    in_flight = 0
    peak = 0

    async def call_api(name: str) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return name

    @app.route("/")
    async def index() -> dict[str, list[str]]:
        return {"results": list(await asyncio.gather(call_api("a"), call_api("b"), call_api("c")))}

    assert app.test_client().get("/").get_json() == {"results": ["a", "b", "c"]}
    # all three calls were waiting at the same time, so their waits overlapped
    assert peak == 3


def test_task_left_running_by_async_view_is_cancelled() -> None:
    app = Flask(__name__)
    outcome: list[str] = []
    finished = threading.Event()

    async def send_welcome_email() -> None:
        try:
            await asyncio.sleep(0.2)
            outcome.append("sent")
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        finally:
            finished.set()

    tasks: set[asyncio.Task[None]] = set()

    @app.post("/signup")
    async def signup() -> tuple[str, int]:
        tasks.add(asyncio.create_task(send_welcome_email()))
        await asyncio.sleep(0)  # let the task start
        return "ok", 201

    assert app.test_client().post("/signup").status_code == 201
    assert finished.wait(1)
    assert outcome == ["cancelled"]


# ---------------------------------------------------------------- open questions of issue 22


def test_blocking_call_in_async_view_does_not_overlap() -> None:
    import time

    app = Flask(__name__)
    in_flight = 0
    peak = {"blocking": 0, "awaiting": 0}

    async def call(kind: str) -> str:
        nonlocal in_flight
        in_flight += 1
        peak[kind] = max(peak[kind], in_flight)
        if kind == "blocking":
            time.sleep(0.01)  # noqa: ASYNC251  # the blocking call the question warns about
        else:
            await asyncio.sleep(0.01)
        in_flight -= 1
        return kind

    @app.route("/<kind>")
    async def index(kind: str) -> dict[str, list[str]]:
        return {"results": list(await asyncio.gather(call(kind), call(kind), call(kind)))}

    client = app.test_client()
    assert client.get("/blocking").get_json() == {"results": ["blocking"] * 3}
    assert client.get("/awaiting").get_json() == {"results": ["awaiting"] * 3}
    # gather overlaps only calls that yield to the loop: blocking ones ran one after another
    assert peak == {"blocking": 1, "awaiting": 3}


def test_ensure_sync_wraps_only_coroutine_functions() -> None:
    app = _loop_app()

    def plain() -> str:
        return "plain"

    async def coro() -> str:
        return "coro"

    assert app.ensure_sync(plain) is plain
    wrapped = app.ensure_sync(coro)
    assert wrapped is not coro
    assert wrapped() == "coro"
    assert app.converted == ["coro"]


def test_task_in_async_view_sees_the_request_but_a_thread_does_not() -> None:
    from flask import request

    app = Flask(__name__)

    @app.get("/report")
    async def report() -> dict[str, str]:
        async def helper() -> str:
            await asyncio.sleep(0)
            return request.path

        task = asyncio.create_task(helper())
        seen: dict[str, str] = {}

        def in_thread() -> None:
            try:
                seen["thread"] = request.path
            except RuntimeError as exc:
                seen["thread"] = str(exc).splitlines()[0]

        worker = threading.Thread(target=in_thread)
        worker.start()
        worker.join()
        return {"view": request.path, "task": await task, "thread": seen["thread"]}

    assert app.test_client().get("/report").get_json() == {
        "view": "/report",
        "task": "/report",
        "thread": "Working outside of request context.",
    }
