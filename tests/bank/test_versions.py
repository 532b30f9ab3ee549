"""Executable checks for the versions questions of the bank (installed Flask 3.1.x)."""

from __future__ import annotations

import importlib.metadata
import warnings

import blinker
import flask
import jinja2
import markupsafe
import pytest
from flask import Blueprint, Flask, jsonify, request, session, signals, url_for
from flask.json.provider import DefaultJSONProvider
from packaging.requirements import Requirement
from packaging.version import Version


def _requirements() -> dict[str, Requirement]:
    reqs = [Requirement(r) for r in importlib.metadata.requires("flask") or []]
    return {r.name.lower(): r for r in reqs if r.marker is None}


def test_installed_flask_is_3_1() -> None:
    assert Version(importlib.metadata.version("flask")).release[:2] == (3, 1)


def test_before_first_request_removed() -> None:
    app = Flask(__name__)
    assert not hasattr(app, "before_first_request")
    assert not hasattr(Blueprint("bp", __name__), "before_app_first_request")
    with pytest.raises(AttributeError):
        app.before_first_request  # type: ignore[attr-defined]  # noqa: B018


def test_route_shortcuts() -> None:
    app = Flask(__name__)

    @app.post("/login")
    def login() -> str:
        return "logged in"

    with pytest.raises(TypeError, match="methods"):
        app.post("/other", methods=["GET"])
    assert all(hasattr(app, m) for m in ("get", "post", "put", "patch", "delete"))
    client = app.test_client()
    assert client.post("/login").data == b"logged in"
    assert client.get("/login").status_code == 405


def test_json_config_keys_removed_and_provider_used() -> None:
    app = Flask(__name__)
    assert "JSON_SORT_KEYS" not in app.config
    assert "JSON_AS_ASCII" not in app.config
    assert isinstance(app.json, DefaultJSONProvider)
    app.config["JSON_SORT_KEYS"] = False  # silently ignored on 3.1

    @app.route("/j")
    def j() -> flask.Response:
        return jsonify({"b": 1, "a": 2})

    client = app.test_client()
    assert client.get("/j").data == b'{"a":2,"b":1}\n'
    app.json.sort_keys = False  # type: ignore[attr-defined]  # the provider, not the config, decides
    assert client.get("/j").data == b'{"b":1,"a":2}\n'


def test_requires_python_39() -> None:
    assert importlib.metadata.metadata("flask")["Requires-Python"] == ">=3.9"


