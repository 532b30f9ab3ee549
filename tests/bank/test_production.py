"""Executable checks for the production questions: rate limits, logging, app dispatching, OPTIONS, Celery."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest
from celery import Celery, Task
from flask import Blueprint, Flask, current_app, g, has_request_context, request, session, url_for
from flask.logging import default_handler, wsgi_errors_stream
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Client

# --- rate limiting (Flask-Limiter) --------------------------------------------------------------


def _limited_app(**limiter_options: object) -> Flask:
    app = Flask(__name__)
    limiter_options.setdefault("storage_uri", "memory://")
    Limiter(get_remote_address, app=app, **limiter_options)  # type: ignore[arg-type]

    @app.get("/search")
    def search() -> str:
        return "results"

    return app


def test_limiter_answers_429_over_the_limit() -> None:
    client = _limited_app(default_limits=["2 per minute"]).test_client()
    assert [client.get("/search").status_code for _ in range(3)] == [200, 200, 429]


def test_flask_has_no_rate_limit_of_its_own() -> None:
    app = Flask(__name__)

    @app.get("/search")
    def search() -> str:
        return "results"

    client = app.test_client()
    assert {client.get("/search").status_code for _ in range(50)} == {200}


def test_limiter_warns_about_in_memory_storage() -> None:
    app = Flask(__name__)
    with pytest.warns(UserWarning, match="in-memory storage"):
        limiter = Limiter(get_remote_address, app=app, default_limits=["1 per minute"])
    assert type(limiter.storage).__name__ == "MemoryStorage"


def test_limiter_counters_live_in_each_process_memory() -> None:
    # Two app objects stand for two worker processes: each has its own memory:// storage.
    workers = [_limited_app(default_limits=["1 per minute"]).test_client() for _ in range(2)]
    assert [w.get("/search").status_code for w in workers] == [200, 200]
    assert [w.get("/search").status_code for w in workers] == [429, 429]


def test_limiter_behind_proxy_shares_one_bucket() -> None:
    app = _limited_app(default_limits=["1 per minute"])
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    r1 = client.get("/search", headers={"X-Forwarded-For": "203.0.113.5"}, environ_base=proxy)
    r2 = client.get("/search", headers={"X-Forwarded-For": "198.51.100.7"}, environ_base=proxy)
    assert (r1.status_code, r2.status_code) == (200, 429)

    fixed = _limited_app(default_limits=["1 per minute"])
    fixed.wsgi_app = ProxyFix(fixed.wsgi_app, x_for=1)  # type: ignore[method-assign]
    client = fixed.test_client()
    r1 = client.get("/search", headers={"X-Forwarded-For": "203.0.113.5"}, environ_base=proxy)
    r2 = client.get("/search", headers={"X-Forwarded-For": "198.51.100.7"}, environ_base=proxy)
    assert (r1.status_code, r2.status_code) == (200, 200)


def test_limiter_headers_enabled_sends_retry_after() -> None:
    # Flask-Limiter 4 puts Retry-After on every response of a limited route, successful ones included.
    client = _limited_app(default_limits=["3 per minute"], headers_enabled=True).test_client()
    first = client.get("/search")
    assert first.status_code == 200 and first.text == "results"
    assert first.headers["X-RateLimit-Limit"] == "3"
    assert first.headers["X-RateLimit-Remaining"] == "2"
    assert int(first.headers["X-RateLimit-Reset"]) > 0
    assert 0 < int(first.headers["Retry-After"]) <= 60
    responses = [client.get("/search") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert all("Retry-After" in r.headers for r in responses)
    assert responses[1].headers["X-RateLimit-Remaining"] == "0"
    plain = _limited_app(default_limits=["1 per minute"]).test_client().get("/search")
    assert not any(name.startswith(("X-RateLimit", "Retry-After")) for name, _ in plain.headers.items())


def test_limiter_key_func_runs_before_hooks_registered_later() -> None:
    app = Flask(__name__)
    seen: list[object] = []

    def user_key() -> str:
        seen.append(g.get("user"))
        return str(g.get("user", "anonymous"))

    Limiter(user_key, app=app, default_limits=["5 per minute"], storage_uri="memory://")

    @app.before_request
    def load_user() -> None:
        g.user = request.headers.get("X-User", "anonymous")

    @app.get("/")
    def index() -> str:
        return "ok"

    app.test_client().get("/", headers={"X-User": "ada"})
    # the limiter's before_request was registered first, so it ran before load_user
    assert seen == [None]


# --- logging ------------------------------------------------------------------------------------


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Undo what these tests do to logging: root level and handlers, and every logger dictConfig disabled.

    `dictConfig` disables all existing loggers it does not name (that is what one question is about), so
    without this the loggers of later tests, the bot's included, would stay silent.
    """
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    saved = [(lg, lg.disabled, lg.level, list(lg.handlers), lg.propagate) for lg in loggers]
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for lg, disabled, level, handlers, propagate in saved:
        lg.disabled, lg.level, lg.propagate = disabled, level, propagate
        lg.handlers[:] = handlers
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("bankapp"):
            del logging.root.manager.loggerDict[name]


