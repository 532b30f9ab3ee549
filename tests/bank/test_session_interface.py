"""Executable checks for the SessionInterface questions: a server-side store, null sessions, cookie deletion."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask, Request, Response, session
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin


class ServerSideSession(SecureCookieSession):
    """A dict-like session that remembers its id; the data itself stays on the server."""

    def __init__(self, sid: str, initial: dict[str, object] | None = None) -> None:
        super().__init__(initial or {})
        self.sid = sid


class DictSessionInterface(SessionInterface):
    """Keeps session data in a dict (standing in for Redis); the cookie holds only a random id."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, object]] = {}

    def open_session(self, app: Flask, request: Request) -> ServerSideSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and sid in self.store:
            return ServerSideSession(sid, dict(self.store[sid]))
        return ServerSideSession(secrets.token_urlsafe(32))

    def save_session(self, app: Flask, sess: SessionMixin, response: Response) -> None:
        assert isinstance(sess, ServerSideSession)
        name = self.get_cookie_name(app)
        if not sess:
            if sess.modified:
                self.store.pop(sess.sid, None)
                response.delete_cookie(name, path=self.get_cookie_path(app))
            return
        if not self.should_set_cookie(app, sess):
            return
        self.store[sess.sid] = dict(sess)
        response.set_cookie(name, sess.sid, httponly=True, path=self.get_cookie_path(app))


def _app(interface: SessionInterface | None = None, secret: str | None = "k") -> Flask:
    app = Flask(__name__)
    app.secret_key = secret
    if interface is not None:
        app.session_interface = interface

    @app.get("/login")
    def login() -> str:
        session["user_id"] = 42
        return "ok"

    @app.get("/me")
    def me() -> dict[str, object]:
        return {"user_id": session.get("user_id")}

    @app.get("/logout")
    def logout() -> str:
        session.clear()
        return "bye"

    @app.get("/has")
    def has() -> str:
        return str("user_id" in session)

    @app.get("/static-ish")
    def plain() -> str:
        return "no session here"

    return app


def test_custom_interface_keeps_data_server_side() -> None:
    iface = DictSessionInterface()
    client = _app(iface).test_client()
    client.get("/login")
    sid = client.get_cookie("session").value
    assert iface.store[sid] == {"user_id": 42}
    # The cookie is only a random key: neither the data nor its base64 (as Flask's signed cookie carries it) is in it.
    # ("42" alone can turn up in a random id by chance.)
    assert "user_id" not in sid
    assert "eyJ1c2VyX2lkIjo" not in sid
    assert client.get("/me").get_json() == {"user_id": 42}
    client.get("/logout")
    assert sid not in iface.store
    assert client.get_cookie("session") is None


def test_session_interface_requires_open_and_save() -> None:
    class Incomplete(SessionInterface):
        pass

    app = _app(Incomplete())
    app.testing = True
    with pytest.raises(NotImplementedError):
        app.test_client().get("/me")


def test_open_session_returning_none_gives_null_session() -> None:
    class Refusing(SessionInterface):
        def open_session(self, app: Flask, request: Request) -> None:
            return None

        def save_session(self, app: Flask, sess: SessionMixin, response: Response) -> None:
            raise AssertionError("never called for a null session")

    app = _app(Refusing())
    app.testing = True
    client = app.test_client()
    assert client.get("/me").get_json() == {"user_id": None}
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/login")


def test_clearing_the_default_session_deletes_the_cookie() -> None:
    client = _app().test_client()
    client.get("/login")
    assert client.get_cookie("session") is not None
    r = client.get("/logout")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("session=;")
    assert "Max-Age=0" in cookie
    assert client.get_cookie("session") is None


def test_reading_the_session_adds_vary_cookie() -> None:
    client = _app().test_client()
    assert "Cookie" not in client.get("/static-ish").headers.get_all("Vary")
    assert "Cookie" in client.get("/me").headers.get_all("Vary")
    # Flask 3.1.3: a membership test also marks the session as accessed
    assert "Cookie" in client.get("/has").headers.get_all("Vary")
