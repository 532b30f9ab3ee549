"""Executable checks for the caching questions: Flask-Caching keys and invalidation, HTTP validators and headers."""

from __future__ import annotations

import io
import multiprocessing
import sqlite3
import warnings
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request, send_file
from flask_caching import Cache


def _app(**config: Any) -> tuple[Flask, Cache]:
    app = Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache", **config})
    return app, cache


def test_cached_view_key_ignores_the_query_string() -> None:
    app, cache = _app()
    calls: list[str] = []

    @app.route("/search")
    @cache.cached(timeout=60)
    def search() -> str:
        q = request.args.get("q", "")
        calls.append(q)
        return f"results for {q}"

    client = app.test_client()
    assert client.get("/search?q=flask").text == "results for flask"
    # The key is built from request.path alone: a different query string gets the first answer.
    assert client.get("/search?q=django").text == "results for flask"
    assert calls == ["flask"]
    assert list(cache.cache._cache) == ["view//search"]  # type: ignore[attr-defined]


def test_cached_query_string_true_keys_on_sorted_arguments() -> None:
    app, cache = _app()
    calls: list[str] = []

    @app.route("/search")
    @cache.cached(timeout=60, query_string=True)
    def search() -> str:
        calls.append(request.query_string.decode())
        return "q=" + request.args.get("q", "") + " page=" + request.args.get("page", "")

    client = app.test_client()
    assert client.get("/search?q=flask&page=2").text == "q=flask page=2"
    assert client.get("/search?q=django&page=2").text == "q=django page=2"
    # The pairs are sorted before hashing: the same arguments in another order hit the same entry.
    assert client.get("/search?page=2&q=flask").text == "q=flask page=2"
    assert calls == ["q=flask&page=2", "q=django&page=2"]


def test_cached_on_a_helper_keys_on_the_request_path_not_its_arguments() -> None:
    app, cache = _app()

    @cache.cached(timeout=60)
    def price(product_id: int) -> str:
        return f"price of {product_id}"

    @cache.memoize(timeout=60)
    def memo_price(product_id: int) -> str:
        return f"price of {product_id}"

    @app.route("/basket")
    def basket() -> str:
        return " | ".join([price(1), price(2), memo_price(1), memo_price(2)])

    body = app.test_client().get("/basket").text
    # Both cached() calls share the key "view//basket"; memoize() adds the arguments to the key.
    assert body == "price of 1 | price of 1 | price of 1 | price of 2"


def test_delete_memoized_with_arguments_drops_one_entry() -> None:
    app, cache = _app()
    loads: list[int] = []

    @cache.memoize(timeout=300)
    def get_user(user_id: int) -> dict[str, int]:
        loads.append(user_id)
        return {"id": user_id}

    with app.app_context():
        get_user(42)
        get_user(user_id=42)  # keyword and positional calls share one key
        get_user(7)
        assert loads == [42, 7]
        cache.delete("get_user")  # not a key memoize uses: nothing is dropped
        get_user(42)
        assert loads == [42, 7]
        cache.delete_memoized(get_user, 42)
        get_user(42)
        get_user(7)
        assert loads == [42, 7, 42]
        cache.delete_memoized(get_user)  # without arguments: every entry of the function
        get_user(7)
        get_user(42)
        assert loads == [42, 7, 42, 7, 42]


def test_no_store_header_and_send_file_no_cache_revalidates(tmp_path: Path) -> None:
    app = Flask(__name__)
    report = tmp_path / "report.csv"
    report.write_text("a,b\n1,2\n", encoding="utf-8")

    @app.route("/account")
    def account() -> Response:
        resp = Response("balance: 10")
        resp.cache_control.no_store = True
        return resp

    @app.route("/report")
    def report_view() -> Response:
        return send_file(report)

    client = app.test_client()
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    with client.get("/report") as first:
        # no-cache: the browser keeps the copy but asks first; the validators let the server answer 304.
        assert first.headers["Cache-Control"] == "no-cache"
        assert first.headers["ETag"] and first.headers["Last-Modified"]
    with client.get("/report", headers={"If-None-Match": first.headers["ETag"]}) as again:
        assert again.status_code == 304
        assert again.data == b""


def test_send_file_from_bytesio_has_no_validators_unless_given() -> None:
    app = Flask(__name__)

    @app.route("/plain.pdf")
    def plain() -> Response:
        return send_file(io.BytesIO(b"%PDF-1.7 report"), mimetype="application/pdf")

    @app.route("/tagged.pdf")
    def tagged() -> Response:
        return send_file(io.BytesIO(b"%PDF-1.7 report"), mimetype="application/pdf", etag="report-v3")

    client = app.test_client()
    plain_resp = client.get("/plain.pdf")
    assert "ETag" not in plain_resp.headers
    assert "Last-Modified" not in plain_resp.headers
    assert client.get("/plain.pdf", headers={"If-None-Match": '"anything"'}).status_code == 200
    tagged_resp = client.get("/tagged.pdf")
    assert tagged_resp.headers["ETag"] == '"report-v3"'
    assert client.get("/tagged.pdf", headers={"If-None-Match": '"report-v3"'}).status_code == 304


