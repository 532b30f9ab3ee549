"""Executable checks for the realtime questions: server-sent events, streaming under WSGI servers, WebSockets."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import simple_websocket
from flask import Flask, Response, jsonify, request
from flask_sock import Sock
from httpx_sse import EventSource
from werkzeug.serving import BaseWSGIServer, make_server

WAIT = 30  # seconds; generous upper bounds on a loaded machine, never expected to elapse


def _events(body: bytes) -> list[tuple[str, str, str]]:
    """(event, data, id) of each event an SSE client dispatches from this body."""
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    return [(e.event, e.data, e.id) for e in EventSource(response).iter_sse()]


def _serve(app: Flask, threaded: bool) -> tuple[BaseWSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _stop(server: BaseWSGIServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(WAIT)


def _open_stream(port: int, path: str, extra: str = "") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode())
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_sse_messages_need_a_blank_line_and_the_event_stream_type() -> None:
    app = Flask(__name__)
    messages = ["build started", "tests passed"]

    @app.route("/events")
    def events() -> Response:
        def generate() -> Iterator[str]:
            for text in messages:
                yield f"data: {text}\n\n"

        return Response(generate(), mimetype="text/event-stream")

    @app.route("/one-newline")
    def one_newline() -> Response:
        return Response((f"data: {text}\n" for text in messages), mimetype="text/event-stream")

    @app.route("/as-json")
    def as_json() -> Response:
        return jsonify(messages)

    client = app.test_client()
    resp = client.get("/events")
    assert resp.mimetype == "text/event-stream"
    assert _events(resp.data) == [("message", "build started", ""), ("message", "tests passed", "")]
    # Without the blank line nothing is dispatched while the stream is open: the lines pile up in one event.
    assert _events(client.get("/one-newline").data) == []
    assert _events(client.get("/one-newline").data + b"\n") == [("message", "build started\ntests passed", "")]
    assert _events(client.get("/as-json").data) == []


def test_last_event_id_header_lets_the_view_resume() -> None:
    app = Flask(__name__)
    log = [f"line {n}" for n in range(1, 6)]

    @app.route("/log")
    def tail() -> Response:
        start = int(request.headers.get("Last-Event-ID", "0"))

        def generate() -> Iterator[str]:
            yield "retry: 5000\n\n"
            for n in range(start + 1, len(log) + 1):
                yield f"id: {n}\ndata: {log[n - 1]}\n\n"

        return Response(generate(), mimetype="text/event-stream")

    client = app.test_client()
    first = _events(client.get("/log").data)
    assert [(data, last_id) for _, data, last_id in first if data] == [(f"line {n}", str(n)) for n in range(1, 6)]
    # An EventSource that reconnects sends the id of the last event it saw as a header.
    resumed = _events(client.get("/log", headers={"Last-Event-ID": "3"}).data)
    assert [data for _, data, _ in resumed if data] == ["line 4", "line 5"]
    stream = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"retry: 5000\n\n")
    assert [e.retry for e in EventSource(stream).iter_sse()] == [5000]


def _ping_while_streaming(threaded: bool) -> tuple[list[bytes], list[bytes]]:
    """What /ping answered while a stream was open, and after it ended, on a server of one kind."""
    app = Flask(__name__)
    release = threading.Event()

    @app.route("/events")
    def events() -> Response:
        def generate() -> Iterator[str]:
            yield "data: hello\n\n"
            release.wait(WAIT)
            yield "data: bye\n\n"

        return Response(generate(), mimetype="text/event-stream")

    @app.route("/ping")
    def ping() -> str:
        return "pong"

    server, thread = _serve(app, threaded=threaded)
    answer: list[bytes] = []

    def get_ping() -> None:
        answer.append(httpx.get(f"http://127.0.0.1:{server.port}/ping", timeout=WAIT).content)

    try:
        stream = _open_stream(server.port, "/events")
        assert b"data: hello" in _read_until(stream, b"data: hello")
        pinger = threading.Thread(target=get_ping)
        pinger.start()
        # The threaded server answers at once; the other one is given a few seconds to show it cannot.
        pinger.join(WAIT if threaded else 3)
        during = list(answer)
        release.set()
        _read_until(stream, b"data: bye")
        stream.close()
        pinger.join(WAIT)
        return during, answer
    finally:
        release.set()
        _stop(server, thread)


def test_a_stream_holds_a_single_threaded_worker_until_it_ends() -> None:
    # One request at a time, as a Gunicorn sync worker: /ping waits for the stream to end.
    assert _ping_while_streaming(threaded=False) == ([], [b"pong"])
    # A thread per request (gthread, or gevent's greenlets): /ping is served while the stream is open.
    assert _ping_while_streaming(threaded=True) == ([b"pong"], [b"pong"])


def test_flask_sends_each_event_as_it_is_yielded() -> None:
    app = Flask(__name__)
    second = threading.Event()

    @app.route("/events")
    def events() -> Response:
        def generate() -> Iterator[str]:
            yield "data: first\n\n"
            second.wait(WAIT)
            yield "data: second\n\n"

        resp = Response(generate(), mimetype="text/event-stream")
        resp.headers["X-Accel-Buffering"] = "no"  # for Nginx: do not buffer this response
        resp.headers["Cache-Control"] = "no-cache"
        return resp

    server, thread = _serve(app, threaded=True)
    try:
        stream = _open_stream(server.port, "/events")
        head = _read_until(stream, b"data: first")
        # The first event reaches the socket while the generator is still blocked before the second.
        assert b"data: first" in head
        assert b"data: second" not in head
        assert b"X-Accel-Buffering: no" in head
        assert b"Transfer-Encoding: chunked" in head
        second.set()
        assert b"data: second" in _read_until(stream, b"data: second")
        stream.close()
    finally:
        second.set()
        _stop(server, thread)


class Broker:
    """The in-process fan-out a first SSE version often has: a list of subscriber queues in a module global."""

    def __init__(self) -> None:
        self.subscribers: list[queue.Queue[str]] = []

    def subscribe(self) -> queue.Queue[str]:
        q: queue.Queue[str] = queue.Queue()
        self.subscribers.append(q)
        return q

    def publish(self, text: str) -> None:
        for q in self.subscribers:
            q.put(text)


BROKER = Broker()


def _worker_publishes(conn: Any) -> None:
    # Another worker process: it handles POST /notify and publishes to its own subscribers.
    BROKER.publish("order shipped")
    conn.send(len(BROKER.subscribers))


def test_in_process_fan_out_does_not_reach_other_workers() -> None:
    mine = BROKER.subscribe()  # a stream open in this worker
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        worker = ctx.Process(target=_worker_publishes, args=(child_end,))
        worker.start()
    try:
        assert parent_end.poll(WAIT), "the publishing worker sent nothing"
        assert parent_end.recv() == 1  # it published to its copy of the list
        worker.join(WAIT)
        with pytest.raises(queue.Empty):
            mine.get(timeout=1)  # ...and nothing reached the stream open here
        BROKER.publish("paid")
        assert mine.get(timeout=WAIT) == "paid"  # same process: delivered
    finally:
        BROKER.subscribers.remove(mine)


def test_a_closed_client_closes_the_generator_on_its_next_write() -> None:
    app = Flask(__name__)
    closed = threading.Event()
    yielded: list[int] = []

    @app.route("/events")
    def events() -> Response:
        def generate() -> Iterator[str]:
            try:
                n = 0
                while n < 2000:  # a heartbeat loop; a real one waits for news between writes
                    n += 1
                    yielded.append(n)
                    yield ": heartbeat\n\n" if n > 1 else "data: hello\n\n"
                    time.sleep(0.01)
            finally:
                closed.set()  # runs on GeneratorExit, when the server closes the iterable

        return Response(generate(), mimetype="text/event-stream")

    client = app.test_client()
    resp = client.get("/events", buffered=False)
    assert next(iter(resp.response)) == b"data: hello\n\n"
    resp.close()
    assert closed.is_set()
    assert yielded == [1]

    closed.clear()
    server, thread = _serve(app, threaded=True)
    try:
        stream = _open_stream(server.port, "/events")
        _read_until(stream, b"data: hello")
        stream.close()
        # The server learns of the disconnect when a write fails; then it closes the generator.
        assert closed.wait(WAIT)
        assert 1 < len(yielded) < 2000
    finally:
        _stop(server, thread)


def test_flask_sock_takes_over_the_servers_socket() -> None:
    app = Flask(__name__)
    sock = Sock(app)

    @sock.route("/echo")
    def echo(ws: Any) -> None:
        while (text := ws.receive()) != "bye":
            ws.send(text.upper())

    server, thread = _serve(app, threaded=True)
    ws = simple_websocket.Client.connect(f"ws://127.0.0.1:{server.port}/echo")
    try:
        ws.send("hello")
        assert ws.receive(timeout=WAIT) == "HELLO"
        ws.send("bye")
        with pytest.raises(simple_websocket.ConnectionClosed):
            ws.receive(timeout=WAIT)  # the handler returned: flask-sock closed the connection
    finally:
        with contextlib.suppress(simple_websocket.ConnectionClosed):
            ws.close()
        _stop(server, thread)

    client = app.test_client()
    assert client.get("/echo").status_code == 400  # a websocket rule does not match a plain GET
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    errors: list[BaseException] = []

    from flask import got_request_exception

    def record(sender: Flask, exception: BaseException, **extra: Any) -> None:
        errors.append(exception)

    got_request_exception.connect(record, app)
    try:
        # WSGI has no way to hand the connection to the app: the test client has no raw socket to give.
        assert client.get("/echo", headers=upgrade).status_code == 500
    finally:
        got_request_exception.disconnect(record, app)
    assert [str(e) for e in errors] == ["Cannot obtain socket from WSGI environment."]


SSE_APP = """
import time
from flask import Flask, Response

