"""Executable checks for the request-response questions of the bank."""

from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, jsonify, make_response, request, send_file


def test_query_string_in_args() -> None:
    app = Flask(__name__)

    @app.get("/search")
    def search() -> dict:
        return {"args": request.args.get("q"), "form": request.form.get("q")}

    @app.get("/search-json")
    def search_json() -> dict:
        return {"q": request.get_json()["q"]}

    client = app.test_client()
    data = client.get("/search?q=flask").get_json()
    assert data == {"args": "flask", "form": None}
    assert client.get("/search-json?q=flask").status_code == 415


def test_request_outside_context_raises() -> None:
    with pytest.raises(RuntimeError, match="outside of request context"):
        _ = request.args
    app = Flask(__name__)
    with app.test_request_context("/x?a=1", method="POST", data={"b": "2"}, headers={"X-Token": "t"}):
        assert request.method == "POST"
        assert request.path == "/x"
        assert request.args["a"] == "1"
        assert request.form["b"] == "2"
        assert request.headers["X-Token"] == "t"


def test_get_json_wrong_content_type_415() -> None:
    app = Flask(__name__)

    @app.post("/items")
    def items() -> dict:
        return {"got": request.get_json()}

    client = app.test_client()
    assert client.post("/items", data='{"a": 1}', content_type="text/plain").status_code == 415
    assert client.post("/items", data="a=1").status_code == 415  # form-encoded body
    assert client.post("/items", data="{bad", content_type="application/json").status_code == 400
    ok = client.post("/items", json={"a": 1})
    assert ok.status_code == 200
    assert ok.get_json() == {"got": {"a": 1}}


def test_get_json_silent_returns_none() -> None:
    app = Flask(__name__)

    @app.post("/items")
    def items() -> dict:
        return {"got": repr(request.get_json(silent=True))}

    client = app.test_client()
    bad = client.post("/items", data="{bad", content_type="application/json")
    assert bad.status_code == 200
    assert bad.get_json() == {"got": "None"}
    wrong_type = client.post("/items", data="a=1")
    assert wrong_type.status_code == 200
    assert wrong_type.get_json() == {"got": "None"}


def test_return_dict_and_list_is_json() -> None:
    app = Flask(__name__)

    @app.get("/d")
    def d() -> dict:
        return {"id": 1}

    @app.get("/l")
    def lst() -> list:
        return [1, 2]

    @app.get("/s")
    def s() -> str:
        return "hi"

    client = app.test_client()
    rd = client.get("/d")
    assert rd.status_code == 200
    assert rd.mimetype == "application/json"
    assert rd.get_json() == {"id": 1}
    rl = client.get("/l")
    assert rl.mimetype == "application/json"
    assert rl.get_json() == [1, 2]
    assert client.get("/s").mimetype == "text/html"


def test_return_tuple_status_and_headers() -> None:
    app = Flask(__name__)

    @app.post("/items")
    def create() -> tuple:
        return "Created", 201, {"Location": "/items/7"}

    @app.get("/h")
    def only_headers() -> tuple:
        return "ok", {"X-Extra": "1"}

    client = app.test_client()
    r = client.post("/items")
    assert r.status_code == 201
    assert r.headers["Location"] == "/items/7"
    assert r.data == b"Created"
    r2 = client.get("/h")
    assert r2.status_code == 200
    assert r2.headers["X-Extra"] == "1"


def test_make_response_set_cookie() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index():
        resp = make_response("<h1>Home</h1>")
        resp.set_cookie("theme", "dark")
        return resp

    @app.get("/read")
    def read() -> dict:
        return {"theme": request.cookies.get("theme")}

    @app.get("/tuple")
    def tuple_dict() -> tuple:
        return "<h1>Home</h1>", {"cookies": {"theme": "dark"}}

    client = app.test_client()
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["Set-Cookie"].startswith("theme=dark")
    assert client.get("/read").get_json() == {"theme": "dark"}
    # a dict in the tuple is taken as literal headers, not as cookies
    rt = client.get("/tuple")
    assert "Set-Cookie" not in rt.headers
    assert "cookies" in rt.headers


def test_request_cookies_immutable() -> None:
    app = Flask(__name__)
    with app.test_request_context("/", headers={"Cookie": "a=1"}), pytest.raises(TypeError):
        request.cookies["theme"] = "dark"


