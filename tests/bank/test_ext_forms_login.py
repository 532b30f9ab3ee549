"""Executable checks for the bank's Flask-WTF (forms, CSRF) and Flask-Login claims."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, render_template_string, request, session
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import CSRFProtect, FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import StringField
from wtforms.validators import DataRequired


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])


def _form_app() -> tuple[Flask, list[tuple[bool, dict[str, Any]]]]:
    app = Flask(__name__)
    app.secret_key = "test"
    seen: list[tuple[bool, dict[str, Any]]] = []

    @app.route("/register", methods=["GET", "POST"])
    def register() -> str:
        form = RegisterForm()
        seen.append((form.validate_on_submit(), dict(form.errors)))
        return render_template_string("{{ form.csrf_token }}{{ form.username }}", form=form)

    return app, seen


def test_validate_on_submit_is_false_on_get_without_running_validators() -> None:
    app, seen = _form_app()
    response = app.test_client().get("/register")
    assert response.status_code == 200
    # Not submitted: no validator ran, so there are no errors, and no CSRF error was raised.
    assert seen == [(False, {})]


def test_flask_wtf_form_validates_fields_and_csrf_token() -> None:
    app, seen = _form_app()
    client = app.test_client()
    page = client.get("/register").text
    # FlaskForm adds a hidden csrf_token field by itself.
    assert 'type="hidden"' in page and 'name="csrf_token"' in page
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match is not None, page
    token = match.group(1)

    client.post("/register", data={"username": "ann"})
    assert seen[-1][0] is False and "csrf_token" in seen[-1][1]
    client.post("/register", data={"username": "", "csrf_token": token})
    assert seen[-1] == (False, {"username": ["This field is required."]})
    client.post("/register", data={"username": "ann", "csrf_token": token})
    assert seen[-1] == (True, {})


def _csrf_app(protect: bool) -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    if protect:
        CSRFProtect(app)

    @app.get("/page")
    def page() -> str:
        return render_template_string("{{ csrf_token() }}") if protect else "page"

    @app.post("/api/notes")
    def notes() -> dict[str, Any]:
        return {"saved": request.get_json()}

    @app.get("/api/notes")
    def list_notes() -> dict[str, Any]:
        return {"notes": []}

    return app


def test_flask_core_has_no_csrf_protection() -> None:
    client = _csrf_app(protect=False).test_client()
    # A cross-site POST with the user's cookies and no token at all is accepted.
    assert client.post("/api/notes", json={"n": 1}).status_code == 200


def test_csrfprotect_checks_json_posts_and_reads_the_header() -> None:
    app = _csrf_app(protect=True)
    client = app.test_client()
    token = client.get("/page").text
    # The browser's session cookie goes along with the POST; it does not stand in for the token.
    assert client.get_cookie("session") is not None

    missing = client.post("/api/notes", json={"n": 1})
    assert missing.status_code == 400
    assert b"The CSRF token is missing." in missing.data
    assert client.post("/api/notes?csrf=1", json={"n": 1}).status_code == 400
    # GET is not checked: it must not change state in the first place.
    assert client.get("/api/notes").status_code == 200

    for header in ("X-CSRFToken", "X-CSRF-Token"):
        ok = client.post("/api/notes", json={"n": 1}, headers={header: token})
        assert ok.status_code == 200 and ok.get_json() == {"saved": {"n": 1}}
    # The token is bound to the session: another browser cannot reuse it.
    other = app.test_client()
    assert other.post("/api/notes", json={"n": 1}, headers={"X-CSRFToken": token}).status_code == 400


def test_csrf_token_is_tied_to_the_session_and_secret_key() -> None:
    app = _csrf_app(protect=True)
    with app.test_request_context():
        token = generate_csrf()
        assert "csrf_token" in session  # the raw value lives in the signed session
        assert token != session["csrf_token"]  # what the page gets is signed with the secret key


class _User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def test_flask_login_keeps_the_id_in_the_session_and_reloads_the_user() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    manager = LoginManager(app)
    loaded: list[str] = []

    @manager.user_loader
    def load_user(user_id: str) -> _User:
        loaded.append(user_id)
        return _User(user_id)

    @app.post("/login")
    def login() -> str:
        login_user(_User("7"))
        return "ok"

    @app.get("/me")
    @login_required
    def me() -> str:
        return f"{current_user.id} {session['_user_id']}"

    @app.post("/logout")
    def logout() -> str:
        logout_user()
        return "bye"

    client = app.test_client()
    assert client.get("/me").status_code == 401  # anonymous: login_required refuses
    client.post("/login")
    with client.session_transaction() as sess:
        assert sess["_user_id"] == "7"  # only the id is stored
    assert client.get("/me").text == "7 7"
    assert loaded == ["7"]  # the user object was rebuilt by the loader on the next request
    client.post("/logout")
    assert client.get("/me").status_code == 401


def test_login_required_redirects_to_login_view_or_gives_401() -> None:
    def make(login_view: str | None) -> Flask:
        app = Flask(__name__)
        app.secret_key = "test"
        manager = LoginManager(app)
        if login_view:
            manager.login_view = login_view
        manager.user_loader(lambda user_id: None)

        @app.get("/login")
        def login() -> str:
            return "login form"

        @app.get("/admin")
        @login_required
        def admin() -> str:
            return "admin"

        return app

    r = make(None).test_client().get("/admin")
    assert r.status_code == 401
    r = make("login").test_client().get("/admin")
    assert (r.status_code, r.headers["Location"]) == (302, "/login?next=%2Fadmin")


def test_flask_login_client_logs_a_user_in() -> None:
    from flask_login import FlaskLoginClient

    app = Flask(__name__)
    app.secret_key = "test"
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: _User(user_id))

    @app.get("/me")
    @login_required
    def me() -> str:
        return str(current_user.id)

    assert app.test_client().get("/me").status_code == 401
    app.test_client_class = FlaskLoginClient
    assert app.test_client(user=_User("7")).get("/me").text == "7"
