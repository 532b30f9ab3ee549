"""Executable checks for the custom-signal questions: namespaces, senders, weak references, exceptions."""

from __future__ import annotations

import gc
import threading

import pytest
from blinker import Namespace
from flask import Flask, current_app, got_request_exception

_signals = Namespace()


def test_custom_signal_send_returns_receiver_results() -> None:
    order_placed = _signals.signal("order-placed-results")
    app = Flask(__name__)
    seen: list[tuple[object, dict[str, object]]] = []

    def audit(sender: object, **extra: object) -> str:
        seen.append((sender, extra))
        return "audited"

    order_placed.connect(audit, app)
    results = order_placed.send(app, order_id=7)
    assert seen == [(app, {"order_id": 7})]
    assert results == [(audit, "audited")]


def test_sending_the_proxy_misses_receivers_bound_to_the_app() -> None:
    order_placed = _signals.signal("order-placed-proxy")
    app = Flask(__name__)
    calls: list[int] = []

    def on_order(sender: object, **extra: object) -> None:
        calls.append(extra["order_id"])  # type: ignore[arg-type]

    order_placed.connect(on_order, app)
    with app.app_context():
        order_placed.send(current_app, order_id=1)
        assert calls == []
        order_placed.send(current_app._get_current_object(), order_id=2)  # type: ignore[attr-defined]
    assert calls == [2]


def test_receivers_are_weak_references_by_default() -> None:
    sig = _signals.signal("weak-demo")
    calls: list[str] = []

    def register() -> None:
        def local_receiver(sender: object, **extra: object) -> None:
            calls.append("local")

        sig.connect(local_receiver)

    def register_strong() -> None:
        def kept_receiver(sender: object, **extra: object) -> None:
            calls.append("kept")

        sig.connect(kept_receiver, weak=False)

    register()
    register_strong()
    gc.collect()
    sig.send(None)
    assert calls == ["kept"]


def test_nested_receiver_is_freed_when_the_factory_returns() -> None:
    # With the collector off, only reference counting can free the receiver: it goes the moment the
    # factory returns, not "later, once the garbage collector gets to it".
    order_placed = _signals.signal("weak-factory")
    fired: list[str] = []

    def create_app() -> tuple[Flask, list[str]]:
        app = Flask(__name__)

        def log_order(sender: object, **extra: object) -> None:
            fired.append("log_order")

        order_placed.connect(log_order)
        order_placed.send(app)
        return app, list(fired)

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        app, inside = create_app()
        assert inside == ["log_order"]
        assert len(order_placed.receivers) == 0
        fired.clear()
        for _ in range(3):
            order_placed.send(app)
        assert fired == []
    finally:
        if was_enabled:
            gc.enable()


def test_receiver_exception_propagates_to_the_sender() -> None:
    sig = _signals.signal("raising-receiver")
    app = Flask(__name__)

    threads: list[int] = []

    def broken(sender: object, **extra: object) -> None:
        threads.append(threading.get_ident())
        raise KeyError("metrics backend down")

    sig.connect(broken, app)

    @app.post("/orders")
    def create() -> tuple[str, int]:
        sig.send(current_app._get_current_object())  # type: ignore[attr-defined]
        return "created", 201

    assert app.test_client().post("/orders").status_code == 500
    # send() called the receiver in the request's own thread
    assert threads == [threading.get_ident()]
    app.testing = True
    with pytest.raises(KeyError, match="metrics backend down"):
        app.test_client().post("/orders")


def _boom_app(with_handler: bool) -> Flask:
    app = Flask(__name__)
    if with_handler:

        @app.errorhandler(Exception)
        def as_json(e: Exception) -> tuple[dict[str, str], int]:
            return {"error": "internal"}, 500

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    return app


def test_got_request_exception_skipped_when_a_handler_catches_it() -> None:
    reported: list[str] = []

    def report(sender: object, exception: BaseException, **extra: object) -> None:
        reported.append(type(exception).__name__)

    for with_handler, expected in ((False, ["ZeroDivisionError"]), (True, [])):
        app = _boom_app(with_handler)
        reported.clear()
        with got_request_exception.connected_to(report, app):
            assert app.test_client().get("/boom").status_code == 500
        assert reported == expected