def test_app_logger_is_a_standard_logger_named_after_the_app(clean_logging: None) -> None:
    app = Flask("bankapp_name")
    assert isinstance(app.logger, logging.Logger)
    assert app.logger is logging.getLogger("bankapp_name")


def test_info_is_dropped_without_debug_or_config(clean_logging: None) -> None:
    logging.getLogger().setLevel(logging.WARNING)  # the root logger's own default
    app = Flask("bankapp_info")
    assert not app.logger.isEnabledFor(logging.INFO)
    assert app.logger.isEnabledFor(logging.WARNING)
    debug_app = Flask("bankapp_info_debug")
    debug_app.debug = True
    assert debug_app.logger.level == logging.DEBUG


def test_default_handler_added_only_without_configured_handler(clean_logging: None) -> None:
    root = logging.getLogger()
    root.handlers[:] = []
    app = Flask("bankapp_plain")
    assert default_handler in app.logger.handlers

    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"out": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
            "root": {"level": "INFO", "handlers": ["out"]},
        }
    )
    configured = Flask("bankapp_configured")
    assert default_handler not in configured.logger.handlers


def test_dictconfig_after_app_logger_disables_it(clean_logging: None) -> None:
    app = Flask("bankapp_disabled")
    app.logger.warning("created")  # the logger now exists
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "handlers": {"out": {"class": "logging.StreamHandler", "stream": stream}},
            "root": {"level": "INFO", "handlers": ["out"]},
        }
    )
    assert app.logger.disabled
    app.logger.error("lost")
    assert "lost" not in stream.getvalue()


def test_default_handler_writes_to_wsgi_errors(clean_logging: None) -> None:
    assert default_handler.stream is wsgi_errors_stream
    app = Flask("bankapp_wsgi")
    app.logger.handlers[:] = [default_handler]
    app.logger.propagate = False
    errors = io.StringIO()

    @app.get("/")
    def index() -> str:
        current_app.logger.warning("inside a request")
        return "ok"

    app.test_client().get("/", errors_stream=errors)
    assert "WARNING in test_production: inside a request" in errors.getvalue()


def test_remove_default_handler(clean_logging: None) -> None:
    logging.getLogger().handlers[:] = []
    app = Flask("bankapp_remove")
    assert default_handler in app.logger.handlers
    app.logger.removeHandler(default_handler)
    assert app.logger.handlers == []


def test_request_formatter_checks_for_a_request(clean_logging: None) -> None:
    class RequestFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            record.url = request.url if has_request_context() else "-"
            return super().format(record)

    class NaiveFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            record.url = request.url
            return super().format(record)

    app = Flask("bankapp_fmt")
    with app.test_request_context("/orders/7"):
        assert RequestFormatter("%(url)s %(message)s").format(_record("hi")) == "http://localhost/orders/7 hi"
    assert RequestFormatter("%(url)s %(message)s").format(_record("boot")) == "- boot"
    with pytest.raises(RuntimeError, match="outside of request context"):
        NaiveFormatter("%(url)s").format(_record("boot"))


