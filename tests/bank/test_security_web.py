"""Executable checks for the web-security questions: flash, CORS, headers, redirects, raw SQL and tokens."""

from __future__ import annotations

import sqlite3
import time
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask, flash, get_flashed_messages, redirect, render_template_string, request, url_for
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix


def _flash_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "test-key"

    @app.post("/save")
    def save() -> object:
        flash("Saved")
        return redirect(url_for("page"))

    @app.post("/save-and-render")
    def save_and_render() -> str:
        flash("Saved now")
        return render_template_string("{{ get_flashed_messages() | join(',') }}")

    @app.post("/mixed")
    def mixed() -> str:
        flash("Disk almost full", "warning")
        flash("Bad password", "error")
        flash("Plain note")
        return "ok"

    @app.get("/page")
    def page() -> str:
        return render_template_string("{{ get_flashed_messages() | join(',') }}")

    @app.get("/categories")
    def categories() -> dict[str, object]:
        return {"pairs": get_flashed_messages(with_categories=True)}

    @app.get("/errors-only")
    def errors_only() -> dict[str, object]:
        return {"errors": get_flashed_messages(category_filter=["error"])}

    return app


def test_flash_shown_on_next_request_then_gone() -> None:
    client = _flash_app().test_client()
    r = client.post("/save")
    assert r.status_code == 302
    assert client.get("/page").text == "Saved"
    assert client.get("/page").text == ""


def test_flash_is_stored_in_the_session_cookie() -> None:
    app = _flash_app()
    client = app.test_client()
    client.post("/save")
    with client.session_transaction() as sess:
        assert list(sess["_flashes"]) == [("message", "Saved")]


def test_flash_needs_a_secret_key() -> None:
    app = _flash_app()
    app.secret_key = None
    app.testing = True
    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client().post("/save")


def test_flash_rendered_in_same_request_is_consumed() -> None:
    client = _flash_app().test_client()
    assert client.post("/save-and-render").text == "Saved now"
    assert client.get("/page").text == ""


def test_flash_categories_default_and_tuples() -> None:
    client = _flash_app().test_client()
    client.post("/mixed")
    pairs = client.get("/categories").get_json()["pairs"]
    assert pairs == [["warning", "Disk almost full"], ["error", "Bad password"], ["message", "Plain note"]]


def test_flash_category_filter_drops_the_others() -> None:
    client = _flash_app().test_client()
    client.post("/mixed")
    assert client.get("/errors-only").get_json() == {"errors": ["Bad password"]}
    # the other categories were popped from the session too: they are gone for the next page
    assert client.get("/categories").get_json() == {"pairs": []}


# --- CORS ---------------------------------------------------------------------------------------


