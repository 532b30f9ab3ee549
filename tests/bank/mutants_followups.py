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


# ---------------------------------------------------------------- deployment, gunicorn


@mutant(
    "flask-run-single-threaded",
    "flask run serves one request at a time unless told otherwise",
    "test_cli.py",
)
def _flask_run_single_threaded(mp: pytest.MonkeyPatch) -> None:
    import flask.cli

    (threads,) = [p for p in flask.cli.run_command.params if p.name == "with_threads"]
    mp.setattr(threads, "default", False)


@mutant(
    "gunicorn-never-kills-silent-workers",
    "Gunicorn lets a sync worker stuck on one request run for as long as it takes",
    "test_gunicorn.py",
)
def _gunicorn_never_kills(mp: pytest.MonkeyPatch) -> None:
    from gunicorn.arbiter import Arbiter

    mp.setattr(Arbiter, "murder_workers", lambda self: None)


@mutant(
    "proxyfix-leftmost-forwarded-for",
    "ProxyFix takes the first X-Forwarded-For value as the client, whatever x_for says",
    "test_deployment.py",
)
def _proxyfix_leftmost(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    def first_value(self: ProxyFix, trusted: int, value: str | None) -> str | None:
        if not (trusted and value):
            return None
        values = [v.strip() for v in value.split(",")]
        return values[0] if len(values) >= trusted else None

    mp.setattr(ProxyFix, "_get_real_value", first_value)


@mutant("trusted-hosts-ignored", "Flask accepts any Host header even with TRUSTED_HOSTS set", "test_deployment.py")
def _trusted_hosts_ignored(mp: pytest.MonkeyPatch) -> None:
    import flask.app

    def make(orig: Any) -> Any:
        return lambda environ, trusted_hosts=None: orig(environ, None)

    _wrap(mp, flask.app, "get_host", make)


# ---------------------------------------------------------------- auth, internals


@mutant(
    "password-hash-plain-sha256",
    "generate_password_hash is a plain SHA-256 of the password, without salt",
    "test_extensions.py",
)
def _password_hash_sha256(mp: pytest.MonkeyPatch) -> None:
    import hashlib

    import werkzeug.security

    def plain(password: str, method: str = "sha256", salt_length: int = 16) -> str:
        return "sha256$$" + hashlib.sha256(password.encode()).hexdigest()

    mp.setattr(werkzeug.security, "generate_password_hash", plain)


@mutant(
    "login-required-always-redirects",
    "@login_required redirects to /login even when no login_view is set",
    "test_ext_forms_login.py",
)
def _login_required_redirects(mp: pytest.MonkeyPatch) -> None:
    from flask import redirect
    from flask_login import LoginManager

    mp.setattr(LoginManager, "unauthorized", lambda self: redirect("/login"))


@mutant(
    "signal-receiver-errors-swallowed",
    "an exception raised in a signal receiver is swallowed by the signal",
    "test_internals.py",
)
def _signal_errors_swallowed(mp: pytest.MonkeyPatch) -> None:
    import blinker

    def make(orig: Any) -> Any:
        def send(self: blinker.Signal, *args: Any, **kwargs: Any) -> Any:
            try:
                return orig(self, *args, **kwargs)
            except Exception:
                return []

        return send

    _wrap(mp, blinker.Signal, "send", make)


@mutant(
    "signal-proxy-sender-resolved",
    "sending a signal with the current_app proxy reaches receivers connected for the app",
    "test_internals.py",
)
def _signal_proxy_resolved(mp: pytest.MonkeyPatch) -> None:
    import blinker.base
    from werkzeug.local import LocalProxy

    def make(orig: Any) -> Any:
        def make_id(obj: Any) -> Any:
            if isinstance(obj, LocalProxy):
                obj = obj._get_current_object()  # type: ignore[attr-defined]
            return orig(obj)

        return make_id

    _wrap(mp, blinker.base, "make_id", make)


@mutant(
    "routing-error-before-hooks",
    "a URL that matches no rule fails before any before_request function runs",
    "test_internals.py",
)
def _routing_error_before_hooks(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, request

    def make(orig: Any) -> Any:
        def preprocess(self: Flask) -> Any:
            if request.routing_exception is not None:
                raise request.routing_exception
            return orig(self)

        return preprocess

    _wrap(mp, Flask, "preprocess_request", make)


@mutant(
    "after-request-runs-when-propagating",
    "after_request functions run even when debug mode re-raises the view's exception",
    "test_internals.py",
)
def _after_request_when_propagating(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        def handle_exception(self: Flask, e: Exception) -> Any:
            if self.config["PROPAGATE_EXCEPTIONS"] or self.testing or self.debug:
                self.process_response(self.response_class("", status=500))
            return orig(self, e)

        return handle_exception

    _wrap(mp, Flask, "handle_exception", make)


# ---------------------------------------------------------------- performance, production


@mutant(
    "profiler-ignores-profile-dir",
    "ProfilerMiddleware only prints its report; it cannot write profile files",
    "test_performance.py",
)
def _profiler_no_files(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.middleware.profiler import ProfilerMiddleware

    _with_kwargs(mp, ProfilerMiddleware, "__init__", profile_dir=None)


@mutant(
    "session-access-no-vary",
    "Flask does not mark responses that read the session with Vary: Cookie",
    "test_performance.py",
)
def _session_no_vary(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SecureCookieSessionInterface

    def make(orig: Any) -> Any:
        def save_session(self: Any, app: Any, session: Any, response: Any) -> None:
            orig(self, app, session, response)
            response.vary.discard("Cookie")

        return save_session

    _wrap(mp, SecureCookieSessionInterface, "save_session", make)


@mutant(
    "flask-logger-no-propagate",
    "once Flask adds its default handler, app log records stop reaching the root logger",
    "test_production.py",
)
def _flask_logger_no_propagate(mp: pytest.MonkeyPatch) -> None:
    import flask.logging
    import flask.sansio.app

    def make(orig: Any) -> Any:
        def create_logger(app: Any) -> Any:
            logger = orig(app)
            if flask.logging.default_handler in logger.handlers:
                logger.propagate = False
            return logger

        return create_logger

    _wrap(mp, flask.logging, "create_logger", make)
    _wrap(mp, flask.sansio.app, "create_logger", make)


@mutant(
    "celery-pickle-by-default",
    "Celery pickles task arguments by default, so any Python object can be passed to .delay()",
    "test_production.py",
)
def _celery_pickle(mp: pytest.MonkeyPatch) -> None:
    from celery import Celery

    def make(orig: Any) -> Any:
        def init(self: Celery, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.conf.update(task_serializer="pickle", accept_content=["pickle", "json"])

        return init

    _wrap(mp, Celery, "__init__", make)


@mutant(
    "eager-task-errors-swallowed",
    "in eager mode a task's exception is stored in the result and never raised by .delay()",
    "test_production.py",
)
def _eager_errors_swallowed(mp: pytest.MonkeyPatch) -> None:
    from celery import Task

    _with_kwargs(mp, Task, "apply", throw=False)


# ---------------------------------------------------------------- request-response, routing, rest-api


@mutant(
    "get-json-force-ignored", "get_json(force=True) still insists on a JSON content type", "test_request_response.py"
)
def _get_json_force_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask import Request

    def make(orig: Any) -> Any:
        # Not _with_kwargs: its own `force` parameter would swallow this one.
        def get_json(self: Request, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
            return orig(self, False, silent, cache)

        return get_json

    _wrap(mp, Request, "get_json", make)


@mutant(
    "type-conversion-raises",
    "args.get(key, default, type=int) raises ValueError when the value is not a number",
    "test_request_response.py",
    "test_rest_api.py",
)
def _type_conversion_raises(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import TypeConversionDict

    def get(self: Any, key: Any, default: Any = None, type: Any = None) -> Any:
        try:
            rv = self[key]
        except KeyError:
            return default
        return rv if type is None else type(rv)

    mp.setattr(TypeConversionDict, "get", get)


@mutant(
    "client-keeps-post-on-301",
    "a client follows a 301 after a POST by repeating the POST with its body",
    "test_routing.py",
)
def _client_keeps_post_on_301(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client

    def make(orig: Any) -> Any:
        def resolve_redirect(self: Client, response: Any, buffered: bool = False) -> Any:
            if response.status_code in (301, 302):
                response.status_code = 307
            return orig(self, response, buffered=buffered)

        return resolve_redirect

    _wrap(mp, Client, "resolve_redirect", make)


@mutant(
    "itsdangerous-signature-unchecked",
    "a token signed with itsdangerous can be edited by the client and still loads",
    "test_rest_api.py",
)
def _itsdangerous_unchecked(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import Signer

    mp.setattr(Signer, "verify_signature", lambda self, value, sig: True)


# ---------------------------------------------------------------- static files, templates


@mutant(
    "static-max-age-config-only",
    "the static route reads SEND_FILE_MAX_AGE_DEFAULT only; overriding get_send_file_max_age has no effect",
    "test_static_files.py",
)
def _static_max_age_config_only(mp: pytest.MonkeyPatch) -> None:
    import flask.helpers
    from flask import Flask, current_app

    def config_only(filename: str | None) -> Any:
        return current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]

    def make_static(orig: Any) -> Any:
        def send_static_file(self: Flask, filename: str) -> Any:
            return flask.helpers.send_from_directory(self.static_folder, filename)  # type: ignore[arg-type]

        return send_static_file

    def make_prepare(orig: Any) -> Any:
        def prepare(**kwargs: Any) -> Any:
            if kwargs.get("max_age") is None:
                kwargs["max_age"] = config_only
            return orig(**kwargs)

        return prepare

    _wrap(mp, Flask, "send_static_file", make_static)
    _wrap(mp, flask.helpers, "_prepare_send_file_kwargs", make_prepare)


@mutant(
    "static-url-path-always-static",
    "the static route is served under /static whatever the folder is called",
    "test_static_files.py",
)
def _static_url_path_always_static(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    _with_kwargs(mp, Flask, "__init__", force=False, static_url_path="/static")


@mutant(
    "sandbox-allows-dunder",
    "Jinja's sandbox lets templates reach attributes such as __class__",
    "test_templates.py",
)
def _sandbox_allows_dunder(mp: pytest.MonkeyPatch) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    mp.setattr(SandboxedEnvironment, "is_safe_attribute", lambda self, obj, attr, value: True)


# ---------------------------------------------------------------- new open questions (issue 22)


@mutant("abort-does-not-stop-the-view", "abort() returns, and the code after it keeps running", "test_errors.py")
def _abort_returns(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.exceptions import Aborter

    mp.setattr(Aborter, "__call__", lambda self, code, *args, **kwargs: None)


@mutant(
    "server-error-without-original",
    "the 500 handler only gets a generic InternalServerError, with no trace of the error that was raised",
    "test_errors.py",
)
def _server_error_without_original(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.exceptions import InternalServerError

    def make(orig: Any) -> Any:
        def init(self: InternalServerError, *args: Any, original_exception: Any = None, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)

        return init

    _wrap(mp, InternalServerError, "__init__", make)


def _find_handler(order: str) -> Any:
    """A Flask._find_error_handler that searches in another order than Flask's."""

    def find(self: Any, e: Exception, blueprints: list[str]) -> Any:
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        codes = (code, None) if code is not None else (None,)
        mro = exc_class.__mro__[::-1] if order == "generic-first" else exc_class.__mro__
        for cls in mro:
            for c in codes:
                for name in names:
                    handler = self.error_handler_spec[name][c].get(cls)
                    if handler is not None:
                        return handler
        return None

    return find


@mutant(
    "errorhandler-generic-first",
    "Flask prefers the handler of the most generic class, so an HTTPException handler beats one for its subclass",
    "test_errors.py",
)
def _errorhandler_generic_first(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "_find_error_handler", _find_handler("generic-first"))


@mutant(
    "errorhandler-most-specific-anywhere",
    "Flask picks the handler for the most specific class, whether the app or the blueprint registered it",
    "test_errors.py",
)
def _errorhandler_specific_anywhere(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "_find_error_handler", _find_handler("specific-first"))


@mutant(
    "gather-runs-one-by-one",
    "asyncio.gather waits for each awaitable before starting the next",
    "test_async.py",
)
def _gather_sequential(mp: pytest.MonkeyPatch) -> None:
    import asyncio

    async def gather(*aws: Any, return_exceptions: bool = False) -> list[Any]:
        return [await aw for aw in aws]

    mp.setattr(asyncio, "gather", gather)


@mutant("ensure-sync-wraps-everything", "ensure_sync wraps plain functions too", "test_async.py")
def _ensure_sync_wraps_everything(mp: pytest.MonkeyPatch) -> None:
    import functools

    from flask import Flask

    def make(orig: Any) -> Any:
        def ensure_sync(self: Flask, func: Any) -> Any:
            converted = orig(self, func)
            return converted if converted is not func else functools.wraps(func)(lambda *a, **k: func(*a, **k))

        return ensure_sync

    _wrap(mp, Flask, "ensure_sync", make)


@mutant("client-follows-redirects", "the test client follows redirects by default", "test_testing.py")
def _client_follows_redirects(mp: pytest.MonkeyPatch) -> None:
    from flask.testing import FlaskClient

    _with_kwargs(mp, FlaskClient, "open", force=False, follow_redirects=True)


@mutant("usage-error-exit-1", "a missing argument or unknown option makes a command exit with 1", "test_testing.py")
def _usage_error_exit_1(mp: pytest.MonkeyPatch) -> None:
    import click

    mp.setattr(click.UsageError, "exit_code", 1)


@mutant(
    "flask-login-client-ignores-user",
    "FlaskLoginClient(user=...) does not log the user in",
    "test_ext_forms_login.py",
)
def _login_client_ignores_user(mp: pytest.MonkeyPatch) -> None:
    from flask_login import FlaskLoginClient

    def make(orig: Any) -> Any:
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("user", None)
            orig(self, *args, **kwargs)

        return init

    _wrap(mp, FlaskLoginClient, "__init__", make)


@mutant(
    "after-this-request-runs-last",
    "after_this_request callbacks run after the app's after_request functions",
    "test_request_response.py",
)
def _after_this_request_last(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from flask.globals import _cv_request

    def make(orig: Any) -> Any:
        def process_response(self: Flask, response: Any) -> Any:
            ctx = _cv_request.get()
            once, ctx._after_request_functions = list(ctx._after_request_functions), []
            response = orig(self, response)
            for func in once:
                response = func(response)
            return response

        return process_response

    _wrap(mp, Flask, "process_response", make)


@mutant(
    "session-recovers-after-failed-commit",
    "after a failed commit the session can be used again without rollback()",
    "test_ext_sqlalchemy.py",
)
def _session_recovers(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    def make(orig: Any) -> Any:
        def commit(self: Session) -> None:
            try:
                orig(self)
            except Exception:
                self.rollback()
                raise

        return commit

    _wrap(mp, Session, "commit", make)


@mutant("sqlite-any-thread", "a sqlite3 connection can be used from any thread", "test_database.py")
def _sqlite_any_thread(mp: pytest.MonkeyPatch) -> None:
    import sqlite3

    _with_kwargs(mp, sqlite3, "connect", check_same_thread=False)


@mutant(
    "nested-blueprints-isolated",
    "a parent blueprint's hooks and error handlers do not apply to its nested blueprints",
    "test_blueprints.py",
)
def _nested_isolated(mp: pytest.MonkeyPatch) -> None:
    from flask import Request

    mp.setattr(Request, "blueprints", property(lambda self: [self.blueprint] if self.blueprint else []))


@mutant(
    "blueprint-endpoints-unprefixed",
    "a blueprint view's endpoint is its bare function name, so two blueprints' index views clash",
    "test_blueprints.py",
)
def _blueprint_endpoints_unprefixed(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.blueprints import BlueprintSetupState

    def make(orig: Any) -> Any:
        def add_url_rule(self: BlueprintSetupState, *args: Any, **kwargs: Any) -> None:
            self.name_prefix, self.name = "", ""
            orig(self, *args, **kwargs)

        return add_url_rule

    _wrap(mp, BlueprintSetupState, "add_url_rule", make)


@mutant(
    "tasks-start-with-empty-context",
    "a task created in an async view starts without the view's context variables, so request fails there",
    "test_async.py",
)
def _tasks_empty_context(mp: pytest.MonkeyPatch) -> None:
    import asyncio

    def make(orig: Any) -> Any:
        def create_task(coro: Any, **kwargs: Any) -> Any:
            kwargs["context"] = contextvars.Context()
            return orig(coro, **kwargs)

        return create_task

    _wrap(mp, asyncio, "create_task", make)
