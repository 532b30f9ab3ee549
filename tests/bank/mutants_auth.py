"""Mutants for the auth checks (tests/bank/test_auth.py): Werkzeug's hashing, argon2/bcrypt, Flask-Login,
itsdangerous and Authlib altered to behave as a wrong option of an auth question says."""

from __future__ import annotations

import base64
import json
from functools import wraps
from typing import Any

import pytest

from tests.bank.mutants import _with_kwargs, mutant

AUTH = "test_auth.py"


def _patch_everywhere(mp: pytest.MonkeyPatch, name: str, make: Any, *modules: Any) -> None:
    """Replace a function re-exported by several modules (flask_login.login_user and flask_login.utils.login_user)."""
    original = getattr(modules[0], name)
    replacement = make(original)
    for module in modules:
        mp.setattr(module, name, replacement)


# ---------------------------------------------------------------- password hashing


@mutant("hash-default-pbkdf2", "generate_password_hash defaults to pbkdf2:sha256:600000", AUTH)
def _hash_default_pbkdf2(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.security

    original = werkzeug.security.generate_password_hash

    @wraps(original)
    def generate(password: str, method: str = "pbkdf2:sha256:600000", salt_length: int = 16) -> str:
        return original(password, method=method, salt_length=salt_length)

    mp.setattr(werkzeug.security, "generate_password_hash", generate)


@mutant("hash-check-uses-current-defaults", "check_password_hash applies today's work factor to old hashes", AUTH)
def _hash_check_current_defaults(mp: pytest.MonkeyPatch) -> None:
    import hmac

    import werkzeug.security

    def check(pwhash: str, password: str) -> bool:
        method, salt, hashval = pwhash.split("$", 2)
        fresh = werkzeug.security._hash_internal(method.split(":")[0], salt, password)[0]
        return hmac.compare_digest(fresh, hashval)

    mp.setattr(werkzeug.security, "check_password_hash", check)


@mutant("hash-legacy-method-is-false", "check_password_hash returns False for a hash method it does not know", AUTH)
def _hash_legacy_false(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.security

    original = werkzeug.security.check_password_hash

    def check(pwhash: str, password: str) -> bool:
        try:
            return original(pwhash, password)
        except ValueError:
            return False

    mp.setattr(werkzeug.security, "check_password_hash", check)


@mutant("hash-compared-with-eq", "check_password_hash compares digests with ==", AUTH)
def _hash_compared_with_eq(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.security

    def check(pwhash: str, password: str) -> bool:
        method, salt, hashval = pwhash.split("$", 2)
        return bool(werkzeug.security._hash_internal(method, salt, password)[0] == hashval)

    mp.setattr(werkzeug.security, "check_password_hash", check)


@mutant("scrypt-default-n-16384", "Werkzeug's default scrypt uses N=16384 (16 MiB)", AUTH)
def _scrypt_lighter(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.security

    original = werkzeug.security._hash_internal

    def hash_internal(method: str, salt: str, password: str) -> tuple[str, str]:
        return original("scrypt:16384:8:1" if method == "scrypt" else method, salt, password)

    mp.setattr(werkzeug.security, "_hash_internal", hash_internal)


@mutant("bcrypt-truncates-silently", "bcrypt 5 hashes only the first 72 bytes of a longer password", AUTH)
def _bcrypt_truncates(mp: pytest.MonkeyPatch) -> None:
    import bcrypt

    original = bcrypt.hashpw
    mp.setattr(bcrypt, "hashpw", lambda password, salt: original(password[:72], salt))


@mutant("argon2-verify-returns-false", "argon2-cffi's PasswordHasher.verify returns False on a wrong password", AUTH)
def _argon2_verify_false(mp: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerifyMismatchError

    original = PasswordHasher.verify

    def verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        try:
            return original(self, hash, password)
        except VerifyMismatchError:
            return False

    mp.setattr(PasswordHasher, "verify", verify)


@mutant("argon2-never-needs-rehash", "check_needs_rehash only looks at the algorithm, not the parameters", AUTH)
def _argon2_no_rehash(mp: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    mp.setattr(PasswordHasher, "check_needs_rehash", lambda self, hash: not str(hash).startswith("$argon2id$"))


# ---------------------------------------------------------------- Flask-Login


@mutant("login-loader-on-every-access", "user_loader runs each time current_user is read", AUTH)
def _loader_every_access(mp: pytest.MonkeyPatch) -> None:
    import flask_login.utils
    from flask import current_app, g, has_request_context

    def get_user() -> Any:
        if has_request_context():
            current_app.login_manager._load_user()  # type: ignore[attr-defined]
            return g._login_user
        return None

    mp.setattr(flask_login.utils, "_get_user", get_user)


@mutant("login-loader-before-every-request", "Flask-Login loads the user before every request", AUTH)
def _loader_before_request(mp: pytest.MonkeyPatch) -> None:
    from flask_login import LoginManager

    original = LoginManager.init_app

    def init_app(self: LoginManager, app: Any, add_context_processor: bool = True) -> None:
        original(self, app, add_context_processor)

        @app.before_request
        def load() -> None:
            from flask_login.utils import _get_user

            _get_user()

    mp.setattr(LoginManager, "init_app", init_app)


@mutant("login-deleted-user-raises", "a user_loader returning None makes Flask-Login raise", AUTH)
def _deleted_user_raises(mp: pytest.MonkeyPatch) -> None:
    from flask import g, session
    from flask_login import LoginManager

    original = LoginManager._load_user

    def load(self: LoginManager) -> Any:
        result = original(self)
        if session.get("_user_id") is not None and not g._login_user.is_authenticated:
            raise RuntimeError("user_loader returned None")
        return result

    mp.setattr(LoginManager, "_load_user", load)


@mutant("login-ignores-is-active", "login_user logs in inactive users too", AUTH)
def _login_ignores_active(mp: pytest.MonkeyPatch) -> None:
    import flask_login
    import flask_login.utils

    def make(original: Any) -> Any:
        @wraps(original)
        def login_user(user: Any, *args: Any, **kwargs: Any) -> bool:
            kwargs["force"] = True
            return bool(original(user, *args, **kwargs))

        return login_user

    _patch_everywhere(mp, "login_user", make, flask_login, flask_login.utils)


@mutant("login-required-redirects-by-default", "login_required redirects to /login even without login_view", AUTH)
def _login_required_redirects(mp: pytest.MonkeyPatch) -> None:
    from flask import redirect
    from flask_login import LoginManager

    original = LoginManager.unauthorized

    def unauthorized(self: LoginManager) -> Any:
        if not self.login_view and not self.unauthorized_callback:
            return redirect("/login")
        return original(self)

    mp.setattr(LoginManager, "unauthorized", unauthorized)


@mutant("login-unauthorized-handler-ignored", "unauthorized_handler only adds to the default redirect", AUTH)
def _unauthorized_handler_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask_login import LoginManager

    original = LoginManager.unauthorized

    def unauthorized(self: LoginManager) -> Any:
        saved, self.unauthorized_callback = self.unauthorized_callback, None
        try:
            return original(self)
        finally:
            self.unauthorized_callback = saved

    mp.setattr(LoginManager, "unauthorized", unauthorized)


@mutant("remember-cookie-31-days", "the remember-me cookie lasts as long as a permanent session (31 days)", AUTH)
def _remember_31_days(mp: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    import flask_login.login_manager

    mp.setattr(flask_login.login_manager, "COOKIE_DURATION", timedelta(days=31))


@mutant("remember-cookie-secure-by-default", "the remember-me cookie is Secure by default", AUTH)
def _remember_secure(mp: pytest.MonkeyPatch) -> None:
    import flask_login.login_manager

    mp.setattr(flask_login.login_manager, "COOKIE_SECURE", True)


@mutant("remember-cookie-revoked-on-logout", "logout_user revokes the remember-me token on the server", AUTH)
def _remember_revoked(mp: pytest.MonkeyPatch) -> None:
    import flask_login
    import flask_login.login_manager
    import flask_login.utils
    from flask import request

    revoked: set[str] = set()

    def make_logout(original: Any) -> Any:
        @wraps(original)
        def logout_user() -> bool:
            if "remember_token" in request.cookies:
                revoked.add(request.cookies["remember_token"])
            return bool(original())

        return logout_user

    _patch_everywhere(mp, "logout_user", make_logout, flask_login, flask_login.utils)
    original_decode = flask_login.login_manager.decode_cookie
    mp.setattr(
        flask_login.login_manager,
        "decode_cookie",
        lambda cookie, key=None: None if cookie in revoked else original_decode(cookie, key),
    )


@mutant("remember-login-is-fresh", "a login restored from the remember-me cookie counts as fresh", AUTH)
def _remember_fresh(mp: pytest.MonkeyPatch) -> None:
    from flask import session
    from flask_login import LoginManager

    original = LoginManager._load_user_from_remember_cookie

    def load(self: LoginManager, cookie: str) -> Any:
        user = original(self, cookie)
        if user is not None:
            session["_fresh"] = True
        return user

    mp.setattr(LoginManager, "_load_user_from_remember_cookie", load)


@mutant("logout-clears-the-session", "logout_user empties the whole session", AUTH)
def _logout_clears(mp: pytest.MonkeyPatch) -> None:
    import flask_login
    import flask_login.utils
    from flask import session

    def make(original: Any) -> Any:
        @wraps(original)
        def logout_user() -> bool:
            result = original()
            remember = session.get("_remember")
            session.clear()
            if remember:
                session["_remember"] = remember
            return bool(result)

        return logout_user

    _patch_everywhere(mp, "logout_user", make, flask_login, flask_login.utils)


@mutant(
    "session-protection-always-logs-out",
    "any session-protection mode logs the user out when the identifier changes",
    AUTH,
)
def _protection_logs_out(mp: pytest.MonkeyPatch) -> None:
    from flask import current_app, session
    from flask_login import LoginManager
    from flask_login.config import SESSION_KEYS

    def failed(self: LoginManager) -> bool:
        sess = session._get_current_object()  # type: ignore[attr-defined]
        mode = current_app.config.get("SESSION_PROTECTION", self.session_protection)
        if mode and sess and self._session_identifier_generator() != sess.get("_id"):
            for key in SESSION_KEYS:
                sess.pop(key, None)
            sess["_remember"] = "clear"
            return True
        return False

    mp.setattr(LoginManager, "_session_protection_failed", failed)


@mutant("session-identifier-ignores-forwarded-for", "the session identifier uses REMOTE_ADDR only", AUTH)
def _identifier_remote_addr(mp: pytest.MonkeyPatch) -> None:
    import flask_login.utils
    from flask import request

    mp.setattr(flask_login.utils, "_get_remote_addr", lambda: (request.remote_addr or "").encode())


@mutant("login-next-is-absolute", "Flask-Login puts the full URL, host included, in next", AUTH)
def _next_absolute(mp: pytest.MonkeyPatch) -> None:
    import flask_login.utils

    mp.setattr(flask_login.utils, "make_next_param", lambda login_url, current_url: current_url)


@mutant("redirect-refuses-other-hosts", "Flask's redirect() refuses a location on another host", AUTH)
def _redirect_local_only(mp: pytest.MonkeyPatch) -> None:
    import flask

    original = flask.redirect

    def redirect(location: str, code: int = 302, Response: Any = None) -> Any:
        if location.startswith(("http://", "https://", "//")):
            location = "/"
        return original(location, code, Response)

    mp.setattr(flask, "redirect", redirect)


# ---------------------------------------------------------------- itsdangerous


@mutant("timed-loads-default-max-age", "loads() without max_age rejects tokens older than an hour", AUTH)
def _default_max_age(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import TimedSerializer

    original = TimedSerializer.loads

    def loads(self: Any, s: Any, max_age: int | None = 3600, *args: Any, **kwargs: Any) -> Any:
        return original(self, s, max_age, *args, **kwargs)

    mp.setattr(TimedSerializer, "loads", loads)


@mutant("max-age-boundary-exclusive", "a token exactly max_age seconds old is expired", AUTH)
def _max_age_exclusive(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import TimestampSigner

    original = TimestampSigner.unsign

    def unsign(self: Any, signed_value: Any, max_age: int | None = None, return_timestamp: bool = False) -> Any:
        return original(self, signed_value, None if max_age is None else max_age - 1, return_timestamp)

    mp.setattr(TimestampSigner, "unsign", unsign)


@mutant("signature-expired-not-bad-signature", "SignatureExpired is not a subclass of BadSignature", AUTH)
def _expired_separate(mp: pytest.MonkeyPatch) -> None:
    import itsdangerous
    import itsdangerous.exc
    import itsdangerous.timed

    class SignatureExpired(itsdangerous.exc.BadData):
        def __init__(self, message: str, payload: Any = None, date_signed: Any = None) -> None:
            super().__init__(message)
            self.payload = payload
            self.date_signed = date_signed

    for module in (itsdangerous, itsdangerous.exc, itsdangerous.timed):
        mp.setattr(module, "SignatureExpired", SignatureExpired)


@mutant("signature-expired-without-payload", "an expired token's payload cannot be recovered", AUTH)
def _expired_no_payload(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import SignatureExpired, TimestampSigner

    original = TimestampSigner.unsign

    def unsign(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except SignatureExpired as e:
            e.payload = None
            raise

    mp.setattr(TimestampSigner, "unsign", unsign)


@mutant("serializer-payload-encrypted", "URLSafeTimedSerializer tokens cannot be read without the key", AUTH)
def _payload_encrypted(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous.encoding import base64_decode, base64_encode
    from itsdangerous.url_safe import URLSafeSerializerMixin

    dump, load = URLSafeSerializerMixin.dump_payload, URLSafeSerializerMixin.load_payload

    def scramble(data: bytes) -> bytes:
        return bytes(b ^ 0x5A for b in data)

    mp.setattr(URLSafeSerializerMixin, "dump_payload", lambda self, obj: base64_encode(scramble(dump(self, obj))))
    mp.setattr(
        URLSafeSerializerMixin,
        "load_payload",
        lambda self, payload, *a, **k: load(self, scramble(base64_decode(payload)), *a, **k),
    )


@mutant("serializer-ignores-salt", "the salt is only a label; any salt verifies any token", AUTH)
def _ignores_salt(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import Serializer

    def make_signer(self: Any, salt: Any = None) -> Any:
        return self.signer(self.secret_keys, salt=b"itsdangerous", **self.signer_kwargs)

    mp.setattr(Serializer, "make_signer", make_signer)


@mutant("rotation-first-key-signs", "with a list of keys, the first one signs", AUTH)
def _first_key_signs(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import Signer

    original = Signer.derive_key

    def derive_key(self: Signer, secret_key: Any = None) -> bytes:
        return original(self, self.secret_keys[0] if secret_key is None else secret_key)

    mp.setattr(Signer, "derive_key", derive_key)


@mutant("remember-cookie-uses-fallbacks", "Flask-Login accepts remember cookies signed with SECRET_KEY_FALLBACKS", AUTH)
def _remember_fallbacks(mp: pytest.MonkeyPatch) -> None:
    import flask_login.login_manager
    from flask import current_app

    original = flask_login.login_manager.decode_cookie

    def decode_cookie(cookie: str, key: Any = None) -> Any:
        found = original(cookie, key)
        for fallback in current_app.config.get("SECRET_KEY_FALLBACKS") or []:
            if found is None:
                found = original(cookie, fallback.encode() if isinstance(fallback, str) else fallback)
        return found

    mp.setattr(flask_login.login_manager, "decode_cookie", decode_cookie)


@mutant("timed-jws-serializer-still-there", "itsdangerous 2.2 still ships TimedJSONWebSignatureSerializer", AUTH)
def _jws_still_there(mp: pytest.MonkeyPatch) -> None:
    import itsdangerous

    mp.setattr(itsdangerous, "TimedJSONWebSignatureSerializer", itsdangerous.URLSafeTimedSerializer, raising=False)


# ---------------------------------------------------------------- Authlib (OAuth2 / OIDC client)


@mutant("authlib-state-not-checked", "Authlib's callback goes on when the state is not in the session", AUTH)
def _state_not_checked(mp: pytest.MonkeyPatch) -> None:
    from authlib.integrations.flask_client import FlaskIntegration

    original = FlaskIntegration.get_state_data
    mp.setattr(FlaskIntegration, "get_state_data", lambda self, session, state: original(self, session, state) or {})


@mutant("authlib-pkce-from-metadata", "Authlib turns PKCE on when the provider's metadata lists S256", AUTH)
def _pkce_from_metadata(mp: pytest.MonkeyPatch) -> None:
    from authlib.integrations.flask_client import FlaskOAuth2App

    original = FlaskOAuth2App._get_oauth_client

    def get_client(self: Any, **metadata: Any) -> Any:
        client = original(self, **metadata)
        if "S256" in metadata.get("code_challenge_methods_supported", []) and not client.code_challenge_method:
            client.code_challenge_method = "S256"
        return client

    mp.setattr(FlaskOAuth2App, "_get_oauth_client", get_client)


@mutant("pkce-challenge-is-the-verifier", "the code_challenge sent is the verifier itself", AUTH)
def _pkce_plain(mp: pytest.MonkeyPatch) -> None:
    import authlib.oauth2.client

    mp.setattr(authlib.oauth2.client, "create_s256_code_challenge", lambda verifier: verifier)


@mutant("authlib-nonce-not-checked", "Authlib accepts an id_token whatever its nonce", AUTH)
def _nonce_not_checked(mp: pytest.MonkeyPatch) -> None:
    from authlib.oidc.core import IDToken

    mp.setattr(IDToken, "validate_nonce", lambda self: None)


@mutant("authlib-nonce-without-openid", "Authlib sends a nonce whatever the scope", AUTH)
def _nonce_always(mp: pytest.MonkeyPatch) -> None:
    from authlib.common.security import generate_token
    from authlib.integrations.flask_client import FlaskOAuth2App

    original = FlaskOAuth2App._create_oauth2_authorization_url

    def create(client: Any, authorization_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("nonce", generate_token(20))
        return original(client, authorization_endpoint, **kwargs)

    mp.setattr(FlaskOAuth2App, "_create_oauth2_authorization_url", staticmethod(create))


@mutant("authlib-no-leeway", "Authlib rejects an id_token the moment exp has passed", AUTH)
def _no_leeway(mp: pytest.MonkeyPatch) -> None:
    from authlib.integrations.flask_client import FlaskOAuth2App

    _with_kwargs(mp, FlaskOAuth2App, "authorize_access_token", leeway=0)


@mutant("authlib-audience-not-checked", "Authlib does not look at aud or azp at all", AUTH)
def _azp_ignored(mp: pytest.MonkeyPatch) -> None:
    from authlib.oidc.core import IDToken

    mp.setattr(IDToken, "validate_azp", lambda self: None)


@mutant("authlib-claims-options-keep-issuer", "claims_options are added to Authlib's issuer check", AUTH)
def _claims_options_merge(mp: pytest.MonkeyPatch) -> None:
    from authlib.integrations.flask_client import FlaskOAuth2App

    original = FlaskOAuth2App.parse_id_token

    def parse(self: Any, token: Any, nonce: Any, claims_options: Any = None, **kwargs: Any) -> Any:
        issuer = self.load_server_metadata().get("issuer")
        if claims_options is not None and "iss" not in claims_options and issuer:
            claims_options = {**claims_options, "iss": {"values": [issuer]}}
        return original(self, token, nonce, claims_options=claims_options, **kwargs)

    mp.setattr(FlaskOAuth2App, "parse_id_token", parse)


@mutant(
    "authlib-userinfo-from-endpoint", "authorize_access_token fills userinfo by calling the userinfo endpoint", AUTH
)
def _userinfo_endpoint(mp: pytest.MonkeyPatch) -> None:
    from authlib.integrations.flask_client import FlaskOAuth2App

    original = FlaskOAuth2App.authorize_access_token

    def authorize(self: Any, **kwargs: Any) -> Any:
        token = original(self, **kwargs)
        token["userinfo"] = self.userinfo(token=token)
        return token

    mp.setattr(FlaskOAuth2App, "authorize_access_token", authorize)


@mutant("authlib-sub-optional", "an id_token without sub is accepted", AUTH)
def _sub_optional(mp: pytest.MonkeyPatch) -> None:
    from authlib.oidc.core import IDToken

    mp.setattr(IDToken, "ESSENTIAL_CLAIMS", ["iss", "aud", "exp", "iat"])


@mutant("authlib-signature-not-checked", "the id_token from the token endpoint is trusted without its signature", AUTH)
def _signature_not_checked(mp: pytest.MonkeyPatch) -> None:
    import authlib.integrations.base_client.sync_openid as sync_openid
    from joserfc.jws import extract_compact
    from joserfc.jwt import Token

    class Unverified:
        @staticmethod
        def decode(value: Any, key: Any = None, **_: Any) -> Token:
            obj = extract_compact(value.encode() if isinstance(value, str) else value)
            return Token(obj.headers(), json.loads(obj.payload))

    mp.setattr(sync_openid, "jwt", Unverified)


@mutant("session-cookie-encrypted", "Flask's session cookie cannot be read without the secret key", AUTH)
def _session_encrypted(mp: pytest.MonkeyPatch) -> None:
    from flask.json.tag import TaggedJSONSerializer

    dumps, loads = TaggedJSONSerializer.dumps, TaggedJSONSerializer.loads

    def scramble(data: bytes) -> bytes:
        return bytes(b ^ 0x5A for b in data)

    def scrambled_dumps(self: TaggedJSONSerializer, value: Any) -> str:
        return base64.b64encode(scramble(dumps(self, value).encode())).decode()

    def scrambled_loads(self: TaggedJSONSerializer, value: str) -> Any:
        return loads(self, scramble(base64.b64decode(value)).decode())

    mp.setattr(TaggedJSONSerializer, "dumps", scrambled_dumps)
    mp.setattr(TaggedJSONSerializer, "loads", scrambled_loads)


@mutant("url-for-trusts-forwarded-headers", "url_for(_external=True) follows X-Forwarded-Proto without ProxyFix", AUTH)
def _forwarded_trusted(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    original = Flask.wsgi_app

    def wsgi_app(self: Flask, environ: dict[str, Any], start_response: Any) -> Any:
        if "HTTP_X_FORWARDED_PROTO" in environ:
            environ["wsgi.url_scheme"] = environ["HTTP_X_FORWARDED_PROTO"]
        if "HTTP_X_FORWARDED_HOST" in environ:
            environ["HTTP_HOST"] = environ["HTTP_X_FORWARDED_HOST"]
        return original(self, environ, start_response)

    mp.setattr(Flask, "wsgi_app", wsgi_app)


@mutant(
    "logout-deletes-remember-cookie-at-once", "logout_user deletes the remember cookie itself, whatever follows", AUTH
)
def _logout_deletes_cookie(mp: pytest.MonkeyPatch) -> None:
    import flask_login
    import flask_login.utils
    from flask import after_this_request

    def make(original: Any) -> Any:
        @wraps(original)
        def logout_user() -> bool:
            result = original()

            @after_this_request
            def delete(response: Any) -> Any:
                response.delete_cookie("remember_token")
                return response

            return bool(result)

        return logout_user

    _patch_everywhere(mp, "logout_user", make, flask_login, flask_login.utils)


@mutant("scrypt-cost-grows-with-length", "a longer password makes scrypt measurably slower", AUTH)
def _scrypt_cost_grows(mp: pytest.MonkeyPatch) -> None:
    import hashlib

    original = hashlib.scrypt

    def scrypt(password: bytes, **kwargs: Any) -> bytes:
        for _ in range(len(password) // 16):
            original(password, **kwargs)
        return original(password, **kwargs)

    mp.setattr(hashlib, "scrypt", scrypt)


@mutant("token-payload-not-signed", "a timed token's signature covers the timestamp, not the payload", AUTH)
def _payload_not_signed(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import Signer

    original = Signer.get_signature

    def get_signature(self: Signer, value: str | bytes) -> bytes:
        data = value if isinstance(value, bytes) else value.encode()
        return original(self, data.rsplit(b".", 1)[-1])

    mp.setattr(Signer, "get_signature", get_signature)