def test_flask_sends_no_cors_headers_by_default() -> None:
    app = Flask(__name__)

    @app.get("/api/data")
    def data() -> dict[str, int]:
        return {"n": 1}

    r = app.test_client().get("/api/data", headers={"Origin": "https://spa.example"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers


def test_automatic_options_answers_preflight_without_cors_headers() -> None:
    app = Flask(__name__)

    @app.post("/api/items")
    def create() -> tuple[dict[str, int], int]:
        return {"id": 1}, 201

    r = app.test_client().options(
        "/api/items",
        headers={
            "Origin": "https://spa.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert r.status_code == 200
    assert set(r.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert not any(k.startswith("Access-Control-") for k, _ in r.headers.items())


def _cors_app(**options: object) -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    calls: list[str] = []

    @app.post("/api/transfer")
    def transfer() -> dict[str, bool]:
        calls.append(request.headers.get("Origin", ""))
        return {"done": True}

    CORS(app, **options)  # type: ignore[arg-type]
    return app, calls


def test_cors_disallowed_origin_still_runs_the_view() -> None:
    app, calls = _cors_app(origins=["https://app.example"])
    client = app.test_client()
    ok = client.post("/api/transfer", headers={"Origin": "https://app.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    evil = client.post("/api/transfer", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 200
    assert evil.get_json() == ok.get_json() == {"done": True}  # the body is not dropped either
    assert "Access-Control-Allow-Origin" not in evil.headers
    # the server did the work for both: CORS only tells the browser whether the page may read it
    assert calls == ["https://app.example", "https://evil.example"]


def test_cors_reflects_matching_origin_and_varies() -> None:
    app, _ = _cors_app(origins=["https://a.example", "https://b.example"])
    client = app.test_client()
    r = client.post("/api/transfer", headers={"Origin": "https://b.example"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "Origin" in r.headers.get_all("Vary")


def test_cors_wildcard_with_credentials_is_rejected() -> None:
    with pytest.raises(ValueError, match="supports_credentials"):
        _cors_app(origins="*", supports_credentials=True, send_wildcard=True)


def test_cors_default_reflects_any_origin() -> None:
    app, _ = _cors_app()
    client = app.test_client()
    for origin in ("https://anyone.example", "https://evil.example"):
        r = client.post("/api/transfer", headers={"Origin": origin})
        assert r.headers["Access-Control-Allow-Origin"] == origin
        assert "Access-Control-Allow-Credentials" not in r.headers


# --- security headers ---------------------------------------------------------------------------


def test_flask_sets_no_security_headers_by_default() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return "hi"

    r = app.test_client().get("/")
    for name in ("Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options"):
        assert name not in r.headers


def test_after_request_headers_reach_404_pages() -> None:
    app = Flask(__name__)

    @app.after_request
    def harden(response):  # type: ignore[no-untyped-def]
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response

    r = app.test_client().get("/no-such-page")
    assert r.status_code == 404
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def _hsts_app() -> Flask:
    app = Flask(__name__)

    @app.after_request
    def hsts(response):  # type: ignore[no-untyped-def]
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    @app.get("/")
    def index() -> str:
        return "hi"

    return app


def test_hsts_behind_tls_proxy_needs_proxyfix() -> None:
    app = _hsts_app()
    proxied = {"X-Forwarded-Proto": "https"}
    # the proxy talks plain HTTP to the app: without ProxyFix the request does not look secure
    assert "Strict-Transport-Security" not in app.test_client().get("/", headers=proxied).headers
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    assert app.test_client().get("/", headers=proxied).headers["Strict-Transport-Security"].startswith("max-age=")


def test_csp_nonce_differs_per_request_and_matches_template() -> None:
    import secrets

    from flask import g

    app = Flask(__name__)

    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def nonce() -> dict[str, str]:
        return {"csp_nonce": g.csp_nonce}

    @app.after_request
    def csp(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = f"script-src 'nonce-{g.csp_nonce}'"
        return response

    @app.get("/")
    def index() -> str:
        return render_template_string('<script nonce="{{ csp_nonce }}">go()</script>')

    client = app.test_client()
    first, second = client.get("/"), client.get("/")
    n1 = first.headers["Content-Security-Policy"].split("'nonce-")[1].rstrip("'")
    n2 = second.headers["Content-Security-Policy"].split("'nonce-")[1].rstrip("'")
    assert n1 != n2
    assert f'nonce="{n1}"' in first.text


# --- open redirects -----------------------------------------------------------------------------


def _next_app(check: bool) -> Flask:
    app = Flask(__name__)

    def is_safe(target: str) -> bool:
        parts = urlsplit(target)
        return not parts.scheme and not parts.netloc and target.startswith("/")

    @app.post("/login")
    def login() -> object:
        target = request.args.get("next", "/")
        if check and not is_safe(target):
            target = "/"
        return redirect(target)

    @app.post("/login-naive")
    def login_naive() -> object:
        target = request.args.get("next", "/")
        if not target.startswith("/"):
            target = "/"
        return redirect(target)

    return app


def test_redirect_to_next_follows_external_urls() -> None:
    r = _next_app(check=False).test_client().post("/login?next=https://evil.example/phish")
    assert r.status_code == 302
    assert r.headers["Location"] == "https://evil.example/phish"


def test_startswith_slash_lets_scheme_relative_through() -> None:
    r = _next_app(check=False).test_client().post("/login-naive?next=//evil.example/phish")
    assert r.headers["Location"] == "//evil.example/phish"
    assert urlsplit("//evil.example/phish").netloc == "evil.example"


def test_urlsplit_check_blocks_external_next() -> None:
    client = _next_app(check=True).test_client()
    for bad in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        assert client.post("/login", query_string={"next": bad}).headers["Location"] == "/"
    assert client.post("/login", query_string={"next": "/orders?page=2"}).headers["Location"] == "/orders?page=2"


# --- raw SQL ------------------------------------------------------------------------------------


@pytest.fixture
def users_db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE users (name TEXT, email TEXT);"
        "INSERT INTO users VALUES ('ada', 'ada@x'), ('bob', 'bob@x'), ('cy', 'cy@x'), ('100%', 'p@x');"
    )
    yield db
    db.close()


def test_fstring_sql_is_injectable(users_db: sqlite3.Connection) -> None:
    name = "nobody' OR '1'='1"
    leaked = users_db.execute(f"SELECT email FROM users WHERE name = '{name}'").fetchall()
    assert len(leaked) == 4
    safe = users_db.execute("SELECT email FROM users WHERE name = ?", (name,)).fetchall()
    assert safe == []


def test_sqlite_execute_refuses_stacked_statements(users_db: sqlite3.Connection) -> None:
    name = "x'; DROP TABLE users; --"
    with pytest.raises(sqlite3.ProgrammingError, match="one statement at a time"):
        users_db.execute(f"SELECT email FROM users WHERE name = '{name}'")
    assert users_db.execute("SELECT count(*) FROM users").fetchone() == (4,)


def test_placeholder_cannot_bind_an_identifier(users_db: sqlite3.Connection) -> None:
    by_name = [r[0] for r in users_db.execute("SELECT name FROM users ORDER BY name DESC")]
    # a bound value is a constant string, so "ORDER BY ?" does not sort by that column
    by_param = [r[0] for r in users_db.execute("SELECT name FROM users ORDER BY ?", ("name",))]
    assert by_param != by_name
    assert by_param == ["ada", "bob", "cy", "100%"]  # insertion order: every row compares equal


def test_like_placeholder_still_honours_wildcards(users_db: sqlite3.Connection) -> None:
    rows = users_db.execute("SELECT name FROM users WHERE name LIKE ?", ("%",)).fetchall()
    assert len(rows) == 4
    escaped = "%".replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = users_db.execute("SELECT name FROM users WHERE name LIKE ? ESCAPE '\\'", (f"%{escaped}%",)).fetchall()
    assert rows == [("100%",)]


def test_in_clause_needs_one_placeholder_per_value(users_db: sqlite3.Connection) -> None:
    names = ("ada", "cy")
    with pytest.raises(sqlite3.ProgrammingError):
        users_db.execute("SELECT email FROM users WHERE name IN (?)", (names,))
    marks = ", ".join("?" for _ in names)
    rows = users_db.execute(f"SELECT email FROM users WHERE name IN ({marks}) ORDER BY name", names).fetchall()
    assert rows == [("ada@x",), ("cy@x",)]


# --- tokens (PyJWT) -----------------------------------------------------------------------------

KEY = "k" * 32


def test_jwt_payload_is_readable_without_the_key() -> None:
    token = jwt.encode({"sub": "42", "role": "admin"}, KEY, algorithm="HS256")
    assert jwt.decode(token, options={"verify_signature": False}) == {"sub": "42", "role": "admin"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-key-of-32-bytes-length!!", algorithms=["HS256"])


def test_jwt_decode_requires_algorithms() -> None:
    token = jwt.encode({"sub": "42"}, KEY, algorithm="HS256")
    with pytest.raises(jwt.DecodeError, match="algorithms"):
        jwt.decode(token, KEY)
    assert jwt.decode(token, KEY, algorithms=["HS256"]) == {"sub": "42"}


def test_jwt_expired_token_rejected() -> None:
    token = jwt.encode({"sub": "42", "exp": int(time.time()) - 3600}, KEY, algorithm="HS256")
    with pytest.raises(jwt.ExpiredSignatureError) as info:
        jwt.decode(token, KEY, algorithms=["HS256"])
    assert not isinstance(info.value, jwt.InvalidSignatureError)
    # checking exp is the default: it takes an explicit option to turn it off
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["sub"] == "42"


def test_jwt_alg_none_rejected_when_algorithms_pinned() -> None:
    unsigned = jwt.encode({"sub": "1", "role": "admin"}, None, algorithm="none")
    with pytest.raises(jwt.InvalidAlgorithmError) as info:
        jwt.decode(unsigned, KEY, algorithms=["HS256"])
    # the algorithm is refused before any signature check, and the token itself is well formed
    assert not isinstance(info.value, jwt.DecodeError)
    assert unsigned.count(".") == 2 and unsigned.endswith(".")


def test_missing_authorization_header_is_500_not_401() -> None:
    app = Flask(__name__)
    app.testing = False  # production behaviour: an unhandled error becomes a 500 page

    @app.get("/me")
    def me() -> dict[str, str]:
        token = request.headers["Authorization"].removeprefix("Bearer ")
        return jwt.decode(token, KEY, algorithms=["HS256"])

    @app.get("/me-checked")
    def me_checked() -> object:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return {"error": "missing token"}, 401, {"WWW-Authenticate": "Bearer"}
        return jwt.decode(header.removeprefix("Bearer "), KEY, algorithms=["HS256"])

    @app.get("/search")
    def search() -> str:
        return request.args["q"]

    client = app.test_client()
    # request.headers raises a plain KeyError (unlike args/form, whose KeyError is a 400 Bad Request)
    assert client.get("/me").status_code == 500
    assert client.get("/search").status_code == 400
    r = client.get("/me-checked")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    good = jwt.encode({"sub": "7"}, KEY, algorithm="HS256")
    assert client.get("/me", headers={"Authorization": f"Bearer {good}"}).get_json() == {"sub": "7"}
