"""Executable checks for the sessions-and-security questions of the bank."""

import base64
import json
import secrets
import time
import warnings
from datetime import timedelta

import itsdangerous.timed
import pytest
from flask import Flask, render_template, render_template_string, request, session
from jinja2 import DictLoader


def _session_app(secret: str | None = "dev-secret") -> Flask:
    app = Flask(__name__)
    if secret is not None:
        app.secret_key = secret

    @app.get("/login")
    def login() -> str:
        session["user_id"] = 42
        return "ok"

    @app.get("/whoami")
    def whoami() -> dict:
        return {"user_id": session.get("user_id")}

    @app.get("/logout")
    def logout() -> str:
        session.clear()
        return "bye"

    return app


def _decode_payload(cookie_value: str) -> dict:
    """Read a Flask session cookie WITHOUT the secret key, as any client can."""
    payload = cookie_value.split(".")[0]
    assert not cookie_value.startswith(".")  # small payloads are not compressed
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(raw)


def test_session_cookie_readable_without_key() -> None:
    app = _session_app()
    client = app.test_client()
    client.get("/login")
    value = client.get_cookie("session").value
    # anyone holding the cookie can read the data: it is signed, not encrypted
    assert _decode_payload(value) == {"user_id": 42}


def test_session_tampered_cookie_rejected() -> None:
    app = _session_app()
    client = app.test_client()
    client.get("/login")
    value = client.get_cookie("session").value
    forged_payload = base64.urlsafe_b64encode(b'{"user_id":1}').decode().rstrip("=")
    forged = ".".join([forged_payload, *value.split(".")[1:]])
    client.set_cookie("session", forged)
    # a bad signature is silently treated as an empty session, not an error
    r = client.get("/whoami")
    assert r.status_code == 200
    assert r.get_json() == {"user_id": None}


def test_session_persists_across_requests_in_cookie() -> None:
    app = _session_app()
    client = app.test_client()
    r = client.get("/login")
    assert r.headers["Set-Cookie"].startswith("session=")
    assert client.get("/whoami").get_json() == {"user_id": 42}
    # another client (another browser) does not see it: the data lives in this client's cookie
    assert app.test_client().get("/whoami").get_json() == {"user_id": None}


def test_session_without_secret_key() -> None:
    app = _session_app(secret=None)
    app.testing = True
    client = app.test_client()
    # reading works and yields an empty session
    assert client.get("/whoami").get_json() == {"user_id": None}
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/login")
    app.testing = False
    assert app.test_client().get("/login").status_code == 500


def test_session_modified_for_mutable_values() -> None:
    app = Flask(__name__)
    app.secret_key = "k"

    @app.get("/init")
    def init() -> str:
        session["cart"] = []
        return "ok"

    @app.get("/add")
    def add() -> str:
        session["cart"].append("apple")
        return "ok"

    @app.get("/add-marked")
    def add_marked() -> str:
        session["cart"].append("pear")
        session.modified = True
        return "ok"

    @app.get("/cart")
    def cart() -> dict:
        return {"cart": session.get("cart")}

    client = app.test_client()
    client.get("/init")
    r = client.get("/add")
    assert "Set-Cookie" not in r.headers
    assert client.get("/cart").get_json() == {"cart": []}
    r = client.get("/add-marked")
    assert "Set-Cookie" in r.headers
    assert client.get("/cart").get_json() == {"cart": ["pear"]}


def test_permanent_session_hides_in_place_mutation() -> None:
    app = Flask(__name__)
    app.secret_key = "k"

    @app.get("/init")
    def init() -> str:
        session.permanent = True
        session["cart"] = []
        return "ok"

    @app.get("/add")
    def add() -> str:
        session["cart"].append("apple")
        return "ok"

    @app.get("/cart")
    def cart() -> dict:
        return {"cart": session.get("cart")}

    client = app.test_client()
    client.get("/init")
    # permanent + SESSION_REFRESH_EACH_REQUEST: the whole session is re-sent anyway
    assert "Set-Cookie" in client.get("/add").headers
    assert client.get("/cart").get_json() == {"cart": ["apple"]}


def test_session_cookie_default_flags() -> None:
    app = _session_app()
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_SAMESITE"] is None
    header = app.test_client().get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in header
    assert "Secure" not in header
    assert "SameSite" not in header


def test_session_cookie_flags_configurable() -> None:
    app = _session_app()
    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Lax")
    header = app.test_client().get("/login").headers["Set-Cookie"]
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_permanent_session_lifetime() -> None:
    app = _session_app()
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)

    @app.get("/remember")
    def remember() -> str:
        session.permanent = True
        session["user_id"] = 42
        return "ok"

    client = app.test_client()
    plain = client.get("/login").headers["Set-Cookie"]
    assert "Expires" not in plain
    assert "Max-Age" not in plain
    permanent = client.get("/remember").headers["Set-Cookie"]
    assert "Expires=" in permanent


def test_secret_key_fallbacks_rotation() -> None:
    old = _session_app(secret="old-key")
    old_client = old.test_client()
    old_client.get("/login")
    old_cookie = old_client.get_cookie("session").value

    new = _session_app(secret="new-key")
    assert new.config["SECRET_KEY_FALLBACKS"] is None
    client = new.test_client()
    client.set_cookie("session", old_cookie)
    assert client.get("/whoami").get_json() == {"user_id": None}

    new.config["SECRET_KEY_FALLBACKS"] = ["old-key"]
    client = new.test_client()
    client.set_cookie("session", old_cookie)
    assert client.get("/whoami").get_json() == {"user_id": 42}

    # new cookies are signed with the current key: an app without fallbacks accepts them
    client.get("/login")
    new_cookie = client.get_cookie("session").value
    only_new = _session_app(secret="new-key").test_client()
    only_new.set_cookie("session", new_cookie)
    assert only_new.get("/whoami").get_json() == {"user_id": 42}