def _record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("bankapp_fmt", logging.INFO, __file__, 1, msg, None, None)


# --- DispatcherMiddleware -----------------------------------------------------------------------


def _dispatched() -> tuple[Flask, Flask, DispatcherMiddleware]:
    site = Flask("site")
    site.secret_key = "site-key"
    api = Flask("api")
    api.secret_key = "api-key"

    @site.get("/")
    def home() -> str:
        session["who"] = "site"
        return "site home"

    @site.get("/who")
    def who() -> str:
        return str(session.get("who"))

    @api.get("/users")
    def users() -> dict[str, str]:
        session["who"] = "api"
        return {"self": url_for("users"), "script_root": request.script_root, "path": request.path}

    return site, api, DispatcherMiddleware(site.wsgi_app, {"/api": api})


def test_dispatcher_strips_prefix_and_url_for_keeps_it() -> None:
    _, _, combined = _dispatched()
    r = Client(combined).get("/api/users")
    assert r.status_code == 200
    assert r.get_json() == {"self": "/api/users", "script_root": "/api", "path": "/users"}
    assert Client(combined).get("/").text == "site home"


def test_dispatcher_matches_whole_path_segments() -> None:
    site, _, combined = _dispatched()

    @site.get("/api2/users")
    def site_api2() -> str:
        return "site handled /api2"

    assert Client(combined).get("/api2/users").text == "site handled /api2"
    assert Client(combined).get("/apiusers").status_code == 404  # the site app has no such route


def test_dispatched_apps_share_the_session_cookie_path() -> None:
    _, _, combined = _dispatched()
    client = Client(combined)
    r_site = client.get("/")
    assert client.get("/who").text == "site"
    r_api = client.get("/api/users")
    site_cookie = r_site.headers["Set-Cookie"]
    api_cookie = r_api.headers["Set-Cookie"]
    assert site_cookie.startswith("session=") and api_cookie.startswith("session=")
    assert "Path=/" in site_cookie.split("; ") and "Path=/" in api_cookie.split("; ")
    # the API's cookie replaced the site's: the site can no longer read its own session
    assert client.get_cookie("session").value == api_cookie.split(";")[0].split("=", 1)[1]
    assert client.get("/who").text == "None"
    # the site does not delete the cookie it cannot verify: it just reads an empty session
    assert client.get_cookie("session").value == api_cookie.split(";")[0].split("=", 1)[1]


# --- PROVIDE_AUTOMATIC_OPTIONS (Flask 3.1) ------------------------------------------------------


@pytest.mark.parametrize("app_default", [True, False])
def test_provide_automatic_options_true_per_route_adds_nothing(app_default: bool) -> None:
    # In 3.1 only disabling works per route: an explicit True does not put OPTIONS into the rule.
    app = Flask(__name__)
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = app_default

    @app.get("/forced", provide_automatic_options=True)
    def forced() -> str:
        return "forced"

    @app.get("/default")
    def default() -> str:
        return "default"

    client = app.test_client()
    r = client.options("/forced")
    assert r.status_code == 405
    assert sorted(r.headers["Allow"].split(", ")) == ["GET", "HEAD"]
    assert client.options("/default").status_code == (200 if app_default else 405)


def _options_app(config_first: bool) -> Flask:
    app = Flask(__name__)
    if config_first:
        app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False

    @app.route("/items", methods=["GET", "POST"])
    def items() -> str:
        return "items"

    bp = Blueprint("shop", __name__)

    @bp.get("/cart")
    def cart() -> str:
        return "cart"

    app.register_blueprint(bp)
    if not config_first:
        app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    return app