def test_set_cookie_defaults() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index():
        resp = make_response("ok")
        resp.set_cookie("theme", "dark")
        return resp

    header = app.test_client().get("/").headers["Set-Cookie"]
    assert header == "theme=dark; Path=/"
    for flag in ("HttpOnly", "Secure", "SameSite", "Expires", "Max-Age"):
        assert flag not in header


def _hook_app(log: list) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def first():
        log.append("before1")

    @app.before_request
    def gate():
        log.append("before2")
        if request.args.get("blocked"):
            return "Forbidden", 403
        return None

    @app.before_request
    def third():
        log.append("before3")

    @app.after_request
    def a1(resp):
        log.append("after1")
        return resp

    @app.after_request
    def a2(resp):
        log.append("after2")
        return resp

    @app.teardown_request
    def td(exc):
        log.append("teardown")

    @app.get("/")
    def index() -> str:
        log.append("view")
        return "ok"

    return app


def test_before_request_short_circuits() -> None:
    log: list = []
    app = _hook_app(log)
    r = app.test_client().get("/?blocked=1")
    assert r.status_code == 403
    assert r.data == b"Forbidden"
    assert "view" not in log
    assert "before3" not in log
    assert log == ["before1", "before2", "after2", "after1", "teardown"]


def test_after_request_reverse_order() -> None:
    log: list = []
    app = _hook_app(log)
    assert app.test_client().get("/").status_code == 200
    assert log == ["before1", "before2", "before3", "view", "after2", "after1", "teardown"]


def test_teardown_exception_handled_vs_unhandled() -> None:
    seen: list = []
    app = Flask(__name__)

    @app.teardown_request
    def td(exc):
        seen.append(exc)

    @app.errorhandler(KeyError)
    def handle_key(e):
        return "missing", 400

    @app.get("/handled")
    def handled():
        raise KeyError("k")

    @app.get("/unhandled")
    def unhandled():
        raise ZeroDivisionError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert client.get("/handled").status_code == 400
    assert seen[-1] is None
    assert client.get("/unhandled").status_code == 500
    assert isinstance(seen[-1], ZeroDivisionError)


def test_get_json_accepted_media_types() -> None:
    app = Flask(__name__)

    @app.post("/items")
    def items() -> dict:
        return {"got": request.get_json()}

    client = app.test_client()
    body = '{"a": 1}'
    vendor = client.post("/items", data=body, content_type="application/vnd.api+json")
    assert vendor.status_code == 200
    assert vendor.get_json() == {"got": {"a": 1}}
    charset = client.post("/items", data=body, content_type="application/json; charset=utf-8")
    assert charset.get_json() == {"got": {"a": 1}}
    assert client.post("/items", data=body, content_type="text/plain").status_code == 415
    assert client.post("/items", data=body, content_type="text/json").status_code == 415
    single_quotes = client.post("/items", data="{'a': 1}", content_type="application/json")
    assert single_quotes.status_code == 400


def test_get_data_after_form_is_empty() -> None:
    app = Flask(__name__)

    @app.post("/form-first")
    def form_first() -> dict:
        form = request.form.to_dict()
        return {"form": form, "raw": request.get_data(as_text=True)}

    @app.post("/raw-first")
    def raw_first() -> dict:
        raw = request.get_data(as_text=True)
        return {"form": request.form.to_dict(), "raw": raw}

    @app.post("/data-attr")
    def data_attr() -> dict:
        return {"data": request.data.decode()}

    client = app.test_client()
    assert client.post("/form-first", data={"event": "paid"}).get_json() == {"form": {"event": "paid"}, "raw": ""}
    assert client.post("/raw-first", data={"event": "paid"}).get_json() == {
        "form": {"event": "paid"},
        "raw": "event=paid",
    }
    # request.data is empty for form content types even when nothing was read before
    assert client.post("/data-attr", data={"event": "paid"}).get_json() == {"data": ""}


def test_args_and_form_reading_rules() -> None:
    app = Flask(__name__)

    @app.route("/list", methods=["GET", "POST"])
    def listing() -> dict[str, object]:
        return {
            "page": request.args.get("page", 1, type=int),
            "raw": request.args.get("page"),
            "tags": request.args.getlist("tag"),
            "first": request.args.get("tag"),
            "name": request.form.get("name"),
        }

    @app.route("/need")
    def need() -> str:
        return request.args["page"]

    client = app.test_client()
    data = client.get("/list?page=2&tag=a&tag=b").get_json()
    assert data == {"page": 2, "raw": "2", "tags": ["a", "b"], "first": "a", "name": None}
    assert client.get("/list?page=abc").get_json()["page"] == 1
    assert client.get("/list").get_json()["raw"] is None
    assert client.post("/list", data={"name": ""}).get_json()["name"] == ""
    assert client.get("/need").status_code == 400


