"""Executable checks for the basics questions of the bank."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import requires
from pathlib import Path
from typing import Any

import jinja2
import pytest
import werkzeug.serving
from flask import Flask, Request, Response, render_template_string
from flask.cli import ScriptInfo
from packaging.requirements import Requirement
from werkzeug.routing import Map
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse


def _hello_app() -> Flask:
    app = Flask(__name__)

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    return app


def test_flask_app_is_wsgi_callable() -> None:
    app = _hello_app()
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"] = status
        captured["headers"] = dict(headers)

    environ = EnvironBuilder(path="/").get_environ()
    body = b"".join(app(environ, start_response))
    assert captured["status"] == "200 OK"
    assert body == b"Hello, World!"
    # The app object itself delegates to app.wsgi_app, which middleware wraps.
    assert callable(app.wsgi_app)


def test_no_orm_or_forms_in_core() -> None:
    # The micro core is exactly these libraries: HTTP/WSGI, templates, CLI, signing, signals.
    core = {Requirement(r).name.lower() for r in requires("flask") or [] if Requirement(r).marker is None}
    assert core == {"werkzeug", "jinja2", "markupsafe", "click", "itsdangerous", "blinker"}
    extras = {Requirement(r).name.lower() for r in requires("flask") or [] if "extra ==" in r}
    assert extras == {"asgiref", "python-dotenv"}  # optional extras: still no database, forms or auth
    # What the core does provide works without any extension: routing, Jinja templates, test client.
    app = _hello_app()
    assert app.test_client().get("/").data == b"Hello, World!"
    with app.app_context():
        assert render_template_string("{{ x }}", x="<b>") == "&lt;b&gt;"


def test_built_on_werkzeug_and_jinja() -> None:
    app = _hello_app()
    assert issubclass(Request, WerkzeugRequest)
    assert issubclass(Response, WerkzeugResponse)
    assert isinstance(app.url_map, Map)
    assert isinstance(app.jinja_env, jinja2.Environment)
    deps = {r.split(">")[0].split("=")[0].split(";")[0].strip().lower() for r in requires("flask") or []}
    assert {"werkzeug", "jinja2"} <= deps
    assert "gunicorn" not in deps and "mako" not in deps


def test_hello_world_response() -> None:
    client = _hello_app().test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"Hello, World!"
    assert response.content_type == "text/html; charset=utf-8"
    assert response.mimetype != "text/plain"


@pytest.fixture()
def fake_run_simple(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace the dev server so app.run() returns what it would have started."""
    calls: dict[str, Any] = {}

    def run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        calls.update(host=host, port=port, **options)

    monkeypatch.setattr(werkzeug.serving, "run_simple", run_simple)
    for var in ("FLASK_RUN_FROM_CLI", "FLASK_DEBUG", "WERKZEUG_RUN_MAIN"):
        monkeypatch.delenv(var, raising=False)
    return calls


def test_debug_enables_reloader_and_debugger(fake_run_simple: dict[str, Any]) -> None:
    app = _hello_app()
    app.run(debug=True, load_dotenv=False)
    assert app.debug is True
    assert fake_run_simple["use_reloader"] is True
    assert fake_run_simple["use_debugger"] is True


def test_app_run_ignored_under_flask_cli(monkeypatch: pytest.MonkeyPatch, fake_run_simple: dict[str, Any]) -> None:
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    app = _hello_app()
    assert app.run(debug=True) is None
    # No server was started and debug=True passed to run() had no effect.
    assert fake_run_simple == {}
    assert app.debug is False


def test_flask_run_discovers_app_py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n"
        "app = Flask(__name__)\n"
        "MODULE_NAME = __name__\n"
        "if __name__ == '__main__':\n"
        "    raise SystemExit('the __main__ block must not run under flask run')\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FLASK_APP", raising=False)
    monkeypatch.delitem(sys.modules, "app", raising=False)
    # ScriptInfo tries wsgi.py before app.py: a `wsgi` module another test left imported would win.
    monkeypatch.delitem(sys.modules, "wsgi", raising=False)
    loaded = ScriptInfo(load_dotenv_defaults=False).load_app()
    module = sys.modules["app"]
    assert loaded is module.app
    # The CLI imports the file as a module: the __main__ block is skipped.
    assert module.MODULE_NAME == "app"


def test_import_name_sets_root_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shop_app_mod.py").write_text("from flask import Flask\napp = Flask(__name__)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "shop_app_mod", raising=False)
    app = importlib.import_module("shop_app_mod").app
    assert app.name == "shop_app_mod"
    assert Path(app.root_path) == tmp_path
    assert Path(app.static_folder or "") == tmp_path / "static"
    assert app.template_folder == "templates"
    assert app.jinja_loader is not None
    assert [Path(p) for p in app.jinja_loader.searchpath] == [tmp_path / "templates"]
    # Routes do not get a prefix from the import name.
    assert [r.rule for r in app.url_map.iter_rules()] == ["/static/<path:filename>"]


