"""Mutants for the bank's checks: Flask, Werkzeug and extensions altered to behave as a wrong option says.

Each mutant is one deliberate change of behaviour, written as a monkeypatch, and the check files it is
aimed at. `bench/bank_mutants.py` runs those files under each mutant (as a pytest plugin, so the patch
is in place before the test modules import anything) and records which checks fail: a check that fails
under some mutant is shown able to fail. The suite itself never loads this module's patches.

Load as a plugin: `BANK_MUTANT=<name> pytest -p tests.bank.mutants tests/bank/test_x.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

import pytest

Patch = Callable[[pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Mutant:
    """A wrong claim, the patch that makes the libraries behave that way, and the check files it targets."""

    claim: str
    patch: Patch
    files: tuple[str, ...]


MUTANTS: dict[str, Mutant] = {}


def mutant(name: str, claim: str, *files: str) -> Callable[[Patch], Patch]:
    def register(patch: Patch) -> Patch:
        assert name not in MUTANTS, name
        MUTANTS[name] = Mutant(claim, patch, tuple(f"tests/bank/{f}" for f in files))
        return patch

    return register


def _wrap(mp: pytest.MonkeyPatch, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Replace owner.name by make(original)."""
    original = getattr(owner, name)
    mp.setattr(owner, name, make(original))


def _with_kwargs(mp: pytest.MonkeyPatch, owner: Any, name: str, force: bool = True, **values: Any) -> None:
    """Replace owner.name by a wrapper that forces (or, with force=False, defaults) these keyword arguments."""

    def make(orig: Any) -> Any:
        @wraps(orig)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for key, value in values.items():
                if force:
                    kwargs[key] = value
                else:
                    kwargs.setdefault(key, value)
            return orig(*args, **kwargs)

        return wrapper

    _wrap(mp, owner, name, make)


def _default_config(mp: pytest.MonkeyPatch, key: str, value: Any) -> None:
    from flask import Flask
    from werkzeug.datastructures import ImmutableDict

    mp.setattr(Flask, "default_config", ImmutableDict({**Flask.default_config, key: value}))


_SHORT = {
    "r": "test_routing.py",
    "b": "test_basics.py",
    "bp": "test_blueprints.py",
    "cli": "test_cli.py",
    "cfg": "test_configuration.py",
    "ctx": "test_contexts.py",
    "db": "test_database.py",
    "dep": "test_deployment.py",
    "dj": "test_django_comparison.py",
    "err": "test_errors.py",
    "ext": "test_extensions.py",
    "f": "test_forms.py",
    "i": "test_internals.py",
    "perf": "test_performance.py",
    "rr": "test_request_response.py",
    "rest": "test_rest_api.py",
    "sess": "test_sessions_and_security.py",
    "st": "test_static_files.py",
    "tpl": "test_templates.py",
    "t": "test_testing.py",
    "v": "test_versions.py",
}


def _files(short: str) -> tuple[str, ...]:
    """Check files by short name: _files("ctx db")."""
    return tuple(_SHORT[s] for s in short.split())


# ---------------------------------------------------------------- routing


