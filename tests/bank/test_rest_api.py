"""Executable checks for the rest-api questions of the bank."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask.views import MethodView


def test_return_dict_is_json() -> None:
    app = Flask(__name__)

    @app.route("/user")
    def user() -> dict[str, Any]:
        return {"name": "Ada", "age": 36}

    response = app.test_client().get("/user")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"name": "Ada", "age": 36}


def test_jsonify_equivalent_to_dict_return() -> None:
    app = Flask(__name__)

    @app.route("/a")
    def a() -> dict[str, int]:
        return {"x": 1}

    @app.route("/b")
    def b() -> Any:
        return jsonify(x=1)

    client = app.test_client()
    ra, rb = client.get("/a"), client.get("/b")
    assert ra.data == rb.data
    assert ra.mimetype == rb.mimetype == "application/json"


def test_created_tuple_with_location() -> None:
    app = Flask(__name__)

    @app.get("/items/<int:item_id>")
    def get_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.post("/items")
    def create_item() -> Any:
        item = {"id": 7, **request.get_json()}
        return item, 201, {"Location": url_for("get_item", item_id=7)}

    response = app.test_client().post("/items", json={"name": "pen"})
    assert response.status_code == 201
    assert response.headers["Location"] == "/items/7"
    assert response.get_json() == {"id": 7, "name": "pen"}


def test_method_shortcut_decorators() -> None:
    app = Flask(__name__)

    @app.post("/items")
    def create() -> tuple[str, int]:
        return "created", 201

    client = app.test_client()
    assert client.post("/items").status_code == 201
    assert client.get("/items").status_code == 405
    rule = next(r for r in app.url_map.iter_rules() if r.rule == "/items")
    assert rule.methods == {"POST", "OPTIONS"}  # OPTIONS is automatic, as for any rule
    fresh = Flask(__name__)
    with pytest.raises(TypeError, match="methods"):
        fresh.get("/other", methods=["POST"])


def test_return_list_json_and_set_is_invalid() -> None:
    app = Flask(__name__)
    app.testing = True

    @app.route("/list")
    def as_list() -> list[int]:
        return [1, 2, 3]

    @app.route("/tuple")
    def as_tuple() -> tuple[dict[str, str], int]:
        return {"error": "not found"}, 404

    @app.route("/set")
    def as_set() -> Any:
        return {1, 2, 3}

    client = app.test_client()
    r = client.get("/list")
    assert r.mimetype == "application/json" and r.get_json() == [1, 2, 3]
    r = client.get("/tuple")
    assert r.status_code == 404 and r.get_json() == {"error": "not found"}
    with pytest.raises(TypeError, match="set"):
        client.get("/set")


def test_jsonify_sorts_keys_by_default() -> None:
    app = Flask(__name__)
    assert app.json.sort_keys is True
    with app.app_context():
        assert jsonify({"b": 1, "a": 2}).get_data(as_text=True).strip() == '{"a":2,"b":1}'
        app.json.sort_keys = False  # type: ignore[attr-defined]
        assert jsonify({"b": 1, "a": 2}).get_data(as_text=True).strip() == '{"b":1,"a":2}'
        # jsonify's keyword arguments are data, not serializer options
        with pytest.raises(TypeError):
            jsonify({"b": 1}, sort_keys=False)
    # the JSON_SORT_KEYS config key is gone in Flask 3: setting it changes nothing
    other = Flask(__name__)
    other.config["JSON_SORT_KEYS"] = False
    with other.app_context():
        assert jsonify({"b": 1, "a": 2}).get_data(as_text=True).strip() == '{"a":2,"b":1}'


def test_get_json_wrong_content_type_is_415() -> None:
    app = Flask(__name__)

    @app.post("/echo")
    def echo() -> dict[str, Any]:
        return {"got": request.get_json()}

    @app.post("/quiet")
    def quiet() -> dict[str, Any]:
        return {"got": request.get_json(silent=True)}

    client = app.test_client()
    assert client.post("/echo", json={"a": 1}).get_json() == {"got": {"a": 1}}
    assert client.post("/echo", data={"a": "1"}).status_code == 415
    assert client.post("/echo", data="{bad", content_type="application/json").status_code == 400
    assert client.post("/quiet", data={"a": "1"}).get_json() == {"got": None}


def test_args_type_int_falls_back_to_default() -> None:
    app = Flask(__name__)

    @app.get("/items")
    def items() -> dict[str, int]:
        page = request.args.get("page", 1, type=int)
        per_page = min(request.args.get("per_page", 20, type=int), 100)
        return {"page": page, "per_page": per_page}

    client = app.test_client()
    assert client.get("/items?page=abc").get_json() == {"page": 1, "per_page": 20}
    assert client.get("/items?page=3&per_page=500").get_json() == {"page": 3, "per_page": 100}
    assert client.get("/items?page=abc").status_code == 200


def test_methodview_methods() -> None:
    app = Flask(__name__)

    class ItemAPI(MethodView):
        def get(self, item_id: int) -> dict[str, int]:
            return {"id": item_id}

        def delete(self, item_id: int) -> tuple[str, int]:
            return "", 204

    assert ItemAPI.methods == {"GET", "DELETE"}
    app.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("item"))
    client = app.test_client()
    assert client.get("/items/3").get_json() == {"id": 3}
    assert client.delete("/items/3").status_code == 204
    response = client.put("/items/3")
    assert response.status_code == 405
    assert "PUT" not in response.headers["Allow"]
    assert "item" in app.view_functions


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


class MoneyJSONProvider(DefaultJSONProvider):
    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Money):
            return f"{o.cents / 100:.2f}"
        return DefaultJSONProvider.default(o)


def test_custom_json_provider() -> None:
    class MyFlask(Flask):
        json_provider_class = MoneyJSONProvider

    app = MyFlask(__name__)

    @app.route("/price")
    def price() -> dict[str, Any]:
        return {"price": Money(1999)}

    assert app.test_client().get("/price").get_json() == {"price": "19.99"}

    plain = Flask(__name__)
    plain.testing = True

    @plain.route("/price")
    def plain_price() -> dict[str, Any]:
        return {"price": Money(1999)}

    with pytest.raises(TypeError):
        plain.test_client().get("/price")
    # the pre-2.2 encoder hooks were removed in Flask 2.3
    assert not hasattr(Flask, "json_encoder")


def test_json_provider_instance_on_app() -> None:
    app = Flask(__name__)
    app.json = MoneyJSONProvider(app)

    @app.route("/price")
    def price() -> dict[str, Any]:
        return {"price": Money(250)}

    assert app.test_client().get("/price").get_json() == {"price": "2.50"}


def test_json_return_ways_and_statuses() -> None:
    app = Flask(__name__)

    @app.route("/dict")
    def as_dict() -> Any:
        return {"id": 1, "name": "Ann"}

    @app.route("/list")
    def as_list() -> Any:
        return [{"id": 1}]

    @app.route("/jsonify")
    def as_jsonify() -> Any:
        resp = jsonify(id=1)
        resp.headers["X-Checked"] = "1"
        return resp

    @app.route("/missing")
    def missing() -> Any:
        return {"error": "not found"}, 404

    @app.route("/created")
    def created() -> Any:
        return {"id": 7}, 201, {"Location": url_for("as_dict")}

    client = app.test_client()
    for path in ("/dict", "/list", "/jsonify", "/missing", "/created"):
        assert client.get(path).headers["Content-Type"] == "application/json", path
    assert client.get("/dict").status_code == 200
    assert client.get("/dict").data == b'{"id":1,"name":"Ann"}\n'
    assert client.get("/list").get_json() == [{"id": 1}]
    r = client.get("/jsonify")
    assert r.get_json() == {"id": 1} and r.headers["X-Checked"] == "1"
    assert client.get("/missing").status_code == 404
    r = client.get("/created")
    assert r.status_code == 201 and r.headers["Location"] == "/dict"


def test_default_provider_types() -> None:
    import dataclasses
    import datetime
    import decimal
    import uuid

    @dataclasses.dataclass
    class Point:
        x: int

    class Money:
        pass

    app = Flask(__name__)
    assert app.json.sort_keys is True
    with app.app_context():
        out = app.json.loads(
            app.json.dumps(
                {
                    "b": Point(1),
                    "a": decimal.Decimal("1.50"),
                    "u": uuid.UUID(int=1),
                    "d": datetime.date(2024, 1, 2),
                }
            )
        )
        assert out["b"] == {"x": 1} and out["a"] == "1.50"
        assert out["u"] == "00000000-0000-0000-0000-000000000001"
        assert out["d"] == "Tue, 02 Jan 2024 00:00:00 GMT"
        with pytest.raises(TypeError):
            app.json.dumps({"m": Money()})


def test_clients_retry_only_idempotent_methods() -> None:
    from urllib3.util.retry import Retry

    # urllib3 retries a failed request on its own only when the method is idempotent (RFC 9110).
    assert {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"} == Retry.DEFAULT_ALLOWED_METHODS
    retry = Retry(total=3)
    assert retry.is_retry("PUT", 503, has_retry_after=True)
    assert not retry.is_retry("POST", 503, has_retry_after=True)
    assert not retry.is_retry("PATCH", 503, has_retry_after=True)


def test_page_size_needs_a_lower_bound() -> None:
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("create table event (id integer)")
    db.executemany("insert into event values (?)", [(i,) for i in range(250)])
    app = Flask(__name__)

    @app.get("/capped")
    def capped() -> dict[str, int]:
        limit = min(request.args.get("limit", 20, type=int), 100)
        return {"rows": len(db.execute("select id from event limit ?", (limit,)).fetchall())}

    @app.get("/clamped")
    def clamped() -> dict[str, int]:
        limit = max(1, min(request.args.get("limit", 20, type=int), 100))
        return {"rows": len(db.execute("select id from event limit ?", (limit,)).fetchall())}

    client = app.test_client()
    assert client.get("/capped?limit=1000").get_json() == {"rows": 100}
    # a negative LIMIT is no limit in SQLite: the bare min() lets every row through
    assert client.get("/capped?limit=-1").get_json() == {"rows": 250}
    assert client.get("/clamped?limit=-1").get_json() == {"rows": 1}
    assert client.get("/clamped?limit=1000").get_json() == {"rows": 100}
    db.close()


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_signed_cursor_round_trips_and_rejects_tampering() -> None:
    from itsdangerous import BadSignature, URLSafeSerializer

    app = Flask(__name__)
    app.secret_key = "test"

    def serializer() -> URLSafeSerializer:
        return URLSafeSerializer(app.secret_key, salt="events-cursor")

    @app.get("/events")
    def events() -> Any:
        token = request.args.get("cursor")
        after = 0
        if token:
            try:
                after = serializer().loads(token)["id"]
            except BadSignature:
                return {"error": "bad cursor"}, 400
        ids = list(range(after + 1, after + 3))
        cursor = serializer().dumps({"id": ids[-1]})
        return {"ids": ids, "next": url_for("events", cursor=cursor)}

    client = app.test_client()
    first = client.get("/events").get_json()
    assert first["ids"] == [1, 2]
    second = client.get(first["next"]).get_json()
    assert second["ids"] == [3, 4]
    # An edited payload with the old signature is refused.
    forged = URLSafeSerializer("guessed", salt="events-cursor").dumps({"id": 1000})
    payload = forged.split(".")[0]
    signature = first["next"].split("cursor=")[1].split(".")[1]
    assert client.get(f"/events?cursor={payload}.{signature}").status_code == 400
    assert client.get(f"/events?cursor={forged}").status_code == 400
