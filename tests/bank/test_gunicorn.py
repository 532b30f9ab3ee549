"""Executable checks for the bank's Gunicorn claims: the command line, the factory call, worker classes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.util import import_app

HELLO = (
    "from flask import Flask\n"
    "CALLS = []\n"
    "def create_app():\n"
    "    CALLS.append(1)\n"
    "    app = Flask(__name__)\n"
    "    app.add_url_rule('/', 'index', lambda: 'made by create_app')\n"
    "    return app\n"
)


def _config(monkeypatch: pytest.MonkeyPatch, *argv: str) -> WSGIApplication:
    # WSGIApplication parses sys.argv, exactly as the `gunicorn` console script does.
    monkeypatch.setattr(sys, "argv", ["gunicorn", *argv])
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]")


def test_command_line_workers_and_default_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _config(monkeypatch, "-w", "4", "hello:create_app()")
    assert app.app_uri == "hello:create_app()"
    assert app.cfg.workers == 4
    assert app.cfg.bind == ["127.0.0.1:8000"]
    assert app.cfg.worker_class_str == "sync"
    assert _config(monkeypatch, "hello:create_app()").cfg.workers == 1


def test_call_after_the_colon_runs_the_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bank_gunicorn_hello.py").write_text(HELLO, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "bank_gunicorn_hello", raising=False)
    app = import_app("bank_gunicorn_hello:create_app()")
    module = sys.modules["bank_gunicorn_hello"]
    assert module.CALLS == [1]
    assert app.test_client().get("/").text == "made by create_app"
    # Without the parentheses the name is taken as the app itself: the factory is not called.
    assert import_app("bank_gunicorn_hello:create_app") is module.create_app
    assert module.CALLS == [1]


def test_threads_switch_the_sync_worker_to_gthread(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _config(monkeypatch, "-w", "4", "api:create_app()").cfg
    assert plain.worker_class.__name__ == "SyncWorker"
    assert plain.threads == 1
    assert plain.timeout == 30
    threaded = _config(monkeypatch, "-w", "4", "--threads", "8", "api:create_app()").cfg
    assert threaded.worker_class.__module__ == "gunicorn.workers.gthread"
    assert _config(monkeypatch, "-k", "gevent", "api:create_app()").cfg.worker_class_str == "gevent"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_serves_the_factory_app(tmp_path: Path) -> None:
    (tmp_path / "bank_gunicorn_hello.py").write_text(HELLO, encoding="utf-8")
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "bank_gunicorn_hello:create_app()"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = None
        deadline = time.monotonic() + 60  # generous: the machine may be loaded
        while body is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read()
            except OSError:
                time.sleep(0.2)
        assert body == b"made by create_app", proc.stderr.read().decode() if proc.poll() is not None else body
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert err.decode().count("Booting worker") == 2


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_factory_call_with_literal_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bank_gunicorn_args.py").write_text(
        "from flask import Flask\n"
        "def create_app(config_name):\n"
        "    app = Flask(__name__)\n"
        "    app.config['CONFIG_NAME'] = config_name\n"
        "    return app\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "bank_gunicorn_args", raising=False)
    assert import_app("bank_gunicorn_args:create_app('prod')").config["CONFIG_NAME"] == "prod"


def test_arbiter_kills_a_worker_silent_past_the_timeout() -> None:
    import signal
    import types

    from gunicorn.arbiter import Arbiter

    killed: list[tuple[int, int]] = []
    logged: list[str] = []

    def worker(silent_for: float) -> types.SimpleNamespace:
        tmp = types.SimpleNamespace(last_update=lambda: time.monotonic() - silent_for)
        return types.SimpleNamespace(tmp=tmp, aborted=False)

    arbiter = types.SimpleNamespace(
        timeout=30,
        WORKERS={1: worker(31), 2: worker(5)},
        log=types.SimpleNamespace(critical=lambda msg, *args: logged.append(msg % args)),
        kill_worker=lambda pid, sig: killed.append((pid, sig)),
    )
    Arbiter.murder_workers(arbiter)  # type: ignore[arg-type]
    # Only the worker silent for longer than the timeout: first SIGABRT, then SIGKILL on the next pass.
    assert killed == [(1, signal.SIGABRT)]
    assert logged == ["WORKER TIMEOUT (pid:1)"]
    Arbiter.murder_workers(arbiter)  # type: ignore[arg-type]
    assert killed[-1] == (1, signal.SIGKILL)
