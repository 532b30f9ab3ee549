"""Executable checks for the bank's Gunicorn worker claims, against a real gunicorn on 127.0.0.1.

Each check starts gunicorn on a free port with a small Flask app written to a temporary folder. Timings are
never asserted: the views wait on files or on each other, and only outcomes (status, body, pids, log lines)
are compared.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.workers.base import Worker

APP = """
import os, sys, threading, time
from pathlib import Path
import sqlalchemy as sa
from flask import Flask

HERE = Path(__file__).parent
ENGINE = sa.create_engine(f"sqlite:///{HERE / 'pool.db'}")


@sa.event.listens_for(ENGINE, "connect")
def _remember_pid(dbapi_connection, record):
    record.info["opened_in"] = os.getpid()


# A warm-up query at import time, as apps that check their database on start do: it leaves one
# connection open in the pool of whichever process imported this module.
with ENGINE.connect() as conn:
    conn.exec_driver_sql("select 1")

LOCK = threading.Lock()
STATE = {"inflight": 0, "peak": 0}
VISITS = 0


def create_app():
    print(f"factory called in {os.getpid()}", file=sys.stderr, flush=True)
    app = Flask(__name__)
    app.config["CREATED_IN"] = os.getpid()

    @app.get("/pid")
    def pid():
        return str(os.getpid())

    @app.get("/whoami")
    def whoami():
        with ENGINE.connect() as conn:
            opened_in = conn.connection._connection_record.info["opened_in"]
        return {"worker": os.getpid(), "app_created_in": app.config["CREATED_IN"], "connection_opened_in": opened_in}

    @app.get("/sleep/<float:seconds>")
    def sleep(seconds):
        (HERE / "started").touch()
        time.sleep(seconds)
        return "slept"

    @app.errorhandler(500)
    def flask_500(error):
        return "Flask's own 500 page", 500

    @app.get("/peers/<int:n>")
    def peers(n):
        # Wait (up to 5 s) until n requests are inside this view at once in this process.
        with LOCK:
            STATE["inflight"] += 1
            STATE["peak"] = max(STATE["peak"], STATE["inflight"])
        deadline = time.monotonic() + 5
        while STATE["peak"] < n and time.monotonic() < deadline:
            time.sleep(0.05)
        with LOCK:
            STATE["inflight"] -= 1
        return str(STATE["peak"])

    @app.post("/visit")
    def visit():
        global VISITS
        VISITS += 1
        # Hold the request until two different processes have each taken one (up to 20 s).
        (HERE / f"visit-{os.getpid()}").touch()
        deadline = time.monotonic() + 20
        while len(list(HERE.glob("visit-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        return {"worker": os.getpid(), "visits": VISITS}

    return app
"""

POST_FORK = """
def post_fork(server, worker):
    # SQLAlchemy's advice for forked workers: drop the inherited pool without closing the parent's connections.
    import workers_app
    workers_app.ENGINE.dispose(close=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    folder: Path
    log: str = ""

    def get(self, path: str, timeout: float = 60, method: str = "GET") -> tuple[int, str]:
        """Status and body; (0, error name) when the connection broke without a response."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except (OSError, urllib.error.URLError) as error:
            return 0, type(error).__name__

    def wait_for_file(self, name: str) -> None:
        deadline = time.monotonic() + 60  # generous: the machine may be loaded
        while not (self.folder / name).exists():
            assert time.monotonic() < deadline and self.proc.poll() is None, self.stop()
            time.sleep(0.05)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
        _, err = self.proc.communicate(timeout=60)
        self.log = err.decode()
        return self.log


@contextmanager
def gunicorn(tmp_path: Path, *args: str, app: str = "workers_app:create_app()") -> Iterator[Server]:
    (tmp_path / "workers_app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "post_fork.py").write_text(POST_FORK, encoding="utf-8")
    port = _free_port()
    # No control socket: it defaults to one path per user, which parallel gunicorns would share.
    cmd = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "--no-control-socket", *args, app]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Server(proc, port, tmp_path)
    try:
        deadline = time.monotonic() + 60  # generous: the machine may be loaded
        while True:
            assert proc.poll() is None, server.stop()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
        if proc.returncode is None or not server.log:
            server.stop()


def test_sync_worker_past_timeout_is_aborted_and_replaced(tmp_path: Path) -> None:
    with gunicorn(tmp_path, "--timeout", "1") as server:
        first_pid = server.get("/pid")[1]
        status, body = server.get("/sleep/8.0")
        # Gunicorn itself answers: the worker was aborted inside the view, so Flask's handler never ran.
        assert status == 500
        assert "Flask's own 500 page" not in body and "Internal Server Error" in body
        status, second_pid = server.get("/pid")
        assert status == 200 and second_pid != first_pid  # a fresh worker took over
    assert f"WORKER TIMEOUT (pid:{first_pid})" in server.log
    assert server.log.count("Booting worker") >= 2


def test_gthread_worker_is_not_timed_out_by_a_long_request(tmp_path: Path) -> None:
    with gunicorn(tmp_path, "--timeout", "1", "--threads", "2") as server:
        # Three times the timeout: the worker's main loop keeps notifying the arbiter meanwhile.
        assert server.get("/sleep/3.0") == (200, "slept")
    assert "WORKER TIMEOUT" not in server.log
    assert "Using worker: gthread" in server.log


def test_sigterm_waits_for_in_flight_requests_up_to_graceful_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["gunicorn", "a:app"])
    assert WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg.graceful_timeout == 30
    pool = concurrent.futures.ThreadPoolExecutor(1)
    (tmp_path / "patient").mkdir()
    with gunicorn(tmp_path / "patient", "--graceful-timeout", "30") as server:
        pending = pool.submit(server.get, "/sleep/2.0")
        server.wait_for_file("started")
        server.proc.send_signal(signal.SIGTERM)
        assert pending.result() == (200, "slept")  # finished although shutdown had begun
    (tmp_path / "hasty").mkdir()
    with gunicorn(tmp_path / "hasty", "--graceful-timeout", "1") as server:
        pending = pool.submit(server.get, "/sleep/30.0")
        server.wait_for_file("started")
        server.proc.send_signal(signal.SIGTERM)
        status, _ = pending.result()
        assert status == 0  # killed once the grace period ran out: the connection closed without a response
        server.proc.wait(timeout=60)
    pool.shutdown()


def test_max_requests_restarts_each_worker_after_its_quota(tmp_path: Path) -> None:
    with gunicorn(tmp_path, "--max-requests", "2") as server:
        pids = [server.get("/pid")[1] for _ in range(6)]
    runs = [len(list(group)) for _, group in itertools.groupby(pids)]
    # One worker at a time; each serves its 2 requests and is replaced by a fresh process.
    assert runs == [2, 2, 2] and len(set(pids)) == 3
    assert server.log.count("Autorestarting worker after current request") >= 3


def test_max_requests_jitter_gives_each_worker_its_own_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--max-requests", "1000", "--max-requests-jitter", "50", "a:app"])
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    quotas = []
    for age in range(40):
        worker = Worker(age, os.getpid(), [], None, 30, cfg, None)
        quotas.append(worker.max_requests)
        worker.tmp.close()
    assert all(1000 <= q <= 1050 for q in quotas)
    assert len(set(quotas)) > 1  # spread out, so the workers do not all restart at once
    monkeypatch.setattr(sys, "argv", ["gunicorn", "a:app"])
    assert WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg.max_requests == 0  # off by default


def test_preload_runs_the_factory_once_in_the_master(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with gunicorn(tmp_path / "plain", "-w", "2") as server:
        plain = server.get("/whoami")
    assert plain[0] == 200, plain
    info = json.loads(plain[1])
    # Without --preload each worker imports the app itself.
    assert info["app_created_in"] == info["worker"] == info["connection_opened_in"]
    assert server.log.count("factory called") == 2

    (tmp_path / "preload").mkdir()
    with gunicorn(tmp_path / "preload", "-w", "2", "--preload") as server:
        master = server.proc.pid
        preloaded = server.get("/whoami")
    info = json.loads(preloaded[1])
    assert server.log.count("factory called") == 1
    assert info["app_created_in"] == master != info["worker"]
    # The pooled connection the master opened was inherited through fork and is now used by a worker.
    assert info["connection_opened_in"] == master

    (tmp_path / "fixed").mkdir()
    with gunicorn(tmp_path / "fixed", "-w", "2", "--preload", "-c", "post_fork.py") as server:
        fixed = server.get("/whoami")
    info = json.loads(fixed[1])
    assert info["app_created_in"] == server.proc.pid
    assert info["connection_opened_in"] == info["worker"]  # dispose(close=False) after fork: a fresh connection


def test_gevent_worker_runs_blocking_looking_views_concurrently(tmp_path: Path) -> None:
    with gunicorn(tmp_path, "-k", "gevent", "-w", "1") as server, concurrent.futures.ThreadPoolExecutor(5) as pool:
        peaks = list(pool.map(lambda _: server.get("/peers/5"), range(5)))
    # One process, one thread, and yet 5 requests were inside `time.sleep` loops at once: gevent patched it.
    assert peaks == [(200, "5")] * 5
    assert "Using worker: gevent" in server.log
