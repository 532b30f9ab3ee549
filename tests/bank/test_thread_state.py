"""Executable checks for the bank's claims on module-level state under threads, workers and asyncio.

Interleavings are forced with barriers and events, never with sleeps, so each outcome is deterministic.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, request

from tests.bank.test_gunicorn_workers import gunicorn

WAIT = 10  # seconds a barrier waits before giving up; only reached when the claim is false


def _together(*targets: Callable[[], Any]) -> list[Any]:
    """Run the targets in threads of their own and return their results in order."""
    results: list[Any] = [None] * len(targets)

    def run(i: int) -> None:
        results[i] = targets[i]()

    threads = [threading.Thread(target=functools.partial(run, i)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
    return results


def test_module_global_is_shared_by_concurrent_requests_g_is_not() -> None:
    app = Flask(__name__)
    barrier = threading.Barrier(2, timeout=WAIT)
    state: dict[str, str | None] = {"current_user": None}  # stands for a module-level global

    @app.before_request
    def load_user() -> None:
        state["current_user"] = request.headers["X-User"]
        g.user = request.headers["X-User"]

    @app.get("/me")
    def me() -> dict[str, Any]:
        barrier.wait()  # both requests have run their before_request hook
        return {"global": state["current_user"], "g": g.user}

    client = app.test_client()
    alice, bob = _together(
        lambda: client.get("/me", headers={"X-User": "alice"}).json,
        lambda: client.get("/me", headers={"X-User": "bob"}).json,
    )
    # g is per request; the global holds whichever hook ran last, so one request sees the other's user.
    assert (alice["g"], bob["g"]) == ("alice", "bob")
    assert alice["global"] == bob["global"] in {"alice", "bob"}


def test_check_then_act_cache_loads_twice_and_a_lock_fixes_it() -> None:
    calls: list[str] = []
    barrier = threading.Barrier(2, timeout=WAIT)
    rates: dict[str, float] = {}

    def fetch_rate(currency: str) -> float:
        calls.append(currency)
        barrier.wait()  # the second thread reaches its own check while the first is still fetching
        return 1.1

    def get_rate(currency: str) -> float:
        if currency not in rates:
            rates[currency] = fetch_rate(currency)
        return rates[currency]

    assert _together(lambda: get_rate("EUR"), lambda: get_rate("EUR")) == [1.1, 1.1]
    assert calls == ["EUR", "EUR"] and rates == {"EUR": 1.1}  # loaded twice; the dict itself is fine

    lock = threading.Lock()
    locked_calls: list[str] = []
    locked_rates: dict[str, float] = {}
    inside, release = threading.Event(), threading.Event()

    def slow_fetch(currency: str) -> float:
        locked_calls.append(currency)
        inside.set()
        release.wait(WAIT)
        return 1.1

    def get_rate_locked(currency: str) -> float:
        with lock:
            if currency not in locked_rates:
                locked_rates[currency] = slow_fetch(currency)
            return locked_rates[currency]

    first = threading.Thread(target=get_rate_locked, args=("EUR",))
    first.start()
    assert inside.wait(WAIT)
    second = threading.Thread(target=get_rate_locked, args=("EUR",))
    second.start()  # blocks on the lock until the first has filled the cache
    release.set()
    first.join(WAIT)
    second.join(WAIT)
    assert locked_calls == ["EUR"]


def test_lru_cache_can_run_the_function_twice_for_one_key() -> None:
    calls: list[str] = []
    barrier = threading.Barrier(2, timeout=WAIT)

    @functools.cache
    def load_settings(tenant: str) -> str:
        calls.append(tenant)
        barrier.wait()
        return f"settings of {tenant}"

    assert _together(lambda: load_settings("acme"), lambda: load_settings("acme")) == ["settings of acme"] * 2
    info = load_settings.cache_info()
    # Both callers missed and ran the function; the cache still holds one consistent entry.
    assert calls == ["acme", "acme"]
    assert (info.misses, info.currsize) == (2, 1)


def test_thread_local_survives_into_the_next_request_g_does_not() -> None:
    app = Flask(__name__)
    tenant = threading.local()

    @app.before_request
    def pick_tenant() -> None:
        if "X-Tenant" in request.headers:
            tenant.name = request.headers["X-Tenant"]
            g.tenant = request.headers["X-Tenant"]

    @app.get("/")
    def index() -> dict[str, Any]:
        return {"thread_local": getattr(tenant, "name", None), "g": g.get("tenant")}

    client = app.test_client()
    # The test client runs both requests on this one thread, as a pooled server thread would.
    assert client.get("/", headers={"X-Tenant": "acme"}).json == {"thread_local": "acme", "g": "acme"}
    assert client.get("/").json == {"thread_local": "acme", "g": None}


def test_setup_methods_are_refused_after_the_first_request() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "ok"

    app.test_client().get("/")
    with pytest.raises(AssertionError, match="can no longer be called on the application"):
        app.before_request(lambda: None)
    with pytest.raises(AssertionError, match="'add_url_rule' can no longer be called"):
        app.add_url_rule("/late", "late", lambda: "late")
    app.config["FEATURE_X"] = True  # config is a plain dict: nothing stops this, in this process only


def test_context_locals_are_per_task_where_a_thread_local_is_shared() -> None:
    app = Flask(__name__)
    shared = threading.local()

    async def handle(path: str) -> tuple[str, str]:
        with app.test_request_context(path):
            shared.path = path
            await asyncio.sleep(0)  # let the other task run in this same thread
            return request.path, shared.path

    async def main() -> list[tuple[str, str]]:
        return list(await asyncio.gather(handle("/a"), handle("/b")))

    # Each task sees its own request; the thread-local holds whatever the last task wrote.
    assert asyncio.run(main()) == [("/a", "/b"), ("/b", "/b")]


def test_each_gunicorn_worker_keeps_its_own_module_globals(tmp_path: Path) -> None:
    for name, args in (("plain", ()), ("preload", ("--preload",))):
        (tmp_path / name).mkdir()
        with gunicorn(tmp_path / name, "-w", "2", *args) as server:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                both = list(pool.map(lambda _: server.get("/visit", method="POST"), range(2)))
            third = server.get("/visit", method="POST")
        first, second = (json.loads(body) for _, body in both)
        # Two processes, two counters: both start at 1, and the next visit counts 2 in one of them only.
        assert first["worker"] != second["worker"], name
        assert (first["visits"], second["visits"]) == (1, 1), name
        assert json.loads(third[1])["visits"] == 2, name
