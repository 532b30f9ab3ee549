"""Mutants for the checks that follow-up questions (and the open questions of issue 22) added.

Each one makes Flask, Werkzeug or an extension behave as a follow-up's wrong answer says, so that the
check written for it is shown able to fail. Loaded by tests/bank/mutants.py; see its docstring.
"""

from __future__ import annotations

import contextvars
import re
import threading
from typing import Any

import pytest

from tests.bank.mutants import _default_config, _with_kwargs, _wrap, mutant

# ---------------------------------------------------------------- cli, configuration


@mutant(
    "cli-app-call-arguments-ignored",
    "the arguments written in --app 'module:create_app(...)' are dropped and the factory is called bare",
    "test_cli.py",
)
def _cli_arguments_ignored(mp: pytest.MonkeyPatch) -> None:
    import flask.cli

    def make(orig: Any) -> Any:
        def find(module: Any, app_name: str) -> Any:
            return orig(module, re.sub(r"\(.*\)$", "", app_name))

        return find

    _wrap(mp, flask.cli, "find_app_by_string", make)


@mutant("click-exception-exit-0", "a command that raises click.ClickException still exits with status 0", "test_cli.py")
def _click_exception_exit_0(mp: pytest.MonkeyPatch) -> None:
    import click

    mp.setattr(click.ClickException, "exit_code", 0)


@mutant(
    "gunicorn-factory-arguments-ignored",
    "Gunicorn calls 'module:create_app(...)' without the arguments written in it",
    "test_gunicorn.py",
)
def _gunicorn_arguments_ignored(mp: pytest.MonkeyPatch) -> None:
    import gunicorn.util

    def make(orig: Any) -> Any:
        def import_app(module: str) -> Any:
            return orig(re.sub(r"\((.+)\)$", "()", module))

        return import_app

    _wrap(mp, gunicorn.util, "import_app", make)


@mutant("secret-key-generated", "Flask generates a random SECRET_KEY when none is configured", "test_configuration.py")
def _secret_key_generated(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "SECRET_KEY", "generated-at-start-up")


@mutant(
    "cli-keeps-factory-debug",
    "the flask command keeps the DEBUG value the factory set instead of applying --debug / FLASK_DEBUG",
    "test_configuration.py",
    "test_cli.py",
)
def _cli_keeps_factory_debug(mp: pytest.MonkeyPatch) -> None:
    from flask.cli import ScriptInfo

    _with_kwargs(mp, ScriptInfo, "__init__", set_debug_flag=False)


# ---------------------------------------------------------------- blueprints


@mutant(
    "bare-endpoint-relative-in-blueprint",
    "inside a blueprint view, url_for('login') finds the blueprint's own login view",
    "test_blueprints.py",
)
def _bare_endpoint_relative(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, request

    def make(orig: Any) -> Any:
        def url_for(self: Flask, endpoint: str, *args: Any, **values: Any) -> Any:
            blueprint = request.blueprint if request else None
            if "." not in endpoint and blueprint and f"{blueprint}.{endpoint}" in self.view_functions:
                endpoint = f"{blueprint}.{endpoint}"
            return orig(self, endpoint, *args, **values)

        return url_for

    _wrap(mp, Flask, "url_for", make)


@mutant(
    "blueprint-routes-live-unregistered",
    "routes declared on a blueprint are served even if the blueprint is never registered",
    "test_blueprints.py",
)
def _blueprint_routes_live(mp: pytest.MonkeyPatch) -> None:
    from flask import Blueprint, Flask

    created: list[Blueprint] = []

    def make_init(orig: Any) -> Any:
        def init(self: Blueprint, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            created.append(self)

        return init

    def make_client(orig: Any) -> Any:
        def test_client(self: Flask, *args: Any, **kwargs: Any) -> Any:
            for bp in created:
                if not bp._got_registered_once and not self._got_first_request:
                    self.register_blueprint(bp)
            return orig(self, *args, **kwargs)

        return test_client

    _wrap(mp, Blueprint, "__init__", make_init)
    _wrap(mp, Flask, "test_client", make_client)


@mutant(
    "app-errorhandler-blueprint-scoped",
    "a handler registered with bp.app_errorhandler only applies to that blueprint's views",
    "test_blueprints.py",
)
def _app_errorhandler_scoped(mp: pytest.MonkeyPatch) -> None:
    from flask import Blueprint

    mp.setattr(Blueprint, "app_errorhandler", lambda self, code: self.errorhandler(code))


# ---------------------------------------------------------------- contexts, database


@mutant(
    "threads-inherit-context",
    "a thread started inside a view inherits the request's contexts, so current_app works there",
    "test_contexts.py",
)
def _threads_inherit_context(mp: pytest.MonkeyPatch) -> None:
    def make(orig: Any) -> Any:
        def start(self: threading.Thread) -> None:
            ctx = contextvars.copy_context()
            run = self.run
            self.run = lambda: ctx.run(run)  # type: ignore[method-assign]
            orig(self)

        return start

    _wrap(mp, threading.Thread, "start", make)


@mutant(
    "teardown-gets-handled-http-error",
    "teardown_appcontext receives the HTTPException raised by abort(), though Flask handled it",
    "test_database.py",
)
def _teardown_gets_handled(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, g
    from werkzeug.exceptions import HTTPException

    def make_handle(orig: Any) -> Any:
        def handle(self: Flask, e: Exception) -> Any:
            if isinstance(e, HTTPException):
                g._bank_handled = e
            return orig(self, e)

        return handle

    def make_teardown(orig: Any) -> Any:
        def teardown(self: Flask, exc: BaseException | None = None) -> None:
            if exc is None:
                exc = g.pop("_bank_handled", None)
            orig(self, exc)

        return teardown

    _wrap(mp, Flask, "handle_user_exception", make_handle)
    _wrap(mp, Flask, "do_teardown_appcontext", make_teardown)


@mutant(
    "sqlalchemy-bound-to-first-app",
    "an extension object bound with init_app serves the first app it met, whichever app is current",
    "test_ext_sqlalchemy.py",
)
def _sqlalchemy_first_app(mp: pytest.MonkeyPatch) -> None:
    from flask import current_app
    from flask_sqlalchemy import SQLAlchemy

    def engines(self: SQLAlchemy) -> Any:
        current_app._get_current_object()  # type: ignore[attr-defined]  # still needs a context
        return next(iter(self._app_engines.values()))

    mp.setattr(SQLAlchemy, "engines", property(engines))


@mutant(
    "pool-overflow-unbounded",
    "an exhausted pool opens more connections instead of waiting pool_timeout",
    "test_ext_sqlalchemy.py",
)
def _pool_overflow_unbounded(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.pool

    _with_kwargs(mp, sqlalchemy.pool.QueuePool, "__init__", max_overflow=-1)


@mutant(
    "dispose-keeps-pool",
    "engine.dispose(close=False) keeps the inherited pool, so a forked worker reuses the parent's connections",
    "test_ext_sqlalchemy.py",
)
def _dispose_keeps_pool(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.engine import Engine

    def make(orig: Any) -> Any:
        def dispose(self: Engine, close: bool = True) -> None:
            if close:
                orig(self, close)

        return dispose

    _wrap(mp, Engine, "dispose", make)