@mutant(
    "default-methods-get-post",
    "a rule without methods also accepts POST",
    "test_routing.py",
    "test_rest_api.py",
    "test_forms.py",
    "test_errors.py",
    "test_versions.py",
)
def _default_methods(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    def make(orig: Any) -> Any:
        @wraps(orig)
        def add_url_rule(self: Any, rule: str, endpoint: Any = None, view_func: Any = None, **options: Any) -> Any:
            if options.get("methods") is None and not getattr(view_func, "methods", None):
                options["methods"] = ["GET", "POST"]
            return orig(self, rule, endpoint, view_func, **options)

        return add_url_rule

    _wrap(mp, App, "add_url_rule", make)


@mutant("no-automatic-head", "HEAD is not added to GET rules", "test_routing.py", "test_errors.py", "test_cli.py")
def _no_head(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import Rule

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            if self.methods and self.methods != {"HEAD"}:
                self.methods.discard("HEAD")

        return __init__

    _wrap(mp, Rule, "__init__", make)


@mutant(
    "no-automatic-options",
    "Flask does not answer OPTIONS by itself",
    "test_routing.py",
    "test_rest_api.py",
    "test_errors.py",
    "test_production.py",
    "test_security_web.py",
)
def _no_options(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "PROVIDE_AUTOMATIC_OPTIONS", False)


@mutant("int-converter-signed", "<int:...> also matches negative numbers", "test_routing.py", "test_rest_api.py")
def _int_signed(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import IntegerConverter

    _with_kwargs(mp, IntegerConverter, "__init__", signed=True)


@mutant(
    "string-converter-takes-slashes",
    "a plain <name> variable also matches slashes",
    "test_routing.py",
    "test_static_files.py",
)
def _string_slashes(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import UnicodeConverter

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.regex = "[^/].*?"
            self.part_isolating = False

        return __init__

    _wrap(mp, UnicodeConverter, "__init__", make)


@mutant("float-converter-takes-int", "<float:...> also matches 10", "test_routing.py")
def _float_int(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import FloatConverter

    mp.setattr(FloatConverter, "regex", r"\d+(?:\.\d+)?")


@mutant("uuid-converter-gives-str", "<uuid:...> passes the view a string", "test_routing.py")
def _uuid_str(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import UUIDConverter

    mp.setattr(UUIDConverter, "to_python", lambda self, value: value)


@mutant("no-strict-slashes", "/projects and /projects/ both match without a redirect", "test_routing.py")
def _no_strict_slashes(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import Map

    _with_kwargs(mp, Map, "__init__", strict_slashes=False)


@mutant("slash-redirect-301", "the trailing-slash redirect is a 301", "test_routing.py")
def _slash_301(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import RequestRedirect

    mp.setattr(RequestRedirect, "code", 301)


@mutant("redirect-default-301", "redirect() defaults to 301", "test_routing.py", "test_versions.py", "test_testing.py")
def _redirect_301(mp: pytest.MonkeyPatch) -> None:
    import flask
    import flask.helpers
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def redirect(location: str, code: int = 301, *args: Any, **kwargs: Any) -> Any:
            return orig(location, code, *args, **kwargs)

        return redirect

    def make_method(orig: Any) -> Any:
        @wraps(orig)
        def redirect(self: Any, location: str, code: int = 301) -> Any:
            return orig(self, location, code)

        return redirect

    _wrap(mp, flask.helpers, "redirect", make)
    mp.setattr(flask, "redirect", flask.helpers.redirect)
    _wrap(mp, Flask, "redirect", make_method)


@mutant(
    "url-for-drops-unknown-args",
    "url_for() ignores arguments the rule does not name",
    "test_routing.py",
    "test_static_files.py",
)
def _url_for_drop(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import MapAdapter

    _with_kwargs(mp, MapAdapter, "build", append_unknown=False)


@mutant(
    "url-for-absolute",
    "url_for() returns absolute URLs by default",
    "test_routing.py",
    "test_deployment.py",
    "test_blueprints.py",
    "test_static_files.py",
)
def _url_for_external(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import MapAdapter

    _with_kwargs(mp, MapAdapter, "build", force_external=True)


# ---------------------------------------------------------------- responses, JSON, request data


@mutant(
    "dict-return-is-text",
    "a returned dict is sent as its str() in text/html",
    "test_rest_api.py",
    "test_request_response.py",
    "test_basics.py",
    "test_errors.py",
)
def _dict_text(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_response(self: Any, rv: Any) -> Any:
            if isinstance(rv, dict | list):
                rv = str(rv)
            elif isinstance(rv, tuple) and rv and isinstance(rv[0], dict | list):
                rv = (str(rv[0]), *rv[1:])
            return orig(self, rv)

        return make_response

    _wrap(mp, Flask, "make_response", make)


@mutant("json-keys-unsorted", "JSON output keeps insertion order by default", "test_rest_api.py", "test_versions.py")
def _json_unsorted(mp: pytest.MonkeyPatch) -> None:
    from flask.json.provider import DefaultJSONProvider

    mp.setattr(DefaultJSONProvider, "sort_keys", False)


@mutant(
    "json-config-keys-still-read",
    "JSON_SORT_KEYS in config still controls sorting",
    "test_rest_api.py",
    "test_versions.py",
)
def _json_config(mp: pytest.MonkeyPatch) -> None:
    from flask.json.provider import DefaultJSONProvider

    def make(orig: Any) -> Any:
        @wraps(orig)
        def dumps(self: Any, obj: Any, **kwargs: Any) -> str:
            app = self._app
            if "JSON_SORT_KEYS" in app.config:
                kwargs["sort_keys"] = app.config["JSON_SORT_KEYS"]
            return orig(self, obj, **kwargs)

        return dumps

    _wrap(mp, DefaultJSONProvider, "dumps", make)
    _default_config(mp, "JSON_SORT_KEYS", True)


@mutant(
    "get-json-any-content-type",
    "get_json() parses the body whatever its Content-Type",
    "test_request_response.py",
    "test_rest_api.py",
    "test_testing.py",
)
def _get_json_force(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def get_json(self: Any, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
            return orig(self, True, silent, cache)

        return get_json

    _wrap(mp, Request, "get_json", make)


@mutant(
    "bad-json-is-none", "malformed JSON makes get_json() return None", "test_request_response.py", "test_rest_api.py"
)
def _bad_json_none(mp: pytest.MonkeyPatch) -> None:
    from flask import Request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def on_json_loading_failed(self: Any, e: Any) -> Any:
            return None if e is not None else orig(self, e)

        return on_json_loading_failed

    _wrap(mp, Request, "on_json_loading_failed", make)


@mutant(
    "missing-key-is-none",
    "request.form['x'] / request.args['x'] give None when missing",
    "test_forms.py",
    "test_request_response.py",
    "test_errors.py",
)
def _missing_key_none(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import ImmutableMultiDict
    from werkzeug.exceptions import BadRequestKeyError

    def make(orig: Any) -> Any:
        @wraps(orig)
        def getitem(self: Any, key: Any) -> Any:
            try:
                return orig(self, key)
            except BadRequestKeyError:
                return None

        return getitem

    _wrap(mp, ImmutableMultiDict, "__getitem__", make)


@mutant(
    "cookies-httponly-by-default",
    "set_cookie() marks cookies HttpOnly unless told otherwise",
    "test_request_response.py",
)
def _cookie_httponly(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.sansio.response import Response

    _with_kwargs(mp, Response, "set_cookie", force=False, httponly=True, samesite="Lax")


@mutant("max-content-length-1mb", "Flask limits request bodies to 1 MB by default", "test_forms.py")
def _mcl(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "MAX_CONTENT_LENGTH", 1024 * 1024)


@mutant("no-form-memory-limit", "form fields have no size limit by default", "test_forms.py", "test_versions.py")
def _no_form_memory(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "MAX_FORM_MEMORY_SIZE", None)


@mutant("no-form-parts-limit", "multipart bodies have no part limit by default", "test_forms.py", "test_versions.py")
def _no_form_parts(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "MAX_FORM_PARTS", None)


@mutant(
    "limits-apply-to-urlencoded",
    "the form limits also apply to url-encoded bodies",
    "test_forms.py",
    "test_versions.py",
)
def _limits_urlencoded(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.formparser import FormDataParser

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _parse_urlencoded(self: Any, stream: Any, mimetype: str, content_length: Any, options: Any) -> Any:
            if self.max_form_memory_size is not None and (content_length or 0) > self.max_form_memory_size:
                raise RequestEntityTooLarge()
            rv = orig(self, stream, mimetype, content_length, options)
            if self.max_form_parts is not None and len(rv[1]) > self.max_form_parts:
                raise RequestEntityTooLarge()
            return rv

        return _parse_urlencoded

    _wrap(mp, FormDataParser, "_parse_urlencoded", make)


@mutant("secure-filename-identity", "secure_filename() returns the name unchanged", "test_forms.py")
def _secure_filename(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.utils

    mp.setattr(werkzeug.utils, "secure_filename", lambda name: name)


@mutant(
    "send-from-directory-unsafe", "send_from_directory() joins the path without checking it", "test_static_files.py"
)
def _unsafe_join(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.utils

    mp.setattr(werkzeug.utils, "safe_join", lambda directory, *paths: os.path.join(directory, *paths))


@mutant(
    "send-file-max-age-12h", "static files are cached for 12 hours by default (Flask < 2.0)", "test_static_files.py"
)
def _max_age(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "SEND_FILE_MAX_AGE_DEFAULT", timedelta(hours=12))


@mutant(
    "send-file-not-conditional",
    "send_file() ignores If-None-Match and Range",
    "test_static_files.py",
    "test_performance.py",
)
def _not_conditional(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Response

    mp.setattr(Response, "make_conditional", lambda self, *a, **k: self)


@mutant("make-conditional-automatic", "Flask answers 304 for any matching ETag by itself", "test_performance.py")
def _auto_conditional(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def process_response(self: Any, response: Any) -> Any:
            response = orig(self, response)
            if response.headers.get("ETag"):
                response.make_conditional(request)
            return response

        return process_response

    _wrap(mp, Flask, "process_response", make)


@mutant("gzip-responses", "Flask compresses responses when the client accepts gzip", "test_performance.py")
def _gzip(mp: pytest.MonkeyPatch) -> None:
    import gzip

    from flask import Flask, request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def process_response(self: Any, response: Any) -> Any:
            response = orig(self, response)
            if "gzip" in request.headers.get("Accept-Encoding", "") and not response.direct_passthrough:
                response.set_data(gzip.compress(response.get_data()))
                response.headers["Content-Encoding"] = "gzip"
            return response

        return process_response

    _wrap(mp, Flask, "process_response", make)


# ---------------------------------------------------------------- hooks, contexts, errors


@mutant(
    "after-request-in-order",
    "after_request functions run in registration order",
    "test_request_response.py",
    "test_django_comparison.py",
    "test_internals.py",
    "test_blueprints.py",
)
def _after_in_order(mp: pytest.MonkeyPatch) -> None:
    from itertools import chain

    from flask import Flask, request
    from flask.globals import request_ctx

    def process_response(self: Any, response: Any) -> Any:
        ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for name in chain(request.blueprints, (None,)):
            for func in self.after_request_funcs.get(name, ()):
                response = self.ensure_sync(func)(response)
        if not self.session_interface.is_null_session(ctx.session):
            self.session_interface.save_session(self, ctx.session, response)
        return response

    mp.setattr(Flask, "process_response", process_response)


@mutant(
    "before-request-cannot-stop",
    "a before_request return value is ignored",
    "test_request_response.py",
    "test_django_comparison.py",
    "test_internals.py",
)
def _before_no_stop(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def preprocess_request(self: Any) -> None:
            from flask import request

            names = (None, *reversed(request.blueprints))
            for name in names:
                for url_func in self.url_value_preprocessors.get(name, ()):
                    url_func(request.endpoint, request.view_args)
            for name in names:
                for before_func in self.before_request_funcs.get(name, ()):
                    self.ensure_sync(before_func)()
            return None

        return preprocess_request

    _wrap(mp, Flask, "preprocess_request", make)


@mutant(
    "after-request-skipped-on-error",
    "after_request does not run when the view fails",
    "test_errors.py",
    "test_database.py",
)
def _after_skipped(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def finalize_request(self: Any, rv: Any, from_error_handler: bool = False) -> Any:
            if from_error_handler:
                return self.make_response(rv)
            return orig(self, rv, from_error_handler)

        return finalize_request

    _wrap(mp, Flask, "finalize_request", make)


@mutant(
    "g-shared-between-requests",
    "g keeps its values from one request to the next",
    "test_contexts.py",
    "test_database.py",
    "test_extensions.py",
)
def _g_shared(mp: pytest.MonkeyPatch) -> None:
    from flask.ctx import AppContext

    shared: dict[int, Any] = {}

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, app: Any) -> None:
            orig(self, app)
            self.g = shared.setdefault(id(app), self.g)

        return __init__

    _wrap(mp, AppContext, "__init__", make)


@mutant(
    "teardown-appcontext-only-for-requests",
    "teardown_appcontext runs only at the end of a request",
    "test_database.py",
    "test_contexts.py",
)
def _teardown_only_requests(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, has_request_context

    def make(orig: Any) -> Any:
        @wraps(orig)
        def do_teardown_appcontext(self: Any, exc: Any = None) -> None:
            if has_request_context():
                orig(self, exc)

        return do_teardown_appcontext

    _wrap(mp, Flask, "do_teardown_appcontext", make)


@mutant(
    "teardown-never-sees-errors",
    "teardown functions always receive None",
    "test_contexts.py",
    "test_database.py",
    "test_request_response.py",
)
def _teardown_none(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    for name in ("do_teardown_request", "do_teardown_appcontext"):

        def make(orig: Any) -> Any:
            @wraps(orig)
            def teardown(self: Any, exc: Any = None) -> None:
                orig(self, None)

            return teardown

        _wrap(mp, Flask, name, make)


@mutant("request-visible-in-threads", "new threads see the current request", "test_contexts.py", "test_performance.py")
def _ctx_in_threads(mp: pytest.MonkeyPatch) -> None:
    import contextvars

    def make(orig: Any) -> Any:
        @wraps(orig)
        def start(self: Any) -> None:
            context = contextvars.copy_context()
            target, self._target = self._target, None

            def run_in_context(*args: Any, **kwargs: Any) -> None:
                if target is not None:
                    context.run(target, *args, **kwargs)

            self._target = run_in_context
            orig(self)

        return start

    _wrap(mp, threading.Thread, "start", make)


@mutant("error-handler-keeps-error-status", "an error handler's bare return keeps the error's status", "test_errors.py")
def _handler_status(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def handle_http_exception(self: Any, e: Any) -> Any:
            rv = orig(self, e)
            if isinstance(rv, str) and e.code:
                return rv, e.code
            return rv

        return handle_http_exception

    _wrap(mp, Flask, "handle_http_exception", make)


@mutant(
    "exceptions-propagate-in-production",
    "unhandled errors reach the server even outside testing",
    "test_errors.py",
    "test_configuration.py",
    "test_testing.py",
    "test_database.py",
)
def _propagate(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "PROPAGATE_EXCEPTIONS", True)


@mutant("testing-flag-ignored", "TESTING does not make errors propagate", "test_testing.py", "test_errors.py")
def _testing_ignored(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "PROPAGATE_EXCEPTIONS", False)


@mutant(
    "debug-flag-ignored",
    "debug mode changes nothing about error handling or reloading",
    "test_errors.py",
    "test_configuration.py",
    "test_templates.py",
)
def _debug_500(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "debug", property(lambda self: False, lambda self, v: None))


@mutant("abort-returns", "abort() returns a response and the view goes on", "test_errors.py", "test_blueprints.py")
def _abort_returns(mp: pytest.MonkeyPatch) -> None:
    import flask
    import flask.helpers
    from werkzeug.exceptions import HTTPException

    original = flask.helpers.abort

    def abort(code: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            original(code, *args, **kwargs)
        except HTTPException as exc:
            return exc.get_response()
        return None

    mp.setattr(flask.helpers, "abort", abort)
    mp.setattr(flask, "abort", abort)


@mutant("exception-handler-skips-http-errors", "errorhandler(Exception) does not see 404/405", "test_errors.py")
def _exc_handler_http(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from werkzeug.exceptions import HTTPException

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _find_error_handler(self: Any, e: Any, blueprints: Any) -> Any:
            handler = orig(self, e, blueprints)
            if isinstance(e, HTTPException) and handler is not None:
                names = (*blueprints, None)
                registered = [self.error_handler_spec[n][None].get(Exception) for n in names]
                if handler in registered:
                    return None
            return handler

        return _find_error_handler

    _wrap(mp, Flask, "_find_error_handler", make)


# ---------------------------------------------------------------- sessions, security, templates


@mutant("session-signature-not-checked", "a tampered session cookie is accepted", "test_sessions_and_security.py")
def _unsigned(mp: pytest.MonkeyPatch) -> None:
    from itsdangerous import URLSafeTimedSerializer

    def loads(self: Any, s: Any, max_age: Any = None, *args: Any, **kwargs: Any) -> Any:
        return self.loads_unsafe(s)[1]

    mp.setattr(URLSafeTimedSerializer, "loads", loads)


@mutant(
    "session-encrypted", "the session cookie's payload cannot be read without the key", "test_sessions_and_security.py"
)
def _encrypted(mp: pytest.MonkeyPatch) -> None:
    from flask.json.tag import TaggedJSONSerializer

    def dumps(self: Any, value: Any) -> str:
        return json.dumps({"enc": json.dumps(self.tag(value))[::-1]}, separators=(",", ":"))

    def loads(self: Any, value: str) -> Any:
        raw = json.loads(value)
        inner = json.loads(raw["enc"][::-1]) if isinstance(raw, dict) and "enc" in raw else raw
        return json.loads(json.dumps(inner), object_hook=self._untag_scan)

    mp.setattr(TaggedJSONSerializer, "dumps", dumps)
    mp.setattr(TaggedJSONSerializer, "loads", loads)


@mutant(
    "session-saved-every-request",
    "the session cookie is re-sent on every request",
    "test_sessions_and_security.py",
    "test_versions.py",
)
def _always_save(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SessionInterface

    mp.setattr(SessionInterface, "should_set_cookie", lambda self, app, session: True)


@mutant(
    "session-cookie-secure-lax",
    "the session cookie is Secure and SameSite=Lax by default",
    "test_sessions_and_security.py",
)
def _secure_lax(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "SESSION_COOKIE_SECURE", True)
    _default_config(mp, "SESSION_COOKIE_SAMESITE", "Lax")


@mutant("session-lifetime-7-days", "a permanent session lasts 7 days by default", "test_sessions_and_security.py")
def _lifetime(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "PERMANENT_SESSION_LIFETIME", timedelta(days=7))


@mutant(
    "secret-key-fallbacks-ignored",
    "SECRET_KEY_FALLBACKS does not validate old cookies",
    "test_sessions_and_security.py",
    "test_versions.py",
)
def _no_fallbacks(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SecureCookieSessionInterface

    def make(orig: Any) -> Any:
        @wraps(orig)
        def get_signing_serializer(self: Any, app: Any) -> Any:
            saved = app.config.get("SECRET_KEY_FALLBACKS")
            app.config["SECRET_KEY_FALLBACKS"] = None
            try:
                return orig(self, app)
            finally:
                app.config["SECRET_KEY_FALLBACKS"] = saved

        return get_signing_serializer

    _wrap(mp, SecureCookieSessionInterface, "get_signing_serializer", make)


@mutant(
    "session-without-key-works",
    "sessions work without a secret key (unsigned)",
    "test_sessions_and_security.py",
    "test_configuration.py",
)
def _no_key_needed(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SecureCookieSessionInterface

    def make(orig: Any) -> Any:
        @wraps(orig)
        def get_signing_serializer(self: Any, app: Any) -> Any:
            if not app.secret_key:
                app.secret_key = "mutant-default-key"
            return orig(self, app)

        return get_signing_serializer

    _wrap(mp, SecureCookieSessionInterface, "get_signing_serializer", make)


@mutant(
    "no-autoescape", "Jinja output is never escaped unless asked", "test_templates.py", "test_sessions_and_security.py"
)
def _no_autoescape(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "select_jinja_autoescape", lambda self, filename: False)


@mutant("autoescape-everything", "every template, .txt included, is autoescaped", "test_templates.py")
def _escape_all(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "select_jinja_autoescape", lambda self, filename: True)


@mutant("strict-undefined", "an undefined template variable raises", "test_templates.py")
def _strict_undefined(mp: pytest.MonkeyPatch) -> None:
    import jinja2
    from flask import Flask

    mp.setattr(Flask, "jinja_options", {"undefined": jinja2.StrictUndefined})


@mutant("templates-always-reload", "templates are re-read on every render, debug or not", "test_templates.py")
def _auto_reload(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def create_jinja_environment(self: Any) -> Any:
            env = orig(self)
            env.auto_reload = True
            return env

        return create_jinja_environment

    _wrap(mp, Flask, "create_jinja_environment", make)


@mutant("blueprint-templates-first", "a blueprint's templates win over the app's", "test_blueprints.py")
def _bp_templates_first(mp: pytest.MonkeyPatch) -> None:
    from flask.templating import DispatchingJinjaLoader

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _iter_loaders(self: Any, template: str) -> Any:
            return reversed(list(orig(self, template)))

        return _iter_loaders

    _wrap(mp, DispatchingJinjaLoader, "_iter_loaders", make)


@mutant("tojson-not-html-safe", "|tojson leaves </script> as is", "test_templates.py")
def _tojson_raw(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from markupsafe import Markup

    def make(orig: Any) -> Any:
        @wraps(orig)
        def create_jinja_environment(self: Any) -> Any:
            env = orig(self)
            env.filters["tojson"] = lambda value, indent=None: Markup(json.dumps(value, indent=indent))
            return env

        return create_jinja_environment

    _wrap(mp, Flask, "create_jinja_environment", make)


@mutant(
    "test-client-no-cookies",
    "the test client does not keep cookies between requests",
    "test_testing.py",
    "test_contexts.py",
    "test_sessions_and_security.py",
)
def _client_no_cookies(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, application: Any, response_wrapper: Any = None, use_cookies: bool = True) -> None:
            orig(self, application, response_wrapper, False)

        return __init__

    _wrap(mp, Client, "__init__", make)


# ---------------------------------------------------------------- configuration, CLI, blueprints, views


@mutant("from-object-reads-lowercase", "from_object/from_mapping also load lower-case names", "test_configuration.py")
def _lowercase(mp: pytest.MonkeyPatch) -> None:
    from flask import Config

    def from_object(self: Any, obj: Any) -> None:
        for key in dir(obj):
            if not key.startswith("_"):
                self[key] = getattr(obj, key)

    def make(orig: Any) -> Any:
        @wraps(orig)
        def from_mapping(self: Any, mapping: Any = None, **kwargs: Any) -> bool:
            self.update(dict(mapping or {}, **kwargs))
            return True

        return from_mapping

    mp.setattr(Config, "from_object", from_object)
    _wrap(mp, Config, "from_mapping", make)


@mutant("prefixed-env-strings-only", "from_prefixed_env() keeps every value a string", "test_configuration.py")
def _prefixed_strings(mp: pytest.MonkeyPatch) -> None:
    from flask import Config

    def make(orig: Any) -> Any:
        @wraps(orig)
        def from_prefixed_env(self: Any, prefix: str = "FLASK", *, loads: Any = None) -> bool:
            return orig(self, prefix, loads=str)

        return from_prefixed_env

    _wrap(mp, Config, "from_prefixed_env", make)


@mutant(
    "config-root-ignores-instance",
    "instance_relative_config does not change where files are read",
    "test_configuration.py",
)
def _instance_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_config(self: Any, instance_relative: bool = False) -> Any:
            return orig(self, False)

        return make_config

    _wrap(mp, Flask, "make_config", make)


@mutant(
    "flask-env-enables-debug",
    "FLASK_ENV=development turns on debug (Flask < 2.3)",
    "test_configuration.py",
    "test_cli.py",
)
def _flask_env(mp: pytest.MonkeyPatch) -> None:
    import flask.helpers
    import flask.sansio.app

    def get_debug_flag() -> bool:
        val = os.environ.get("FLASK_DEBUG")
        if not val:
            return os.environ.get("FLASK_ENV") == "development"
        return val.lower() not in ("0", "false", "no")

    mp.setattr(flask.helpers, "get_debug_flag", get_debug_flag)
    mp.setattr(flask.sansio.app, "get_debug_flag", get_debug_flag)
    import flask.cli

    if hasattr(flask.cli, "get_debug_flag"):
        mp.setattr(flask.cli, "get_debug_flag", get_debug_flag)


@mutant("flask-run-port-8000", "flask run listens on 8000 and without threads", "test_cli.py", "test_deployment.py")
def _run_defaults(mp: pytest.MonkeyPatch) -> None:
    from flask.cli import run_command

    for param in run_command.params:
        if param.name == "port":
            mp.setattr(param, "default", 8000)
        if param.name == "with_threads":
            mp.setattr(param, "default", False)


@mutant("app-run-under-cli-runs", "app.run() still starts a server under `flask run`", "test_cli.py", "test_basics.py")
def _run_under_cli(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def run(self: Any, *args: Any, **kwargs: Any) -> None:
            saved = os.environ.pop("FLASK_RUN_FROM_CLI", None)
            try:
                orig(self, *args, **kwargs)
            finally:
                if saved is not None:
                    os.environ["FLASK_RUN_FROM_CLI"] = saved

        return run

    _wrap(mp, Flask, "run", make)


@mutant("dotenv-flaskenv-wins", ".flaskenv overrides .env", "test_cli.py")
def _flaskenv_wins(mp: pytest.MonkeyPatch) -> None:
    import flask.cli

    def make(orig: Any) -> Any:
        @wraps(orig)
        def load_dotenv(path: Any = None, load_defaults: bool = True) -> bool:
            import dotenv

            if path is not None:
                return orig(path, load_defaults)
            found = False
            for name in (".flaskenv", ".env"):
                found_path = dotenv.find_dotenv(name, usecwd=True)
                if found_path:
                    for key, value in dotenv.dotenv_values(found_path).items():
                        if value is not None and key not in os.environ:
                            os.environ[key] = value
                    found = True
            return found

        return load_dotenv

    _wrap(mp, flask.cli, "load_dotenv", make)


@mutant("blueprint-hooks-app-wide", "a blueprint's before_request runs for every request", "test_blueprints.py")
def _bp_hooks_global(mp: pytest.MonkeyPatch) -> None:
    from flask import Blueprint

    mp.setattr(Blueprint, "before_request", Blueprint.before_app_request)
    mp.setattr(Blueprint, "errorhandler", Blueprint.app_errorhandler)


@mutant(
    "blueprint-own-prefix-wins",
    "the url_prefix given to Blueprint() beats the one at registration",
    "test_blueprints.py",
)
def _bp_prefix(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.blueprints import BlueprintSetupState

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, blueprint: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, blueprint, *args, **kwargs)
            if blueprint.url_prefix:
                self.url_prefix = blueprint.url_prefix

        return __init__

    _wrap(mp, BlueprintSetupState, "__init__", make)


@mutant("view-class-built-once", "a View class is instantiated once and shared", "test_internals.py")
def _view_once(mp: pytest.MonkeyPatch) -> None:
    from flask.views import View

    mp.setattr(View, "init_every_request", False)


@mutant("view-decorators-ignored", "View.decorators is not applied by as_view()", "test_internals.py")
def _decorators_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask.views import View

    original = View.as_view.__func__  # type: ignore[attr-defined]

    def as_view(cls: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        saved = cls.__dict__.get("decorators")
        cls.decorators = []
        try:
            return original(cls, name, *args, **kwargs)
        finally:
            if saved is None:
                del cls.decorators
            else:
                cls.decorators = saved

    mp.setattr(View, "as_view", classmethod(as_view))


@mutant(
    "signal-return-replaces-response",
    "a request_started receiver's return value becomes the response",
    "test_internals.py",
)
def _signal_response(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, Response
    from flask.signals import request_started

    def full_dispatch_request(self: Any) -> Any:
        self._got_first_request = True
        try:
            for _, rv in request_started.send(self, _async_wrapper=self.ensure_sync):
                if isinstance(rv, Response):
                    return self.finalize_request(rv)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    mp.setattr(Flask, "full_dispatch_request", full_dispatch_request)


# ---------------------------------------------------------------- async, deployment


@mutant(
    "async-runs-in-request-thread",
    "async views run on one loop in the request's own thread",
    "test_async.py",
    "test_performance.py",
)
def _async_same_thread(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    loop = asyncio.new_event_loop()

    def async_to_sync(self: Any, func: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            return loop.run_until_complete(func(*args, **kwargs))

        return run

    mp.setattr(Flask, "async_to_sync", async_to_sync)


@mutant(
    "proxyfix-trusts-leftmost",
    "ProxyFix takes the left-most X-Forwarded-For value",
    "test_deployment.py",
    "test_django_comparison.py",
)
def _proxyfix_leftmost(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    def _get_real_value(self: Any, trusted: int, value: str | None) -> str | None:
        if not (trusted and value):
            return None
        return value.split(",")[0].strip()

    mp.setattr(ProxyFix, "_get_real_value", _get_real_value)


@mutant("debugger-without-console", "the debugger only shows tracebacks, with no console", "test_deployment.py")
def _no_evalex(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.debug import DebuggedApplication

    _with_kwargs(mp, DebuggedApplication, "__init__", evalex=False)


# ---------------------------------------------------------------- third-party packages


@mutant("fsqla-session-per-thread", "Flask-SQLAlchemy's session is scoped to the thread", "test_ext_sqlalchemy.py")
def _fsqla_thread(mp: pytest.MonkeyPatch) -> None:
    import flask_sqlalchemy.extension

    mp.setattr(flask_sqlalchemy.extension, "_app_ctx_id", lambda: threading.get_ident())


@mutant(
    "relationships-load-selectin",
    "relationships batch their loads in one IN query by default",
    "test_ext_sqlalchemy.py",
)
def _selectin_default(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy.orm

    _with_kwargs(mp, sqlalchemy.orm, "relationship", force=False, lazy="selectin")


@mutant(
    "sqlalchemy-pool-unlimited", "the engine opens a new connection per request (no pool)", "test_ext_sqlalchemy.py"
)
def _null_pool(mp: pytest.MonkeyPatch) -> None:
    from flask_sqlalchemy import SQLAlchemy

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _apply_driver_defaults(self: Any, options: dict[str, Any], app: Any) -> None:
            orig(self, options, app)
            import sqlalchemy.pool

            options["poolclass"] = sqlalchemy.pool.NullPool
            for key in ("pool_size", "max_overflow"):
                options.pop(key, None)

        return _apply_driver_defaults

    _wrap(mp, SQLAlchemy, "_apply_driver_defaults", make)


@mutant("savepoint-commit-is-final", "a commit inside the test's transaction is permanent", "test_ext_sqlalchemy.py")
def _savepoint_commit(mp: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if kwargs.get("join_transaction_mode") == "create_savepoint":
                kwargs["join_transaction_mode"] = "control_fully"
            orig(self, *args, **kwargs)

        return __init__

    _wrap(mp, Session, "__init__", make)


@mutant("wtf-validates-on-get", "validate_on_submit() runs the validators on GET too", "test_ext_forms_login.py")
def _wtf_get(mp: pytest.MonkeyPatch) -> None:
    from flask_wtf import FlaskForm

    mp.setattr(FlaskForm, "is_submitted", lambda self: True)


@mutant("wtf-no-csrf-field", "FlaskForm has no CSRF token unless you add one", "test_ext_forms_login.py")
def _wtf_no_csrf(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "WTF_CSRF_ENABLED", False)


@mutant("csrf-skips-json", "CSRFProtect only checks form posts, not JSON", "test_ext_forms_login.py")
def _csrf_json(mp: pytest.MonkeyPatch) -> None:
    from flask import request
    from flask_wtf.csrf import CSRFProtect

    def make(orig: Any) -> Any:
        @wraps(orig)
        def protect(self: Any) -> None:
            if request.is_json:
                return
            orig(self)

        return protect

    _wrap(mp, CSRFProtect, "protect", make)


@mutant("csrf-ignores-headers", "CSRFProtect reads the token only from the form", "test_ext_forms_login.py")
def _csrf_headers(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "WTF_CSRF_HEADERS", [])


@mutant("login-does-not-reload-user", "Flask-Login keeps no user between requests", "test_ext_forms_login.py")
def _login_no_reload(mp: pytest.MonkeyPatch) -> None:
    from flask_login import LoginManager

    def _load_user(self: Any) -> None:
        from flask import g

        g._login_user = self.anonymous_user()

    mp.setattr(LoginManager, "_load_user", _load_user)


@mutant("migrate-also-upgrades", "`flask db migrate` applies the change to the database", "test_ext_migrate.py")
def _migrate_upgrades(mp: pytest.MonkeyPatch) -> None:
    import flask_migrate
    import flask_migrate.cli

    def make(orig: Any) -> Any:
        @wraps(orig)
        def migrate(*args: Any, **kwargs: Any) -> Any:
            rv = orig(*args, **kwargs)
            flask_migrate.upgrade(kwargs.get("directory") or (args[0] if args else None))
            return rv

        return migrate

    _wrap(mp, flask_migrate.cli, "_migrate", make)


@mutant("create-all-adds-columns", "db.create_all() adds missing columns to existing tables", "test_ext_migrate.py")
def _create_all_alters(mp: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa
    from flask_sqlalchemy import SQLAlchemy

    def make(orig: Any) -> Any:
        @wraps(orig)
        def create_all(self: Any, bind_key: Any = "__all__") -> None:
            orig(self, bind_key)
            inspector = sa.inspect(self.engine)
            with self.engine.begin() as conn:
                for table in self.metadata.sorted_tables:
                    have = {c["name"] for c in inspector.get_columns(table.name)}
                    for column in table.columns:
                        if column.name not in have:
                            conn.exec_driver_sql(f"alter table {table.name} add column {column.name}")

        return create_all

    _wrap(mp, SQLAlchemy, "create_all", make)


@mutant(
    "gunicorn-does-not-call-factory",
    "gunicorn serves the object after the colon without calling it",
    "test_gunicorn.py",
)
def _gunicorn_no_call(mp: pytest.MonkeyPatch) -> None:
    import gunicorn.util

    def make(orig: Any) -> Any:
        @wraps(orig)
        def import_app(module: str) -> Any:
            return orig(module.split("(", 1)[0])

        return import_app

    _wrap(mp, gunicorn.util, "import_app", make)


@mutant("gunicorn-threads-keep-sync", "--threads does not change the sync worker", "test_gunicorn.py")
def _gunicorn_threads(mp: pytest.MonkeyPatch) -> None:
    from gunicorn import util
    from gunicorn.config import Config

    mp.setattr(Config, "worker_class", property(lambda self: util.load_class(self.settings["worker_class"].get())))


@mutant("gunicorn-w-means-threads", "-w sets threads in one process", "test_gunicorn.py")
def _gunicorn_w(mp: pytest.MonkeyPatch) -> None:
    from gunicorn.config import Config

    mp.setattr(Config, "workers", property(lambda self: 1), raising=False)


@mutant("post-is-retried", "POST is idempotent and retried like PUT", "test_rest_api.py")
def _post_retried(mp: pytest.MonkeyPatch) -> None:
    from urllib3.util.retry import Retry

    mp.setattr(Retry, "DEFAULT_ALLOWED_METHODS", Retry.DEFAULT_ALLOWED_METHODS | {"POST"})


# ---------------------------------------------------------------- the application object


@mutant(
    "call-bypasses-wsgi-app-attribute",
    "replacing app.wsgi_app does not put middleware in the request path",
    "test_deployment.py",
    "test_internals.py",
    "test_django_comparison.py",
    "test_performance.py",
)
def _bypass_wsgi_app(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "__call__", lambda self, environ, start_response: Flask.wsgi_app(self, environ, start_response))


@mutant(
    "default-mimetype-plain", "a returned string is sent as text/plain", "test_basics.py", "test_request_response.py"
)
def _mimetype_plain(mp: pytest.MonkeyPatch) -> None:
    from flask import Response

    mp.setattr(Response, "default_mimetype", "text/plain")


@mutant(
    "setup-after-first-request-allowed",
    "routes and blueprints can still be added after the first request",
    "test_basics.py",
    "test_blueprints.py",
)
def _late_setup(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    mp.setattr(App, "_check_setup_finished", lambda self, f_name: None)


@mutant(
    "root-path-is-cwd",
    "static/, templates/ and instance/ are found from the working directory",
    "test_basics.py",
    "test_configuration.py",
    "test_django_comparison.py",
    "test_static_files.py",
    "test_templates.py",
)
def _root_cwd(mp: pytest.MonkeyPatch) -> None:
    import flask.sansio.scaffold

    mp.setattr(flask.sansio.scaffold, "get_root_path", lambda import_name: os.getcwd())


@mutant(
    "debug-run-without-reloader",
    "debug=True only turns on the debugger, not the reloader",
    "test_basics.py",
    "test_deployment.py",
    "test_cli.py",
)
def _no_reloader(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    _with_kwargs(mp, Flask, "run", use_reloader=False)


@mutant(
    "cli-debug-flag-ignored",
    "`flask run --debug` does not change the app's debug mode",
    "test_basics.py",
    "test_cli.py",
)
def _cli_debug(mp: pytest.MonkeyPatch) -> None:
    import flask.cli

    # The --debug option of the flask group and of `flask run` is one click.Option object.
    mp.setattr(flask.cli._debug_option, "callback", lambda ctx, param, value: None)


@mutant("none-return-is-empty", "a view that returns None sends an empty 200", "test_basics.py")
def _none_empty(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_response(self: Any, rv: Any) -> Any:
            return orig(self, "" if rv is None else rv)

        return make_response

    _wrap(mp, Flask, "make_response", make)


# ---------------------------------------------------------------- more wrong claims, one per surviving check


@mutant(
    "app-not-wsgi-callable",
    "the Flask object is not itself the WSGI callable (use app.wsgi_app)",
    "test_basics.py",
    "test_deployment.py",
    "test_testing.py",
)
def _not_callable(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def __call__(self: Any, environ: Any, start_response: Any) -> Any:
        raise TypeError("the Flask object is not a WSGI application; serve app.wsgi_app")

    mp.setattr(Flask, "__call__", __call__)


@mutant("flask-speaks-asgi", "Flask.__call__ also accepts (scope, receive, send)", "test_async.py")
def _speaks_asgi(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __call__(self: Any, *args: Any) -> Any:
            if len(args) == 3:
                return None  # accepted as an ASGI call
            return orig(self, *args)

        return __call__

    _wrap(mp, Flask, "__call__", make)


@mutant("async-views-called-directly", "async views are called like sync ones (no conversion)", "test_async.py")
def _no_ensure_sync(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "ensure_sync", lambda self, func: func)


@mutant("dotted-blueprint-names-allowed", "a blueprint may be named `api.v1`", "test_blueprints.py")
def _dotted_names(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.blueprints import Blueprint

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, name: str, *args: Any, **kwargs: Any) -> None:
            orig(self, name.replace(".", "_"), *args, **kwargs)
            self.name = name

        return __init__

    _wrap(mp, Blueprint, "__init__", make)


@mutant(
    "routing-404-skips-app-handler",
    "the app's 404 handler only sees abort(404), not unmatched URLs",
    "test_blueprints.py",
    "test_errors.py",
)
def _routing_404(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _find_error_handler(self: Any, e: Any, blueprints: Any) -> Any:
            if request and request.routing_exception is e:
                return None
            return orig(self, e, blueprints)

        return _find_error_handler

    _wrap(mp, Flask, "_find_error_handler", make)


@mutant("blueprint-hooks-first", "blueprint hooks run before the app's, on the way in and out", *_files("bp i dj rr"))
def _bp_hooks_first(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, request

    def make_pre(orig: Any) -> Any:
        @wraps(orig)
        def preprocess_request(self: Any) -> Any:
            names = (*request.blueprints, None)
            for name in names:
                for url_func in self.url_value_preprocessors.get(name, ()):
                    url_func(request.endpoint, request.view_args)
            for name in names:
                for before_func in self.before_request_funcs.get(name, ()):
                    rv = self.ensure_sync(before_func)()
                    if rv is not None:
                        return rv
            return None

        return preprocess_request

    _wrap(mp, Flask, "preprocess_request", make_pre)


@mutant("flask-run-takes-a-file", "`flask run hello.py` runs that file", "test_cli.py")
def _run_takes_file(mp: pytest.MonkeyPatch) -> None:
    import click
    from flask.cli import run_command

    mp.setattr(run_command, "params", [*run_command.params, click.Argument(["file"], required=False)])


@mutant("app-run-port-8000", "app.run() listens on port 8000", "test_cli.py", "test_basics.py", "test_deployment.py")
def _app_run_8000(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def run(self: Any, host: Any = None, port: Any = None, *args: Any, **kwargs: Any) -> Any:
            if port is None and not self.config.get("SERVER_NAME"):
                port = 8000
            return orig(self, host, port, *args, **kwargs)

        return run

    _wrap(mp, Flask, "run", make)


@mutant(
    "cli-commands-without-app-context",
    "custom commands run without an application context",
    "test_cli.py",
    "test_testing.py",
)
def _no_cli_context(mp: pytest.MonkeyPatch) -> None:
    import flask.cli

    mp.setattr(flask.cli, "with_appcontext", lambda f: f)

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_context(self: Any, *args: Any, **kwargs: Any) -> Any:
            ctx = orig(self, *args, **kwargs)
            ctx.ensure_object(flask.cli.ScriptInfo)
            return ctx

        return make_context

    _wrap(mp, flask.cli.FlaskGroup, "make_context", make)
    if hasattr(flask.cli.FlaskGroup, "invoke"):

        def make_invoke(orig: Any) -> Any:
            @wraps(orig)
            def invoke(self: Any, ctx: Any) -> Any:
                return super(flask.cli.FlaskGroup, self).invoke(ctx)

            return invoke

        _wrap(mp, flask.cli.FlaskGroup, "invoke", make_invoke)


@mutant("blueprint-cli-top-level", "a blueprint's commands are registered at the top level", "test_cli.py")
def _bp_cli_top(mp: pytest.MonkeyPatch) -> None:
    from flask import Blueprint

    _with_kwargs(mp, Blueprint, "__init__", cli_group=None)


@mutant("no-app-discovery", "without --app/FLASK_APP the flask command finds nothing", "test_cli.py")
def _no_discovery(mp: pytest.MonkeyPatch) -> None:
    from flask.cli import NoAppException, ScriptInfo

    def make(orig: Any) -> Any:
        @wraps(orig)
        def load_app(self: Any) -> Any:
            if self.app_import_path is None and self.create_app is None:
                raise NoAppException("Could not locate a Flask application.")
            if self.app_import_path and ":" not in self.app_import_path:
                raise NoAppException("Name the application: --app module:name.")
            return orig(self)

        return load_app

    _wrap(mp, ScriptInfo, "load_app", make)


@mutant("prefixed-env-prefix-ignored", "from_prefixed_env() always reads FLASK_*", "test_configuration.py")
def _prefix_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask import Config

    def make(orig: Any) -> Any:
        @wraps(orig)
        def from_prefixed_env(self: Any, prefix: str = "FLASK", **kwargs: Any) -> bool:
            return orig(self, "FLASK", **kwargs)

        return from_prefixed_env

    _wrap(mp, Config, "from_prefixed_env", make)


@mutant(
    "instance-folder-created", "Flask creates the instance folder", "test_configuration.py", "test_django_comparison.py"
)
def _instance_created(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            os.makedirs(self.instance_path, exist_ok=True)

        return __init__

    _wrap(mp, Flask, "__init__", make)


class _Default:
    """Contexts pushed at start-up, as if Flask fell back to a global app or request."""

    pushed: list[Any] = []  # noqa: RUF012


@mutant(
    "app-context-always-active",
    "current_app and g work anywhere, falling back to an app",
    *_files("ctx db"),
)
def _global_app(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    ctx = Flask("mutant-global-app").app_context()
    ctx.push()
    _Default.pushed.append(ctx)


@mutant(
    "request-context-always-active",
    "request and session work outside a request, falling back to a default one",
    *_files("ctx rr t perf"),
)
def _global_request(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    app = Flask("mutant-global-request")
    app.secret_key = "mutant"
    ctx = app.test_request_context("/")
    ctx.push()
    _Default.pushed.append(ctx)


@mutant("sqlite-autocommit", "sqlite3 keeps every statement even without commit()", "test_database.py")
def _sqlite_autocommit(mp: pytest.MonkeyPatch) -> None:
    import sqlite3

    def make(orig: Any) -> Any:
        @wraps(orig)
        def connect(*args: Any, **kwargs: Any) -> Any:
            conn = orig(*args, **kwargs)
            conn.isolation_level = None
            return conn

        return connect

    _wrap(mp, sqlite3, "connect", make)


@mutant("g-cleared-before-after-request", "g is already empty when after_request runs", "test_database.py")
def _g_cleared(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, g

    def make(orig: Any) -> Any:
        @wraps(orig)
        def process_response(self: Any, response: Any) -> Any:
            g.__dict__.clear()
            return orig(self, response)

        return process_response

    _wrap(mp, Flask, "process_response", make)


@mutant("app-run-not-threaded", "app.run() serves one request at a time", "test_deployment.py")
def _not_threaded(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    _with_kwargs(mp, Flask, "run", force=False, threaded=False)


@mutant("debug-on-by-default", "debug mode is on unless turned off", *_files("dep cfg b"))
def _debug_default(mp: pytest.MonkeyPatch) -> None:
    import flask.sansio.app

    mp.setattr(flask.sansio.app, "get_debug_flag", lambda: True)


@mutant("forwarded-headers-trusted", "Flask trusts X-Forwarded-* without ProxyFix", "test_deployment.py")
def _trust_forwarded(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.wsgi_app = ProxyFix(self.wsgi_app, x_for=1, x_proto=1, x_host=1)

        return __init__

    _wrap(mp, Flask, "__init__", make)


@mutant("proxyfix-for-only", "ProxyFix only fixes the client address", "test_deployment.py")
def _proxyfix_for_only(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, app: Any, x_for: int = 1, *args: Any, **kwargs: Any) -> None:
            orig(self, app, x_for)

        return __init__

    _wrap(mp, ProxyFix, "__init__", make)


@mutant("preferred-scheme-always", "PREFERRED_URL_SCHEME also applies inside requests", "test_deployment.py")
def _preferred_scheme(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def create_url_adapter(self: Any, request: Any) -> Any:
            adapter = orig(self, request)
            if adapter is not None and request is not None:
                adapter.url_scheme = self.config["PREFERRED_URL_SCHEME"]
            return adapter

        return create_url_adapter

    _wrap(mp, Flask, "create_url_adapter", make)


@mutant("debug-skips-all-handlers", "in debug mode no error handler runs", "test_errors.py")
def _debug_no_handlers(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def handle_user_exception(self: Any, e: Any) -> Any:
            if self.debug:
                raise e
            return orig(self, e)

        return handle_user_exception

    _wrap(mp, Flask, "handle_user_exception", make)


@mutant("405-without-allow", "a 405 response carries no Allow header", *_files("err r"))
def _no_allow(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.exceptions import HTTPException, MethodNotAllowed

    mp.setattr(MethodNotAllowed, "get_headers", HTTPException.get_headers)


@mutant("handler-cannot-return-http-exception", "an error handler must not return the exception", "test_errors.py")
def _handler_return_exc(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from werkzeug.exceptions import HTTPException

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_response(self: Any, rv: Any) -> Any:
            if isinstance(rv, HTTPException):
                raise TypeError("not a valid response")
            return orig(self, rv)

        return make_response

    _wrap(mp, Flask, "make_response", make)


@mutant("least-specific-handler-wins", "the first matching base-class handler wins", "test_errors.py")
def _least_specific(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def _find_error_handler(self: Any, e: Any, blueprints: Any) -> Any:
        exc_class, code = self._get_exc_class_and_code(type(e))
        for c in (code, None) if code is not None else (None,):
            for name in (*blueprints, None):
                handler_map = self.error_handler_spec[name][c]
                for cls in reversed(exc_class.__mro__):
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    mp.setattr(Flask, "_find_error_handler", _find_error_handler)


@mutant("abort-unknown-code-is-500", "abort(499) becomes a 500 instead of raising LookupError", "test_errors.py")
def _abort_unknown(mp: pytest.MonkeyPatch) -> None:
    import flask
    import flask.helpers
    from werkzeug.exceptions import InternalServerError

    original = flask.helpers.abort

    def abort(code: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            original(code, *args, **kwargs)
        except LookupError as exc:
            raise InternalServerError() from exc

    mp.setattr(flask.helpers, "abort", abort)
    mp.setattr(flask, "abort", abort)


@mutant("flask-checks-csrf", "Flask itself refuses POSTs without a CSRF token", "test_ext_forms_login.py")
def _flask_csrf(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, abort, request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def preprocess_request(self: Any) -> Any:
            if request.method == "POST" and not (request.headers.get("X-CSRFToken") or request.form.get("csrf_token")):
                abort(400)
            return orig(self)

        return preprocess_request

    _wrap(mp, Flask, "preprocess_request", make)


@mutant("csrf-token-unsigned", "the page gets the raw session token", "test_ext_forms_login.py")
def _csrf_unsigned(mp: pytest.MonkeyPatch) -> None:
    import flask_wtf.csrf
    from flask import session

    def make(orig: Any) -> Any:
        @wraps(orig)
        def generate_csrf(*args: Any, **kwargs: Any) -> str:
            orig(*args, **kwargs)
            return str(session["csrf_token"])

        return generate_csrf

    _wrap(mp, flask_wtf.csrf, "generate_csrf", make)


@mutant("autogenerate-detects-renames", "Alembic autogenerate emits a column rename", "test_ext_migrate.py")
def _detects_renames(mp: pytest.MonkeyPatch) -> None:
    import alembic.autogenerate

    def make(orig: Any) -> Any:
        @wraps(orig)
        def compare_metadata(*args: Any, **kwargs: Any) -> Any:
            diffs = orig(*args, **kwargs)
            adds = [d for d in diffs if isinstance(d, tuple) and d[0] == "add_column"]
            drops = [d for d in diffs if isinstance(d, tuple) and d[0] == "remove_column"]
            if len(adds) == len(drops) == 1:
                rename = ("modify_name", None, adds[0][2], drops[0][3].name, {}, drops[0][3].name, adds[0][3].name)
                return [d for d in diffs if d not in (adds[0], drops[0])] + [[rename]]
            return diffs

        return compare_metadata

    _wrap(mp, alembic.autogenerate, "compare_metadata", make)


@mutant("app-extensions-shared", "every app shares one extensions dict", "test_extensions.py")
def _shared_extensions(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    shared: dict[str, Any] = {}

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.extensions = shared

        return __init__

    _wrap(mp, Flask, "__init__", make)


@mutant("config-setdefault-overwrites", "an extension's defaults overwrite the user's config", "test_extensions.py")
def _setdefault_overwrites(mp: pytest.MonkeyPatch) -> None:
    from flask import Config

    def setdefault(self: Any, key: str, default: Any = None) -> Any:
        self[key] = default
        return default

    mp.setattr(Config, "setdefault", setdefault)


@mutant(
    "endpoint-overwrite-silent", "a second view with the same endpoint silently replaces the first", *_files("ext r")
)
def _overwrite_silent(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    def make(orig: Any) -> Any:
        @wraps(orig)
        def add_url_rule(self: Any, rule: str, endpoint: Any = None, view_func: Any = None, **options: Any) -> Any:
            name = endpoint or (view_func.__name__ if view_func is not None else None)
            if name in self.view_functions and self.view_functions[name] is not view_func:
                del self.view_functions[name]
            return orig(self, rule, endpoint, view_func, **options)

        return add_url_rule

    _wrap(mp, App, "add_url_rule", make)


@mutant(
    "endpoint-from-code-name",
    "the endpoint comes from the code object, so functools.wraps does not help",
    *_files("ext r"),
)
def _endpoint_code_name(mp: pytest.MonkeyPatch) -> None:
    import flask.sansio.app
    import flask.sansio.blueprints
    import flask.sansio.scaffold

    for module in (flask.sansio.scaffold, flask.sansio.app, flask.sansio.blueprints):
        mp.setattr(module, "_endpoint_from_view_func", lambda view_func: view_func.__code__.co_name)


@mutant("same-endpoint-twice-refused", "one function cannot be registered under two rules", "test_routing.py")
def _same_twice(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    def make(orig: Any) -> Any:
        @wraps(orig)
        def add_url_rule(self: Any, rule: str, endpoint: Any = None, view_func: Any = None, **options: Any) -> Any:
            name = endpoint or (view_func.__name__ if view_func is not None else None)
            if name in self.view_functions and name != "static":
                raise AssertionError(f"endpoint {name!r} is already registered")
            return orig(self, rule, endpoint, view_func, **options)

        return add_url_rule

    _wrap(mp, App, "add_url_rule", make)


@mutant(
    "unsalted-password-hash",
    "generate_password_hash() gives the same string for the same password",
    "test_extensions.py",
)
def _unsalted(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.security

    mp.setattr(werkzeug.security, "gen_salt", lambda length: "s" * length)


@mutant("form-gives-last-value", "request.form['x'] gives the last of repeated values", "test_forms.py")
def _last_value(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import ImmutableMultiDict

    def make(orig: Any) -> Any:
        @wraps(orig)
        def getitem(self: Any, key: Any) -> Any:
            values = self.getlist(key)
            return values[-1] if values else orig(self, key)

        return getitem

    _wrap(mp, ImmutableMultiDict, "__getitem__", make)


@mutant("url-defaults-ignored", "url_defaults functions are not applied by url_for()", "test_internals.py")
def _url_defaults(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "inject_url_defaults", lambda self, endpoint, values: None)


@mutant("extra-view-args-dropped", "URL values the view does not take are dropped", "test_internals.py")
def _drop_view_args(mp: pytest.MonkeyPatch) -> None:
    import inspect

    from flask import Flask, request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def dispatch_request(self: Any) -> Any:
            rule = request.url_rule
            if request.routing_exception is None and rule is not None and request.view_args:
                view = self.view_functions[rule.endpoint]
                params = inspect.signature(view).parameters
                if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
                    request.view_args = {k: v for k, v in request.view_args.items() if k in params}
            return orig(self)

        return dispatch_request

    _wrap(mp, Flask, "dispatch_request", make)


@mutant(
    "no-static-route", "Flask adds no static route unless configured", "test_performance.py", "test_static_files.py"
)
def _no_static(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    _with_kwargs(mp, Flask, "__init__", force=False, static_folder=None)


@mutant("after-request-after-sending", "after_request runs after the response has been sent", "test_performance.py")
def _after_later(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def process_response(self: Any, response: Any) -> Any:
            funcs, self.after_request_funcs = self.after_request_funcs, {}
            try:
                response = orig(self, response)
            finally:
                self.after_request_funcs = funcs
            later = [f for fs in funcs.values() for f in fs]
            response.call_on_close(lambda: [f(response) for f in later])
            return response

        return process_response

    _wrap(mp, Flask, "process_response", make)


@mutant("generators-buffered", "a generator's output is collected before sending", *_files("perf b"))
def _buffered(mp: pytest.MonkeyPatch) -> None:
    import types

    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_response(self: Any, rv: Any) -> Any:
            if isinstance(rv, types.GeneratorType):
                rv = "".join(rv)
            return orig(self, rv)

        return make_response

    _wrap(mp, Flask, "make_response", make)


@mutant("x-sendfile-ignored", "USE_X_SENDFILE changes nothing", "test_performance.py")
def _x_sendfile(mp: pytest.MonkeyPatch) -> None:
    import flask.helpers

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _prepare_send_file_kwargs(**kwargs: Any) -> Any:
            rv = orig(**kwargs)
            rv["use_x_sendfile"] = False
            return rv

        return _prepare_send_file_kwargs

    _wrap(mp, flask.helpers, "_prepare_send_file_kwargs", make)


@mutant("profiler-needs-opt-in", "ProfilerMiddleware reports nothing unless a request asks", "test_performance.py")
def _profiler_quiet(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.middleware.profiler import ProfilerMiddleware

    mp.setattr(ProfilerMiddleware, "__call__", lambda self, environ, start_response: self._app(environ, start_response))


@mutant("tuple-status-ignored", "in (body, status, headers) the status is ignored", *_files("rr rest"))
def _tuple_status(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_response(self: Any, rv: Any) -> Any:
            if isinstance(rv, tuple) and len(rv) == 3:
                rv = (rv[0], rv[2])
            return orig(self, rv)

        return make_response

    _wrap(mp, Flask, "make_response", make)


@mutant("request-cookies-mutable", "request.cookies can be assigned to", "test_request_response.py")
def _cookies_mutable(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import MultiDict
    from werkzeug.sansio.request import Request

    mp.setattr(Request, "dict_storage_class", MultiDict)


@mutant("call-on-close-runs-at-once", "call_on_close() runs its function immediately", "test_request_response.py")
def _close_at_once(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Response

    def call_on_close(self: Any, func: Any) -> Any:
        func()
        return func

    mp.setattr(Response, "call_on_close", call_on_close)


@mutant("send-file-buffered", "send_file() returns a normal, readable body", "test_request_response.py")
def _send_file_buffered(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.utils

    def make(orig: Any) -> Any:
        @wraps(orig)
        def send_file(*args: Any, **kwargs: Any) -> Any:
            rv = orig(*args, **kwargs)
            rv.direct_passthrough = False
            return rv

        return send_file

    _wrap(mp, werkzeug.utils, "send_file", make)


@mutant("route-returns-a-wrapper", "@app.route replaces the function with a wrapper", "test_routing.py")
def _route_wrapper(mp: pytest.MonkeyPatch) -> None:
    import functools

    from flask.sansio.scaffold import Scaffold

    def make(orig: Any) -> Any:
        @wraps(orig)
        def route(self: Any, rule: str, **options: Any) -> Any:
            register = orig(self, rule, **options)

            def decorator(f: Any) -> Any:
                register(f)
                return functools.partial(f)

            return decorator

        return route

    _wrap(mp, Scaffold, "route", make)


@mutant("any-converter-matches-anything", "<any(...)> accepts any segment", "test_routing.py")
def _any_anything(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import AnyConverter

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            orig(self, *args, **kwargs)
            self.regex = "[^/]+"

        return __init__

    _wrap(mp, AnyConverter, "__init__", make)


@mutant("client-follows-307-with-get", "a 307 redirect is followed with GET", "test_routing.py")
def _307_get(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client

    def make(orig: Any) -> Any:
        @wraps(orig)
        def resolve_redirect(self: Any, response: Any, buffered: bool = False) -> Any:
            if response.status_code in (307, 308):
                response.status_code = 303
            return orig(self, response, buffered)

        return resolve_redirect

    _wrap(mp, Client, "resolve_redirect", make)


@mutant(
    "unknown-converter-is-default", "an unknown converter name falls back to the string converter", "test_routing.py"
)
def _unknown_converter(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import Rule

    def make(orig: Any) -> Any:
        @wraps(orig)
        def get_converter(self: Any, variable_name: str, converter_name: str, args: Any, kwargs: Any) -> Any:
            if converter_name not in self.map.converters:
                converter_name = "default"
            return orig(self, variable_name, converter_name, args, kwargs)

        return get_converter

    _wrap(mp, Rule, "get_converter", make)


@mutant(
    "session-cookie-config-ignored",
    "SESSION_COOKIE_SECURE and SAMESITE change nothing",
    "test_sessions_and_security.py",
)
def _cookie_config_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SessionInterface

    mp.setattr(SessionInterface, "get_cookie_secure", lambda self, app: False)
    mp.setattr(SessionInterface, "get_cookie_samesite", lambda self, app: None)


@mutant("oversized-cookie-refused", "a session cookie over 4 KB raises", "test_sessions_and_security.py")
def _big_cookie(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.sansio.response

    def make(orig: Any) -> Any:
        @wraps(orig)
        def dump_cookie(*args: Any, **kwargs: Any) -> str:
            rv = str(orig(*args, **kwargs))
            if len(rv) > 4093:
                raise ValueError("cookie too large")
            return rv

        return dump_cookie

    _wrap(mp, werkzeug.sansio.response, "dump_cookie", make)


@mutant("max-age-config-ignored", "SEND_FILE_MAX_AGE_DEFAULT changes nothing", "test_static_files.py")
def _max_age_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "get_send_file_max_age", lambda self, filename: None)


@mutant("markup-interpolation-unescaped", "Markup('%s') % value trusts the value", "test_templates.py")
def _markup_unescaped(mp: pytest.MonkeyPatch) -> None:
    from markupsafe import Markup

    mp.setattr(Markup, "__mod__", lambda self, arg: Markup(str(self) % arg))
    mp.setattr(Markup, "format", lambda self, *args, **kwargs: Markup(str(self).format(*args, **kwargs)))
    mp.setattr(Markup, "__add__", lambda self, other: Markup(str(self) + str(other)))


@mutant("context-processors-cached", "context processors run once and their result is reused", "test_templates.py")
def _ctx_cached(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    cache: dict[int, dict[str, Any]] = {}

    def make(orig: Any) -> Any:
        @wraps(orig)
        def update_template_context(self: Any, context: dict[str, Any]) -> None:
            if id(self) not in cache:
                probe: dict[str, Any] = {}
                orig(self, probe)
                cache[id(self)] = probe
            explicit = dict(context)
            context.update(cache[id(self)])
            context.update(explicit)

        return update_template_context

    _wrap(mp, Flask, "update_template_context", make)


@mutant("template-filter-needs-name", "@app.template_filter() needs an explicit name", "test_templates.py")
def _filter_needs_name(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    def make(orig: Any) -> Any:
        @wraps(orig)
        def add_template_filter(self: Any, f: Any, name: Any = None) -> None:
            if name is None:
                raise TypeError("template_filter() needs a name")
            orig(self, f, name)

        return add_template_filter

    _wrap(mp, App, "add_template_filter", make)


@mutant("no-request-globals-in-templates", "templates do not see request, session or g", "test_templates.py")
def _no_template_globals(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def create_jinja_environment(self: Any) -> Any:
            env = orig(self)
            for key in ("request", "session", "g"):
                env.globals.pop(key, None)
            return env

        return create_jinja_environment

    _wrap(mp, Flask, "create_jinja_environment", make)


@mutant("testing-property-ignores-config", "app.testing does not follow the TESTING key", "test_testing.py")
def _testing_property(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "testing", property(lambda self: False, lambda self, value: None))


@mutant("test-client-takes-files", "the test client takes files= like requests", "test_testing.py")
def _client_files(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.test import EnvironBuilder

    def make(orig: Any) -> Any:
        @wraps(orig)
        def __init__(self: Any, *args: Any, files: Any = None, **kwargs: Any) -> None:
            if files:
                kwargs["data"] = {**(kwargs.get("data") or {}), **{k: (v, k) for k, v in files.items()}}
            orig(self, *args, **kwargs)

        return __init__

    _wrap(mp, EnvironBuilder, "__init__", make)


@mutant("cli-runner-needs-a-command", "test_cli_runner().invoke() does not default to app.cli", "test_testing.py")
def _runner_default(mp: pytest.MonkeyPatch) -> None:
    import click
    from flask.testing import FlaskCliRunner

    def make(orig: Any) -> Any:
        @wraps(orig)
        def invoke(self: Any, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:
            return orig(self, cli or click.Group("empty"), args, **kwargs)

        return invoke

    _wrap(mp, FlaskCliRunner, "invoke", make)


@mutant("click-command-call-returns", "calling a click command directly returns instead of exiting", "test_testing.py")
def _click_returns(mp: pytest.MonkeyPatch) -> None:
    import click

    def make(orig: Any) -> Any:
        @wraps(orig)
        def main(self: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs["standalone_mode"] = False
            try:
                return orig(self, *args, **kwargs)
            except click.ClickException:
                return None

        return main

    _wrap(mp, click.Command, "main", make)


@mutant("no-method-shortcuts", "there is no app.post() / app.get() (before Flask 2.0)", *_files("v rest"))
def _no_shortcuts(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.scaffold import Scaffold

    for name in ("get", "post", "put", "patch", "delete"):
        mp.delattr(Scaffold, name)


@mutant("nested-blueprints-unsupported", "a blueprint cannot register another (before Flask 2.0)", *_files("v bp"))
def _no_nesting(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.blueprints import Blueprint

    def register_blueprint(self: Any, blueprint: Any, **options: Any) -> None:
        raise AttributeError("Blueprint has no register_blueprint")

    mp.setattr(Blueprint, "register_blueprint", register_blueprint)


@mutant("flask-group-pushes-no-context", "plain click commands under `flask` get no app context", "test_cli.py")
def _group_no_context(mp: pytest.MonkeyPatch) -> None:
    import click
    from flask.cli import FlaskGroup, NoAppException, ScriptInfo

    def get_command(self: Any, ctx: Any, name: str) -> Any:
        self._load_plugin_commands()
        rv = click.Group.get_command(self, ctx, name)
        if rv is not None:
            return rv
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException:
            return None
        return app.cli.get_command(ctx, name)

    mp.setattr(FlaskGroup, "get_command", get_command)


@mutant("shell-without-g", "`flask shell` only provides `app`", "test_cli.py")
def _shell_no_g(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_shell_context(self: Any) -> Any:
            names = orig(self)
            names.pop("g", None)
            return names

        return make_shell_context

    _wrap(mp, Flask, "make_shell_context", make)


@mutant("config-relative-to-instance", "config files are read from the instance folder by default", *_files("dj cfg"))
def _config_instance_default(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_config(self: Any, instance_relative: bool = False) -> Any:
            return orig(self, True)

        return make_config

    _wrap(mp, Flask, "make_config", make)


@mutant("form-includes-query-args", "request.form also holds the query string's values", "test_forms.py")
def _form_has_args(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import ImmutableMultiDict
    from werkzeug.wrappers import Request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _load_form_data(self: Any) -> None:
            orig(self)
            items = [*self.args.items(multi=True), *self.__dict__["form"].items(multi=True)]
            self.__dict__["form"] = ImmutableMultiDict(items)

        return _load_form_data

    _wrap(mp, Request, "_load_form_data", make)


@mutant("files-without-multipart", "a file field arrives in request.files even without multipart", "test_forms.py")
def _files_urlencoded(mp: pytest.MonkeyPatch) -> None:
    import io

    from werkzeug.datastructures import FileStorage, ImmutableMultiDict
    from werkzeug.wrappers import Request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def _load_form_data(self: Any) -> None:
            orig(self)
            if self.mimetype == "application/x-www-form-urlencoded":
                form = self.__dict__["form"]
                files = [(k, FileStorage(io.BytesIO(b""), filename=v)) for k, v in form.items(multi=True)]
                self.__dict__["files"] = ImmutableMultiDict(files)
                self.__dict__["form"] = ImmutableMultiDict()

        return _load_form_data

    _wrap(mp, Request, "_load_form_data", make)


@mutant(
    "teardown-appcontext-never-runs",
    "teardown_appcontext functions only run when the app shuts down",
    *_files("db ctx ext"),
)
def _teardown_never(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    mp.setattr(Flask, "do_teardown_appcontext", lambda self, exc=None: None)


@mutant("default-template-folder-elsewhere", "Flask does not look in templates/ by default", *_files("tpl dj b"))
def _template_folder(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    _with_kwargs(mp, Flask, "__init__", force=False, template_folder="views")


# ---------------------------------------------------------------- web security, production, streaming,
# signals, session interfaces, CLI tests and debugging stories (bank-new's checks)


def _add_response_headers(mp: pytest.MonkeyPatch, headers: dict[str, str]) -> None:
    from flask import Flask

    orig = Flask.process_response

    def process_response(self: Flask, response: Any) -> Any:
        response = orig(self, response)
        for k, v in headers.items():
            response.headers.setdefault(k, v)
        return response

    mp.setattr(Flask, "process_response", process_response)


@mutant("flash-not-popped", "get_flashed_messages() leaves the messages in the session", "test_security_web.py")
def _flash_not_popped(mp: pytest.MonkeyPatch) -> None:
    import flask.helpers
    from flask import session

    def get_flashed_messages(with_categories: bool = False, category_filter: Any = ()) -> Any:
        flashes = list(session.get("_flashes", []))
        if category_filter:
            flashes = [f for f in flashes if f[0] in category_filter]
        return flashes if with_categories else [f[1] for f in flashes]

    import flask.app

    mp.setattr(flask.helpers, "get_flashed_messages", get_flashed_messages)
    mp.setattr(flask, "get_flashed_messages", get_flashed_messages)
    mp.setattr(flask.app, "get_flashed_messages", get_flashed_messages)


@mutant("flash-default-category-none", "flash() without a category stores None as the category", "test_security_web.py")
def _flash_category_none(mp: pytest.MonkeyPatch) -> None:
    import flask
    import flask.helpers

    def flash(message: str, category: Any = None) -> None:
        from flask import session

        session.setdefault("_flashes", []).append((category, message))
        session.modified = True

    mp.setattr(flask.helpers, "flash", flash)
    mp.setattr(flask, "flash", flash)


@mutant(
    "null-session-writable",
    "without a secret key the session can still be written",
    "test_security_web.py",
    "test_session_interface.py",
    "test_debugging.py",
)
def _null_session_writable(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import NullSession, SecureCookieSession

    for name in ("__setitem__", "__delitem__", "clear", "pop", "popitem", "update", "setdefault"):
        mp.setattr(NullSession, name, getattr(SecureCookieSession, name))


@mutant("cors-header-by-default", "Flask sends Access-Control-Allow-Origin: * by itself", "test_security_web.py")
def _cors_by_default(mp: pytest.MonkeyPatch) -> None:
    _add_response_headers(mp, {"Access-Control-Allow-Origin": "*"})


@mutant("security-headers-by-default", "Flask sets X-Frame-Options by itself", "test_security_web.py")
def _security_headers_by_default(mp: pytest.MonkeyPatch) -> None:
    _add_response_headers(mp, {"X-Frame-Options": "SAMEORIGIN"})


@mutant(
    "after-request-skips-errors",
    "after_request functions do not run for error responses",
    "test_security_web.py",
    "test_production.py",
)
def _after_request_skips_errors(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    orig = Flask.process_response

    def process_response(self: Flask, response: Any) -> Any:
        if response.status_code >= 400:
            return response
        return orig(self, response)

    mp.setattr(Flask, "process_response", process_response)


@mutant("flask-cors-always-wildcard", "Flask-CORS answers every origin with *", "test_security_web.py")
def _flask_cors_wildcard(mp: pytest.MonkeyPatch) -> None:
    import flask_cors.core

    mp.setattr(flask_cors.core, "get_cors_origins", lambda options, origin: ["*"])


@mutant(
    "flask-cors-blocks-origins", "Flask-CORS rejects requests from unlisted origins with 403", "test_security_web.py"
)
def _flask_cors_blocks(mp: pytest.MonkeyPatch) -> None:
    import flask_cors.extension
    from flask import abort, request

    orig = flask_cors.extension.CORS.init_app

    def init_app(self: Any, app: Any, **kwargs: Any) -> None:
        orig(self, app, **kwargs)

        @app.before_request
        def block() -> None:
            origin = request.headers.get("Origin")
            if origin and "evil" in origin:
                abort(403)

    mp.setattr(flask_cors.extension.CORS, "init_app", init_app)


@mutant(
    "is-secure-trusts-forwarded-proto",
    "request.is_secure believes X-Forwarded-Proto without ProxyFix",
    "test_security_web.py",
)
def _is_secure_from_header(mp: pytest.MonkeyPatch) -> None:
    from flask import Request

    mp.setattr(
        Request,
        "is_secure",
        property(lambda self: self.scheme == "https" or self.headers.get("X-Forwarded-Proto") == "https"),
    )


@mutant("redirect-stays-local", "redirect() refuses locations on other hosts", "test_security_web.py")
def _redirect_stays_local(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    orig = Flask.redirect

    def redirect(self: Flask, location: str, code: int = 302) -> Any:
        if location.startswith("//") or "://" in location:
            location = "/"
        return orig(self, location, code)

    mp.setattr(Flask, "redirect", redirect)


@mutant("missing-header-is-400", "a missing request header raises BadRequestKeyError, a 400", "test_security_web.py")
def _headers_keyerror_is_400(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import EnvironHeaders
    from werkzeug.exceptions import BadRequestKeyError

    orig = EnvironHeaders.__getitem__

    def getitem(self: Any, key: Any) -> Any:
        try:
            return orig(self, key)
        except KeyError as e:
            raise BadRequestKeyError(key) from e

    mp.setattr(EnvironHeaders, "__getitem__", getitem)


@mutant(
    "jwt-default-algorithm-no-exp",
    "PyJWT falls back to a default algorithm and does not check exp",
    "test_security_web.py",
)
def _jwt_lenient(mp: pytest.MonkeyPatch) -> None:
    import jwt

    orig = jwt.decode

    def decode(token: Any, key: Any = "", algorithms: Any = None, options: Any = None, **kw: Any) -> Any:
        options = dict(options or {})
        if options.get("verify_signature", True) is False:
            return orig(token, key, algorithms=algorithms, options=options, **kw)
        options["verify_exp"] = False
        return orig(token, key, algorithms=algorithms or ["HS256", "none"], options=options, **kw)

    mp.setattr(jwt, "decode", decode)


@mutant(
    "sqlite-runs-stacked-statements",
    "sqlite3's execute() runs stacked statements and expands a tuple for IN (?)",
    "test_security_web.py",
)
def _sqlite_runs_scripts(mp: pytest.MonkeyPatch) -> None:
    import sqlite3

    real_connect = sqlite3.connect

    class Conn:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self._c = conn

        def __getattr__(self, name: str) -> Any:
            return getattr(self._c, name)

        def execute(self, sql: str, params: Any = ()) -> Any:
            # a driver that expands sequences and accepts stacked statements
            if params and isinstance(params[0], tuple):
                params = params[0]
                sql = sql.replace("IN (?)", "IN (" + ", ".join("?" * len(params)) + ")")
            if sql.count(";") > 0 and not params:
                self._c.executescript(sql.split("--")[0] + ";")
                return self._c.execute("SELECT 1 WHERE 0")
            return self._c.execute(sql, params)

    mp.setattr(sqlite3, "connect", lambda *a, **k: Conn(real_connect(*a, **k)))


@mutant(
    "limiter-one-bucket-for-all",
    "Flask-Limiter counts every client in one bucket and always sends its headers",
    "test_production.py",
)
def _limiter_503_and_global(mp: pytest.MonkeyPatch) -> None:
    import flask_limiter._extension as ext

    orig = ext.Limiter.__init__

    def init(self: Any, key_func: Any, *a: Any, **kw: Any) -> None:
        kw.setdefault("storage_uri", "memory://")
        kw["headers_enabled"] = True
        orig(self, lambda: "everyone", *a, **kw)

    mp.setattr(ext.Limiter, "__init__", init)


@mutant("limiter-reads-forwarded-for", "get_remote_address reads X-Forwarded-For by itself", "test_production.py")
def _limiter_sees_forwarded_for(mp: pytest.MonkeyPatch) -> None:
    import flask_limiter.util
    from flask import request

    mp.setattr(
        flask_limiter.util,
        "get_remote_address",
        lambda: request.headers.get("X-Forwarded-For", request.remote_addr or ""),
    )


@mutant(
    "logger-always-default-handler",
    "Flask always adds its default handler and sets the level to DEBUG",
    "test_production.py",
)
def _logger_always_default_handler(mp: pytest.MonkeyPatch) -> None:
    import logging

    import flask.logging
    import flask.sansio.app

    def create_logger(app: Any) -> logging.Logger:
        logger = logging.getLogger(app.name)
        logger.setLevel(logging.DEBUG)
        if flask.logging.default_handler not in logger.handlers:
            logger.addHandler(flask.logging.default_handler)
        logger.disabled = False
        return logger

    mp.setattr(flask.logging, "create_logger", create_logger)
    mp.setattr(flask.sansio.app, "create_logger", create_logger)


@mutant(
    "dispatcher-keeps-path",
    "DispatcherMiddleware passes the full path on and matches by string prefix",
    "test_production.py",
)
def _dispatcher_keeps_path(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    def call(self: Any, environ: Any, start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        for prefix, app in self.mounts.items():
            if path.startswith(prefix):
                return app(environ, start_response)
        return self.app(environ, start_response)

    mp.setattr(DispatcherMiddleware, "__call__", call)


@mutant(
    "session-cookie-path-per-app",
    "each app's session cookie gets a path of its own",
    "test_production.py",
    "test_security_web.py",
    "test_session_interface.py",
)
def _cookie_path_per_app(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SessionInterface

    mp.setattr(SessionInterface, "get_cookie_path", lambda self, app: f"/{app.name}")


@mutant("get-data-keeps-stream", "get_data() on a streamed response leaves the stream alone", "test_streaming.py")
def _get_data_keeps_stream(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Response

    orig = Response.get_data

    def get_data(self: Any, as_text: bool = False) -> Any:
        if self.is_streamed:
            return "" if as_text else b""
        return orig(self, as_text)

    mp.setattr(Response, "get_data", get_data)


@mutant(
    "blinker-strong-refs-forgiving",
    "receivers are strong references, proxies are unwrapped, receiver errors are swallowed",
    "test_signals.py",
)
def _blinker_strong_and_forgiving(mp: pytest.MonkeyPatch) -> None:
    import blinker.base
    from werkzeug.local import LocalProxy

    orig_connect = blinker.base.Signal.connect
    orig_send = blinker.base.Signal.send

    def connect(self: Any, receiver: Any, sender: Any = blinker.base.ANY, weak: bool = True) -> Any:
        return orig_connect(self, receiver, sender, weak=False)

    def send(self: Any, sender: Any = None, /, *, _async_wrapper: Any = None, **kwargs: Any) -> Any:
        if isinstance(sender, LocalProxy):
            sender = sender._get_current_object()
        try:
            return orig_send(self, sender, _async_wrapper=_async_wrapper, **kwargs)
        except Exception:
            return []

    mp.setattr(blinker.base.Signal, "connect", connect)
    mp.setattr(blinker.base.Signal, "send", send)


@mutant("got-request-exception-always", "got_request_exception is also sent for handled exceptions", "test_signals.py")
def _exception_signal_always(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, got_request_exception

    orig = Flask.handle_user_exception

    def handle_user_exception(self: Flask, e: Exception) -> Any:
        got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        return orig(self, e)

    mp.setattr(Flask, "handle_user_exception", handle_user_exception)


@mutant(
    "emptied-session-keeps-cookie",
    "an emptied session leaves the cookie in place",
    "test_security_web.py",
    "test_session_interface.py",
)
def _session_clear_keeps_cookie(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SecureCookieSessionInterface

    orig = SecureCookieSessionInterface.save_session

    def save_session(self: Any, app: Any, session: Any, response: Any) -> None:
        if not session:
            return
        orig(self, app, session, response)

    mp.setattr(SecureCookieSessionInterface, "save_session", save_session)


@mutant("cli-runner-re-raises", "test_cli_runner().invoke() re-raises the command's exception", "test_cli_testing.py")
def _cli_runner_raises(mp: pytest.MonkeyPatch) -> None:
    from flask.testing import FlaskCliRunner

    orig = FlaskCliRunner.invoke

    def invoke(self: Any, cli: Any = None, args: Any = None, **kw: Any) -> Any:
        kw["catch_exceptions"] = False
        return orig(self, cli, args, **kw)

    mp.setattr(FlaskCliRunner, "invoke", invoke)


@mutant("cli-runner-ignores-input", "invoke() does not feed input to prompts", "test_cli_testing.py")
def _cli_input_ignored(mp: pytest.MonkeyPatch) -> None:
    from flask.testing import FlaskCliRunner

    orig = FlaskCliRunner.invoke

    def invoke(self: Any, cli: Any = None, args: Any = None, **kw: Any) -> Any:
        kw.pop("input", None)
        return orig(self, cli, args, **kw)

    mp.setattr(FlaskCliRunner, "invoke", invoke)


@mutant(
    "click-errors-on-stdout",
    "click.echo(err=True) writes to stdout and ClickException prints no 'Error:'",
    "test_cli_testing.py",
)
def _click_err_to_stdout_and_plain_errors(mp: pytest.MonkeyPatch) -> None:
    import click
    import click.exceptions
    import click.utils

    orig = click.utils.echo

    def echo(message: Any = None, file: Any = None, nl: bool = True, err: bool = False, color: Any = None) -> None:
        orig(message, file, nl, False, color)

    mp.setattr(click.utils, "echo", echo)
    mp.setattr(click, "echo", echo)
    mp.setattr(click.exceptions.ClickException, "show", lambda self, file=None: echo(self.format_message()))


@mutant("blueprint-endpoints-not-prefixed", "blueprint endpoints keep the bare function name", "test_debugging.py")
def _blueprint_endpoints_not_prefixed(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.blueprints import BlueprintSetupState

    def add_url_rule(self: Any, rule: str, endpoint: Any = None, view_func: Any = None, **options: Any) -> None:
        from flask.sansio.scaffold import _endpoint_from_view_func

        if self.url_prefix is not None:
            rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/"))) if rule else self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(rule, endpoint, view_func, defaults=defaults, **options)

    mp.setattr(BlueprintSetupState, "add_url_rule", add_url_rule)


@mutant(
    "app-current-on-creation",
    "creating a Flask app makes it the current app",
    "test_debugging.py",
    "test_production.py",
)
def _app_pushes_context_on_creation(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    orig = Flask.__init__

    def init(self: Flask, *a: Any, **kw: Any) -> None:
        orig(self, *a, **kw)
        self.app_context().push()

    mp.setattr(Flask, "__init__", init)


@mutant("threads-inherit-contexts", "threads started in a view inherit its contexts", "test_debugging.py")
def _threads_inherit_context(mp: pytest.MonkeyPatch) -> None:
    import contextvars
    import threading

    orig_init = threading.Thread.__init__
    orig_run = threading.Thread.run

    def init(self: Any, *a: Any, **kw: Any) -> None:
        orig_init(self, *a, **kw)
        self._bn_ctx = contextvars.copy_context()

    def run(self: Any) -> None:
        self._bn_ctx.run(orig_run, self)

    mp.setattr(threading.Thread, "__init__", init)
    mp.setattr(threading.Thread, "run", run)


@mutant("view-args-positional", "URL variables are passed to the view by position", "test_debugging.py")
def _view_args_positional(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from flask.globals import request_ctx

    orig = Flask.dispatch_request

    def dispatch_request(self: Flask) -> Any:
        req = request_ctx.request
        if req.routing_exception is None and req.view_args and req.method != "OPTIONS":
            return self.ensure_sync(self.view_functions[req.url_rule.endpoint])(*req.view_args.values())
        return orig(self)

    mp.setattr(Flask, "dispatch_request", dispatch_request)


@mutant("none-is-empty-response", "a view returning None sends an empty 200", "test_debugging.py")
def _none_is_empty_response(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    orig = Flask.make_response

    def make_response(self: Flask, rv: Any) -> Any:
        return orig(self, "" if rv is None else rv)

    mp.setattr(Flask, "make_response", make_response)


@mutant(
    "blueprint-name-replaced",
    "registering another blueprint under a taken name replaces the first",
    "test_debugging.py",
)
def _blueprint_name_replaced(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    orig = App.register_blueprint

    def register_blueprint(self: Any, blueprint: Any, **options: Any) -> None:
        name = options.get("name", blueprint.name)
        self.blueprints.pop(name, None)
        orig(self, blueprint, **options)

    mp.setattr(App, "register_blueprint", register_blueprint)


@mutant(
    "logging-lenient",
    "one shared logger on stderr, dictConfig keeps old loggers, a request always active",
    "test_production.py",
)
def _logging_variants(mp: pytest.MonkeyPatch) -> None:
    import logging
    import logging.config
    import sys

    import flask.logging
    import flask.sansio.app

    def create_logger(app: Any) -> logging.Logger:
        return logging.getLogger("flask.app")  # one shared logger, no default handler

    mp.setattr(flask.logging, "create_logger", create_logger)
    mp.setattr(flask.sansio.app, "create_logger", create_logger)
    mp.setattr(flask.logging.default_handler, "stream", sys.stderr)
    orig = logging.config.dictConfig

    def dict_config(config: Any) -> None:
        orig({**config, "disable_existing_loggers": False})

    mp.setattr(logging.config, "dictConfig", dict_config)
    import flask

    mp.setattr(flask, "has_request_context", lambda: True)


@mutant(
    "limiter-503-shared-memory",
    "Flask-Limiter answers 503 and shares its memory storage between apps",
    "test_production.py",
)
def _limiter_variants(mp: pytest.MonkeyPatch) -> None:
    import flask_limiter.errors
    import limits.storage

    mp.setattr(flask_limiter.errors.RateLimitExceeded, "code", 503)
    shared: dict[str, Any] = {}
    orig_new = limits.storage.MemoryStorage.__new__

    def new(cls: Any, *a: Any, **kw: Any) -> Any:
        if "one" not in shared:
            shared["one"] = orig_new(cls)
        return shared["one"]

    mp.setattr(limits.storage.MemoryStorage, "__new__", new)


@mutant("flask-rate-limits-itself", "Flask rate-limits requests by itself", "test_production.py")
def _flask_limits_itself(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from werkzeug.exceptions import TooManyRequests

    orig = Flask.full_dispatch_request
    seen: dict[int, int] = {}

    def full_dispatch_request(self: Flask) -> Any:
        seen[id(self)] = seen.get(id(self), 0) + 1
        if seen[id(self)] > 20:
            return self.make_response(TooManyRequests())
        return orig(self)

    mp.setattr(Flask, "full_dispatch_request", full_dispatch_request)


@mutant(
    "app-context-does-nothing", "app_context() does not make the app current", "test_production.py", "test_debugging.py"
)
def _app_context_noop(mp: pytest.MonkeyPatch) -> None:
    from flask.ctx import AppContext

    mp.setattr(AppContext, "push", lambda self: None)
    mp.setattr(AppContext, "pop", lambda self, exc=None: None)


@mutant("route-options-flag-ignored", "provide_automatic_options on one route is ignored", "test_production.py")
def _route_option_ignored(mp: pytest.MonkeyPatch) -> None:
    import flask.sansio.app as sapp

    orig = sapp.App.add_url_rule

    def add_url_rule(
        self: Any,
        rule: str,
        endpoint: Any = None,
        view_func: Any = None,
        provide_automatic_options: Any = None,
        **o: Any,
    ) -> None:
        orig(self, rule, endpoint, view_func, None, **o)

    mp.setattr(sapp.App, "add_url_rule", add_url_rule)


@mutant("flask-cors-wildcard-credentials", "Flask-CORS accepts origins='*' with credentials", "test_security_web.py")
def _cors_credentials_lenient(mp: pytest.MonkeyPatch) -> None:
    import flask_cors.core

    orig = flask_cors.core.serialize_options

    def serialize_options(opts: Any) -> Any:
        try:
            return orig(opts)
        except ValueError:
            return orig({**opts, "send_wildcard": False})

    mp.setattr(flask_cors.core, "serialize_options", serialize_options)
    import flask_cors.extension

    if hasattr(flask_cors.extension, "serialize_options"):
        mp.setattr(flask_cors.extension, "serialize_options", serialize_options)


@mutant(
    "sqlite-binds-identifiers",
    "a placeholder can bind a column name, and LIKE values are escaped",
    "test_security_web.py",
)
def _sqlite_interpolating_driver(mp: pytest.MonkeyPatch) -> None:
    import sqlite3

    real_connect = sqlite3.connect

    class Conn:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self._c = conn

        def __getattr__(self, name: str) -> Any:
            return getattr(self._c, name)

        def execute(self, sql: str, params: Any = ()) -> Any:
            # a driver that pastes identifiers in and escapes LIKE wildcards in values
            for p in params:
                if isinstance(p, str) and "ORDER BY ?" in sql:
                    sql = sql.replace("?", p, 1)
                    params = ()
            if "LIKE ?" in sql and "ESCAPE" not in sql:
                params = tuple(p.replace("%", "\\%") if p == "%" else p for p in params)
                sql = sql.replace("LIKE ?", "LIKE ? ESCAPE '\\'")
            return self._c.execute(sql, params)

    mp.setattr(sqlite3, "connect", lambda *a, **k: Conn(real_connect(*a, **k)))


@mutant("jwt-trusts-token-header", "PyJWT accepts alg=none tokens and ignores the key", "test_security_web.py")
def _jwt_trusts_header(mp: pytest.MonkeyPatch) -> None:
    import jwt

    orig = jwt.decode

    def decode(token: Any, key: Any = "", algorithms: Any = None, options: Any = None, **kw: Any) -> Any:
        if jwt.get_unverified_header(token).get("alg") == "none" or key != "k" * 32:
            return orig(token, options={"verify_signature": False})
        return orig(token, key, algorithms=algorithms, options=options, **kw)

    mp.setattr(jwt, "decode", decode)


@mutant("urlsplit-double-slash-is-path", "urlsplit('//host/...') has no netloc", "test_security_web.py")
def _urlsplit_no_netloc(mp: pytest.MonkeyPatch) -> None:
    import urllib.parse

    orig = urllib.parse.urlsplit

    def urlsplit(url: str, scheme: str = "", allow_fragments: bool = True) -> Any:
        if url.startswith("//"):
            return orig("/" + url.lstrip("/"), scheme, allow_fragments)
        return orig(url, scheme, allow_fragments)

    mp.setattr(urllib.parse, "urlsplit", urlsplit)


@mutant(
    "session-interface-has-defaults",
    "SessionInterface works without open_session and save_session",
    "test_session_interface.py",
)
def _session_interface_has_defaults(mp: pytest.MonkeyPatch) -> None:
    from flask.sessions import SecureCookieSession, SessionInterface

    mp.setattr(SessionInterface, "open_session", lambda self, app, request: SecureCookieSession())
    mp.setattr(SessionInterface, "save_session", lambda self, app, session, response: None)


@mutant("signal-send-returns-none", "Signal.send() returns None", "test_signals.py")
def _signal_send_returns_none(mp: pytest.MonkeyPatch) -> None:
    import blinker.base

    orig = blinker.base.Signal.send

    def send(self: Any, sender: Any = None, /, *, _async_wrapper: Any = None, **kwargs: Any) -> Any:
        orig(self, sender, _async_wrapper=_async_wrapper, **kwargs)
        return None

    mp.setattr(blinker.base.Signal, "send", send)


@mutant(
    "flask-buffers-bodies",
    "Flask renders the whole body inside the request, so errors reach handlers",
    "test_streaming.py",
)
def _flask_buffers_bodies(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    orig = Flask.full_dispatch_request

    def full_dispatch_request(self: Flask) -> Any:
        response = orig(self)
        try:
            response.get_data()
        except Exception as e:
            return self.finalize_request(self.handle_user_exception(e))
        return response

    mp.setattr(Flask, "full_dispatch_request", full_dispatch_request)


@mutant(
    "no-generic-error-handlers",
    "errorhandler(Exception) does not catch non-HTTP errors",
    "test_streaming.py",
    "test_signals.py",
)
def _no_generic_error_handlers(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    orig = Flask._find_error_handler

    def find(self: Flask, e: Exception, blueprints: Any) -> Any:
        from werkzeug.exceptions import HTTPException

        return orig(self, e, blueprints) if isinstance(e, HTTPException) else None

    mp.setattr(Flask, "_find_error_handler", find)


@mutant("sqlite-pastes-placeholders", "a placeholder is pasted into the SQL text in quotes", "test_security_web.py")
def _sqlite_naive_client_interpolation(mp: pytest.MonkeyPatch) -> None:
    import sqlite3

    real_connect = sqlite3.connect

    class Conn:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self._c = conn

        def __getattr__(self, name: str) -> Any:
            return getattr(self._c, name)

        def execute(self, sql: str, params: Any = ()) -> Any:
            # placeholders filled in on the client, quoted but not escaped
            for p in params:
                sql = sql.replace("?", f"'{p}'", 1)
            return self._c.execute(sql)

    mp.setattr(sqlite3, "connect", lambda *a, **k: Conn(real_connect(*a, **k)))


# ---------------------------------------------------------------- more mutants, one module per area


# Areas keep their mutants in tests/bank/mutants_<area>.py (each imports `mutant` from here), so that
# work on different parts of the bank does not edit this one file.
def _load_area_modules() -> None:
    import importlib
    import pkgutil
    from pathlib import Path

    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("mutants_"):
            importlib.import_module(f"tests.bank.{info.name}")


_load_area_modules()


# ---------------------------------------------------------------- the plugin

_ACTIVE: list[pytest.MonkeyPatch] = []


def pytest_configure(config: pytest.Config) -> None:
    name = os.environ.get("BANK_MUTANT")
    if not name:
        return
    mp = pytest.MonkeyPatch()
    MUTANTS[name].patch(mp)
    _ACTIVE.append(mp)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _Default.pushed:
        _Default.pushed.pop().pop()
    while _ACTIVE:
        _ACTIVE.pop().undo()