def test_automatic_options_default_on() -> None:
    app = Flask(__name__)
    assert app.config["PROVIDE_AUTOMATIC_OPTIONS"] is True

    @app.post("/items")
    def items() -> str:
        return "items"

    r = app.test_client().options("/items")
    assert r.status_code == 200
    assert set(r.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_provide_automatic_options_false_gives_405() -> None:
    r = _options_app(config_first=True).test_client().options("/items")
    assert r.status_code == 405
    assert "OPTIONS" not in r.headers["Allow"]


def test_provide_automatic_options_read_at_registration() -> None:
    client = _options_app(config_first=False).test_client()
    # routes registered before the change, blueprint routes included, keep automatic OPTIONS
    assert client.options("/items").status_code == 200
    assert client.options("/cart").status_code == 200
    assert _options_app(config_first=True).test_client().options("/cart").status_code == 405


def test_provide_automatic_options_route_override() -> None:
    app = Flask(__name__)

    @app.get("/raw", provide_automatic_options=False)
    def raw() -> str:
        return "raw"

    def legacy() -> str:
        return "legacy"

    legacy.provide_automatic_options = False  # type: ignore[attr-defined]
    app.add_url_rule("/legacy", view_func=legacy)

    @app.get("/normal")
    def normal() -> str:
        return "normal"

    client = app.test_client()
    raw_options = client.options("/raw")
    assert raw_options.status_code == 405
    assert sorted(raw_options.headers["Allow"].split(", ")) == ["GET", "HEAD"]
    assert client.options("/legacy").status_code == 405
    assert client.options("/normal").status_code == 200


# --- Celery with the app context ----------------------------------------------------------------


def _celery_for(app: Flask, with_context: bool) -> Celery:
    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask if with_context else Task)
    celery.conf.update(task_always_eager=True, task_eager_propagates=True, broker_url="memory://")
    return celery


def test_celery_task_without_app_context_fails() -> None:
    app = Flask(__name__)
    app.config["GREETING"] = "hi"
    celery = _celery_for(app, with_context=False)

    @celery.task
    def greet(name: str) -> str:
        return f"{current_app.config['GREETING']} {name}"

    with pytest.raises(RuntimeError, match="Working outside of application context"):
        greet.delay("ada").get()


def test_celery_flask_task_pushes_app_context() -> None:
    app = Flask(__name__)
    app.config["GREETING"] = "hi"
    celery = _celery_for(app, with_context=True)

    @celery.task
    def greet(name: str) -> str:
        return f"{current_app.config['GREETING']} {name}"

    assert greet.delay("ada").get() == "hi ada"


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_late_dictconfig_with_default_handler_logs_twice(clean_logging: None) -> None:
    logging.getLogger().handlers[:] = []
    app = Flask("bankapp_twice")
    app.logger.warning("starting")  # no handler configured yet: Flask attaches its default handler
    assert default_handler in app.logger.handlers
    first, root_out = io.StringIO(), io.StringIO()
    old_stream = default_handler.setStream(first)  # type: ignore[attr-defined]
    try:
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {"out": {"class": "logging.StreamHandler", "stream": root_out}},
                "root": {"level": "INFO", "handlers": ["out"]},
            }
        )
        first.truncate(0)
        app.logger.warning("hello")
    finally:
        default_handler.setStream(old_stream)  # type: ignore[attr-defined]
    assert "hello" in first.getvalue() and root_out.getvalue() == "hello\n"


def test_celery_serialises_task_arguments_as_json() -> None:
    from kombu.exceptions import EncodeError

    celery = _celery_for(Flask(__name__), with_context=True)
    assert celery.conf.task_serializer == "json"
    assert tuple(celery.conf.accept_content) == ("json",)

    class Order:
        id = 7

    @celery.task
    def send_invoice(order: object) -> str:
        return "sent"

    # Even eager mode (as in tests) runs the arguments through the serializer.
    with pytest.raises(EncodeError, match="not JSON serializable"):
        send_invoice.delay(Order())
    assert send_invoice.delay(Order.id).get() == "sent"


def test_eager_delay_returns_an_eager_result_and_propagates() -> None:
    from celery.result import EagerResult

    app = Flask(__name__)
    celery = _celery_for(app, with_context=True)

    @celery.task
    def send_report(report_id: int) -> str:
        if report_id < 0:
            raise ValueError("no such report")
        return f"report {report_id} for {current_app.name}"

    result = send_report.delay(42)
    assert isinstance(result, EagerResult)
    assert result.get() == f"report 42 for {app.name}"
    with pytest.raises(ValueError, match="no such report"):
        send_report.delay(-1)
