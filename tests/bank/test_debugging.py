"""Executable checks for the debugging-story questions: each reproduces the traceback the question shows."""

from __future__ import annotations

import runpy
import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Blueprint, Flask, current_app, flash, url_for
from flask.cli import ScriptInfo
from werkzeug.routing import BuildError


def test_current_app_outside_app_context() -> None:
    app = Flask(__name__)
    app.config["DATABASE"] = "app.db"
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        _ = current_app.config["DATABASE"]
    with app.app_context():
        assert current_app.config["DATABASE"] == "app.db"


MAIN_GUARDED = """
from flask import Flask, flash

app = Flask(__name__)

@app.post("/save")
def save():
    flash("Saved")
    return "ok"

if __name__ == "__main__":
    app.secret_key = "dev"
    app.run(debug=True)
"""


def test_secret_key_in_main_block_is_missing_under_flask_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / f"shop_{uuid.uuid4().hex}.py"
    module.write_text(MAIN_GUARDED, encoding="utf-8")
    monkeypatch.setattr(Flask, "run", lambda self, **kw: None)
    # `python shop.py` runs the guarded block
    as_script = runpy.run_path(str(module), run_name="__main__")["app"]
    assert as_script.secret_key == "dev"
    # `flask --app shop run` imports the module, so the block never runs
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    app = ScriptInfo(app_import_path=module.stem).load_app()
    assert app.secret_key is None
    app.testing = True
    with pytest.raises(RuntimeError, match="The session is unavailable because no secret key was set"):
        app.test_client().post("/save")


def test_flash_alone_needs_the_session() -> None:
    app = Flask(__name__)
    app.testing = True

    @app.post("/save")
    def save() -> str:
        flash("Saved")
        return "ok"

    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client().post("/save")


def test_build_error_suggests_the_blueprint_endpoint() -> None:
    app = Flask(__name__)
    auth = Blueprint("auth", __name__)

    @auth.get("/login")
    def login() -> str:
        return "login form"

    app.register_blueprint(auth)
    with app.test_request_context():
        with pytest.raises(BuildError, match=r"Did you mean 'auth\.login' instead\?"):
            url_for("login")
        assert url_for("auth.login") == "/login"

    named = Blueprint("auth", __name__)

    @named.get("/signin", endpoint="login")
    def signin() -> str:
        return "form"

    other = Flask(__name__)
    other.register_blueprint(named)
    # an explicit endpoint inside a blueprint is still prefixed with the blueprint's name
    assert {r.endpoint for r in other.url_map.iter_rules()} == {"static", "auth.login"}


def _index_view(body: str) -> object:
    def index() -> str:
        return body

    return index


def test_two_views_with_the_same_function_name_collide() -> None:
    app = Flask(__name__)
    app.route("/")(_index_view("home"))  # e.g. views/home.py: def index()
    with pytest.raises(AssertionError, match="overwriting an existing endpoint function: index"):
        app.route("/admin/")(_index_view("admin"))  # e.g. views/admin.py: def index()
    fixed = Flask(__name__)
    fixed.route("/")(_index_view("home"))
    fixed.add_url_rule("/admin/", endpoint="admin_index", view_func=_index_view("admin"))  # type: ignore[arg-type]
    client = fixed.test_client()
    assert (client.get("/").text, client.get("/admin/").text) == ("home", "admin")


def test_view_returning_none_is_a_type_error() -> None:
    app = Flask(__name__)
    app.testing = True

    @app.post("/save")
    def save() -> None:
        if False:  # the branch that would have returned did not run
            return None  # pragma: no cover

    with pytest.raises(TypeError, match="did not return a valid response"):
        app.test_client().post("/save")


def test_route_variable_must_match_parameter_name() -> None:
    app = Flask(__name__)
    app.testing = True

    @app.get("/posts/<int:post_id>")
    def show(id: int) -> str:
        return str(id)

    with pytest.raises(TypeError, match="unexpected keyword argument 'post_id'"):
        app.test_client().get("/posts/3")


def test_thread_started_from_view_has_no_app_context() -> None:
    app = Flask(__name__)
    app.config["SMTP_HOST"] = "mail.local"
    errors: list[BaseException] = []
    sent: list[str] = []

    def naive() -> None:
        try:
            sent.append(current_app.config["SMTP_HOST"])
        except RuntimeError as exc:
            errors.append(exc)

    def fixed(real_app: Flask) -> None:
        with real_app.app_context():
            sent.append(current_app.config["SMTP_HOST"])

    @app.post("/signup")
    def signup() -> str:
        t1 = threading.Thread(target=naive)
        t2 = threading.Thread(target=fixed, args=(current_app._get_current_object(),))  # type: ignore[attr-defined]
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        return "ok"

    app.test_client().post("/signup")
    assert len(errors) == 1 and "Working outside of application context" in str(errors[0])
    assert sent == ["mail.local"]


def test_json_provider_handles_datetime_but_not_set() -> None:
    app = Flask(__name__)
    app.testing = True
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    @app.get("/ok")
    def ok() -> dict[str, object]:
        return {"when": when, "price": Decimal("9.50"), "id": uuid.UUID(int=1)}

    @app.get("/bad")
    def bad() -> dict[str, object]:
        return {"when": when, "tags": {"new", "sale"}}

    client = app.test_client()
    assert client.get("/ok").get_json() == {
        "when": "Fri, 02 Jan 2026 03:04:05 GMT",
        "price": "9.50",
        "id": "00000000-0000-0000-0000-000000000001",
    }
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        client.get("/bad")


def test_two_blueprints_with_the_same_name() -> None:
    app = Flask(__name__)
    app.register_blueprint(Blueprint("api", __name__), url_prefix="/v1")
    with pytest.raises(ValueError, match="The name 'api' is already registered for a different blueprint"):
        app.register_blueprint(Blueprint("api", __name__), url_prefix="/v2")
    app.register_blueprint(Blueprint("api", __name__), url_prefix="/v2", name="api_v2")
    assert set(app.blueprints) == {"api", "api_v2"}
