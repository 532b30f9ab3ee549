"""Executable checks for the cli questions of the bank."""

import sys
from pathlib import Path
from typing import Any

import click
import flask.cli
import pytest
import werkzeug.serving
from flask import Blueprint, Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, load_dotenv

# Variables the flask command or load_dotenv write straight into os.environ.
_TOUCHED_ENV = ("FLASK_DEBUG", "FLASK_RUN_FROM_CLI", "FLASK_RUN_PORT", "FLASK_APP", "BANK_GREETING")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # setenv then delenv: the variable starts unset and is removed again afterwards,
    # even if the code under test writes os.environ directly.
    for name in _TOUCHED_ENV:
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")


def _capture_run_simple(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}

    def fake_run_simple(hostname: str, port: int, application: Any, **options: Any) -> None:
        calls.update(hostname=hostname, port=port, **options)

    monkeypatch.setattr(flask.cli, "run_simple", fake_run_simple)
    monkeypatch.setattr(werkzeug.serving, "run_simple", fake_run_simple)
    return calls


def _group(app: Flask) -> FlaskGroup:
    return FlaskGroup(create_app=lambda: app, load_dotenv=False)


def test_flask_run_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_run_simple(monkeypatch)
    app = Flask(__name__)
    result = app.test_cli_runner().invoke(_group(app), ["run"])
    assert result.exit_code == 0, result.output
    assert calls["hostname"] == "127.0.0.1"
    assert calls["port"] == 5000
    assert calls["use_reloader"] is False
    assert calls["use_debugger"] is False


def test_flask_run_debug_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_run_simple(monkeypatch)
    app = Flask(__name__)
    runner = app.test_cli_runner()

    result = runner.invoke(_group(app), ["run", "--debug", "--port", "8000"])
    assert result.exit_code == 0, result.output
    assert calls["port"] == 8000
    assert calls["use_reloader"] is True
    assert calls["use_debugger"] is True
    assert app.debug is True

    calls.clear()
    monkeypatch.setenv("FLASK_RUN_PORT", "8001")
    result = runner.invoke(_group(app), ["--no-debug", "run"])
    assert result.exit_code == 0, result.output
    assert calls["port"] == 8001
    assert calls["use_debugger"] is False


def test_flask_run_does_not_take_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _capture_run_simple(monkeypatch)
    app = Flask(__name__)
    result = app.test_cli_runner().invoke(_group(app), ["run", "hello.py"])
    assert result.exit_code == 2
    assert "unexpected extra argument" in result.output


def test_flask_env_does_not_enable_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_run_simple(monkeypatch)
    monkeypatch.setenv("FLASK_ENV", "development")
    app = Flask(__name__)
    result = app.test_cli_runner().invoke(_group(app), ["run"])
    assert result.exit_code == 0, result.output
    assert calls["use_debugger"] is False
    assert app.debug is False


