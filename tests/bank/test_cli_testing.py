"""Executable checks for the questions on testing CLI commands with app.test_cli_runner()."""

from __future__ import annotations

import sys

import click
from flask import Flask


def _cli_app() -> Flask:
    app = Flask(__name__)
    app.config["DATABASE"] = "test.db"

    @app.cli.command("init-db")
    def init_db() -> None:
        raise RuntimeError(f"cannot open {app.config['DATABASE']}")

    @app.cli.command("drop-db")
    @click.confirmation_option(prompt="Drop every table?")
    def drop_db() -> None:
        click.echo("dropped")

    @app.cli.command("check")
    def check() -> None:
        click.echo("2 problems", err=True)
        sys.exit(3)

    @app.cli.command("fail-nicely")
    def fail_nicely() -> None:
        raise click.ClickException("config file missing")

    return app


def test_runner_catches_command_exceptions() -> None:
    result = _cli_app().test_cli_runner().invoke(args=["init-db"])
    # invoke() does not raise: the error is on the result, and the test passes unless it looks
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert "cannot open test.db" in str(result.exception)
    assert "Traceback" not in result.output


def test_runner_input_answers_prompts() -> None:
    runner = _cli_app().test_cli_runner()
    yes = runner.invoke(args=["drop-db"], input="y\n")
    assert yes.exit_code == 0
    assert yes.output.endswith("dropped\n")
    no = runner.invoke(args=["drop-db"], input="n\n")
    assert no.exit_code == 1
    assert "dropped" not in no.output
    assert "Aborted!" in no.output
    flag = runner.invoke(args=["drop-db", "--yes"])
    assert (flag.exit_code, flag.output) == (0, "dropped\n")


def test_runner_sys_exit_code_and_stderr() -> None:
    result = _cli_app().test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 3
    assert isinstance(result.exception, SystemExit)
    assert result.stderr == "2 problems\n"
    assert result.stdout == ""
    assert "2 problems" in result.output  # Click 8.2+: output interleaves stdout and stderr


def test_runner_click_exception_is_a_clean_error() -> None:
    result = _cli_app().test_cli_runner().invoke(args=["fail-nicely"])
    assert result.exit_code == 1
    assert "Error: config file missing" in result.output
    assert result.stderr == "Error: config file missing\n"
    assert isinstance(result.exception, SystemExit)  # Click turned it into exit code 1