def test_secret_key_fallbacks_rotation() -> None:
    def make(**config: object) -> Flask:
        app = Flask(__name__)
        app.config.update(config)

        @app.route("/set")
        def set_user() -> str:
            session["user"] = "ann"
            return "set"

        @app.route("/get")
        def get_user() -> str:
            return str(session.get("user", "anonymous"))

        return app

    old = make(SECRET_KEY="old-key").test_client()
    old.get("/set")
    cookie = old.get_cookie("session")
    assert cookie is not None

    for app, expected in (
        (make(SECRET_KEY="new-key"), b"anonymous"),
        (make(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"]), b"ann"),
    ):
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        assert client.get("/get").data == expected

    # Reading an unmodified session does not re-send the cookie, so old-key cookies
    # stay in use until they expire: the old key must stay a fallback until then.
    reader = make(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"]).test_client()
    reader.set_cookie("session", cookie.value)
    read = reader.get("/get")
    assert read.data == b"ann" and "Set-Cookie" not in read.headers

    # New cookies are signed with SECRET_KEY, not with a fallback.
    rotated = make(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"]).test_client()
    rotated.get("/set")
    only_new = make(SECRET_KEY="new-key").test_client()
    only_new.set_cookie("session", rotated.get_cookie("session").value)  # type: ignore[union-attr]
    assert only_new.get("/get").data == b"ann"


def test_form_limits_defaults_and_multipart_only() -> None:
    app = Flask(__name__)
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert app.config["MAX_FORM_PARTS"] == 1_000

    @app.post("/upload")
    def upload() -> str:
        return str(len(request.form["note"]))

    client = app.test_client()

    def multipart(size: int, extra_fields: int = 0) -> int:
        # Build the body by hand so no temporary file is left open by the test client.
        fields = {"note": "x" * size, **{f"f{i}": "v" for i in range(extra_fields)}}
        parts = [f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
        body = ("".join(parts) + "--B--\r\n").encode()
        with client.post("/upload", data=body, content_type="multipart/form-data; boundary=B") as response:
            return response.status_code

    assert multipart(400_000) == 200
    assert multipart(600_000) == 413
    assert multipart(10, extra_fields=1_200) == 413
    # A urlencoded body is not subject to the per-field limit (MAX_CONTENT_LENGTH covers it).
    assert client.post("/upload", data={"note": "x" * 600_000}).status_code == 200


def test_partitioned_session_cookie() -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", SESSION_COOKIE_PARTITIONED=True)

    @app.route("/")
    def index() -> str:
        session["seen"] = True
        return "ok"

    header = app.test_client().get("/").headers["Set-Cookie"]
    assert "Partitioned" in header
    assert "Secure" in header  # set even though SESSION_COOKIE_SECURE is False
    assert Flask(__name__).config["SESSION_COOKIE_PARTITIONED"] is False


def test_removed_names_in_3_0() -> None:
    for name in ("Markup", "escape", "_app_ctx_stack", "_request_ctx_stack", "signals_available"):
        assert not hasattr(flask, name), name
    assert not hasattr(Flask(__name__), "got_first_request")
    assert str(markupsafe.escape("<b>")) == "&lt;b&gt;"
    # Jinja no longer re-exports it either, and MarkupSafe is a hard requirement of Flask, not an extra.
    assert not hasattr(jinja2, "Markup")
    assert any(r.startswith("markupsafe") and "extra" not in r for r in importlib.metadata.requires("flask") or [])


def test_werkzeug_3_required() -> None:
    werkzeug_req = _requirements()["werkzeug"]
    assert werkzeug_req.specifier.contains("3.1.0")
    assert not werkzeug_req.specifier.contains("2.3.8")
    assert Version(importlib.metadata.version("werkzeug")).major >= 3


def test_signals_always_available_with_blinker() -> None:
    assert "blinker" in _requirements()
    assert isinstance(signals.request_started, blinker.base.NamedSignal)
    app = Flask(__name__)
    seen: list[str] = []

    @app.route("/")
    def index() -> str:
        return "ok"

    def on_start(sender: Flask, **extra: object) -> None:
        seen.append(sender.name)

    with signals.request_started.connected_to(on_start, app):
        app.test_client().get("/")
    assert seen == [app.name]


def test_nested_blueprints() -> None:
    api = Blueprint("api", __name__, url_prefix="/api")
    v1 = Blueprint("v1", __name__, url_prefix="/v1")

    @v1.route("/users")
    def users() -> str:
        return url_for("api.v1.users")

    api.register_blueprint(v1)
    app = Flask(__name__)
    app.register_blueprint(api)
    assert "api.v1.users" in app.view_functions
    assert app.test_client().get("/api/v1/users").data == b"/api/v1/users"


def test_server_name_no_longer_restricts_host() -> None:
    app = Flask(__name__)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/")
    def index() -> str:
        return request.host

    client = app.test_client()
    assert client.get("/", base_url="http://example.com").status_code == 200
    assert client.get("/", base_url="http://other.test").status_code == 200

    guarded = Flask(__name__)
    guarded.config["TRUSTED_HOSTS"] = ["example.com"]
    guarded.add_url_rule("/", view_func=index)
    gclient = guarded.test_client()
    assert gclient.get("/", base_url="http://example.com").status_code == 200
    assert gclient.get("/", base_url="http://other.test").status_code == 400


def test_version_attribute_deprecated() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = getattr(flask, "__version__")  # noqa: B009
    assert value == importlib.metadata.version("flask")
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_redirect_location_is_relative() -> None:
    from flask import Response as FlaskResponse
    from flask import redirect
    from werkzeug.wrappers import Response as WerkzeugResponse

    assert FlaskResponse.autocorrect_location_header is False
    assert WerkzeugResponse.autocorrect_location_header is False
    app = Flask(__name__)

    @app.route("/login")
    def login() -> str:
        return "login"

    @app.route("/cart")
    def cart() -> FlaskResponse:
        return redirect(url_for("login"))

    r = app.test_client().get("/cart", base_url="https://shop.example")
    assert r.status_code == 302
    assert r.headers["Location"] == "/login"