app = Flask(__name__)


@app.get("/events")
def events():
    def generate():
        for n in range(6):
            yield f"data: {n}\\n\\n"
            time.sleep(1)

    return Response(generate(), mimetype="text/event-stream")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stream_through_gunicorn(tmp_path: Path, *options: str) -> tuple[int, str]:
    """Events received from a 6-second stream served by one Gunicorn worker with --timeout 2, and its log."""
    (tmp_path / "bank_sse_app.py").write_text(SSE_APP, encoding="utf-8")
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "--timeout", "2", *options, "-b", f"127.0.0.1:{port}"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([*cmd, "bank_sse_app:app"], cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    body = b""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with httpx.stream("GET", f"http://127.0.0.1:{port}/events", timeout=WAIT) as resp:
                    for chunk in resp.iter_raw():
                        body += chunk
                break
            except httpx.ConnectError:
                time.sleep(0.2)  # not listening yet
            except httpx.HTTPError:
                break  # the connection was cut mid-stream
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=WAIT)
    return body.count(b"data:"), err.decode()


def test_sync_worker_streaming_past_the_timeout_is_killed(tmp_path: Path) -> None:
    events, log = _stream_through_gunicorn(tmp_path)
    # The sync worker does not report to the master while it streams: the master kills it as hung.
    assert events < 6
    assert "WORKER TIMEOUT" in log
    events, log = _stream_through_gunicorn(tmp_path, "--threads", "2")
    # A gthread worker keeps reporting from its main loop while a thread streams.
    assert events == 6
    assert "WORKER TIMEOUT" not in log
