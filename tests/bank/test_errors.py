"""Executable checks for the errors questions of the bank."""

import json

import pytest
from flask import Flask, abort
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound


def test_abort_raises_http_exception() -> None:
    app = Flask(__name__)
    after_abort: list = []

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        if item_id != 1:
            abort(404)
            after_abort.append("ran")  # never reached
        return "item 1"

    with app.test_request_context(), pytest.raises(NotFound):
        abort(404)
    client = app.test_client()
    r = client.get("/items/2")
    assert r.status_code == 404
    assert after_abort == []
    assert client.get("/items/1").status_code == 200


def test_errorhandler_return_without_status_is_200() -> None:
    app = Flask(__name__)

    @app.errorhandler(404)
    def not_found(e):
        return "Sorry, no such page"

    @app.errorhandler(403)
    def forbidden(e):
        return "No access", 403

    @app.get("/secret")
    def secret():
        abort(403)

    client = app.test_client()
    r = client.get("/missing")
    assert r.status_code == 200
    assert r.data == b"Sorry, no such page"
    assert client.get("/secret").status_code == 403


def test_unhandled_exception_production_500() -> None:
    app = Flask(__name__)

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError("secret detail")

    assert app.config["PROPAGATE_EXCEPTIONS"] is None
    r = app.test_client().get("/boom")  # not testing, not debug
    assert r.status_code == 500
    assert b"Internal Server Error" in r.data
    assert b"secret detail" not in r.data
    assert b"ZeroDivisionError" not in r.data


def test_unhandled_exception_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = Flask(__name__)

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError("secret detail")

    with caplog.at_level("ERROR"):
        app.test_client().get("/boom")
    assert any("Exception on /boom [GET]" in rec.getMessage() for rec in caplog.records)


def test_500_handler_skipped_in_debug() -> None:
    app = Flask(__name__)

    @app.errorhandler(500)
    def server_error(e):
        return "custom 500 page", 500

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError

    client = app.test_client()
    assert client.get("/boom").data == b"custom 500 page"
    app.debug = True
    with pytest.raises(ZeroDivisionError):
        client.get("/boom")


def test_debug_still_uses_specific_handlers() -> None:
    app = Flask(__name__, static_folder=None)

    @app.errorhandler(404)
    def not_found(e):
        return "custom 404", 404

    @app.errorhandler(ZeroDivisionError)
    def zero(e):
        return "zero handled", 400

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError

    app.debug = True
    client = app.test_client()
    assert client.get("/missing").data == b"custom 404"
    assert client.get("/boom").data == b"zero handled"


def _json_errors_app() -> Flask:
    app = Flask(__name__)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        return {"code": e.code, "name": e.name, "description": e.description}, e.code

    @app.get("/items/<int:item_id>")
    def item(item_id: int):
        abort(404, description=f"No item {item_id}")

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    return app


def test_http_exception_handler_json() -> None:
    client = _json_errors_app().test_client()
    r = client.get("/items/7")
    assert r.status_code == 404
    assert r.mimetype == "application/json"
    assert r.get_json() == {"code": 404, "name": "Not Found", "description": "No item 7"}
    r = client.get("/no-such-url")
    assert r.status_code == 404
    assert r.get_json()["name"] == "Not Found"
    r = client.post("/only-get")
    assert r.status_code == 405
    assert r.get_json()["code"] == 405


def test_dict_error_response_loses_allow_header() -> None:
    client = _json_errors_app().test_client()
    r = client.post("/only-get")
    assert r.status_code == 405
    assert "Allow" not in r.headers

    app = Flask(__name__)

    @app.errorhandler(HTTPException)
    def keep_headers(e: HTTPException):
        resp = e.get_response()
        resp.set_data(json.dumps({"code": e.code}))
        resp.content_type = "application/json"
        return resp

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    r = app.test_client().post("/only-get")
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert r.get_json() == {"code": 405}


def test_default_405_has_allow_header() -> None:
    app = Flask(__name__)

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    r = app.test_client().post("/only-get")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]


def test_exception_handler_catches_http_errors() -> None:
    app = Flask(__name__)

    @app.errorhandler(Exception)
    def anything(e):
        return {"error": "internal"}, 500

    @app.get("/")
    def index() -> str:
        return "ok"

    client = app.test_client()
    r = client.get("/no-such-page")
    assert r.status_code == 500
    assert r.get_json() == {"error": "internal"}


def test_exception_handler_can_pass_http_errors_through() -> None:
    app = Flask(__name__)

    @app.errorhandler(Exception)
    def anything(e):
        if isinstance(e, HTTPException):
            return e
        return {"error": "internal"}, 500

    @app.get("/boom")
    def boom():
        raise RuntimeError

    client = app.test_client()
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/boom").status_code == 500


