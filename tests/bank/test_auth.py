"""Executable checks for the bank's auth questions: password hashing, Flask-Login, itsdangerous tokens, OIDC."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, redirect, request, session, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    confirm_login,
    current_user,
    fresh_login_required,
    login_fresh,
    login_required,
    login_user,
    logout_user,
)
from itsdangerous import BadSignature, BadTimeSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

# Flask-Login 0.6.3 dates the remember cookie with datetime.utcnow(), deprecated on Python 3.12+.
UTCNOW = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


# ---------------------------------------------------------------- password hashing


def test_werkzeug_hash_default_is_scrypt_with_params_and_salt_in_the_string() -> None:
    hashed = generate_password_hash("correct horse")
    method, salt, digest = hashed.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) == 16 and salt.isalnum()
    assert re.fullmatch(r"[0-9a-f]{128}", digest)
    # The salt is random per call and stored in the string: same password, different strings, both verify.
    other = generate_password_hash("correct horse")
    assert other != hashed and other.split("$")[1] != salt
    assert check_password_hash(hashed, "correct horse") and check_password_hash(other, "correct horse")
    assert not check_password_hash(hashed, "Correct horse")
    # No app secret is involved: the hash verifies outside any app, and it is not a bare fast digest.
    assert digest != hashlib.sha256(b"correct horse").hexdigest()
    # pbkdf2 is still available, with the current 1,000,000 iterations (Werkzeug 3.1).
    assert generate_password_hash("x", method="pbkdf2").startswith("pbkdf2:sha256:1000000$")


def test_check_password_hash_uses_the_parameters_stored_in_the_hash() -> None:
    # A hash made long ago with weaker parameters than today's defaults still verifies, unchanged.
    old = generate_password_hash("s3cret", method="pbkdf2:sha256:260000")
    assert old.startswith("pbkdf2:sha256:260000$")
    assert check_password_hash(old, "s3cret") is True
    assert check_password_hash(old, "wrong") is False
    # Verifying does not upgrade anything: new hashes use the new default, the stored one is what it was.
    assert generate_password_hash("s3cret").startswith("scrypt:")
    assert old.split("$")[0] == "pbkdf2:sha256:260000"


def test_check_password_hash_rejects_legacy_methods_with_valueerror() -> None:
    # Werkzeug < 2.3 could store plain salted digests such as "sha256$salt$hex"; 3.x no longer knows them.
    salt = "abcd"
    legacy = f"sha256${salt}$" + hashlib.sha256(b"pw").hexdigest()
    for stored in (legacy, "plain$$pw", "md5$x$y"):
        with pytest.raises(ValueError, match="Invalid hash method"):
            check_password_hash(stored, "pw")
    # A string without the two separators is simply not a match.
    assert check_password_hash("not-a-hash", "pw") is False


def _rehash_if_needed(stored: str, password: str, wanted: str = "scrypt:32768:8:1") -> str | None:
    """The rehash-on-login pattern: verify, then replace a hash made with other parameters."""
    if not check_password_hash(stored, password):
        return None
    if stored.split("$", 1)[0] != wanted:
        return generate_password_hash(password, method=wanted)
    return stored


def test_rehash_on_login_upgrades_only_after_a_successful_check() -> None:
    old = generate_password_hash("pw", method="pbkdf2:sha256:260000")
    assert _rehash_if_needed(old, "wrong") is None
    upgraded = _rehash_if_needed(old, "pw")
    assert upgraded is not None and upgraded.startswith("scrypt:32768:8:1$")
    assert check_password_hash(upgraded, "pw")
    # Already current: nothing to do.
    assert _rehash_if_needed(upgraded, "pw") == upgraded


def test_check_password_hash_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    import werkzeug.security

    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(werkzeug.security.hmac, "compare_digest", spy)
    stored = generate_password_hash("pw", method="pbkdf2:sha256:1000")
    assert check_password_hash(stored, "nope") is False
    assert len(calls) == 1 and calls[0][1] == stored.split("$")[2]


def _login_app(use_dummy_hash: bool) -> Flask:
    users = {"ann@example.com": generate_password_hash("pw")}
    dummy = generate_password_hash("unused dummy password")
    app = Flask(__name__)

    @app.post("/login")
    def login() -> tuple[str, int]:
        stored = users.get(request.form["email"])
        if stored is None:
            if use_dummy_hash:
                check_password_hash(dummy, request.form["password"])  # same work as for a real account
            return "bad credentials", 401
        if not check_password_hash(stored, request.form["password"]):
            return "bad credentials", 401
        return "welcome", 200

    return app


def test_unknown_email_answers_faster_unless_a_dummy_hash_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[int] = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(*args: Any, **kwargs: Any) -> bytes:
        counted.append(1)
        return real_scrypt(*args, **kwargs)

    def kdf_runs(app: Flask, email: str) -> int:
        counted.clear()
        response = app.test_client().post("/login", data={"email": email, "password": "guess"})
        assert response.status_code == 401
        return len(counted)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    early = _login_app(use_dummy_hash=False)
    # The deliberately slow KDF runs for a known email and not for an unknown one: the time tells them apart.
    assert kdf_runs(early, "ann@example.com") == 1
    assert kdf_runs(early, "nobody@example.com") == 0
    even = _login_app(use_dummy_hash=True)
    assert kdf_runs(even, "ann@example.com") == 1
    assert kdf_runs(even, "nobody@example.com") == 1

    # And the KDF is what dominates: one check costs far more than the whole early-return path.
    monkeypatch.setattr(hashlib, "scrypt", real_scrypt)
    client = early.test_client()
    started = time.perf_counter()
    client.post("/login", data={"email": "nobody@example.com", "password": "guess"})
    fast = time.perf_counter() - started
    started = time.perf_counter()
    client.post("/login", data={"email": "ann@example.com", "password": "guess"})
    slow = time.perf_counter() - started
    assert slow > 3 * fast


def test_password_length_barely_changes_the_cost_of_scrypt() -> None:
    short, long = "short pw", "a much longer passphrase, " * 4
    stored_short, stored_long = generate_password_hash(short), generate_password_hash(long)

    def best_of_five(stored: str, password: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert check_password_hash(stored, password)
            times.append(time.perf_counter() - started)
        return min(times)

    # The memory-hard core costs the same whatever the input; the length only feeds one HMAC pass.
    # Generous bounds: the machine may be busy; a cost that grew with length would be several times over.
    ratio = best_of_five(stored_long, long) / best_of_five(stored_short, short)
    assert 1 / 3 < ratio < 3


def test_werkzeug_default_scrypt_needs_about_32_mib_per_hash() -> None:
    n, r, p = (int(x) for x in generate_password_hash("pw").split("$")[0].split(":")[1:])
    assert (n, r, p) == (2**15, 8, 1)
    assert 128 * n * r == 32 * 1024 * 1024  # scrypt's working memory: 128 * N * r bytes
    with pytest.raises(ValueError, match="memory limit"):
        hashlib.scrypt(b"pw", salt=b"salt", n=n, r=r, p=p, maxmem=16 * 1024 * 1024)
    assert len(hashlib.scrypt(b"pw", salt=b"salt", n=n, r=r, p=p, maxmem=40 * 1024 * 1024)) == 64
    # n is a cost in memory and time, not an iteration count: a quarter of n fits in a quarter of the memory.
    assert hashlib.scrypt(b"pw", salt=b"salt", n=n // 4, r=r, p=p, maxmem=10 * 1024 * 1024)


def test_bcrypt_5_refuses_passwords_over_72_bytes() -> None:
    import bcrypt

    salt = bcrypt.gensalt(rounds=4)
    long_password = "é".encode() * 40  # 40 characters, 80 bytes in UTF-8
    with pytest.raises(ValueError, match="72 bytes"):
        bcrypt.hashpw(long_password, salt)
    hashed = bcrypt.hashpw(long_password[:72], salt)
    assert hashed.startswith(b"$2b$04$") and bcrypt.checkpw(long_password[:72], hashed)
    # Werkzeug's scrypt has no such limit: the whole passphrase counts.
    whole = generate_password_hash("é" * 40, method="scrypt:1024:8:1")
    assert check_password_hash(whole, "é" * 40) and not check_password_hash(whole, "é" * 36)


def test_argon2_verify_raises_on_mismatch_and_flags_outdated_parameters() -> None:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerifyMismatchError

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    stored = weak.hash("pw")
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert weak.verify(stored, "pw") is True
    with pytest.raises(VerifyMismatchError):
        weak.verify(stored, "wrong")
    current = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    # Parameters live in the hash string, so a hasher with other settings still verifies it...
    assert current.verify(stored, "pw") is True
    # ...and says it should be rehashed with its own.
    assert current.check_needs_rehash(stored) is True
    assert current.check_needs_rehash(current.hash("pw")) is False


# ---------------------------------------------------------------- Flask-Login


class User(UserMixin):
    def __init__(self, user_id: int, active: bool = True) -> None:
        self.id = user_id
        self.active = active

    @property
    def is_active(self) -> bool:
        return self.active


def _flask_login_app(
    *,
    users: dict[int, User] | None = None,
    login_view: str | None = None,
    protection: str | None = "basic",
) -> tuple[Flask, list[Any]]:
    app = Flask(__name__)
    app.secret_key = "test-secret"
    manager = LoginManager(app)
    manager.login_view = login_view
    manager.session_protection = protection
    known = {1: User(1)} if users is None else users
    loaded: list[Any] = []

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        loaded.append(user_id)
        return known.get(int(user_id))

    @app.post("/login/<int:uid>")
    def login(uid: int) -> str:
        remember = request.args.get("remember") == "1"
        ok = login_user(known[uid], remember=remember)
        if request.args.get("permanent") == "1":
            session.permanent = True
        return "in" if ok else "refused"

    @app.get("/login")
    def login_page() -> str:
        return "login page"

    @app.post("/logout")
    def logout() -> str:
        logout_user()
        return "out"

    @app.get("/me")
    def me() -> str:
        names = [current_user.is_authenticated, current_user.get_id(), current_user.is_authenticated]
        return json.dumps(names)

    @app.get("/plain")
    def plain() -> str:
        return "no user needed"

    @app.get("/private")
    @login_required
    def private() -> str:
        return f"private {current_user.id}"

    @app.get("/settings")
    @fresh_login_required
    def settings() -> str:
        return "settings"

    @app.post("/reauth")
    def reauth() -> str:
        confirm_login()
        return str(login_fresh())

    @app.post("/cart")
    def cart() -> str:
        session["cart"] = [42]
        return "added"

    return app, loaded


def test_user_loader_runs_lazily_once_per_request() -> None:
    app, loaded = _flask_login_app()
    client = app.test_client()
    client.post("/login/1")
    loaded.clear()
    # current_user is read three times in /me; the loader runs once, on first access, and gets the str id.
    assert json.loads(client.get("/me").text) == [True, "1", True]
    assert loaded == ["1"]
    # A request that never touches current_user never calls it.
    loaded.clear()
    assert client.get("/plain").status_code == 200
    assert loaded == []
    # And every request that does touch it calls it again: nothing but the id is kept between requests.
    client.get("/me")
    client.get("/me")
    assert loaded == ["1", "1"]
    with client.session_transaction() as sess:
        assert sess["_user_id"] == "1" and "user" not in sess


def test_user_loader_returning_none_makes_the_user_anonymous() -> None:
    users = {1: User(1)}
    app, _ = _flask_login_app(users=users)
    client = app.test_client()
    client.post("/login/1")
    assert client.get("/private").text == "private 1"
    del users[1]  # the account was deleted while the session still names it
    assert json.loads(client.get("/me").text) == [False, None, False]
    assert client.get("/private").status_code == 401


def test_login_user_refuses_an_inactive_user() -> None:
    app, _ = _flask_login_app(users={1: User(1, active=False)})
    client = app.test_client()
    assert client.post("/login/1").text == "refused"
    assert client.get("/private").status_code == 401


def test_login_required_answers_401_without_login_view_and_redirects_with_one() -> None:
    app, _ = _flask_login_app()
    response = app.test_client().get("/private?tab=2")
    assert response.status_code == 401
    assert "Location" not in response.headers

    app, _ = _flask_login_app(login_view="login_page")
    client = app.test_client()
    response = client.get("/private?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fprivate%3Ftab%3D2"
    with client.session_transaction() as sess:
        assert sess["_flashes"] == [("message", "Please log in to access this page.")]
    # OPTIONS is exempt, and LOGIN_DISABLED turns the check off (for tests).
    assert client.options("/private").status_code == 200
    app.config["LOGIN_DISABLED"] = True
    assert client.get("/plain").status_code == 200


def test_unauthorized_handler_replaces_the_default_response() -> None:
    app, _ = _flask_login_app(login_view="login_page")
    manager: LoginManager = app.login_manager  # type: ignore[attr-defined]

    @manager.unauthorized_handler
    def json_401() -> tuple[dict[str, str], int]:
        return {"error": "login required"}, 401

    response = app.test_client().get("/private")
    assert response.status_code == 401 and response.json == {"error": "login required"}


def _cookie(client: Any, name: str) -> Any:
    return client.get_cookie(name)


def _remembered_login(app: Flask) -> tuple[Any, str]:
    """A browser that logged user 1 in with remember=True, and the value of its remember-me cookie."""
    client = app.test_client()
    client.post("/login/1?remember=1")
    return client, _cookie(client, "remember_token").value


def _browser_with_remember_cookie(app: Flask, value: str) -> Any:
    """A new browser (no session cookie) that sends only this remember-me cookie."""
    client = app.test_client()
    client.set_cookie("remember_token", value)
    return client


@UTCNOW
def test_remember_cookie_is_the_id_and_an_hmac_for_365_days() -> None:
    import hmac

    app, _ = _flask_login_app()
    client = app.test_client()
    response = client.post("/login/1?remember=1")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "HttpOnly" in header and "Secure" not in header and "SameSite" not in header
    cookie = _cookie(client, "remember_token")
    value = cookie.value
    user_id, digest = value.split("|")
    assert user_id == "1"
    # The digest is an HMAC-SHA512 of the id under SECRET_KEY: no timestamp, no server-side record.
    assert digest == hmac.new(b"test-secret", b"1", hashlib.sha512).hexdigest()
    assert cookie.expires is not None
    lifetime = cookie.expires.timestamp() - time.time()
    assert timedelta(days=364).total_seconds() < lifetime <= timedelta(days=365).total_seconds()
    # Without remember=True there is no such cookie: the session cookie alone ends with the browser.
    other = app.test_client()
    other.post("/login/1")
    assert _cookie(other, "remember_token") is None


@UTCNOW
def test_remember_cookie_restores_a_non_fresh_login_and_fresh_views_refuse_it() -> None:
    app, _ = _flask_login_app()
    client, value = _remembered_login(app)
    # A new browser session: the session cookie is gone, the remember cookie is sent.
    fresh_client = _browser_with_remember_cookie(app, value)
    assert fresh_client.get("/private").text == "private 1"
    with fresh_client.session_transaction() as sess:
        assert sess["_fresh"] is False
    # fresh_login_required: without a refresh_view it answers 401; after reauthentication it lets them in.
    assert fresh_client.get("/settings").status_code == 401
    assert fresh_client.post("/reauth").text == "True"
    assert fresh_client.get("/settings").text == "settings"
    # The original, password-based login is fresh.
    assert client.get("/settings").text == "settings"


@UTCNOW
def test_remember_cookie_has_no_server_side_expiry_or_revocation() -> None:
    from flask_login.utils import encode_cookie

    app, _ = _flask_login_app()
    client, stolen = _remembered_login(app)
    client.post("/logout")  # logs out this browser: its cookie is deleted...
    assert _cookie(client, "remember_token") is None
    thief = _browser_with_remember_cookie(app, stolen)
    # ...but a copy still logs in: nothing on the server records that it was revoked or how old it is.
    assert thief.get("/private").text == "private 1"
    with app.test_request_context():
        assert encode_cookie("1") == stolen  # the same value, whenever it is made
    # Changing SECRET_KEY invalidates every copy (and every session) at once.
    app.secret_key = "rotated"
    again = _browser_with_remember_cookie(app, stolen)
    assert again.get("/private").status_code == 401


class TokenUser(UserMixin):
    """A user whose get_id() is an alternative token that changes when sessions must be revoked."""

    def __init__(self, user_id: int, session_token: str) -> None:
        self.id = user_id
        self.session_token = session_token

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


@UTCNOW
def test_alternative_token_in_get_id_revokes_remember_cookies() -> None:
    app = Flask(__name__)
    app.secret_key = "test-secret"
    manager = LoginManager(app)
    ann = TokenUser(1, "v1")

    @manager.user_loader
    def load(token: str) -> TokenUser | None:
        return ann if token == ann.get_id() else None

    @app.post("/login")
    def login() -> str:
        login_user(ann, remember=True)
        return "in"

    @app.get("/private")
    @login_required
    def private() -> str:
        return "private"

    client = app.test_client()
    client.post("/login")
    stolen = _cookie(client, "remember_token").value
    thief = _browser_with_remember_cookie(app, stolen)
    assert thief.get("/private").text == "private"
    ann.session_token = "v2"  # "log out everywhere" / password changed
    thief2 = _browser_with_remember_cookie(app, stolen)
    assert thief2.get("/private").status_code == 401
    assert client.get("/private").status_code == 401  # every old session of the user is out too


@UTCNOW
def test_logout_user_removes_only_flask_login_keys() -> None:
    app, _ = _flask_login_app()
    client = app.test_client()
    client.post("/login/1?remember=1")
    client.post("/cart")
    response = client.post("/logout")
    assert any(h.startswith("remember_token=;") for h in response.headers.getlist("Set-Cookie"))
    with client.session_transaction() as sess:
        assert "_user_id" not in sess and "_fresh" not in sess and "_id" not in sess
        assert sess["cart"] == [42]  # the rest of the session survives logout_user()
    assert client.get("/private").status_code == 401


def _logout_app(clear_first: bool) -> Flask:
    app, _ = _flask_login_app()

    @app.post("/logout-and-clear")
    def logout_and_clear() -> str:
        if clear_first:
            session.clear()
            logout_user()
        else:
            logout_user()
            session.clear()  # also drops the marker that tells Flask-Login to delete the remember cookie
        return "out"

    return app


@UTCNOW
def test_session_clear_after_logout_user_keeps_the_remember_cookie() -> None:
    client = _logout_app(clear_first=False).test_client()
    client.post("/login/1?remember=1")
    response = client.post("/logout-and-clear")
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))
    assert _cookie(client, "remember_token") is not None
    # The next request has no user in the session but still sends the cookie: the user is back, not fresh.
    assert client.get("/private").text == "private 1"
    with client.session_transaction() as sess:
        assert sess["_fresh"] is False

    client = _logout_app(clear_first=True).test_client()
    client.post("/login/1?remember=1")
    response = client.post("/logout-and-clear")
    assert any(h.startswith("remember_token=;") for h in response.headers.getlist("Set-Cookie"))
    assert client.get("/private").status_code == 401


def _client_with_agent(app: Flask, agent: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def test_basic_session_protection_keeps_the_user_but_marks_the_login_not_fresh() -> None:
    app, _ = _flask_login_app(protection="basic")
    assert LoginManager().session_protection == "basic"  # the default mode
    client = _client_with_agent(app, "laptop")
    client.post("/login/1")
    assert client.get("/settings").text == "settings"
    client.environ_base["HTTP_USER_AGENT"] = "other-device"
    # Same session cookie, different identifier (address + user agent): still logged in, no longer fresh.
    assert client.get("/private").text == "private 1"
    with client.session_transaction() as sess:
        assert sess["_fresh"] is False
    assert client.get("/settings").status_code == 401


def test_session_identifier_reads_the_first_x_forwarded_for_entry() -> None:
    from flask_login.utils import _create_identifier

    app = Flask(__name__)
    headers = {"User-Agent": "ua", "X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}):
        forwarded = _create_identifier()
    with app.test_request_context(headers={"User-Agent": "ua"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        direct = _create_identifier()
    assert forwarded == direct == hashlib.sha512(b"b'203.0.113.9'|b'ua'").hexdigest()


def test_strong_protection_logs_out_unless_the_session_is_permanent() -> None:
    app, _ = _flask_login_app(protection="strong")
    client = _client_with_agent(app, "laptop")
    client.post("/login/1")
    client.environ_base["HTTP_USER_AGENT"] = "other-device"
    assert client.get("/private").status_code == 401  # non-permanent session: logged out
    with client.session_transaction() as sess:
        assert "_user_id" not in sess

    client = _client_with_agent(app, "laptop")
    client.post("/login/1?permanent=1")
    client.environ_base["HTTP_USER_AGENT"] = "other-device"
    # A permanent session is only marked not fresh, exactly as in basic mode.
    assert client.get("/private").text == "private 1"
    with client.session_transaction() as sess:
        assert sess["_fresh"] is False and sess["_user_id"] == "1"
    assert client.get("/settings").status_code == 401


def _is_safe_next(target: str | None) -> bool:
    from urllib.parse import urlsplit

    if not target:
        return False
    parts = urlsplit(target.replace("\\", "/"))
    return not parts.scheme and not parts.netloc and target.startswith("/")


def _next_app(validate: bool) -> Flask:
    app, _ = _flask_login_app(login_view="do_login")

    @app.route("/do-login", methods=["GET", "POST"])
    def do_login() -> Any:
        if request.method == "GET":
            return "form"
        login_user(User(1))
        target = request.args.get("next")
        if validate and not _is_safe_next(target):
            target = None
        return redirect(target or url_for("plain"))

    return app


def test_flask_login_passes_next_through_without_validating_it() -> None:
    naive = _next_app(validate=False).test_client()
    # Flask-Login's own redirect puts a local path in next...
    assert naive.get("/private").headers["Location"] == "/do-login?next=%2Fprivate"
    assert naive.post("/do-login?next=%2Fprivate").headers["Location"] == "/private"
    # ...but nothing stops a crafted link: the login view redirects wherever next says.
    for evil in ("https://evil.example/phish", "//evil.example/phish"):
        assert naive.post("/do-login", query_string={"next": evil}).headers["Location"] == evil
    checked = _next_app(validate=True).test_client()
    for evil in ("https://evil.example/phish", "//evil.example/phish", "/\\evil.example"):
        assert checked.post("/do-login", query_string={"next": evil}).headers["Location"] == "/plain"
    assert checked.post("/do-login?next=%2Fprivate").headers["Location"] == "/private"


# ---------------------------------------------------------------- itsdangerous timed tokens


class _Clock:
    """An injected clock for TimestampSigner: tests move it instead of waiting."""

    now = 1_700_000_000


class ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return _Clock.now


def _serializer(key: Any = "app-secret", salt: str = "password-reset") -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=salt, signer=ClockSigner)


@pytest.fixture
def clock() -> Iterator[type[_Clock]]:
    start = _Clock.now
    yield _Clock
    _Clock.now = start


def test_loads_without_max_age_accepts_a_token_of_any_age(clock: type[_Clock]) -> None:
    s = _serializer()
    token = s.dumps({"uid": 7})
    clock.now += 10 * 365 * 24 * 3600
    assert s.loads(token) == {"uid": 7}  # no max_age: the timestamp is never compared
    with pytest.raises(SignatureExpired):
        s.loads(token, max_age=3600)


def test_max_age_is_checked_in_whole_seconds_at_loads_time(clock: type[_Clock]) -> None:
    s = _serializer()
    token = s.dumps({"uid": 7})
    clock.now += 3600
    assert s.loads(token, max_age=3600) == {"uid": 7}  # exactly max_age old is still accepted
    clock.now += 1
    with pytest.raises(SignatureExpired, match="3601 > 3600"):
        s.loads(token, max_age=3600)


def test_signature_expired_is_a_bad_signature_so_except_order_matters(clock: type[_Clock]) -> None:
    assert issubclass(SignatureExpired, BadTimeSignature) and issubclass(BadTimeSignature, BadSignature)
    s = _serializer()
    token = s.dumps({"uid": 7})
    clock.now += 7200

    def wrong_order(value: str) -> str:
        try:
            s.loads(value, max_age=3600)
        except BadSignature:
            return "invalid link"
        except SignatureExpired:  # never reached: the clause above already caught it
            return "link expired"
        return "ok"

    def right_order(value: str) -> str:
        try:
            s.loads(value, max_age=3600)
        except SignatureExpired:
            return "link expired"
        except BadSignature:
            return "invalid link"
        return "ok"

    assert wrong_order(token) == "invalid link"
    assert right_order(token) == "link expired"
    assert right_order(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) == "invalid link"


def test_expired_token_still_yields_its_verified_payload(clock: type[_Clock]) -> None:
    s = _serializer()
    signed_at = clock.now
    token = s.dumps({"uid": 7})
    clock.now += 7200
    with pytest.raises(SignatureExpired) as info:
        s.loads(token, max_age=3600)
    expired = info.value
    assert expired.payload is not None
    assert s.load_payload(expired.payload) == {"uid": 7}
    assert expired.date_signed is not None and expired.date_signed.timestamp() == signed_at
    # A token signed with another key is a BadSignature, not SignatureExpired, however old it is.
    forged = _serializer(key="attacker-key").dumps({"uid": 1})
    with pytest.raises(BadSignature) as bad:
        s.loads(forged, max_age=3600)
    assert not isinstance(bad.value, SignatureExpired)


def test_an_edited_payload_fails_the_signature() -> None:
    s = _serializer()
    token = s.dumps({"uid": 7})
    _, timestamp, signature = token.split(".")
    forged_body = base64.urlsafe_b64encode(json.dumps({"uid": 1}).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignature):
        s.loads(f"{forged_body}.{timestamp}.{signature}", max_age=3600)
    assert s.loads(token, max_age=3600) == {"uid": 7}


def test_payload_is_readable_without_the_key() -> None:
    token = _serializer().dumps({"uid": 7, "email": "ann@example.com"})
    body = token.split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert decoded == {"uid": 7, "email": "ann@example.com"}  # signed, not encrypted


def test_a_salt_per_purpose_keeps_tokens_from_crossing_over() -> None:
    confirm = _serializer(salt="email-confirm").dumps({"uid": 7})
    with pytest.raises(BadSignature):
        _serializer(salt="password-reset").loads(confirm, max_age=3600)
    assert _serializer(salt="email-confirm").loads(confirm, max_age=3600) == {"uid": 7}
    # One serializer, one default salt for both purposes: a confirmation token works as a reset token.
    shared = URLSafeTimedSerializer("app-secret", signer=ClockSigner)
    assert shared.salt == b"itsdangerous"
    assert shared.loads(shared.dumps({"uid": 7}), max_age=3600) == {"uid": 7}


def test_key_list_is_oldest_to_newest_and_the_last_key_signs() -> None:
    old_token = _serializer(key="old").dumps({"uid": 7})
    rotated = _serializer(key=["old", "new"])
    assert rotated.loads(old_token) == {"uid": 7}  # every key in the list verifies
    fresh = rotated.dumps({"uid": 8})
    assert _serializer(key="new").loads(fresh) == {"uid": 8}  # the last key signed it
    with pytest.raises(BadSignature):
        _serializer(key="old").loads(fresh)
    # The list written newest first keeps signing with the old key.
    backwards = _serializer(key=["new", "old"]).dumps({"uid": 9})
    assert _serializer(key="old").loads(backwards) == {"uid": 9}
    with pytest.raises(BadSignature):
        _serializer(key="new").loads(backwards)


@UTCNOW
def test_secret_key_fallbacks_cover_sessions_but_not_remember_cookies_or_own_tokens() -> None:
    app, _ = _flask_login_app()
    client = app.test_client()
    client.post("/login/1?remember=1")
    client.post("/cart")
    remember = _cookie(client, "remember_token").value
    with app.test_request_context():
        own_token = URLSafeTimedSerializer(app.secret_key, salt="password-reset").dumps({"uid": 1})

    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "rotated-secret"
    # The session cookie signed with the old key is still read (Flask 3.1 tries the fallbacks)...
    assert client.get("/private").text == "private 1"
    with client.session_transaction() as sess:
        assert sess["cart"] == [42]
    # ...but Flask-Login signs the remember cookie with SECRET_KEY alone,
    only_remember = _browser_with_remember_cookie(app, remember)
    assert only_remember.get("/private").status_code == 401
    # and a serializer built from app.secret_key knows nothing of the fallbacks.
    with pytest.raises(BadSignature):
        URLSafeTimedSerializer(app.secret_key, salt="password-reset").loads(own_token)
    keys = [*app.config["SECRET_KEY_FALLBACKS"], app.secret_key]
    assert URLSafeTimedSerializer(keys, salt="password-reset").loads(own_token) == {"uid": 1}


class Account:
    def __init__(self, password: str) -> None:
        self.id = 7
        self.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")


def _reset_serializer(account: Account) -> URLSafeTimedSerializer:
    # The current password hash goes into the salt: once the password changes, older links stop verifying.
    return _serializer(salt="password-reset:" + account.password_hash)


def test_binding_a_reset_token_to_the_password_hash_makes_it_single_use(clock: type[_Clock]) -> None:
    account = Account("old password")
    token = _reset_serializer(account).dumps({"uid": account.id})
    # A plain timed token can be replayed as often as you like until max_age.
    plain = _serializer().dumps({"uid": account.id})
    for _ in range(3):
        assert _serializer().loads(plain, max_age=3600) == {"uid": 7}
    assert _reset_serializer(account).loads(token, max_age=3600) == {"uid": 7}
    account.password_hash = generate_password_hash("new password", method="pbkdf2:sha256:1000")
    with pytest.raises(BadSignature):
        _reset_serializer(account).loads(token, max_age=3600)
    # Still within max_age, and only the salt changed.
    assert _serializer().loads(plain, max_age=3600) == {"uid": 7}
    # The view can read the id before verifying (it picks which salt to try), but must not trust it yet.
    ok, unverified = _reset_serializer(account).loads_unsafe(token)
    assert ok is False and unverified == {"uid": 7}
    forged = _serializer(key="attacker-key", salt="password-reset:" + account.password_hash).dumps({"uid": 7})
    with pytest.raises(BadSignature):
        _reset_serializer(account).loads(forged, max_age=3600)


def test_timed_json_web_signature_serializer_is_gone() -> None:
    import itsdangerous

    assert not hasattr(itsdangerous, "TimedJSONWebSignatureSerializer")
    assert not hasattr(itsdangerous, "JSONWebSignatureSerializer")
    assert importlib.util.find_spec("itsdangerous.jws") is None


# ---------------------------------------------------------------- OAuth2 / OIDC login against a local fake provider

ISSUER = "https://idp.test"
CLIENT_ID = "flask-app"
CLIENT_SECRET = "client-secret"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeProvider:
    """An in-process OpenID provider (a Flask app) that Authlib's client reaches through a requests adapter."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.signing_key = self.key  # what signs the id_token; the JWKS publishes self.key
        self.codes: dict[str, dict[str, Any]] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.userinfo_hits = 0
        # Knobs a test turns to make the provider misbehave (or a token come from somewhere else).
        self.claim_overrides: dict[str, Any] = {}
        self.drop_claims: set[str] = set()
        self.app = self._build()

    def id_token(self, claims: dict[str, Any]) -> str:
        from joserfc import jwt

        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.signing_key)

    def _build(self) -> Flask:
        idp = Flask("fake_idp")

        @idp.get("/.well-known/openid-configuration")
        def metadata() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "userinfo_endpoint": f"{ISSUER}/userinfo",
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "response_types_supported": ["code"],
            }

        @idp.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @idp.get("/authorize")
        def authorize() -> Any:
            args = request.args.to_dict()
            self.authorize_requests.append(args)
            code = f"code-{len(self.codes) + 1}"
            self.codes[code] = {**args, "used": False}
            return redirect(f"{args['redirect_uri']}?code={code}&state={args['state']}")

        @idp.post("/token")
        def token() -> Any:
            form = request.form.to_dict()
            self.token_requests.append(form)
            auth = request.authorization
            if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
                return {"error": "invalid_client"}, 401
            grant = self.codes.get(form.get("code", ""))
            if grant is None or grant["used"] or grant["redirect_uri"] != form.get("redirect_uri"):
                return {"error": "invalid_grant"}, 400
            if "code_challenge" in grant:
                verifier = form.get("code_verifier", "")
                expected = _b64(hashlib.sha256(verifier.encode()).digest())
                if grant["code_challenge_method"] != "S256" or expected != grant["code_challenge"]:
                    return {"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400
            grant["used"] = True
            now = int(time.time())
            claims: dict[str, Any] = {
                "iss": ISSUER,
                "sub": "user-123",
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "email": "ann@example.com",
            }
            if "nonce" in grant:
                claims["nonce"] = grant["nonce"]
            claims.update(self.claim_overrides)
            for name in self.drop_claims:
                claims.pop(name, None)
            return {
                "access_token": "opaque-access-token",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(claims),
            }

        @idp.get("/userinfo")
        def userinfo() -> dict[str, Any]:
            self.userinfo_hits += 1
            return {"sub": "user-123", "email": "ann@example.com"}

        return idp


class _FlaskAdapter:
    """A requests transport adapter that hands requests for ISSUER to the fake provider's WSGI app."""

    def __init__(self, idp: Flask) -> None:
        self.client = idp.test_client()

    def send(self, prepared: Any, **_: Any) -> Any:
        from urllib.parse import urlsplit

        import requests

        url = urlsplit(prepared.url)
        reply = self.client.open(
            url.path,
            method=prepared.method,
            query_string=url.query,
            headers=dict(prepared.headers),
            data=prepared.body,
        )
        response = requests.Response()
        response.status_code = reply.status_code
        response._content = reply.get_data()
        response.headers.update(dict(reply.headers))
        response.url = prepared.url
        response.request = prepared
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    import requests

    idp = FakeProvider()
    adapter = _FlaskAdapter(idp.app)
    real_get_adapter = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> Any:
        if url.startswith(ISSUER + "/"):
            return adapter
        if url.startswith(("http://", "https://")):
            raise AssertionError(f"network access in a bank check: {url}")
        return real_get_adapter(self, url)

    monkeypatch.setattr(requests.Session, "get_adapter", get_adapter)
    return idp


def _rp_app(*, pkce: bool = True, scope: str = "openid email") -> Flask:
    from authlib.integrations.flask_client import OAuth, OAuthError

    app = Flask("relying_party")
    app.secret_key = "rp-secret"
    oauth = OAuth(app)
    client_kwargs: dict[str, Any] = {"scope": scope}
    if pkce:
        client_kwargs["code_challenge_method"] = "S256"
    oauth.register(
        "idp",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )

    @app.get("/login")
    def login() -> Any:
        return oauth.idp.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        try:
            token = oauth.idp.authorize_access_token()
        except OAuthError as e:
            return {"error": e.error}, 400
        except Exception as e:  # claim validation errors come from joserfc
            return {"error": type(e).__name__, "detail": str(e)}, 400
        userinfo = token.get("userinfo")
        if userinfo is not None:
            # Keep only the identity in the (readable) cookie session, keyed by issuer and subject.
            session["user"] = {"iss": userinfo["iss"], "sub": userinfo["sub"]}
        return {"userinfo": dict(userinfo) if userinfo else None, "keys": sorted(token)}

    return app


def _start_login(rp: Any) -> tuple[str, dict[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    response = rp.get("/login")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{ISSUER}/authorize?")
    return location, dict(parse_qsl(urlsplit(location).query))


def _provider_redirect(idp: FakeProvider, params: dict[str, str]) -> str:
    from urllib.parse import urlsplit

    reply = idp.app.test_client().get("/authorize", query_string=params)
    target = urlsplit(reply.headers["Location"])
    return f"{target.path}?{target.query}"


def _session_of(app: Flask, client: Any) -> dict[str, Any]:
    with client.session_transaction() as sess:
        return dict(sess)


def test_full_code_flow_with_pkce_state_and_nonce(provider: FakeProvider) -> None:
    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://localhost/callback"
    assert {"state", "nonce", "code_challenge"} <= params.keys() and params["code_challenge_method"] == "S256"
    # What Authlib keeps between the two requests: in the Flask session, under the state value.
    stored = _session_of(app, rp)[f"_state_idp_{params['state']}"]["data"]
    assert stored["nonce"] == params["nonce"]
    assert _b64(hashlib.sha256(stored["code_verifier"].encode()).digest()) == params["code_challenge"]
    assert "code_verifier" not in params  # the verifier never travels through the browser's redirect

    result = rp.get(_provider_redirect(provider, params))
    assert result.status_code == 200, result.json
    # The back-channel token request carried the verifier and the same redirect_uri.
    sent = provider.token_requests[-1]
    assert sent["grant_type"] == "authorization_code" and sent["code_verifier"] == stored["code_verifier"]
    assert sent["redirect_uri"] == "http://localhost/callback"
    assert result.json["userinfo"]["sub"] == "user-123" and result.json["userinfo"]["nonce"] == params["nonce"]
    # The state entry is consumed: the same callback cannot be replayed in this session.
    assert not any(k.startswith("_state_idp_") for k in _session_of(app, rp))
    assert _session_of(app, rp)["user"] == {"iss": ISSUER, "sub": "user-123"}


def test_callback_without_the_state_in_this_session_is_refused(provider: FakeProvider) -> None:
    app = _rp_app()
    attacker = app.test_client()
    _, params = _start_login(attacker)
    callback = _provider_redirect(provider, params)
    # Login CSRF: the victim's browser is made to open the attacker's callback URL.
    victim = app.test_client()
    reply = victim.get(callback)
    assert reply.status_code == 400 and reply.json == {"error": "mismatching_state"}
    assert provider.token_requests == []  # refused before the code was ever exchanged
    # A state value that does not match the one stored is refused the same way.
    _start_login(victim)
    assert victim.get("/callback?code=code-1&state=forged").json == {"error": "mismatching_state"}


def test_session_cookie_missing_on_the_callback_breaks_the_flow(provider: FakeProvider) -> None:
    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    callback = _provider_redirect(provider, params)
    # As with SameSite=Strict on a cross-site redirect, or a callback on another host: no cookie comes back.
    rp.delete_cookie("session")
    assert rp.get(callback).json == {"error": "mismatching_state"}


def test_authlib_uses_pkce_only_when_asked(provider: FakeProvider) -> None:
    app = _rp_app(pkce=False)
    rp = app.test_client()
    _, params = _start_login(rp)
    # The provider advertises S256, yet without code_challenge_method Authlib sends no challenge.
    assert "code_challenge" not in params and "code_challenge_method" not in params
    stored = _session_of(app, rp)[f"_state_idp_{params['state']}"]["data"]
    assert "code_verifier" not in stored
    assert rp.get(_provider_redirect(provider, params)).status_code == 200
    assert "code_verifier" not in provider.token_requests[-1]


def test_pkce_stops_a_stolen_code_from_being_redeemed(provider: FakeProvider) -> None:
    import requests

    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    callback = _provider_redirect(provider, params)
    code = callback.split("code=")[1].split("&")[0]
    # An attacker holding the code (and even the client secret) but not the verifier gets nothing.
    stolen = requests.post(
        f"{ISSUER}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/callback"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )
    assert stolen.status_code == 400 and stolen.json()["error_description"] == "PKCE verification failed"
    wrong = requests.post(
        f"{ISSUER}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost/callback",
            "code_verifier": params["code_challenge"],  # the challenge is public; it is not the verifier
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )
    assert wrong.status_code == 400
    # The legitimate client, with the verifier from its session, redeems it.
    assert rp.get(callback).status_code == 200


def test_id_token_with_another_nonce_is_rejected(provider: FakeProvider) -> None:
    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    provider.claim_overrides = {"nonce": "nonce-from-another-login"}
    reply = rp.get(_provider_redirect(provider, params))
    assert reply.status_code == 400
    assert reply.json["error"] == "InvalidClaimError" and "nonce" in reply.json["detail"]
    assert "user" not in _session_of(app, rp)


def test_nonce_is_sent_only_for_openid_scopes(provider: FakeProvider) -> None:
    _, params = _start_login(_rp_app(scope="openid email").test_client())
    assert len(params["nonce"]) >= 20
    _, params = _start_login(_rp_app(scope="email").test_client())
    assert "nonce" not in params


@pytest.mark.parametrize(
    ("override", "error", "claim"),
    [
        ({"iss": "https://evil.test"}, "InvalidClaimError", "iss"),
        ({"exp": 1_000_000, "iat": 999_000}, "ExpiredTokenError", ""),
        ({"aud": "some-other-client"}, "MissingClaimError", "azp"),
        ({"aud": "some-other-client", "azp": "some-other-client"}, "InvalidClaimError", "azp"),
    ],
)
def test_id_token_claims_are_validated(
    provider: FakeProvider, override: dict[str, Any], error: str, claim: str
) -> None:
    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    provider.claim_overrides = override
    reply = rp.get(_provider_redirect(provider, params))
    assert reply.status_code == 400, reply.json
    assert reply.json["error"] == error and claim in reply.json["detail"]


def test_expiry_is_checked_with_a_120_second_leeway(provider: FakeProvider) -> None:
    app = _rp_app()
    rp = app.test_client()
    now = int(time.time())
    _, params = _start_login(rp)
    provider.claim_overrides = {"iat": now - 600, "exp": now - 60}
    assert rp.get(_provider_redirect(provider, params)).status_code == 200
    _, params = _start_login(rp)
    provider.claim_overrides = {"iat": now - 600, "exp": now - 300}
    assert rp.get(_provider_redirect(provider, params)).json["error"] == "ExpiredTokenError"


def _rp_with_claims_options(claims_options: dict[str, Any] | None) -> Flask:
    from authlib.integrations.flask_client import OAuth

    app = Flask("relying_party_options")
    app.secret_key = "rp-secret"
    oauth = OAuth(app)
    oauth.register(
        "idp",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
    )

    @app.get("/login")
    def login() -> Any:
        return oauth.idp.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        kwargs = {} if claims_options is None else {"claims_options": claims_options}
        try:
            token = oauth.idp.authorize_access_token(**kwargs)
        except Exception as e:
            return {"error": type(e).__name__, "detail": str(e)}, 400
        return {"userinfo": dict(token["userinfo"])}

    return app


def _login_with(provider: FakeProvider, app: Flask, claims: dict[str, Any]) -> Any:
    rp = app.test_client()
    _, params = _start_login(rp)
    provider.claim_overrides = claims
    return rp.get(_provider_redirect(provider, params))


def test_audience_check_by_default_and_claims_options_replacing_the_issuer_check(provider: FakeProvider) -> None:
    foreign_aud = {"aud": "some-other-client", "azp": CLIENT_ID}
    evil_iss = {"iss": "https://evil.test"}
    # Default: the issuer comes from the metadata; the audience is only compared through azp.
    default = _rp_with_claims_options(None)
    assert _login_with(provider, default, foreign_aud).status_code == 200
    assert _login_with(provider, default, evil_iss).json["error"] == "InvalidClaimError"
    # claims_options for aud alone enforces the audience but drops the default issuer check.
    aud_only = _rp_with_claims_options({"aud": {"essential": True, "values": [CLIENT_ID]}})
    assert "aud" in _login_with(provider, aud_only, foreign_aud).json["detail"]
    assert _login_with(provider, aud_only, evil_iss).status_code == 200
    both = _rp_with_claims_options(
        {"iss": {"essential": True, "values": [ISSUER]}, "aud": {"essential": True, "values": [CLIENT_ID]}}
    )
    assert "aud" in _login_with(provider, both, foreign_aud).json["detail"]
    assert "iss" in _login_with(provider, both, evil_iss).json["detail"]
    assert _login_with(provider, both, {}).status_code == 200


def test_id_token_signed_with_another_key_is_rejected(provider: FakeProvider) -> None:
    from joserfc.jwk import RSAKey

    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    # Same kid, same claims, but a key the provider's JWKS does not publish.
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    reply = rp.get(_provider_redirect(provider, params))
    assert reply.status_code == 400 and reply.json["error"] == "BadSignatureError"
    assert "user" not in _session_of(app, rp)


def test_id_token_without_sub_is_rejected_but_email_is_optional(provider: FakeProvider) -> None:
    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    provider.drop_claims = {"email"}
    ok = rp.get(_provider_redirect(provider, params))
    assert ok.status_code == 200 and "email" not in ok.json["userinfo"]
    _, params = _start_login(rp)
    provider.drop_claims = {"sub"}
    reply = rp.get(_provider_redirect(provider, params))
    assert reply.status_code == 400 and reply.json["error"] == "MissingClaimError" and "sub" in reply.json["detail"]


def test_userinfo_comes_from_the_validated_id_token_not_the_endpoint(provider: FakeProvider) -> None:
    app = _rp_app()
    rp = app.test_client()
    _, params = _start_login(rp)
    reply = rp.get(_provider_redirect(provider, params))
    assert reply.json["userinfo"]["aud"] == CLIENT_ID and reply.json["userinfo"]["iss"] == ISSUER
    assert provider.userinfo_hits == 0
    assert reply.json["keys"] == ["access_token", "expires_at", "expires_in", "id_token", "token_type", "userinfo"]


def test_flask_session_cookie_is_readable_so_tokens_do_not_belong_in_it(provider: FakeProvider) -> None:
    from flask.sessions import SecureCookieSessionInterface

    app = _rp_app()
    rp = app.test_client()
    _start_login(rp)
    cookie = rp.get_cookie("session").value
    body = cookie.split(".")[0]
    compressed = cookie.startswith(".")
    if compressed:
        body = cookie.split(".")[1]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if compressed:
        import zlib

        raw = zlib.decompress(raw)
    # Anyone holding the cookie reads the PKCE verifier and nonce: signed, not encrypted.
    assert b"code_verifier" in raw and b"nonce" in raw
    with app.test_request_context():
        serializer = SecureCookieSessionInterface().get_signing_serializer(app)
        assert serializer is not None
        assert any(k.startswith("_state_idp_") for k in serializer.loads(cookie))


def test_external_redirect_uri_needs_proxyfix_behind_a_tls_proxy() -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = Flask(__name__)

    @app.get("/callback")
    def callback() -> str:
        return url_for("callback", _external=True)

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com"}
    assert app.test_client().get("/callback", headers=headers).text == "http://localhost/callback"
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    assert app.test_client().get("/callback", headers=headers).text == "https://app.example.com/callback"