def test_setup_after_first_request_fails() -> None:
    app = _hello_app()
    assert app.test_client().get("/").status_code == 200
    with pytest.raises(AssertionError, match="can no longer be called"):

        @app.route("/late")
        def late() -> str:
            return "late"


def test_flask_run_debug_flag_enables_reloader_and_debugger(monkeypatch: pytest.MonkeyPatch) -> None:
    import flask.cli
    from click.testing import CliRunner

    calls: list[dict[str, Any]] = []
    apps: list[Flask] = []

    def run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        calls.append(options)

    def create_app() -> Flask:
        app = _hello_app()
        apps.append(app)
        return app

    monkeypatch.setattr(flask.cli, "run_simple", run_simple)
    # The CLI writes these to os.environ; register them so monkeypatch restores them.
    for var in ("FLASK_RUN_FROM_CLI", "FLASK_DEBUG"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    cli = flask.cli.FlaskGroup(create_app=create_app, load_dotenv=False)
    runner = CliRunner()

    # `flask run --debug`: the flag alone turns on both, with nothing set in code.
    result = runner.invoke(cli, ["run", "--debug"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["use_reloader"] is True
    assert calls[-1]["use_debugger"] is True
    assert apps[-1].debug is True

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    result = runner.invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["use_reloader"] is False
    assert calls[-1]["use_debugger"] is False


def test_view_return_value_kinds() -> None:
    app = Flask(__name__)

    @app.route("/str")
    def as_str() -> str:
        return "<p>hi</p>"

    @app.route("/dict")
    def as_dict() -> dict[str, int]:
        return {"id": 1}

    @app.route("/list")
    def as_list() -> list[int]:
        return [1, 2]

    @app.route("/tuple")
    def as_tuple() -> tuple[str, int, dict[str, str]]:
        return "made", 201, {"X-Extra": "yes"}

    @app.route("/headers")
    def as_headers() -> tuple[str, dict[str, str]]:
        return "ok", {"X-Only": "h"}

    @app.route("/response")
    def as_response() -> Response:
        return Response("raw", status=202, mimetype="text/plain")

    @app.route("/gen")
    def as_generator() -> Any:
        def parts() -> Any:
            yield "a"
            yield "b"

        return parts()

    client = app.test_client()
    r = client.get("/str")
    assert (r.status_code, r.mimetype, r.data) == (200, "text/html", b"<p>hi</p>")
    assert client.get("/dict").mimetype == "application/json"
    assert client.get("/dict").get_json() == {"id": 1}
    assert client.get("/list").get_json() == [1, 2]
    r = client.get("/tuple")
    assert (r.status_code, r.headers["X-Extra"], r.data) == (201, "yes", b"made")
    r = client.get("/headers")
    assert (r.status_code, r.headers["X-Only"]) == (200, "h")
    r = client.get("/response")
    assert (r.status_code, r.mimetype, r.data) == (202, "text/plain", b"raw")
    r = client.get("/gen")
    assert r.is_streamed and r.data == b"ab"


def test_view_returning_none_is_type_error() -> None:
    app = Flask(__name__)

    @app.route("/")
    def forgot() -> None:
        pass

    app.testing = True
    with pytest.raises(TypeError, match="did not return a valid response"):
        app.test_client().get("/")
    app.testing = False
    assert app.test_client().get("/").status_code == 500


def test_package_factory_finds_templates_and_static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "layoutapp"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "static").mkdir()
    (pkg / "templates" / "index.html").write_text("Hello {{ name }}", encoding="utf-8")
    (pkg / "static" / "site.css").write_text("body{}", encoding="utf-8")
    (pkg / "pages.py").write_text(
        "from flask import Blueprint, render_template\n"
        "bp = Blueprint('pages', __name__)\n"
        "@bp.route('/')\n"
        "def index():\n"
        "    return render_template('index.html', name='Ann')\n",
        encoding="utf-8",
    )
    (pkg / "__init__.py").write_text(
        "from flask import Flask\n"
        "def create_app(test_config=None):\n"
        "    app = Flask(__name__, instance_relative_config=True)\n"
        "    if test_config:\n"
        "        app.config.update(test_config)\n"
        "    from . import pages\n"
        "    app.register_blueprint(pages.bp)\n"
        "    return app\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("layoutapp")
    try:
        app = module.create_app({"TESTING": True})
        other = module.create_app({"TESTING": False})
        # Each call builds an app from its own config: TESTING propagates errors only in the test app.
        assert app.testing and not other.testing
        assert app.root_path == str(pkg)
        client = app.test_client()
        assert client.get("/").data == b"Hello Ann"
        css = client.get("/static/site.css")
        assert css.data == b"body{}"
        css.close()
        assert app.instance_path == str(tmp_path / "instance")
    finally:
        for name in [n for n in sys.modules if n == "layoutapp" or n.startswith("layoutapp.")]:
            del sys.modules[name]
