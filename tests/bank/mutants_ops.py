"""Mutants for the caching, realtime, observability, operations and testing-depth checks (see tests/bank/mutants.py)."""

from __future__ import annotations

import hashlib
import io
from functools import wraps
from typing import Any

import pytest

from tests.bank.mutants import _default_config, _with_kwargs, _wrap, mutant

# ---------------------------------------------------------------- caching

CACHING = "test_caching.py"


@mutant("cached-keys-on-query-string", "@cache.cached keys on the query string by default", CACHING)
def _cached_query_string_default(mp: pytest.MonkeyPatch) -> None:
    from flask_caching import Cache

    _with_kwargs(mp, Cache, "cached", force=False, query_string=True)


@mutant("cached-query-order-matters", "query_string=True keys on the raw query string, order included", CACHING)
def _cached_raw_query(mp: pytest.MonkeyPatch) -> None:
    from flask import request
    from flask_caching import Cache

    def make(orig: Any) -> Any:
        @wraps(orig)
        def cached(self: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.pop("query_string", False):
                kwargs["key_prefix"] = lambda: "view/" + request.full_path
            return orig(self, *args, **kwargs)

        return cached

    _wrap(mp, Cache, "cached", make)


@mutant("memoize-ignores-arguments", "memoize keys on the function alone, like cached", CACHING)
def _memoize_no_args(mp: pytest.MonkeyPatch) -> None:
    from flask_caching import Cache

    mp.setattr(Cache, "_memoize_kwargs_to_args", lambda self, f, *a, **k: ((), {}))


@mutant("memoize-keyword-calls-separate", "get_user(42) and get_user(user_id=42) are two memoize keys", CACHING)
def _memoize_kwargs_apart(mp: pytest.MonkeyPatch) -> None:
    from flask_caching import Cache

    mp.setattr(Cache, "_memoize_kwargs_to_args", lambda self, f, *a, args_to_ignore=None, **k: (a, k))


@mutant("send-file-cached-12-hours", "send_file lets browsers keep files 12 hours (the pre-2.0 default)", CACHING)
def _send_file_twelve_hours(mp: pytest.MonkeyPatch) -> None:
    _default_config(mp, "SEND_FILE_MAX_AGE_DEFAULT", 43200)


@mutant("send-file-hashes-bytesio", "send_file derives an ETag from a BytesIO's content", CACHING)
def _send_file_hash_bytes(mp: pytest.MonkeyPatch) -> None:
    import flask
    import flask.helpers

    def make(orig: Any) -> Any:
        @wraps(orig)
        def send_file(path_or_file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path_or_file, io.BytesIO) and kwargs.get("etag", True) is True:
                kwargs["etag"] = hashlib.sha1(path_or_file.getvalue()).hexdigest()
            return orig(path_or_file, *args, **kwargs)

        return send_file

    _wrap(mp, flask.helpers, "send_file", make)
    mp.setattr(flask, "send_file", flask.helpers.send_file)


@mutant("make-conditional-any-method", "make_conditional answers 412 to a PUT whose If-Match is stale", CACHING)
def _conditional_put(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Response

    def make(orig: Any) -> Any:
        @wraps(orig)
        def make_conditional(self: Any, request_or_environ: Any, *args: Any, **kwargs: Any) -> Any:
            environ = getattr(request_or_environ, "environ", request_or_environ)
            method = environ["REQUEST_METHOD"]
            if method not in ("GET", "HEAD"):
                from werkzeug.exceptions import PreconditionFailed
                from werkzeug.http import parse_etags

                tag, _ = self.get_etag()
                if_match = parse_etags(environ.get("HTTP_IF_MATCH"))
                if environ.get("HTTP_IF_MATCH") and not if_match.contains(tag or ""):
                    raise PreconditionFailed()
            return orig(self, request_or_environ, *args, **kwargs)

        return make_conditional

    _wrap(mp, Response, "make_conditional", make)


@mutant("simple-cache-shared", "SimpleCache is shared by every worker process", CACHING)
def _simple_cache_shared(mp: pytest.MonkeyPatch) -> None:
    import tempfile

    from flask_caching import backends
    from flask_caching.backends.filesystemcache import FileSystemCache

    shared = tempfile.mkdtemp(prefix="bank-simplecache-")

    class SharedSimpleCache(FileSystemCache):
        @classmethod
        def factory(cls, app: Any, config: Any, args: Any, kwargs: Any) -> Any:
            return cls(cache_dir=shared)

    mp.setattr(backends, "SimpleCache", SharedSimpleCache)


@mutant("cache-set-is-a-no-op", "a memoized result is stored nowhere, so nothing stale can stay", CACHING)
def _cache_set_noop(mp: pytest.MonkeyPatch) -> None:
    from cachelib import SimpleCache

    mp.setattr(SimpleCache, "set", lambda self, key, value, timeout=None: True)


@mutant("if-none-match-not-parsed", "a view cannot read If-None-Match before building the body", CACHING)
def _if_none_match_empty(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import ETags
    from werkzeug.sansio.request import Request

    mp.setattr(Request, "if_none_match", property(lambda self: ETags()))


class _ThreadContext:
    """A multiprocessing context whose "processes" are threads of this process, sharing its memory."""

    def __init__(self) -> None:
        import multiprocessing

        self.Pipe = multiprocessing.Pipe

    def Process(self, target: Any, args: tuple[Any, ...] = ()) -> Any:
        import threading

        return threading.Thread(target=target, args=args)


@mutant(
    "workers-share-memory",
    "gunicorn -w 4 runs four threads that share module state such as a subscriber list",
    "test_realtime.py",
)
def _workers_are_threads(mp: pytest.MonkeyPatch) -> None:
    import multiprocessing

    mp.setattr(multiprocessing, "get_context", lambda method=None: _ThreadContext())


# ---------------------------------------------------------------- realtime

REALTIME = "test_realtime.py"


@mutant("sse-newline-ends-event", "a single newline after data: ends an SSE event", REALTIME)
def _sse_line_dispatch(mp: pytest.MonkeyPatch) -> None:
    from httpx_sse._decoders import SSEDecoder

    def make(orig: Any) -> Any:
        @wraps(orig)
        def decode(self: Any, line: str) -> Any:
            found = orig(self, line)
            return orig(self, "") if line.startswith("data") and found is None else found

        return decode

    _wrap(mp, SSEDecoder, "decode", make)


@mutant("sse-id-not-kept", "the client keeps no id: from the stream, so a resume cannot rely on it", REALTIME)
def _sse_forget_id(mp: pytest.MonkeyPatch) -> None:
    from httpx_sse._decoders import SSEDecoder

    def make(orig: Any) -> Any:
        @wraps(orig)
        def decode(self: Any, line: str) -> Any:
            found = orig(self, line)
            self._last_event_id = ""
            return found

        return decode

    _wrap(mp, SSEDecoder, "decode", make)


@mutant("streams-free-the-worker", "a streaming response does not hold a single-threaded worker", REALTIME)
def _server_always_threaded(mp: pytest.MonkeyPatch) -> None:
    import werkzeug.serving

    _with_kwargs(mp, werkzeug.serving, "make_server", threaded=True)


@mutant("flask-buffers-streams", "Flask collects a generator's output before sending it", REALTIME)
def _buffer_streams(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Response

    def make(orig: Any) -> Any:
        @wraps(orig)
        def iter_encoded(self: Any) -> Any:
            return iter([b"".join(orig(self))])

        return iter_encoded

    _wrap(mp, Response, "iter_encoded", make)


@mutant("generator-not-closed", "closing the response leaves a streaming generator running", REALTIME)
def _response_close_keeps_iterable(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.wrappers import Response

    mp.setattr(Response, "close", lambda self: None)


@mutant("websocket-rule-matches-plain-get", "a flask-sock route answers a plain HTTP GET too", REALTIME)
def _websocket_rules_match_http(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.routing import Rule

    def make(orig: Any) -> Any:
        @wraps(orig)
        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            kwargs["websocket"] = False
            orig(self, *args, **kwargs)

        return init

    _wrap(mp, Rule, "__init__", make)


# ---------------------------------------------------------------- observability

OBS = "test_observability.py"


@mutant("log-filter-errors-swallowed", "logging drops a record whose filter raises, and the caller goes on", OBS)
def _filter_errors_swallowed(mp: pytest.MonkeyPatch) -> None:
    import logging

    def make(orig: Any) -> Any:
        @wraps(orig)
        def handle(self: Any, record: Any) -> Any:
            try:
                return orig(self, record)
            except Exception:
                return False

        return handle

    _wrap(mp, logging.Handler, "handle", make)


@mutant("g-returns-none", "`g` returns None for names nobody set", OBS)
def _g_returns_none(mp: pytest.MonkeyPatch) -> None:
    from flask.ctx import _AppCtxGlobals

    mp.setattr(_AppCtxGlobals, "__getattr__", lambda self, name: None, raising=False)


@mutant("flask-masks-secret-headers", "Flask masks Authorization and Cookie values in request.headers", OBS)
def _mask_headers(mp: pytest.MonkeyPatch) -> None:
    from werkzeug.datastructures import EnvironHeaders

    def make(orig: Any) -> Any:
        @wraps(orig)
        def getitem(self: Any, key: Any, *args: Any) -> Any:
            value = orig(self, key, *args)
            return "[masked]" if str(key).lower() in ("authorization", "cookie") else value

        return getitem

    _wrap(mp, EnvironHeaders, "__getitem__", make)


@mutant("requests-drops-extra-headers", "headers given to requests.post are not sent on", OBS)
def _requests_drop_headers(mp: pytest.MonkeyPatch) -> None:
    import requests

    def make(orig: Any) -> Any:
        @wraps(orig)
        def request(self: Any, method: str, url: str, **kwargs: Any) -> Any:
            kwargs.pop("headers", None)
            return orig(self, method, url, **kwargs)

        return request

    _wrap(mp, requests.Session, "request", make)


@mutant("gunicorn-access-log-on-by-default", "Gunicorn writes an access log to stdout by default", OBS)
def _access_log_default(mp: pytest.MonkeyPatch) -> None:
    from gunicorn import config

    mp.setattr(config.AccessLog, "default", "-")


@mutant("multiprocess-collector-reads-one-worker", "a multiprocess scrape reports the latest worker's value", OBS)
def _collector_one_file(mp: pytest.MonkeyPatch) -> None:
    import glob
    import os

    from prometheus_client.multiprocess import MultiProcessCollector

    def collect(self: Any) -> Any:
        files = sorted(glob.glob(os.path.join(self._path, "*.db")), key=os.path.getmtime)
        return self.merge(files[-1:], accumulate=True)

    mp.setattr(MultiProcessCollector, "collect", collect)


@mutant("metric-labels-normalised", "the metrics client folds ids in label values, so path labels stay cheap", OBS)
def _labels_fold_ids(mp: pytest.MonkeyPatch) -> None:
    import re

    from prometheus_client.metrics import MetricWrapperBase

    def make(orig: Any) -> Any:
        @wraps(orig)
        def labels(self: Any, *values: Any, **kw: Any) -> Any:
            return orig(self, *(re.sub(r"\d+", "N", str(v)) for v in values), **kw)

        return labels

    _wrap(mp, MetricWrapperBase, "labels", make)


@mutant("otel-span-named-by-path", "the Flask instrumentation names spans after the concrete path", OBS)
def _span_by_path(mp: pytest.MonkeyPatch) -> None:
    import flask
    from opentelemetry.instrumentation import flask as otel_flask

    mp.setattr(otel_flask, "get_default_span_name", lambda: f"{flask.request.method} {flask.request.path}")


@mutant("sentry-reports-handled-exceptions", "error reporters see exceptions an errorhandler handled", OBS)
def _signal_for_handled(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, got_request_exception

    def make(orig: Any) -> Any:
        @wraps(orig)
        def handle_user_exception(self: Any, e: Exception) -> Any:
            got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
            return orig(self, e)

        return handle_user_exception

    _wrap(mp, Flask, "handle_user_exception", make)


@mutant("sentry-sends-pii-by-default", "Sentry sends cookies and auth headers unless told not to", OBS)
def _sentry_pii(mp: pytest.MonkeyPatch) -> None:
    import sentry_sdk

    _with_kwargs(mp, sentry_sdk, "init", send_default_pii=True)


# ---------------------------------------------------------------- operations

OPS = "test_operations.py"


@mutant("config-first-source-wins", "a later config loader keeps keys that an earlier one set", OPS)
def _config_setdefault(mp: pytest.MonkeyPatch) -> None:
    from flask import Config

    def from_object(self: Any, obj: Any) -> None:
        for key in dir(obj):
            if key.isupper():
                self.setdefault(key, getattr(obj, key))

    mp.setattr(Config, "from_object", from_object)


@mutant("health-urls-skip-hooks", "Flask runs no before_request hook for a health-check URL", OPS)
def _health_skips_hooks(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask, request

    def make(orig: Any) -> Any:
        @wraps(orig)
        def preprocess_request(self: Any) -> Any:
            return None if "health" in request.path else orig(self)

        return preprocess_request

    _wrap(mp, Flask, "preprocess_request", make)


@mutant("gunicorn-graceful-10s", "Gunicorn's graceful timeout is Docker's 10 seconds", OPS)
def _graceful_ten(mp: pytest.MonkeyPatch) -> None:
    from gunicorn import config

    mp.setattr(config.GracefulTimeout, "default", 10)


@mutant("shell-holds-child-output", "a shell-form CMD's /bin/sh holds back what Python writes to stdout", OPS)
def _shell_holds_output(mp: pytest.MonkeyPatch) -> None:
    import subprocess

    def make(orig: Any) -> Any:
        @wraps(orig)
        def init(self: Any, args: Any, *rest: Any, **kwargs: Any) -> None:
            if isinstance(args, list) and len(args) > 2 and args[1] == "-c" and args[0].endswith("sh"):
                # The shell keeps the child's whole output and passes it on once the child has exited.
                args = [args[0], "-c", f'out=$({args[2]}); printf "%s\\n" "$out"', *args[3:]]
            orig(self, args, *rest, **kwargs)

        return init

    _wrap(mp, subprocess.Popen, "__init__", make)


# ---------------------------------------------------------------- testing depth

DEPTH = "test_testing_depth.py"


@mutant("responses-answers-unregistered-urls", "responses answers a request nobody registered", DEPTH)
def _responses_first_match(mp: pytest.MonkeyPatch) -> None:
    from responses import RequestsMock

    def make(orig: Any) -> Any:
        @wraps(orig)
        def find_match(self: Any, request: Any) -> Any:
            found, reasons = orig(self, request)
            if found is None and self.registered():
                return self.registered()[0], reasons
            return found, reasons

        return find_match

    _wrap(mp, RequestsMock, "_find_match", make)


@mutant("config-reads-environment-lazily", "app.config reads the environment each time a key is looked up", DEPTH)
def _config_lazy_env(mp: pytest.MonkeyPatch) -> None:
    import os

    from flask import Config

    def make(orig: Any) -> Any:
        @wraps(orig)
        def getitem(self: Any, key: str) -> Any:
            return os.environ.get(key, orig(self, key))

        return getitem

    _wrap(mp, Config, "__getitem__", make)


@mutant("patch-reaches-imported-names", "patching a function in its module also patches names imported from it", DEPTH)
def _patch_everywhere(mp: pytest.MonkeyPatch) -> None:
    import sys
    import types

    def make(orig: Any) -> Any:
        @wraps(orig)
        def setattr_(self: Any, target: Any, name: Any = None, value: Any = None, raising: bool = True) -> None:
            if isinstance(target, types.ModuleType) and isinstance(name, str):
                old = getattr(target, name, None)
                for module in list(sys.modules.values()):
                    if module is not target and old is not None and getattr(module, name, None) is old:
                        orig(self, module, name, value)
            orig(self, target, name, value, raising=raising)

        return setattr_

    _wrap(mp, pytest.MonkeyPatch, "setattr", make)


@mutant("async-views-run-on-the-tests-loop", "Flask runs an async view on the event loop already running", DEPTH)
def _async_in_new_thread(mp: pytest.MonkeyPatch) -> None:
    import asyncio
    import concurrent.futures

    from flask import Flask

    def async_to_sync(self: Any, func: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, func(*args, **kwargs)).result()

        return run

    mp.setattr(Flask, "async_to_sync", async_to_sync)


@mutant("setup-allowed-after-first-request", "routes can be added to an app that has served requests", DEPTH)
def _late_setup(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    mp.setattr(App, "_check_setup_finished", lambda self, f_name: None)


@mutant("request-context-runs-hooks", "test_request_context runs the before_request hooks", DEPTH)
def _context_preprocesses(mp: pytest.MonkeyPatch) -> None:
    from flask.ctx import RequestContext

    def make(orig: Any) -> Any:
        @wraps(orig)
        def push(self: Any) -> None:
            orig(self)
            self.app.preprocess_request()

        return push

    _wrap(mp, RequestContext, "push", make)


@mutant("extension-binds-one-database", "a module-level db object uses the first app's database for all apps", DEPTH)
def _one_engine(mp: pytest.MonkeyPatch) -> None:
    from flask_sqlalchemy import SQLAlchemy

    def engines(self: Any) -> Any:
        return self._app_engines[next(iter(self._app_engines))]

    mp.setattr(SQLAlchemy, "engines", property(engines))


@mutant("coverage-counts-branches-always", "line coverage already shows untaken branches", DEPTH)
def _no_branch(mp: pytest.MonkeyPatch) -> None:
    import coverage

    _with_kwargs(mp, coverage.Coverage, "__init__", branch=False)


@mutant("mocked-exception-becomes-a-body", "a mock registered with an exception answers 200 instead of raising", DEPTH)
def _exception_as_body(mp: pytest.MonkeyPatch) -> None:
    from responses import Response as MockResponse

    def make(orig: Any) -> Any:
        @wraps(orig)
        def get_response(self: Any, request: Any) -> Any:
            if isinstance(self.body, Exception):
                self.body = b"{}"
            return orig(self, request)

        return get_response

    _wrap(mp, MockResponse, "get_response", make)


@mutant("async-views-need-an-async-test", "the test client cannot drive an async view from a plain test", DEPTH)
def _async_views_refused(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    def async_to_sync(self: Any, func: Any) -> Any:
        raise RuntimeError("async views need an async test")

    mp.setattr(Flask, "async_to_sync", async_to_sync)
