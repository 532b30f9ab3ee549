"""Executable checks for the operations questions: config from the environment, health checks, output buffering,
signals for PID 1 in a container, and Gunicorn's graceful and quick shutdown."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask, redirect, request, session, url_for
from gunicorn.config import Config
from werkzeug.wrappers import Response

WAIT = 30


class ProductionConfig:
    SQLALCHEMY_DATABASE_URI = "postgresql://db.internal/shop"
    SESSION_COOKIE_SECURE = True


def test_later_config_sources_override_earlier_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "postgresql://staging-db/shop")
    env_first = Flask(__name__)
    env_first.config.from_prefixed_env()
    env_first.config.from_object(ProductionConfig)
    # from_object ran last and replaced the value read from the environment.
    assert env_first.config["SQLALCHEMY_DATABASE_URI"] == "postgresql://db.internal/shop"
    env_last = Flask(__name__)
    env_last.config.from_object(ProductionConfig)
    env_last.config.from_prefixed_env()
    assert env_last.config["SQLALCHEMY_DATABASE_URI"] == "postgresql://staging-db/shop"
    assert env_last.config["SESSION_COOKIE_SECURE"] is True  # defaults the environment did not set stay


def _app_with_health(db_path: Path) -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    public = {"login", "healthz", "readyz", "static"}

    @app.before_request
    def require_login() -> Response | None:
        if request.endpoint not in public and "user_id" not in session:
            return redirect(url_for("login"))
        return None

    @app.route("/login")
    def login() -> str:
        return "log in"

    @app.route("/dashboard")
    def dashboard() -> str:
        return "dashboard"

    @app.route("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        return {"status": "ok"}, 200  # liveness: the process answers; no dependency is checked

    @app.route("/readyz")
    def readyz() -> tuple[dict[str, str], int]:
        try:
            with sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, timeout=1) as conn:
                conn.execute("SELECT 1")
        except sqlite3.Error:
            return {"status": "database unavailable"}, 503
        return {"status": "ready"}, 200

    @app.route("/guarded-health")
    def guarded_health() -> str:
        return "ok"

    return app


def test_health_endpoints_skip_the_login_guard_and_readiness_checks_dependencies(tmp_path: Path) -> None:
    db_path = tmp_path / "app.db"
    sqlite3.connect(db_path).close()
    client = _app_with_health(db_path).test_client()
    # A health URL that the app-wide login hook also guards answers a redirect, which a probe counts as down.
    guarded = client.get("/guarded-health")
    assert guarded.status_code == 302
    assert guarded.headers["Location"] == "/login"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    db_path.unlink()  # the database goes away
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200  # liveness does not restart the app for a database outage


CHATTY = """
import logging, sys
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
logging.info("logged line")
print("printed line")
sys.stderr.write("ready\\n")
sys.stderr.flush()
sys.stdin.read()
"""


def _visible_output(env: dict[str, str], shell: str | None = None) -> bytes:
    """What a log collector reading the pipe has received while the process is still running.

    With shell, the process is started as a shell-form CMD starts it: as a command of `shell -c`.
    """
    base = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    argv = [sys.executable, "-c", CHATTY]
    if shell is not None:
        argv = [shell, "-c", '"$0" -c "$1"', sys.executable, CHATTY]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**base, **env},
    )
    assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
    try:
        assert proc.stderr.readline() == b"ready\n"
        os.set_blocking(proc.stdout.fileno(), False)
        seen = b""
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            chunk = proc.stdout.read()
            if chunk:
                seen += chunk
            time.sleep(0.05)
        return seen
    finally:
        proc.stdin.close()
        proc.wait(WAIT)
        proc.stdout.close()
        proc.stderr.close()


def test_print_to_a_pipe_is_block_buffered_but_logging_flushes() -> None:
    # Piped stdout (as under Docker or systemd) is block-buffered: print() output waits in the buffer,
    # while logging's StreamHandler flushes after every record.
    assert _visible_output({}) == b"logged line\n"
    assert _visible_output({"PYTHONUNBUFFERED": "1"}) == b"logged line\nprinted line\n"


def test_a_shell_between_docker_and_python_holds_back_no_output() -> None:
    # Under a shell-form CMD, Python inherits the shell's stdout: the shell is not in the pipe and buffers nothing.
    shell = shutil.which("dash") or shutil.which("sh")
    if shell is None:
        pytest.skip("needs a POSIX shell")
    assert _visible_output({"PYTHONUNBUFFERED": "1"}, shell) == b"logged line\nprinted line\n"
    assert _visible_output({}, shell) == b"logged line\n"


APP_WITH_HANDLER = """
import signal, sys, time
from pathlib import Path
out = Path(sys.argv[1])
signal.signal(signal.SIGTERM, lambda *a: (out.write_text("got SIGTERM"), sys.exit(0)))
out.with_suffix(".started").write_text("started")
time.sleep(60)
"""

APP_WITHOUT_HANDLER = """
import sys, time
from pathlib import Path
Path(sys.argv[1]).with_suffix(".started").write_text("started")
time.sleep(60)
"""


def _pid1_namespace_tools() -> tuple[str, str]:
    unshare, dash = shutil.which("unshare"), shutil.which("dash")
    if not unshare or not dash:
        pytest.skip("needs util-linux unshare and dash (Debian's /bin/sh)")
    probe = subprocess.run([unshare, "--pid", "--fork", "true"], capture_output=True, timeout=WAIT)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a PID namespace here: {probe.stderr.decode().strip()}")
    return unshare, dash


def _child_pid(parent: int) -> int:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.02)
    raise AssertionError("unshare started no child")


def _sigterm_pid1(tmp_path: Path, name: str, argv: list[str]) -> tuple[bool, bool]:
    """Start argv as PID 1 of a new PID namespace, send it SIGTERM from outside as `docker stop` does.

    Returns (the app's handler ran, PID 1 was still running a second later).
    """
    unshare, _ = _pid1_namespace_tools()
    out = tmp_path / f"{name}.txt"
    proc = subprocess.Popen([unshare, "--pid", "--fork", "--kill-child", *argv, str(out)])
    try:
        pid1 = _child_pid(proc.pid)
        deadline = time.monotonic() + WAIT
        while not out.with_suffix(".started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert out.with_suffix(".started").exists()
        os.kill(pid1, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1.5)
        return out.exists(), proc.poll() is None
    finally:
        proc.kill()  # --kill-child takes the namespace down with it, like SIGKILL after the grace period
        proc.wait(WAIT)


def test_sigterm_to_pid1_reaches_the_app_only_in_exec_form(tmp_path: Path) -> None:
    _, dash = _pid1_namespace_tools()
    (tmp_path / "with_handler.py").write_text(APP_WITH_HANDLER, encoding="utf-8")
    (tmp_path / "without_handler.py").write_text(APP_WITHOUT_HANDLER, encoding="utf-8")
    app = str(tmp_path / "with_handler.py")
    # Exec form, CMD ["python", "app.py"]: the app is PID 1 and its SIGTERM handler runs.
    assert _sigterm_pid1(tmp_path, "exec", [sys.executable, app]) == (True, False)
    # Shell form, CMD python app.py: /bin/sh (dash) is PID 1, has no handler, and PID 1 ignores the signal.
    shell = [dash, "-c", f'{sys.executable} {app} "$0"']
    assert _sigterm_pid1(tmp_path, "shell", shell) == (False, True)
    # PID 1 without a SIGTERM handler ignores it too: the default action does not apply to PID 1.
    bare = [sys.executable, str(tmp_path / "without_handler.py")]
    assert _sigterm_pid1(tmp_path, "bare", bare) == (False, True)


SLOW_APP = """
import os, time
from pathlib import Path
from flask import Flask

app = Flask(__name__)
GATE = Path(os.environ["GATE_DIR"])


@app.get("/slow")
def slow():
    (GATE / "started").touch()
    while not (GATE / "open").exists():
        time.sleep(0.02)
    return "finished"


@app.get("/ping")
def ping():
    return "pong"
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _shutdown_with(tmp_path: Path, sig: signal.Signals) -> dict[str, Any]:
    """Start Gunicorn, begin a slow request, send sig to the master, try a new request, then let the slow one end."""
    (tmp_path / "bank_slow_app.py").write_text(SLOW_APP, encoding="utf-8")
    gate = tmp_path / f"gate-{sig.name}"
    gate.mkdir()
    port = _free_port()
    env = {**os.environ, "GATE_DIR": str(gate), "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "bank_slow_app:app"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    found: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/ping", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        def slow() -> None:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/slow", timeout=WAIT)
                found["in_flight"] = (resp.status_code, resp.text)
            except httpx.TransportError as exc:
                found["in_flight"] = type(exc).__name__

        worker = threading.Thread(target=slow)
        worker.start()
        deadline = time.monotonic() + WAIT
        while not (gate / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(sig)
        time.sleep(0.5)
        late: socket.socket | None = None
        try:
            late = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            late.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
        except OSError as exc:
            found["late"] = type(exc).__name__
        (gate / "open").touch()
        worker.join(WAIT)
        if late is not None:
            try:
                found["late"] = late.recv(100) or b"closed"
            except OSError as exc:
                found["late"] = type(exc).__name__
            late.close()
        found["exit"] = proc.wait(WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=WAIT)
    return found


def test_gunicorn_sigterm_finishes_in_flight_and_serves_nothing_new(tmp_path: Path) -> None:
    cfg = Config()
    assert cfg.graceful_timeout == 30
    found = _shutdown_with(tmp_path, signal.SIGTERM)
    assert found["in_flight"] == (200, "finished")  # graceful: the running request completes
    # A connection made after SIGTERM gets no response: refused, reset or closed without a byte.
    assert found["late"] in ("ConnectionRefusedError", "ConnectionResetError", b"closed")
    assert found["exit"] == 0


def test_gunicorn_sigint_cuts_in_flight_requests(tmp_path: Path) -> None:
    found = _shutdown_with(tmp_path, signal.SIGINT)
    # Quick shutdown: the worker exits at once and the running request does not get its answer.
    assert found["in_flight"] != (200, "finished")