def test_errorhandler_most_specific_class_wins() -> None:
    app = Flask(__name__)

    class AppError(Exception):
        pass

    class PermissionDenied(AppError):
        pass

    ran: list[str] = []

    @app.errorhandler(Exception)
    def anything(e):
        ran.append("generic")
        return "generic", 500

    @app.errorhandler(AppError)
    def app_error(e):
        ran.append("app_error")
        return "app error", 400

    @app.get("/")
    def index():
        raise PermissionDenied()

    r = app.test_client().get("/")
    assert r.status_code == 400
    assert r.data == b"app error"
    assert ran == ["app_error"]


def test_custom_api_exception_handler() -> None:
    app = Flask(__name__)

    class APIError(Exception):
        status_code = 400

        def __init__(self, message: str, status_code: int | None = None) -> None:
            super().__init__(message)
            self.message = message
            if status_code is not None:
                self.status_code = status_code

    @app.errorhandler(APIError)
    def api_error(e: APIError):
        return {"error": e.message}, e.status_code

    @app.post("/orders")
    def orders():
        raise APIError("quantity must be positive", status_code=422)

    r = app.test_client().post("/orders")
    assert r.status_code == 422
    assert r.get_json() == {"error": "quantity must be positive"}


def test_500_handler_gets_original_exception() -> None:
    app = Flask(__name__)
    seen: dict = {}

    @app.errorhandler(500)
    def server_error(e):
        seen["type"] = type(e)
        seen["original"] = e.original_exception
        return "sorry", 500

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError("x")

    r = app.test_client().get("/boom")
    assert r.status_code == 500
    assert seen["type"] is InternalServerError
    assert isinstance(seen["original"], ZeroDivisionError)


def test_after_request_runs_on_unhandled_500() -> None:
    app = Flask(__name__)
    log: list = []

    @app.after_request
    def add_header(resp):
        log.append(("after", resp.status_code))
        resp.headers["X-Request-Id"] = "abc"
        return resp

    @app.teardown_request
    def td(exc):
        log.append(("teardown", type(exc).__name__))

    @app.get("/boom")
    def boom():
        raise ZeroDivisionError

    r = app.test_client().get("/boom")
    assert r.status_code == 500
    assert r.headers["X-Request-Id"] == "abc"
    assert log == [("after", 500), ("teardown", "ZeroDivisionError")]


def test_abort_unknown_code_is_lookup_error() -> None:
    app = Flask(__name__)
    with app.test_request_context(), pytest.raises(LookupError):
        abort(499)


def test_unknown_status_code_needs_exception_subclass() -> None:
    app = Flask(__name__)
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(499, lambda e: ("closed", 499))

    class ClientClosedRequest(HTTPException):
        code = 499
        description = "The client closed the request."

    @app.errorhandler(ClientClosedRequest)
    def closed(e: ClientClosedRequest):
        return {"code": e.code, "description": e.description}, e.code

    @app.get("/raise")
    def raise_it():
        raise ClientClosedRequest()

    @app.get("/abort")
    def abort_it():
        abort(499)

    @app.get("/plain")
    def plain():
        return "", 499

    client = app.test_client()
    assert client.get("/plain").status_code == 499
    r = client.get("/raise")
    assert r.status_code == 499
    assert r.get_json() == {"code": 499, "description": "The client closed the request."}
    assert client.get("/abort").status_code == 500  # abort() has no exception for 499: LookupError


def test_code_handler_beats_http_exception_handler() -> None:
    app = Flask(__name__)

    @app.errorhandler(HTTPException)
    def generic(e: HTTPException):
        return {"handler": "generic", "code": e.code}, e.code

    @app.errorhandler(404)
    def not_found(e):
        return {"handler": "404"}, 404

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/nope").get_json() == {"handler": "404"}
    assert client.post("/only-get").get_json() == {"handler": "generic", "code": 405}


def test_debug_traps_missing_form_key() -> None:
    from flask import request
    from werkzeug.exceptions import BadRequestKeyError

    app = Flask(__name__)
    assert app.config["TRAP_BAD_REQUEST_ERRORS"] is None

    forms: list[str] = []

    @app.post("/subscribe")
    def subscribe() -> str:
        forms.append(type(request.form).__name__)
        return request.form["email"]

    client = app.test_client()
    assert client.post("/subscribe", data={}).status_code == 400
    app.debug = True
    with pytest.raises(BadRequestKeyError) as info:
        client.post("/subscribe", data={})
    assert isinstance(info.value, KeyError)
    # debug mode changes neither the form's type nor TRAP_HTTP_EXCEPTIONS
    assert forms == ["ImmutableMultiDict", "ImmutableMultiDict"]
    assert app.config["TRAP_HTTP_EXCEPTIONS"] is False
    assert "email" in str(info.value)
    app.debug = False
    # trapped outside debug: treated as an unhandled exception, so a logged 500
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    assert client.post("/subscribe", data={}).status_code == 500


