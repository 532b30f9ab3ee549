"""Executable checks for the observability questions: request ids in logs, what leaks into logs, Gunicorn's logs,
Prometheus metrics under several workers, OpenTelemetry span names and Sentry's Flask integration."""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import responses
from flask import Flask, Response, g, has_request_context, request
from gunicorn.config import Config
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.serving import make_server

WAIT = 30


class RequestIdFilter(logging.Filter):
    """Adds record.request_id; outside a request it says "-" instead of touching `g`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.request_id if has_request_context() else "-"
        return True


class NaiveRequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.request_id
        return True


def _app_with_request_ids(log_filter: logging.Filter, stream: io.StringIO) -> tuple[Flask, logging.Logger]:
    app = Flask(__name__)
    logger = logging.getLogger(f"bank.obs.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(request_id)s %(levelname)s %(message)s"))
    handler.addFilter(log_filter)
    logger.addHandler(handler)

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.request_id
        return response

    @app.route("/orders")
    def orders() -> str:
        logger.info("listing orders")
        return "ok"

    @app.route("/charge")
    def charge() -> str:
        # The id travels on to the next service, so its logs can be joined with ours.
        requests.post("https://payments.example.com/charge", headers={"X-Request-ID": g.request_id}, timeout=5)
        return "charged"

    return app, logger


def test_request_id_filter_must_handle_logs_outside_a_request() -> None:
    stream = io.StringIO()
    app, logger = _app_with_request_ids(RequestIdFilter(), stream)
    resp = app.test_client().get("/orders", headers={"X-Request-ID": "abc123"})
    assert resp.headers["X-Request-ID"] == "abc123"
    generated = app.test_client().get("/orders").headers["X-Request-ID"]
    with app.app_context():
        logger.info("nightly cleanup")  # a CLI command or a job: no request
    assert stream.getvalue().splitlines() == [
        "abc123 INFO listing orders",
        f"{generated} INFO listing orders",
        "- INFO nightly cleanup",
    ]

    naive_stream = io.StringIO()
    naive_app, naive_logger = _app_with_request_ids(NaiveRequestIdFilter(), naive_stream)
    assert naive_app.test_client().get("/orders").status_code == 200
    # A filter that reads g outside a request raises in the code that logged: the command itself fails.
    with pytest.raises(RuntimeError, match="application context"):
        naive_logger.info("nightly cleanup")
    with naive_app.app_context(), pytest.raises(AttributeError, match="request_id"):
        naive_logger.info("nightly cleanup")


@responses.activate
def test_request_id_is_passed_to_the_next_service() -> None:
    call = responses.post("https://payments.example.com/charge", json={"ok": True})
    app, _ = _app_with_request_ids(RequestIdFilter(), io.StringIO())
    resp = app.test_client().get("/charge", headers={"X-Request-ID": "req-77"})
    assert resp.text == "charged"
    assert call.call_count == 1
    assert responses.calls[0].request.headers["X-Request-ID"] == "req-77"


def test_headers_and_urls_carry_secrets_into_logs() -> None:
    app = Flask(__name__)
    dumped: list[str] = []

    @app.route("/reset")
    def reset() -> str:
        dumped.append(str(dict(request.headers)))
        return "ok"

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    access_log = logging.getLogger("werkzeug")
    collector = Collect()
    access_log.addHandler(collector)
    old_level = access_log.level
    access_log.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        httpx.get(
            f"http://127.0.0.1:{server.port}/reset?token=s3cret-reset-token",
            headers={"Authorization": "Bearer live-api-key", "Cookie": "session=signed-session-cookie"},
            timeout=WAIT,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)
        access_log.removeHandler(collector)
        access_log.setLevel(old_level)
    assert "Bearer live-api-key" in dumped[0]
    assert "session=signed-session-cookie" in dumped[0]
    # The access log line holds the whole request line, query string included.
    assert any("/reset?token=s3cret-reset-token" in line for line in records)


def test_gunicorn_access_log_is_off_unless_asked(tmp_path: Path) -> None:
    cfg = Config()
    assert cfg.accesslog is None
    assert cfg.errorlog == "-"
    (tmp_path / "bank_obs_hello.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\napp.add_url_rule('/', 'i', lambda: 'hi')\n", encoding="utf-8"
    )
    outputs = []
    for options in ([], ["--access-logfile", "-"]):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", *options, "bank_obs_hello:app"]
        proc = subprocess.Popen(
            cmd,
            cwd=tmp_path,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    assert httpx.get(f"http://127.0.0.1:{port}/?page=1", timeout=5).text == "hi"
                    break
                except httpx.ConnectError:
                    time.sleep(0.2)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=WAIT)
        outputs.append((out.decode(), err.decode()))
    (plain_out, plain_err), (logged_out, _) = outputs
    assert "GET /?page=1" not in plain_out + plain_err
    assert "Booting worker" in plain_err  # the error log does go to stderr by default
    assert '"GET /?page=1 HTTP/1.1" 200' in logged_out


COUNTING_WORKER = """
import os, sys
from prometheus_client import REGISTRY, Counter, generate_latest
orders = Counter("orders", "Orders placed")
orders.inc(int(sys.argv[1]))
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    print([line for line in generate_latest(REGISTRY).decode().splitlines() if line.startswith("orders_total")][0])
"""


def _run_worker(count: int, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", COUNTING_WORKER, str(count)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_prometheus_counters_need_multiprocess_mode_under_several_workers(tmp_path: Path) -> None:
    # Without multiprocess mode each worker process exposes its own counter: a scrape sees one of them.
    assert [_run_worker(3, {}), _run_worker(5, {})] == ["orders_total 3.0", "orders_total 5.0"]
    # With PROMETHEUS_MULTIPROC_DIR each process writes its values to files that a collector sums.
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    _run_worker(3, env)
    _run_worker(5, env)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    lines = [line for line in generate_latest(registry).decode().splitlines() if line.startswith("orders_total")]
    assert lines == ["orders_total 8.0"]


def test_path_labels_grow_one_series_per_url() -> None:
    registry = CollectorRegistry()
    by_path = Counter("hits_by_path", "Requests", ["method", "path"], registry=registry)
    by_route = Counter("hits_by_route", "Requests", ["method", "route"], registry=registry)
    app = Flask(__name__)

    @app.route("/users/<int:user_id>")
    def user(user_id: int) -> str:
        return str(user_id)

    @app.after_request
    def count(response: Response) -> Response:
        by_path.labels(request.method, request.path).inc()
        route = request.url_rule.rule if request.url_rule else "unmatched"
        by_route.labels(request.method, route).inc()
        return response

    client = app.test_client()
    for user_id in range(200):
        client.get(f"/users/{user_id}")
    client.get("/wp-admin.php")
    text = generate_latest(registry).decode()
    assert text.count("hits_by_path_total{") == 201  # a new time series for every id and every scanner URL
    assert text.count("hits_by_route_total{") == 2
    assert 'hits_by_route_total{method="GET",route="/users/<int:user_id>"} 200.0' in text


def test_opentelemetry_names_server_spans_after_the_route() -> None:
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Flask(__name__)

    @app.get("/users/<int:user_id>")
    def get_user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    FlaskInstrumentor().instrument_app(app, tracer_provider=provider, excluded_urls="healthz")
    try:
        client = app.test_client()
        client.get("/users/42")
        client.get("/users/43")
        client.get("/healthz")
        parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        client.get("/users/44", headers={"traceparent": parent})
    finally:
        FlaskInstrumentor().uninstrument_app(app)
        provider.shutdown()
    spans = exporter.get_finished_spans()
    # One name for every user: the rule, with the concrete path kept as an attribute.
    assert [s.name for s in spans] == ["GET /users/<int:user_id>"] * 3
    assert {s.kind for s in spans} == {SpanKind.SERVER}
    assert spans[0].attributes is not None
    assert spans[0].attributes["http.route"] == "/users/<int:user_id>"
    assert spans[0].attributes["http.target"] == "/users/42"
    # An incoming W3C traceparent makes the span part of the caller's trace.
    assert format(spans[2].context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert spans[2].parent is not None and spans[2].parent.is_remote


def _in_child(work: Callable[[], Any]) -> Any:
    """Run work in a forked process (Sentry's setup is global for the life of a process) and return its result."""
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()

    def run() -> None:
        try:
            child_end.send(("ok", work()))
        except BaseException as exc:
            child_end.send(("error", repr(exc)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        proc = ctx.Process(target=run)
        proc.start()
    try:
        assert parent_end.poll(60), "the child process sent nothing"
        status, value = parent_end.recv()
    finally:
        proc.join(WAIT)
    assert status == "ok", value
    return value


def _sentry_events() -> dict[str, Any]:
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.transport import Transport

    events: list[dict[str, Any]] = []

    class Capture(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            events.extend(item.payload.json for item in envelope.items if item.type == "event")

    sentry_sdk.init(dsn="https://key@o0.ingest.sentry.io/1", transport=Capture, integrations=[FlaskIntegration()])
    logging.getLogger("flask.app").disabled = True  # keep the child's stderr quiet
    app = Flask(__name__)

    @app.errorhandler(KeyError)
    def missing(exc: KeyError) -> tuple[str, int]:
        return "not found", 404

    @app.errorhandler(500)
    def server_error(exc: Exception) -> tuple[str, int]:
        return "sorry", 500

    @app.route("/missing")
    def raises_key_error() -> str:
        raise KeyError("sku")

    @app.route("/crash")
    def crash() -> str:
        return str(1 / 0)

    @app.route("/reported")
    def reported() -> str:
        try:
            raise KeyError("sku")
        except KeyError as exc:
            sentry_sdk.capture_exception(exc)
            return "fallback"

    client = app.test_client()
    client.set_cookie("session", "signed-session-cookie")
    counts = {}
    headers = {"Authorization": "Bearer live-api-key"}
    for path in ("/missing", "/crash", "/reported"):
        before = len(events)
        status = client.get(path, headers=headers).status_code
        sentry_sdk.flush()
        counts[path] = (status, len(events) - before)
    crash_event = events[0]
    return {"counts": counts, "request": crash_event["request"], "user": crash_event.get("user")}


def test_sentry_reports_unhandled_exceptions_and_filters_secrets() -> None:
    found = _in_child(_sentry_events)
    assert found["counts"] == {
        "/missing": (404, 0),  # handled by an errorhandler for KeyError: Sentry never sees it
        "/crash": (500, 1),  # unhandled, even though a 500 handler rendered the page
        "/reported": (200, 1),  # handled, but reported explicitly
    }
    request_data = found["request"]
    # send_default_pii is off by default: the token is filtered, cookies and the client's IP are not sent.
    assert request_data["headers"]["Authorization"] == "[Filtered]"
    assert request_data["headers"]["Cookie"] == "[Filtered]"
    assert not request_data.get("cookies")
    assert "signed-session-cookie" not in str(request_data)
    assert not (found["user"] or {}).get("ip_address")