def test_app_run_default_port(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_run_simple(monkeypatch)
    Flask(__name__).run()
    assert calls["hostname"] == "127.0.0.1"
    assert calls["port"] == 5000

    calls.clear()
    app = Flask(__name__)
    app.config["SERVER_NAME"] = "example.test:8080"
    app.run()
    assert calls["hostname"] == "example.test"
    assert calls["port"] == 8080


def test_app_run_is_ignored_under_flask_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_run_simple(monkeypatch)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    # The flask command sets FLASK_RUN_FROM_CLI; app.run() then returns at once.
    app = Flask(__name__)
    assert app.run(debug=True) is None
    assert calls == {}
    # Its arguments are not applied either.
    assert app.debug is False

    # The flask group itself sets the variable before loading the app.
    monkeypatch.delenv("FLASK_RUN_FROM_CLI")
    _group(app).make_context("flask", ["routes"])
    import os

    assert os.environ["FLASK_RUN_FROM_CLI"] == "true"


def test_custom_command_has_app_context() -> None:
    app = Flask(__name__)
    app.config["GREETING"] = "hello"

    @app.cli.command("greet")
    @click.argument("name")
    @click.option("--times", default=1)
    def greet(name: str, times: int) -> None:
        for _ in range(times):
            click.echo(f"{current_app.config['GREETING']}, {name}")

    # Through the app's own command group, as the test runner does...
    result = app.test_cli_runner().invoke(args=["greet", "ada", "--times", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello, ada\nhello, ada\n"

    # ...and through the real `flask` group.
    result = app.test_cli_runner().invoke(_group(app), ["greet", "bob"])
    assert result.output == "hello, bob\n"


def test_plain_click_command_gets_app_context_via_flask_group() -> None:
    app = Flask(__name__)

    @click.command("which-app")
    def which_app() -> None:
        click.echo(current_app.name)

    app.cli.add_command(which_app)
    result = app.test_cli_runner().invoke(_group(app), ["which-app"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == app.name


def test_plain_click_command_needs_with_appcontext_in_cli_runner() -> None:
    from flask.cli import with_appcontext

    app = Flask(__name__)

    @click.command("plain")
    def plain() -> None:
        click.echo(current_app.name)

    @click.command("wrapped")
    @with_appcontext
    def wrapped() -> None:
        click.echo(current_app.name)

    app.cli.add_command(plain)
    app.cli.add_command(wrapped)
    runner = app.test_cli_runner()
    # The test runner invokes app.cli directly: no FlaskGroup, so no app context.
    result = runner.invoke(args=["plain"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert "application context" in str(result.exception)
    result = runner.invoke(args=["wrapped"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == app.name


def test_routes_command() -> None:
    app = Flask(__name__)

    @app.route("/items", methods=["GET", "POST"])
    def items() -> str:
        return "items"

    result = app.test_cli_runner().invoke(_group(app), ["routes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    row = next(line for line in lines if line.startswith("items"))
    assert row.split() == ["items", "GET,", "POST", "/items"]
    assert any(line.startswith("static") for line in lines)
    # HEAD and OPTIONS are hidden unless --all-methods is given.
    assert "HEAD" not in result.output
    assert "HEAD" in app.test_cli_runner().invoke(_group(app), ["routes", "--all-methods"]).output


def test_shell_context() -> None:
    app = Flask(__name__)

    @app.shell_context_processor
    def extra() -> dict[str, Any]:
        return {"answer": 42}

    with app.app_context():
        names = app.make_shell_context()
    assert names["app"] is app
    assert names["answer"] == 42
    assert "g" in names

    code = "print(app.name)\nprint(answer)\nprint(g)\n"
    result = app.test_cli_runner().invoke(_group(app), ["shell"], input=code)
    assert result.exit_code == 0, result.output
    assert app.name in result.output
    assert "42" in result.output
    # g is bound: the shell runs inside an application context.
    assert f"<flask.g of '{app.name}'>" in result.output


def test_blueprint_cli_group() -> None:
    students = Blueprint("students", __name__)

    @students.cli.command("create")
    def create() -> None:
        click.echo("created")

    app = Flask(__name__)
    app.register_blueprint(students)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["students", "create"]).output == "created\n"
    assert runner.invoke(args=["create"]).exit_code != 0

    flat = Blueprint("flat", __name__, cli_group=None)

    @flat.cli.command("seed")
    def seed() -> None:
        click.echo("seeded")

    other = Flask(__name__)
    other.register_blueprint(flat)
    assert other.test_cli_runner().invoke(args=["seed"]).output == "seeded\n"


def test_load_dotenv_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".flaskenv").write_text("FLASK_RUN_PORT=6000\nBANK_GREETING=from-flaskenv\n")
    (tmp_path / ".env").write_text("FLASK_RUN_PORT=7000\n")
    monkeypatch.chdir(tmp_path)

    assert load_dotenv() is True
    import os

    # .env beats .flaskenv; keys only in .flaskenv are still loaded.
    assert os.environ["FLASK_RUN_PORT"] == "7000"
    assert os.environ["BANK_GREETING"] == "from-flaskenv"

    # A variable already set in the real environment is never overridden.
    monkeypatch.setenv("FLASK_RUN_PORT", "8000")
    load_dotenv()
    assert os.environ["FLASK_RUN_PORT"] == "8000"


def test_app_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bank_cli_factory.py").write_text(
        "from flask import Flask\ndef create_app():\n    app = Flask('made-by-factory')\n    return app\n"
    )
    (tmp_path / "wsgi.py").write_text("from flask import Flask\nserver = Flask('from-wsgi')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("wsgi", "app", "bank_cli_factory"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    # --app module without ":name": a create_app() factory is found and called.
    assert ScriptInfo(app_import_path="bank_cli_factory").load_app().name == "made-by-factory"
    # No --app / FLASK_APP: wsgi.py (then app.py) in the current directory is used,
    # and the single Flask instance in it is picked even if not named "app".
    assert ScriptInfo().load_app().name == "from-wsgi"


def test_no_app_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("wsgi", "app"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(flask.cli.NoAppException, match=r"wsgi\.py"):
        ScriptInfo().load_app()


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_factory_with_arguments_needs_them_in_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bank_cli_argfactory.py").write_text(
        "from flask import Flask\n"
        "def create_app(config_name):\n"
        "    app = Flask('made-with-' + config_name)\n"
        "    return app\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "bank_cli_argfactory", raising=False)
    # The factory is found, but the CLI calls it without arguments.
    with pytest.raises(flask.cli.NoAppException, match="could not call it without arguments"):
        ScriptInfo(app_import_path="bank_cli_argfactory").load_app()
    # Literal arguments in --app are passed to the call.
    app = ScriptInfo(app_import_path="bank_cli_argfactory:create_app('dev')").load_app()
    assert app.name == "made-with-dev"


def test_click_exception_exits_1_with_error_line() -> None:
    app = Flask(__name__)
    app.config["DATABASE_URL"] = "postgresql://prod.example/db"
    written: list[int] = []

    @app.cli.command("seed-db")
    @click.option("--users", default=10, type=int)
    def seed_db(users: int) -> None:
        if "prod" in current_app.config["DATABASE_URL"]:
            raise click.ClickException("refusing to seed a production database")
        written.append(users)

    @app.cli.command("seed-quietly")
    def seed_quietly() -> None:
        click.echo("refusing to seed a production database")

    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-db", "--users", "3"])
    assert result.exit_code == 1
    assert result.output == "Error: refusing to seed a production database\n"
    assert written == []
    # A message followed by a normal return is a success as far as the shell can tell.
    assert runner.invoke(args=["seed-quietly"]).exit_code == 0


def test_flask_run_is_threaded_and_warns_it_is_for_development(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _capture_run_simple(monkeypatch)
    app = Flask(__name__)
    result = app.test_cli_runner().invoke(_group(app), ["run"])
    assert result.exit_code == 0, result.output
    # Several requests at once: the development server runs each in a thread.
    assert calls["threaded"] is True
    # What the real server prints when it starts.
    logged: list[str] = []
    monkeypatch.setattr(werkzeug.serving, "_log", lambda kind, message, *args: logged.append(message % args))
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    try:
        server.log_startup()
    finally:
        server.server_close()
    assert "This is a development server. Do not use it in a production deployment." in logged[0]