def test_not_found_handler_for_unmatched_and_abort() -> None:
    app = Flask(__name__)

    @app.errorhandler(404)
    def not_found(error: NotFound) -> tuple[str, int]:
        return f"custom: {type(error).__name__}", 404

    @app.route("/items/<int:item_id>")
    def item(item_id: int) -> str:
        abort(404)

    client = app.test_client()
    for path in ("/nope", "/items/5"):
        r = client.get(path)
        assert (r.status_code, r.data) == (404, b"custom: NotFound")

    other = Flask(__name__)

    @other.errorhandler(404)
    def no_status(error: NotFound) -> str:
        return "custom page"

    r = other.test_client().get("/nope")
    assert (r.status_code, r.data) == (200, b"custom page")


# ---------------------------------------------------------------- open questions of issue 22


def test_abort_description_and_helper_function() -> None:
    app = Flask(__name__)
    books = {1: "Dune"}

    def get_book_or_404(book_id: int) -> str:
        if book_id not in books:
            abort(404, description=f"No book {book_id}")
        return books[book_id]

    @app.get("/books/<int:book_id>")
    def book(book_id: int) -> str:
        return get_book_or_404(book_id)

    @app.get("/guarded/<int:book_id>")
    def guarded(book_id: int) -> tuple[str, int] | str:
        try:
            return get_book_or_404(book_id)
        except Exception:
            return "oops", 500

    client = app.test_client()
    assert client.get("/books/1").text == "Dune"
    missing = client.get("/books/7")
    assert missing.status_code == 404 and b"No book 7" in missing.data
    # NotFound is an Exception: a broad except in the view swallows it.
    swallowed = client.get("/guarded/7")
    assert (swallowed.status_code, swallowed.text) == (500, "oops")


def test_abort_500_has_no_original_exception() -> None:
    app = Flask(__name__)
    seen: list[object] = []

    @app.errorhandler(500)
    def server_error(e: InternalServerError) -> tuple[str, int]:
        seen.append(e.original_exception)
        return "sorry", 500

    @app.get("/abort")
    def explicit() -> str:
        abort(500)

    @app.get("/boom")
    def boom() -> str:
        raise KeyError("k")

    client = app.test_client()
    client.get("/abort")
    client.get("/boom")
    assert seen[0] is None
    assert isinstance(seen[1], KeyError)


def test_badrequest_subclass_defaults_to_400() -> None:
    from werkzeug.exceptions import BadRequest

    class ValidationFailed(BadRequest):
        pass

    class PlainFailure(Exception):
        pass

    app = Flask(__name__)

    @app.get("/http")
    def http() -> str:
        raise ValidationFailed("quantity must be positive")

    @app.get("/plain")
    def plain() -> str:
        raise PlainFailure("quantity must be positive")

    client = app.test_client()
    # Without any handler: the HTTPException subclass is a 400, a plain exception a 500.
    assert client.get("/http").status_code == 400
    assert client.get("/plain").status_code == 500

    handled = Flask(__name__)
    handled.add_url_rule("/http", view_func=http)

    @handled.errorhandler(HTTPException)
    def any_http(e: HTTPException) -> tuple[dict[str, str], int]:
        return {"handler": "http"}, e.code or 500

    @handled.errorhandler(ValidationFailed)
    def validation(e: ValidationFailed) -> tuple[dict[str, str], int]:
        return {"handler": "validation"}, 422

    r = handled.test_client().get("/http")
    assert (r.status_code, r.get_json()) == (422, {"handler": "validation"})


def test_errorhandler_lookup_code_then_blueprint_then_mro() -> None:
    from flask import Blueprint

    shop = Blueprint("shop", __name__)

    @shop.errorhandler(Exception)
    def shop_anything(e: Exception) -> tuple[str, int]:
        return "shop Exception", 500

    @shop.get("/boom")
    def boom() -> str:
        raise ValueError("x")

    @shop.get("/gone")
    def gone() -> str:
        abort(404)

    app = Flask(__name__)

    @app.errorhandler(ValueError)
    def app_value(e: ValueError) -> tuple[str, int]:
        return "app ValueError", 500

    @app.errorhandler(404)
    def app_404(e: NotFound) -> tuple[str, int]:
        return "app 404", 404

    @app.get("/app-boom")
    def app_boom() -> str:
        raise ValueError("y")

    app.register_blueprint(shop)
    client = app.test_client()
    # The blueprint is searched before the app, even though the app's class is more specific.
    assert client.get("/boom").text == "shop Exception"
    # Handlers for the status code come first: the app's 404 beats the blueprint's Exception.
    assert client.get("/gone").text == "app 404"
    # Outside the blueprint, only the app's handlers count.
    assert client.get("/app-boom").text == "app ValueError"