def test_make_conditional_does_not_guard_a_put_with_if_match() -> None:
    app = Flask(__name__)
    doc = {"version": 2, "body": "v2"}

    @app.route("/doc", methods=["GET", "PUT"])
    def naive() -> Response:
        if request.method == "PUT":
            doc["body"] = request.get_data(as_text=True)
        resp = Response(doc["body"])
        resp.set_etag(f"v{doc['version']}")
        return resp.make_conditional(request)

    @app.route("/safe", methods=["PUT"])
    def safe() -> Response:
        if not request.if_match.contains(f"v{doc['version']}"):
            abort(412)
        doc["body"] = request.get_data(as_text=True)
        return Response(doc["body"])

    client = app.test_client()
    stale = {"If-Match": '"v1"'}
    # make_conditional only evaluates preconditions for GET and HEAD: the stale PUT went through.
    assert client.put("/doc", data="lost update", headers=stale).status_code == 200
    assert doc["body"] == "lost update"
    assert client.get("/doc", headers=stale).status_code == 412
    # Comparing If-Match before writing is the view's job.
    assert client.put("/safe", data="second lost update", headers=stale).status_code == 412
    assert doc["body"] == "lost update"
    assert client.put("/safe", data="fresh", headers={"If-Match": '"v2"'}).status_code == 200


def _worker_sets(cache_type: str, cache_dir: str, conn: Any) -> None:
    app, cache = _app(CACHE_TYPE=cache_type, CACHE_DIR=cache_dir)
    with app.app_context():
        cache.set("price:1", 99)
        conn.send(cache.get("price:1"))


def test_simple_cache_is_per_process(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    seen: dict[str, Any] = {}
    for cache_type in ("SimpleCache", "FileSystemCache"):
        parent_end, child_end = ctx.Pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads around, harmless here
            worker = ctx.Process(target=_worker_sets, args=(cache_type, str(tmp_path), child_end))
            worker.start()
        assert parent_end.poll(60), f"the {cache_type} worker process sent nothing"
        assert parent_end.recv() == 99  # the other "worker" process stored and read it back
        worker.join(30)
        app, cache = _app(CACHE_TYPE=cache_type, CACHE_DIR=str(tmp_path))
        with app.app_context():
            seen[cache_type] = cache.get("price:1")
    # A SimpleCache lives in one process's memory; a shared store (here files, in production Redis) does not.
    assert seen == {"SimpleCache": None, "FileSystemCache": 99}


def test_deleting_before_commit_lets_a_reader_cache_the_old_row(tmp_path: Path) -> None:
    app, cache = _app()
    db = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    db.execute("CREATE TABLE product (id INTEGER PRIMARY KEY, price INTEGER)")
    db.execute("INSERT INTO product VALUES (1, 10)")
    reader = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)

    @cache.memoize(timeout=600)
    def get_price(pid: int) -> int:
        return int(reader.execute("SELECT price FROM product WHERE id = ?", (pid,)).fetchone()[0])

    def edit(new_price: int, delete_first: bool) -> None:
        # The writer's transaction; a reader request runs between its steps, as on a busy server.
        db.execute("BEGIN")
        db.execute("UPDATE product SET price = ? WHERE id = 1", (new_price,))
        if delete_first:
            cache.delete_memoized(get_price, 1)
        get_price(1)  # a concurrent request: it sees the committed (old) row and caches it
        db.execute("COMMIT")
        if not delete_first:
            cache.delete_memoized(get_price, 1)

    with app.app_context():
        get_price(1)
        edit(12, delete_first=True)
        assert get_price(1) == 10  # stale until the timeout
        cache.delete_memoized(get_price, 1)
        edit(15, delete_first=False)
        assert get_price(1) == 15
    db.close()
    reader.close()


def test_etag_compared_before_the_work_saves_the_work() -> None:
    app = Flask(__name__)
    builds: list[int] = []
    versions = {7: 3}

    def build_body(pid: int) -> str:
        builds.append(pid)
        return f'{{"id": {pid}}}'

    @app.route("/products/<int:pid>")
    def product(pid: int) -> Response:
        tag = f"p{pid}-v{versions[pid]}"  # cheap: a version column, not the body
        if request.if_none_match.contains(tag):
            resp = Response(status=304)
        else:
            resp = Response(build_body(pid), mimetype="application/json")
        resp.set_etag(tag)
        resp.cache_control.no_cache = True
        return resp

    @app.route("/late/<int:pid>")
    def late(pid: int) -> Response:
        resp = Response(build_body(pid), mimetype="application/json")
        resp.add_etag()
        return resp.make_conditional(request)

    client = app.test_client()
    first = client.get("/products/7")
    assert first.status_code == 200
    assert builds == [7]
    again = client.get("/products/7", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert builds == [7]  # nothing was built for the 304
    late_first = client.get("/late/7")
    late_again = client.get("/late/7", headers={"If-None-Match": late_first.headers["ETag"]})
    # make_conditional at the end saves bandwidth only: the body was built for both requests.
    assert late_again.status_code == 304
    assert builds == [7, 7, 7]
