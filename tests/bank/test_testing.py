"""Executable checks for the testing questions of the bank."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask, redirect, request, session, url_for
from flask.testing import FlaskClient, FlaskCliRunner


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """A small application factory, as the testing docs assume."""
    app = Flask(__name__)
    app.config.from_mapping(SECRET_KEY="dev")
    if test_config:
        app.config.update(test_config)

    @app.route("/")
    def index() -> str:
        return "Hello"

    @app.post("/api/echo")
    def echo() -> dict[str, Any]:
        return {"you_sent": request.get_json()}

    @app.post("/upload")
    def upload() -> dict[str, Any]:
        f = request.files["file"]
        return {"name": f.filename, "size": len(f.read()), "title": request.form["title"]}

    @app.route("/whoami")
    def whoami() -> dict[str, Any]:
        return {"user_id": session.get("user_id")}

    @app.route("/login", methods=["POST"])
    def login() -> Any:
        session["user_id"] = 42
        return redirect(url_for("whoami"))

    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError("boom")

    @app.cli.command("greet")
    @click.option("--name", default="World")
    def greet(name: str) -> None:
        click.echo(f"Hello, {name}!")

    return app


@pytest.fixture()
def app() -> Iterator[Flask]:
    app = create_app({"TESTING": True})
    # set up resources (temp database, ...) here
    yield app
    # clean them up here


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def test_test_client_without_server(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"Hello"
    assert response.text == "Hello"


def test_fixtures_give_fresh_app(app: Flask, client: FlaskClient) -> None:
    assert app.testing is True
    assert app.config["TESTING"] is True
    assert client.application is app


def test_client_json_and_get_json(client: FlaskClient) -> None:
    response = client.post("/api/echo", json={"a": 1})
    assert response.get_json() == {"you_sent": {"a": 1}}
    assert response.json == {"you_sent": {"a": 1}}
    # data= with a dict is sent as a form, not JSON, so get_json() refuses it
    assert client.post("/api/echo", data={"a": 1}).status_code == 415


def test_testing_flag_propagates_exceptions() -> None:
    app = create_app()
    assert app.config["TESTING"] is False
    assert app.test_client().get("/boom").status_code == 500

    app = create_app({"TESTING": True})
    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/boom")


def test_file_upload(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    response = client.post(
        "/upload",
        data={"title": "report", "file": (io.BytesIO(b"abc"), "report.txt")},
    )
    assert response.status_code == 200
    assert response.get_json() == {"name": "report.txt", "size": 3, "title": "report"}
    # an open file with a name is uploaded under that name
    source = tmp_path / "notes.txt"
    source.write_bytes(b"abcd")
    with source.open("rb") as fh, client.post("/upload", data={"title": "n", "file": fh}) as named:
        assert named.get_json() == {"name": str(source), "size": 4, "title": "n"}
    # a bare BytesIO has no filename: it arrives as a form field, not as a file
    with client.post("/upload", data={"title": "r", "file": io.BytesIO(b"abc")}) as bare:
        assert bare.status_code == 400
    with app.test_request_context("/", method="POST", data={"file": io.BytesIO(b"abc")}):
        assert "file" not in request.files and "file" in request.form
    # the test client is not requests: there is no files= argument
    with pytest.raises(TypeError, match="files"):
        client.post("/upload", files={"file": io.BytesIO(b"abc")})


def test_test_request_context(app: Flask) -> None:
    def wants_page() -> int:
        return request.args.get("page", 1, type=int)

    with app.test_request_context("/items?page=3"):
        assert request.path == "/items"
        assert wants_page() == 3
    with pytest.raises(RuntimeError, match="outside of request context"):
        wants_page()
    # an app context alone does not provide a request
    with app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        wants_page()


def test_session_transaction(client: FlaskClient) -> None:
    assert client.get("/whoami").get_json() == {"user_id": None}
    with client.session_transaction() as sess:
        sess["user_id"] = 7
    assert client.get("/whoami").get_json() == {"user_id": 7}
    with client.session_transaction() as sess:
        assert sess["user_id"] == 7


def test_session_outside_request_raises(client: FlaskClient) -> None:
    with pytest.raises(RuntimeError, match="outside of request context"):
        session["user_id"] = 7


def test_cli_runner(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["greet", "--name", "Flask"])
    assert result.exit_code == 0
    assert result.output == "Hello, Flask!\n"
    # --name is an option: a bare positional value is a usage error (exit code 2)
    positional = runner.invoke(args=["greet", "Flask"])
    assert positional.exit_code == 2 and "Hello" not in positional.output


def test_calling_click_command_directly_exits(app: Flask) -> None:
    greet = app.cli.get_command(click.Context(app.cli), "greet")
    assert isinstance(greet, click.Command)
    with pytest.raises(SystemExit):
        greet("Flask")


def test_with_client_preserves_context(client: FlaskClient) -> None:
    with client:
        client.post("/login", follow_redirects=True)
        # the last request's context is still pushed inside the with block
        assert request.path == "/whoami"
        assert session["user_id"] == 42
    with pytest.raises(RuntimeError):
        request.path  # noqa: B018
    # the session is not read from the client's cookies: outside the block it is unavailable too
    assert client.get_cookie("session") is not None
    with pytest.raises(RuntimeError):
        session["user_id"]


def test_client_keeps_cookies_between_requests(client: FlaskClient) -> None:
    response = client.post("/login")
    assert response.status_code == 302
    assert client.get("/whoami").get_json() == {"user_id": 42}
    fresh = client.application.test_client()
    assert fresh.get("/whoami").get_json() == {"user_id": None}


# ---------------------------------------------------------------- open questions of issue 22


def test_follow_redirects_gives_the_final_page_and_history(client: FlaskClient) -> None:
    first = client.post("/login")
    assert (first.status_code, first.headers["Location"]) == (302, "/whoami")
    followed = client.application.test_client().post("/login", follow_redirects=True)
    assert followed.request.path == "/whoami"
    assert [r.status_code for r in followed.history] == [302]
    assert followed.get_json() == {"user_id": 42}


def test_cli_usage_errors_exit_2(runner: FlaskCliRunner, app: Flask) -> None:
    @app.cli.command("import-users")
    @click.argument("file")
    def import_users(file: str) -> None:
        click.echo(f"importing {file}")

    missing = runner.invoke(args=["import-users"])
    assert missing.exit_code == 2 and "Error: Missing argument 'FILE'." in missing.output
    unknown = runner.invoke(args=["import-users", "a.csv", "--force"])
    assert unknown.exit_code == 2 and "Error: No such option '--force'." in unknown.output
    assert "importing" not in missing.output + unknown.output