def test_old_cookie_still_valid_after_logout() -> None:
    app = _session_app()
    client = app.test_client()
    client.get("/login")
    stolen = client.get_cookie("session").value
    r = client.get("/logout")
    assert "session=;" in r.headers["Set-Cookie"]  # the browser is told to delete it
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    # nothing on the server remembers the logout: the copy still works
    assert attacker.get("/whoami").get_json() == {"user_id": 42}


def test_stolen_permanent_cookie_can_be_kept_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _session_app()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=10)

    @app.get("/remember")
    def remember() -> str:
        session.permanent = True
        session["user_id"] = 42
        return "ok"

    real_time = time.time
    victim = app.test_client()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 15 * 60)
    victim.get("/remember")  # signed 15 minutes ago
    stolen = victim.get_cookie("session").value

    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 6 * 60)
    r = attacker.get("/whoami")  # used 6 minutes ago, while still valid: re-signed
    assert r.get_json() == {"user_id": 42}
    assert r.headers["Set-Cookie"].startswith("session=")
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)

    # now the original copy is too old, but the refreshed one still works
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/whoami").get_json() == {"user_id": None}
    assert attacker.get("/whoami").get_json() == {"user_id": 42}


def test_signed_timestamp_expires_server_side(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _session_app()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=10)
    client = app.test_client()
    real_time = time.time
    # sign the cookie "one hour ago" (no sleeping): itsdangerous reads time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 3600)
    client.get("/login")  # a non-permanent session
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    # the browser would still send it (no Expires), but the server rejects the old signature
    assert client.get("/whoami").get_json() == {"user_id": None}
    fresh = app.test_client()
    fresh.get("/login")
    assert fresh.get("/whoami").get_json() == {"user_id": 42}


def test_session_cookie_too_large_only_warns() -> None:
    app = Flask(__name__)
    app.secret_key = "k"
    assert app.config["MAX_COOKIE_SIZE"] == 4093

    @app.get("/big")
    def big() -> str:
        session["blob"] = secrets.token_hex(3000)  # random, so compression cannot shrink it
        return "ok"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = app.test_client().get("/big")
    assert r.status_code == 200
    assert len(r.headers["Set-Cookie"]) > 4093  # still sent
    assert any("too large" in str(w.message) for w in caught)


def test_autoescape_html_templates() -> None:
    app = Flask(__name__)
    app.jinja_loader = DictLoader(
        {
            "page.html": "{{ comment }}",
            "safe.html": "{{ comment|safe }}",
            "page.txt": "{{ comment }}",
        }
    )
    evil = "<script>alert(1)</script>"
    with app.app_context():
        assert render_template("page.html", comment=evil) == "&lt;script&gt;alert(1)&lt;/script&gt;"
        assert render_template_string("{{ comment }}", comment=evil) == "&lt;script&gt;alert(1)&lt;/script&gt;"
        assert render_template("safe.html", comment=evil) == evil
        assert render_template("page.txt", comment=evil) == evil


def test_fstring_html_is_not_escaped() -> None:
    from markupsafe import escape

    app = Flask(__name__)

    @app.get("/hello")
    def hello() -> str:
        name = request.args.get("name", "")
        return f"<p>Hello {name}</p>"

    @app.get("/hello-safe")
    def hello_safe() -> str:
        name = request.args.get("name", "")
        return f"<p>Hello {escape(name)}</p>"

    @app.get("/hello-template")
    def hello_template() -> str:
        return render_template_string("<p>Hello {{ name }}</p>", name=request.args.get("name", ""))

    client = app.test_client()
    payload = "<script>alert(1)</script>"
    r = client.get("/hello", query_string={"name": payload})
    assert r.mimetype == "text/html"
    assert payload.encode() in r.data
    assert b"&lt;script&gt;" in client.get("/hello-safe", query_string={"name": payload}).data
    assert b"&lt;script&gt;" in client.get("/hello-template", query_string={"name": payload}).data


def test_refresh_each_request_permanent_only() -> None:
    app = _session_app()

    @app.get("/remember")
    def remember() -> str:
        session.permanent = True
        session["user_id"] = 42
        return "ok"

    @app.get("/ping")
    def ping() -> str:
        return "pong"  # never touches the session

    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True
    plain = app.test_client()
    plain.get("/login")
    assert "Set-Cookie" not in plain.get("/whoami").headers
    assert "Set-Cookie" not in plain.get("/ping").headers

    perm = app.test_client()
    perm.get("/remember")
    r = perm.get("/ping")
    assert r.headers["Set-Cookie"].startswith("session=")
    assert "Expires=" in r.headers["Set-Cookie"]
    assert "Cookie" in r.headers["Vary"]

    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert "Set-Cookie" not in perm.get("/ping").headers


def test_session_write_in_teardown_is_lost() -> None:
    from flask import Response, after_this_request

    app = Flask(__name__)
    app.secret_key = "test"

    @app.before_request
    def before() -> None:
        session["before"] = 1

    @app.route("/")
    def view() -> str:
        @after_this_request
        def callback(response: Response) -> Response:
            session["callback"] = 1
            return response

        return "ok"

    @app.after_request
    def after(response: Response) -> Response:
        session["after"] = 1
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        session["teardown"] = 1

    client = app.test_client()
    client.get("/")
    with client.session_transaction() as sess:
        assert dict(sess) == {"before": 1, "callback": 1, "after": 1}
