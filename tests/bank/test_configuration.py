"""Executable checks for the configuration questions of the bank."""

import importlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, current_app, session


def test_from_object_loads_only_uppercase() -> None:
    class Config:
        TESTING = True
        MAX_ITEMS = 50
        secret_key = "lower-case is ignored"

    app = Flask(__name__)
    app.config.from_object(Config)
    assert app.config["TESTING"] is True
    assert app.config["MAX_ITEMS"] == 50
    assert "secret_key" not in app.config
    assert app.config["SECRET_KEY"] is None
    assert app.secret_key is None


def test_from_mapping_and_from_file_skip_lowercase(tmp_path: Path) -> None:
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.from_mapping({"API_URL": "x", "api_token": "y"})
    assert app.config["API_URL"] == "x"
    assert "api_token" not in app.config

    (tmp_path / "settings.toml").write_text('PAGE_SIZE = 5\npage_title = "no"\n')
    app.config.from_file("settings.toml", load=tomllib.load, text=False)
    assert app.config["PAGE_SIZE"] == 5
    assert "page_title" not in app.config

    (tmp_path / "settings.py").write_text('TIMEOUT = 3\nhelper = "no"\n')
    app.config.from_pyfile("settings.py")
    assert app.config["TIMEOUT"] == 3
    assert "helper" not in app.config


def test_lowercase_secret_key_does_not_enable_sessions() -> None:
    app = Flask(__name__)
    # Plain dict assignment stores the key, but Flask only reads SECRET_KEY.
    app.config["secret_key"] = "oops"

    @app.route("/")
    def index() -> str:
        session["x"] = 1
        return "ok"

    app.testing = True
    with pytest.raises(RuntimeError, match="secret key"):
        app.test_client().get("/")


def test_debug_comes_from_flask_debug_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("FLASK_ENV", "development")
    # FLASK_ENV was removed in Flask 2.3: it no longer enables debug mode.
    assert Flask(__name__).debug is False

    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = Flask(__name__)
    assert app.debug is True
    assert app.config["DEBUG"] is True


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "s3cr3t")
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "1048576")
    monkeypatch.setenv("FLASK_SEND_EMAILS", "false")
    monkeypatch.setenv("FLASK_SQLALCHEMY_ENGINE_OPTIONS__pool_size", "5")

    app = Flask(__name__)
    # Nothing is loaded from FLASK_* variables until you ask for it.
    assert app.config["SECRET_KEY"] is None
    assert "SEND_EMAILS" not in app.config

    app.config.from_prefixed_env()
    assert app.config["SECRET_KEY"] == "s3cr3t"  # not valid JSON: stays a string
    assert app.config["MAX_CONTENT_LENGTH"] == 1048576  # parsed as JSON: an int
    assert app.config["SEND_EMAILS"] is False
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_size": 5}
    assert "FLASK_SECRET_KEY" not in app.config


def test_from_prefixed_env_custom_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYAPP_API_URL", "https://example.invalid")
    app = Flask(__name__)
    app.config.from_prefixed_env("MYAPP")
    assert app.config["API_URL"] == "https://example.invalid"