def test_call_on_close_runs_after_body_and_on_disconnect() -> None:
    log: list[str] = []
    app = Flask(__name__)

    @app.route("/export")
    def export() -> Response:
        def rows() -> Any:
            for i in range(3):
                log.append(f"row{i}")
                yield f"{i}\n"
            log.append("after-loop")

        resp = Response(rows(), mimetype="text/csv")
        resp.call_on_close(lambda: log.append("closed"))
        return resp

    @app.after_request
    def after(response: Response) -> Response:
        log.append("after_request")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append("teardown")

    client = app.test_client()
    r = client.get("/export")
    # Both hooks ran before the body started; the test client pulls the first chunk.
    assert log == ["after_request", "teardown", "row0"]
    assert r.get_data() == b"0\n1\n2\n"
    r.close()
    assert log[-2:] == ["after-loop", "closed"]

    log.clear()
    r = client.get("/export")
    r.close()  # the client went away after the first chunk
    assert "after-loop" not in log
    assert log[-1] == "closed"


def test_get_data_in_after_request_breaks_send_file(tmp_path: Path) -> None:
    import io

    path = tmp_path / "report.bin"
    path.write_bytes(b"x" * 100)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.css").write_text("body{}", encoding="utf-8")
    sizes: list[int] = []
    app = Flask(__name__, root_path=str(tmp_path))

    @app.after_request
    def log_size(response: Response) -> Response:
        sizes.append(len(response.get_data()))
        return response

    @app.route("/file")
    def file() -> Response:
        # In-memory file: same response type as a path, without leaving a file open.
        return send_file(io.BytesIO(b"x" * 100), mimetype="application/octet-stream")

    @app.route("/stream")
    def stream() -> Any:
        def gen() -> Any:
            yield "a"
            yield "b"

        return gen()

    @app.route("/json")
    def as_json() -> Any:
        return jsonify(ok=True)

    with app.test_request_context():
        from_path = send_file(path)
        static = app.send_static_file("a.css")
        assert from_path.direct_passthrough is True and static.direct_passthrough is True
        from_path.close()
        static.close()
    client = app.test_client()
    r = client.get("/stream")
    assert r.status_code == 200 and r.data == b"ab" and not r.is_streamed
    assert client.get("/json").status_code == 200
    assert sizes == [2, len(b'{"ok":true}\n')]
    r = client.get("/file")
    assert r.status_code == 500
    app.testing = True
    with pytest.raises(RuntimeError, match="direct passthrough"):
        client.get("/file")


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_get_json_force_ignores_the_content_type() -> None:
    app = Flask(__name__)

    @app.post("/items")
    def items() -> dict[str, Any]:
        return {"got": request.get_json(force=True)}

    client = app.test_client()
    r = client.post("/items", data='{"a": 1}', content_type="text/plain")
    assert (r.status_code, r.get_json()) == (200, {"got": {"a": 1}})


def test_args_type_int_default_for_empty_value() -> None:
    app = Flask(__name__)

    @app.get("/list")
    def listing() -> dict[str, int]:
        return {"page": request.args.get("page", 1, type=int)}

    client = app.test_client()
    pages = [client.get(f"/list{q}").get_json()["page"] for q in ("?page=7", "?page=abc", "?page=", "")]
    assert pages == [7, 1, 1, 1]


def test_after_this_request_runs_once_before_after_request() -> None:
    from flask import after_this_request

    app = Flask(__name__)
    log: list[str] = []

    @app.after_request
    def every(response: Response) -> Response:
        log.append("after_request")
        return response

    @app.get("/special")
    def special() -> str:
        @after_this_request
        def only_here(response: Response) -> Response:
            log.append("after_this_request")
            response.headers["X-Once"] = "1"
            return response

        return "ok"

    @app.get("/plain")
    def plain() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/special").headers["X-Once"] == "1"
    assert log == ["after_this_request", "after_request"]
    log.clear()
    assert "X-Once" not in client.get("/plain").headers
    assert log == ["after_request"]
