"""Executable checks for the streaming questions: templates, errors mid-stream, hooks and teardown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, render_template_string, stream_template, stream_template_string
from jinja2 import DictLoader


def test_stream_template_yields_chunks() -> None:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"rows.txt": "{% for r in rows %}{{ r }};{% endfor %}"})  # type: ignore[assignment]
    produced: list[int] = []

    def rows() -> Iterator[int]:
        for i in range(3):
            produced.append(i)
            yield i

    @app.get("/rows")
    def all_rows() -> Response:
        return Response(stream_template("rows.txt", rows=rows()))

    @app.get("/string")
    def as_string() -> Response:
        return Response(stream_template_string("{{ 1 + 1 }}"))

    @app.get("/path")
    def path() -> Response:
        # stream_template keeps the request context for the template while the body is sent
        return Response(stream_template_string("{{ request.path }}"))

    client = app.test_client()
    r = client.get("/rows", buffered=False)
    assert r.is_streamed
    assert "Content-Length" not in r.headers  # the size is unknown until the template has rendered
    assert produced != [0, 1, 2]  # not rendered up front
    assert r.get_data(as_text=True) == "0;1;2;"
    assert produced == [0, 1, 2]
    assert client.get("/string").text == "2"
    assert client.get("/path", buffered=False).get_data(as_text=True) == "/path"
    with app.test_request_context():
        assert render_template_string("{{ 1 + 1 }}") == "2"


def _failing_stream_app() -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    handled: list[str] = []

    @app.errorhandler(Exception)
    def on_error(e: Exception) -> tuple[str, int]:
        handled.append(type(e).__name__)
        return "sorry", 500

    @app.get("/export")
    def export() -> Response:
        def generate() -> Iterator[str]:
            yield "id,name\n"
            raise ValueError("database went away")

        return Response(generate(), mimetype="text/csv")

    return app, handled


def test_error_mid_stream_skips_error_handlers() -> None:
    app, handled = _failing_stream_app()
    r = app.test_client().get("/export", buffered=False)
    assert r.status_code == 200  # the status was decided before the body ran
    body = r.iter_encoded()
    assert next(body) == b"id,name\n"
    with pytest.raises(ValueError, match="database went away"):
        next(body)
    assert handled == []
    r.close()


def test_error_before_first_yield_of_view_is_handled() -> None:
    app, handled = _failing_stream_app()

    @app.get("/early")
    def early() -> str:
        raise ValueError("before streaming")

    assert app.test_client().get("/early").status_code == 500
    assert handled == ["ValueError"]


def test_after_request_get_data_buffers_the_stream() -> None:
    app = Flask(__name__)
    produced: list[int] = []

    @app.after_request
    def add_length(response: Response) -> Response:
        response.headers["X-Body-Length"] = str(len(response.get_data()))
        return response

    @app.get("/big")
    def big() -> Response:
        def gen() -> Iterator[str]:
            for i in range(3):
                produced.append(i)
                yield "x" * 10

        return Response(gen())

    r = app.test_client().get("/big", buffered=False)
    # after_request consumed the whole generator before anything was sent
    assert produced == [0, 1, 2]
    assert r.headers["X-Body-Length"] == "30"
    assert r.headers["Content-Length"] == "30"
