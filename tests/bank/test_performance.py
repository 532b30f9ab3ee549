"""Executable checks for the performance questions of the bank."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, request, send_file, stream_with_context, url_for
from werkzeug.middleware.profiler import ProfilerMiddleware


def test_static_route_and_url() -> None:
    app = Flask(__name__)
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == "/static/css/site.css"
    assert any(rule.endpoint == "static" for rule in app.url_map.iter_rules())


def test_async_view_still_runs_synchronously_per_request() -> None:
    # Real `flask[async]` (asgiref): each async view call gets its own event loop in
    # another thread, while the WSGI request thread waits for the result.
    app = Flask(__name__)
    events: list[tuple[str, int, asyncio.AbstractEventLoop | None]] = []

    @app.before_request
    def mark_request_thread() -> None:
        events.append(("request", threading.get_ident(), None))

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0.01)
        events.append(("view", threading.get_ident(), asyncio.get_running_loop()))
        return "done"

    @app.after_request
    def mark_after(response: Response) -> Response:
        events.append(("after", threading.get_ident(), None))
        return response

    client = app.test_client()
    assert client.get("/").data == b"done"
    assert client.get("/").data == b"done"
    kinds = [e[0] for e in events]
    # the request thread does not move on until the coroutine has finished
    assert kinds == ["request", "view", "after"] * 2
    request_thread, view_thread = events[0][1], events[1][1]
    assert view_thread != request_thread
    assert events[2][1] == request_thread
    # no shared event loop: every call runs on a fresh loop that is closed afterwards
    first_loop, second_loop = events[1][2], events[4][2]
    assert first_loop is not None and second_loop is not None
    assert first_loop is not second_loop
    assert first_loop.is_closed() and second_loop.is_closed()


def test_request_not_available_in_plain_thread() -> None:
    app = Flask(__name__)
    errors: list[BaseException] = []

    @app.route("/signup")
    def signup() -> str:
        def job() -> None:
            try:
                _ = request.path
            except RuntimeError as exc:
                errors.append(exc)

        worker = threading.Thread(target=job)
        worker.start()
        worker.join()
        return "queued"

    assert app.test_client().get("/signup").data == b"queued"
    assert len(errors) == 1
    assert "outside of request context" in str(errors[0])


def test_after_request_runs_before_response_is_sent() -> None:
    app = Flask(__name__)
    order: list[str] = []

    @app.route("/")
    def index() -> str:
        order.append("view")
        return "ok"

    @app.after_request
    def slow_hook(response: Response) -> Response:
        order.append("after_request")
        response.headers["X-Hook"] = "ran"
        return response

    response = app.test_client().get("/")
    # The hook ran inside the request: the client only got the response after it finished.
    assert response.headers["X-Hook"] == "ran"
    assert order == ["view", "after_request"]


def test_generator_view_is_streamed() -> None:
    app = Flask(__name__)

    @app.route("/export")
    def export() -> Iterator[str]:
        def rows() -> Iterator[str]:
            yield "id,name\n"
            yield "1,Ann\n"

        return rows()

    response = app.test_client().get("/export")
    assert response.is_streamed
    assert "Content-Length" not in response.headers
    assert response.data == b"id,name\n1,Ann\n"


def test_generator_needs_stream_with_context_for_request() -> None:
    app = Flask(__name__)

    @app.route("/plain")
    def plain() -> Iterator[str]:
        def body() -> Iterator[str]:
            yield request.args["q"]

        return body()

    @app.route("/wrapped")
    def wrapped() -> Iterator[str]:
        def body() -> Iterator[str]:
            yield request.args["q"]

        return stream_with_context(body())

    client = app.test_client()
    with pytest.raises(RuntimeError, match="outside of request context"):
        client.get("/plain?q=hi")
    assert client.get("/wrapped?q=hi").data == b"hi"


def test_x_sendfile_sends_header_and_empty_body(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("big file")
    app = Flask(__name__)
    app.config["USE_X_SENDFILE"] = True

    @app.route("/report")
    def get_report() -> Response:
        return send_file(report)

    with app.test_client().get("/report") as response:
        assert response.headers["X-Sendfile"] == str(report)
        assert response.data == b""
        assert "X-Accel-Redirect" not in response.headers


def test_send_file_answers_304_for_matching_etag(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("content")
    app = Flask(__name__)

    @app.route("/report")
    def get_report() -> Response:
        return send_file(report)

    client = app.test_client()
    with client.get("/report") as first:
        assert first.status_code == 200 and "ETag" in first.headers
        etag = first.headers["ETag"]
    with client.get("/report", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert again.data == b""


def test_etag_needs_make_conditional_for_304() -> None:
    app = Flask(__name__)

    @app.route("/tagged")
    def tagged() -> Response:
        response = Response("payload")
        response.add_etag()
        return response

    @app.route("/conditional")
    def conditional() -> Any:
        response = Response("payload")
        response.add_etag()
        return response.make_conditional(request)

    client = app.test_client()
    etag = client.get("/tagged").headers["ETag"]
    not_checked = client.get("/tagged", headers={"If-None-Match": etag})
    assert not_checked.status_code == 200 and not_checked.data == b"payload"
    checked = client.get("/conditional", headers={"If-None-Match": etag})
    assert checked.status_code == 304 and checked.data == b""


def test_profiler_middleware_reports_per_request() -> None:
    app = Flask(__name__)

    @app.route("/slow")
    def slow() -> str:
        return str(sum(range(1000)))

    stream = io.StringIO()
    app.wsgi_app = ProfilerMiddleware(app.wsgi_app, stream=stream, restrictions=[5])  # type: ignore[method-assign]
    assert app.test_client().get("/slow").data == b"499500"
    report = stream.getvalue()
    assert "PATH: '/slow'" in report
    assert "function calls" in report


def test_flask_does_not_compress_responses() -> None:
    app = Flask(__name__)

    @app.route("/big")
    def big() -> str:
        return "x" * 100_000

    response = app.test_client().get("/big", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert len(response.data) == 100_000


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_profiler_middleware_writes_profile_files(tmp_path: Path) -> None:
    import logging

    import sqlalchemy as sa

    app = Flask(__name__)
    app.add_url_rule("/slow", "slow", lambda: str(sum(range(1000))))
    app.wsgi_app = ProfilerMiddleware(app.wsgi_app, stream=None, profile_dir=str(tmp_path))  # type: ignore[method-assign]
    app.test_client().get("/slow")
    # Named after method, path, duration and time: GET.slow.<ms>ms.<time>.prof
    assert [p.name.startswith("GET.slow.") for p in tmp_path.glob("*.prof")] == [True]
    # SQLAlchemy's echo logs every statement, the cheapest query log.
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("sqlalchemy.engine.Engine").addHandler(handler)
    try:
        engine = sa.create_engine("sqlite://", echo=True)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    finally:
        logging.getLogger("sqlalchemy.engine.Engine").removeHandler(handler)
    assert "select 1" in records


def test_session_access_adds_vary_cookie_and_private_is_set() -> None:
    from flask import session

    app = Flask(__name__)
    app.secret_key = "test"

    @app.route("/me")
    def me() -> Response:
        response = Response(f"hello {session.get('name', 'guest')}")
        response.cache_control.private = True
        return response

    @app.route("/plain")
    def plain() -> str:
        return "same for everyone"

    client = app.test_client()
    r = client.get("/me")
    assert r.headers["Vary"] == "Cookie"
    assert r.headers["Cache-Control"] == "private"
    assert "Vary" not in client.get("/plain").headers