def test_from_file_toml(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('SECRET_KEY = "abc"\nITEMS_PER_PAGE = 20\n')
    app = Flask(__name__, root_path=str(tmp_path))
    assert app.config.from_file("config.toml", load=tomllib.load, text=False) is True
    assert app.config["SECRET_KEY"] == "abc"
    assert app.config["ITEMS_PER_PAGE"] == 20
    # Flask 2.0's from_json() was removed in 2.1: from_file() with a loader is the one way.
    assert not hasattr(app.config, "from_json")


def test_from_file_missing_needs_silent(tmp_path: Path) -> None:
    app = Flask(__name__, root_path=str(tmp_path))
    with pytest.raises(FileNotFoundError):
        app.config.from_file("missing.toml", load=tomllib.load, text=False)
    assert app.config.from_file("missing.toml", load=tomllib.load, text=False, silent=True) is False


def test_instance_folder_location_and_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bank_cfg_single.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    package = tmp_path / "bank_cfg_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    single = importlib.import_module("bank_cfg_single").app
    pkg = importlib.import_module("bank_cfg_pkg").app
    # A module: "instance" next to the file. A package: next to the package folder.
    assert Path(single.instance_path) == tmp_path / "instance"
    assert Path(pkg.instance_path) == tmp_path / "instance"
    # Flask only computes the path; it never creates the folder.
    assert not (tmp_path / "instance").exists()


def test_instance_relative_config(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "settings.py").write_text('SECRET_KEY = "from-instance"\n')
    (tmp_path / "settings.py").write_text('SECRET_KEY = "from-root"\n')

    app = Flask(
        __name__,
        root_path=str(tmp_path),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    assert app.config.root_path == str(instance)
    app.config.from_pyfile("settings.py")
    assert app.config["SECRET_KEY"] == "from-instance"

    plain = Flask(__name__, root_path=str(tmp_path), instance_path=str(instance))
    assert plain.config.root_path == str(tmp_path)
    plain.config.from_pyfile("settings.py")
    assert plain.config["SECRET_KEY"] == "from-root"

    assert plain.config.from_pyfile("nope.py", silent=True) is False
    with pytest.raises(FileNotFoundError):
        plain.config.from_pyfile("nope.py")

    # The question's factory: an optional instance/config.py over in-code defaults.
    empty_instance = tmp_path / "empty_instance"
    empty_instance.mkdir()
    factory_app = Flask(
        __name__, root_path=str(tmp_path), instance_path=str(empty_instance), instance_relative_config=True
    )
    factory_app.config.from_mapping(SECRET_KEY="dev")
    assert factory_app.config.from_pyfile("config.py", silent=True) is False
    assert factory_app.config["SECRET_KEY"] == "dev"
    # silent only covers a missing file: errors inside the file still raise.
    (empty_instance / "broken.py").write_text("SECRET_KEY = (\n")
    with pytest.raises(SyntaxError):
        factory_app.config.from_pyfile("broken.py", silent=True)


def test_later_loads_override_earlier(monkeypatch: pytest.MonkeyPatch) -> None:
    class Defaults:
        ITEMS_PER_PAGE = 10

    monkeypatch.setenv("FLASK_ITEMS_PER_PAGE", "50")
    app = Flask(__name__)
    app.config.from_object(Defaults)
    app.config.from_prefixed_env()
    assert app.config["ITEMS_PER_PAGE"] == 50


def test_factory_gives_independent_apps() -> None:
    # Module-level pieces shared by every app the factory builds: no global `app` is imported.
    pages = Blueprint("pages", __name__)

    @pages.route("/db")
    def which_db() -> str:
        return str(current_app.config["DATABASE"])

    @pages.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    def create_app(test_config: dict[str, Any] | None = None) -> Flask:
        app = Flask(__name__)
        app.config.from_mapping(SECRET_KEY="dev", DATABASE="prod.sqlite")
        if test_config is not None:
            app.config.from_mapping(test_config)  # later values override the defaults
        app.register_blueprint(pages)
        return app

    prod = create_app()
    test = create_app({"TESTING": True, "DATABASE": ":memory:"})
    # One blueprint object serves both apps, each with its own config, seen through current_app.
    assert prod.test_client().get("/db").text == "prod.sqlite"
    assert test.test_client().get("/db").text == ":memory:"
    assert test.config["SECRET_KEY"] == "dev"
    # TESTING=True changes Flask's behaviour in that app only: errors reach the test.
    assert prod.test_client().get("/boom").status_code == 500
    with pytest.raises(ZeroDivisionError):
        test.test_client().get("/boom")


def test_flask_debug_env_sets_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert Flask(__name__).debug is True
    monkeypatch.setenv("FLASK_DEBUG", "0")
    assert Flask(__name__).debug is False
    monkeypatch.delenv("FLASK_DEBUG")
    assert Flask(__name__).debug is False


def test_debug_reloads_templates_and_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    def make(debug: bool) -> Flask:
        app = Flask(__name__)
        app.debug = debug

        @app.route("/boom")
        def boom() -> str:
            raise ZeroDivisionError

        return app

    on, off = make(True), make(False)
    assert on.jinja_env.auto_reload is True
    assert off.jinja_env.auto_reload is False
    # In debug mode the exception reaches the server (where the debugger shows it).
    with pytest.raises(ZeroDivisionError):
        on.test_client().get("/boom")
    assert off.test_client().get("/boom").status_code == 500


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_secret_key_is_none_until_set() -> None:
    app = Flask(__name__)
    # Nothing checks the key when the app is created or its config loaded.
    assert app.config["SECRET_KEY"] is None
    assert app.secret_key is None

    @app.route("/read")
    def read() -> str:
        return repr(session.get("x"))

    # Reading an absent session works without a key; only writing one fails (see the lowercase test).
    assert app.test_client().get("/read").text == "None"


def test_flask_cli_sets_debug_from_its_flag_over_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask.cli import ScriptInfo

    def create_app() -> Flask:
        app = Flask(__name__)
        app.config["DEBUG"] = True
        return app

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert create_app().debug is True
    # The flask command loads the app, then writes its own flag over the factory's value.
    assert ScriptInfo(create_app=create_app, load_dotenv_defaults=False).load_app().debug is False
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert ScriptInfo(create_app=create_app, load_dotenv_defaults=False).load_app().debug is True
