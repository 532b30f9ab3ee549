"""Executable checks for the routing questions of the bank."""

import pytest
from flask import Blueprint, Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, RequestRedirect, RoutingException


def test_default_methods() -> None:
    app = Flask(__name__)

    @app.route("/items")
    def items() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/items").status_code == 200
    assert client.head("/items").status_code == 200
    assert client.options("/items").status_code == 200
    assert client.post("/items").status_code == 405


def test_route_is_add_url_rule() -> None:
    app = Flask(__name__)

    def hello() -> str:
        return "hi"

    decorated = app.route("/hello")(hello)
    # The decorator returns the function unchanged and registers it.
    assert decorated is hello
    assert app.view_functions["hello"] is hello
    rule = next(r for r in app.url_map.iter_rules() if r.rule == "/hello")
    assert rule.endpoint == "hello"

    other = Flask(__name__)
    other.add_url_rule("/hello", view_func=hello)
    assert other.view_functions["hello"] is hello
    assert other.test_client().get("/hello").data == b"hi"


def test_static_rule_beats_variable_rule() -> None:
    app = Flask(__name__)

    @app.route("/users/<name>")
    def user(name: str) -> str:
        return f"user:{name}"

    @app.route("/users/new")
    def new_user() -> str:
        return "new"

    client = app.test_client()
    # Declared later, but the static rule still wins.
    assert client.get("/users/new").data == b"new"
    assert client.get("/users/bob").data == b"user:bob"


def test_int_converter_rejects_negative() -> None:
    app = Flask(__name__)

    @app.route("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return repr(item_id)

    @app.route("/offset/<int(signed=True):value>")
    def offset(value: int) -> str:
        return repr(value)

    client = app.test_client()
    assert client.get("/items/3").data == b"3"
    assert client.get("/items/-3").status_code == 404
    assert client.get("/items/abc").status_code == 404
    assert client.get("/offset/-3").data == b"-3"


def test_path_converter_accepts_slashes() -> None:
    app = Flask(__name__)

    @app.route("/docs/<path:page>")
    def docs(page: str) -> str:
        return page

    @app.route("/wiki/<page>")
    def wiki(page: str) -> str:
        return page

    client = app.test_client()
    assert client.get("/docs/api/v1/index.md").data == b"api/v1/index.md"
    assert client.get("/wiki/api/v1/index.md").status_code == 404
    assert client.get("/wiki/index.md").data == b"index.md"


def test_float_converter_needs_a_dot() -> None:
    app = Flask(__name__)

    @app.route("/price/<float:value>")
    def price(value: float) -> str:
        return repr(value)

    client = app.test_client()
    assert client.get("/price/10.5").data == b"10.5"
    response = client.get("/price/10")
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_uuid_converter_passes_uuid_object() -> None:
    import uuid

    app = Flask(__name__)
    seen: list[object] = []

    @app.route("/orders/<uuid:order_id>")
    def order(order_id: uuid.UUID) -> str:
        seen.append(order_id)
        return "ok"

    client = app.test_client()
    value = "12345678-1234-5678-1234-567812345678"
    assert client.get(f"/orders/{value}").status_code == 200
    assert seen == [uuid.UUID(value)]
    assert isinstance(seen[0], uuid.UUID)
    assert client.get("/orders/123").status_code == 404


def test_any_converter_limits_values() -> None:
    app = Flask(__name__)

    @app.route("/<any(about, help, imprint):page>")
    def static_page(page: str) -> str:
        return page

    client = app.test_client()
    assert client.get("/about").data == b"about"
    assert client.get("/help").data == b"help"
    assert client.get("/contact").status_code == 404
    assert client.get("/about/help").status_code == 404


def test_custom_converter_round_trip() -> None:
    from flask import url_for
    from werkzeug.routing import BaseConverter

    class ListConverter(BaseConverter):
        def to_python(self, value: str) -> list[str]:
            return value.split(",")

        def to_url(self, value: list[str]) -> str:
            return ",".join(super(ListConverter, self).to_url(v) for v in value)

    app = Flask(__name__)
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags: list[str]) -> str:
        return str(len(tags))

    assert app.test_client().get("/tags/a,b,c").data == b"3"
    with app.test_request_context():
        assert url_for("tags", tags=["x", "y"]) == "/tags/x,y"


def test_trailing_slash_redirect_and_404() -> None:
    app = Flask(__name__)

    @app.route("/projects/")
    def projects() -> str:
        return "projects"

    @app.route("/about")
    def about() -> str:
        return "about"

    client = app.test_client()
    response = client.get("/projects?page=2")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/projects/?page=2")
    assert client.get("/projects/").status_code == 200
    assert client.get("/about/").status_code == 404
    assert client.get("/about").status_code == 200


def test_slash_redirect_keeps_post() -> None:
    from flask import request

    app = Flask(__name__)

    @app.route("/signup/", methods=["GET", "POST"])
    def signup() -> str:
        return f"{request.method}:{request.form.get('email', '')}"

    client = app.test_client()
    first = client.post("/signup", data={"email": "a@example.com"})
    assert first.status_code == 308
    followed = client.post("/signup", data={"email": "a@example.com"}, follow_redirects=True)
    assert followed.data == b"POST:a@example.com"


def test_strict_slashes_false() -> None:
    app = Flask(__name__)

    @app.route("/about", strict_slashes=False)
    def about() -> str:
        return "about"

    client = app.test_client()
    for path in ("/about", "/about/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.data == b"about"
    assert app.url_map.strict_slashes is True  # the app-wide default is unchanged


def test_url_for_unknown_args_become_query() -> None:
    from flask import url_for

    app = Flask(__name__)

    @app.route("/user/<username>")
    def profile(username: str) -> str:
        return username

    with app.test_request_context():
        assert url_for("profile", username="ann", tab="posts") == "/user/ann?tab=posts"
        assert url_for("profile", username="ann lee") == "/user/ann%20lee"


def test_url_for_external() -> None:
    from flask import url_for

    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "home"

    with app.test_request_context(base_url="https://example.com"):
        assert url_for("index") == "/"
        assert url_for("index", _external=True) == "https://example.com/"
        # Only the reserved underscore arguments are consumed; others become query args.
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("index", _other="1") == "/?_other=1"


def test_url_for_respects_app_root() -> None:
    from flask import url_for

    app = Flask(__name__)

    @app.route("/user/<username>")
    def profile(username: str) -> str:
        return username

    # The app is mounted under /shop (SCRIPT_NAME), as behind a proxy prefix.
    with app.test_request_context(base_url="http://example.com/shop"):
        assert url_for("profile", username="ann") == "/shop/user/ann"


def test_decorator_without_wraps_duplicates_endpoint() -> None:
    import functools

    import pytest

    def bad_login_required(view):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            return view(*args, **kwargs)

        return wrapper

    def good_login_required(view):  # type: ignore[no-untyped-def]
        @functools.wraps(view)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            return view(*args, **kwargs)

        return wrapper

    app = Flask(__name__)

    @app.route("/profile")
    @bad_login_required
    def profile() -> str:
        return "profile"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint function: wrapper"):

        @app.route("/settings")
        @bad_login_required
        def settings() -> str:
            return "settings"

    ok = Flask(__name__)

    @ok.route("/profile")
    @good_login_required
    def profile_ok() -> str:
        return "profile"

    @ok.route("/settings")
    @good_login_required
    def settings_ok() -> str:
        return "settings"

    assert {"profile_ok", "settings_ok"} <= set(ok.view_functions)


def test_same_function_two_rules_is_fine() -> None:
    app = Flask(__name__)

    @app.route("/")
    @app.route("/home")
    def home() -> str:
        return "home"

    client = app.test_client()
    assert client.get("/").data == b"home"
    assert client.get("/home").data == b"home"


def test_redirect_needs_redirect_call() -> None:
    from flask import redirect, url_for

    app = Flask(__name__)

    @app.route("/login")
    def login() -> str:
        return "login page"

    @app.route("/text")
    def text() -> str:
        return url_for("login")

    @app.route("/go")
    def go():  # type: ignore[no-untyped-def]
        return redirect(url_for("login"))

    @app.route("/call")
    def call() -> str:
        return login()

    client = app.test_client()
    as_text = client.get("/text")
    assert as_text.status_code == 200 and as_text.data == b"/login"
    went = client.get("/go")
    assert went.status_code == 302 and went.headers["Location"] == "/login"
    called = client.get("/call")
    assert called.status_code == 200 and called.request.path == "/call"


def test_redirect_default_302_and_app_redirect() -> None:
    from flask import redirect

    app = Flask(__name__)
    with app.app_context():
        assert redirect("/x").status_code == 302
        assert app.redirect("/x").status_code == 302
        for code in (301, 303, 307, 308):
            assert redirect("/x", code=code).status_code == code


def test_redirect_codes_and_methods() -> None:
    from flask import redirect, request

    app = Flask(__name__)

    @app.route("/form303", methods=["POST"])
    def form303():  # type: ignore[no-untyped-def]
        return redirect("/done", 303)

    @app.route("/form307", methods=["POST"])
    def form307():  # type: ignore[no-untyped-def]
        return redirect("/done", 307)

    @app.route("/done", methods=["GET", "POST"])
    def done() -> str:
        return request.method

    client = app.test_client()
    assert client.post("/form303", follow_redirects=True).data == b"GET"
    assert client.post("/form307", follow_redirects=True).data == b"POST"


def test_defaults_redirect_to_canonical_url() -> None:
    from flask import url_for

    app = Flask(__name__)

    @app.route("/posts/", defaults={"page": 1})
    @app.route("/posts/page/<int:page>")
    def posts(page: int) -> str:
        return f"page {page}"

    client = app.test_client()
    assert client.get("/posts/").data == b"page 1"
    assert client.get("/posts/page/2").data == b"page 2"
    response = client.get("/posts/page/1")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/posts/")
    with app.test_request_context():
        assert url_for("posts", page=1) == "/posts/"
        assert url_for("posts", page=3) == "/posts/page/3"


def test_methods_post_only_gives_405_with_allow() -> None:
    app = Flask(__name__)

    @app.route("/login", methods=["POST"])
    def login() -> str:
        return "ok"

    response = app.test_client().get("/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}


def test_head_runs_view_and_drops_body() -> None:
    from flask import request

    app = Flask(__name__)
    calls: list[str] = []

    @app.route("/report")
    def report() -> str:
        calls.append(request.method)
        return "x" * 100

    response = app.test_client().head("/report")
    assert response.status_code == 200
    assert calls == ["HEAD"]
    assert response.data == b""
    assert response.headers["Content-Length"] == "100"


def test_converter_must_exist_before_rule_is_added() -> None:
    class ListConverter(BaseConverter):
        def to_python(self, value: str) -> list[str]:
            return value.split(",")

        def to_url(self, value: list[str]) -> str:
            return ",".join(value)

    tags_bp = Blueprint("tags", __name__)

    @tags_bp.route("/tags/<list:names>")
    def tags(names: list[str]) -> str:
        return "|".join(names)

    late = Flask(__name__)
    with pytest.raises(LookupError, match="the converter 'list' does not exist"):
        late.register_blueprint(tags_bp)

    direct = Flask(__name__)
    with pytest.raises(LookupError):
        direct.route("/t/<list:names>")(tags)

    early = Flask(__name__)
    early.url_map.converters["list"] = ListConverter
    early.register_blueprint(tags_bp)
    assert early.test_client().get("/tags/a,b").data == b"a|b"


def test_adapter_match_raises_request_redirect() -> None:
    app = Flask(__name__)

    @app.route("/docs/")
    def docs() -> str:
        return "docs"

    adapter = app.url_map.bind("example.com")
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/docs")
    assert info.value.code == 308
    assert info.value.new_url == "http://example.com/docs/"
    assert isinstance(info.value, HTTPException) and isinstance(info.value, RoutingException)
    assert adapter.match("/docs/") == ("docs", {})
    r = app.test_client().get("/docs")
    assert r.status_code == 308 and r.headers["Location"].endswith("/docs/")


def test_int_converter_ranks_before_string() -> None:
    app = Flask(__name__)

    @app.route("/items/<slug>")
    def by_slug(slug: str) -> str:
        return f"slug:{slug}"

    @app.route("/items/<int:item_id>")
    def by_id(item_id: int) -> str:
        return f"id:{item_id!r}"

    client = app.test_client()
    assert client.get("/items/42").data == b"id:42"
    assert client.get("/items/-1").data == b"slug:-1"
    assert client.get("/items/abc").data == b"slug:abc"


def test_head_is_added_by_werkzeug_rule_not_flask() -> None:
    from werkzeug.routing import Rule

    assert Rule("/x", methods=["GET"]).methods == {"GET", "HEAD"}
    assert Rule("/x", methods=["POST"]).methods == {"POST"}
    app = Flask(__name__)
    seen: list[set[str]] = []
    original = app.url_rule_class

    class Spy(original):  # type: ignore[misc, valid-type]
        def __init__(self, string: str, **kwargs: object) -> None:
            seen.append(set(kwargs["methods"]))  # type: ignore[arg-type]
            super().__init__(string, **kwargs)  # type: ignore[arg-type]

    app.url_rule_class = Spy

    @app.route("/items")
    def items() -> str:
        return "ok"

    assert seen == [{"GET", "OPTIONS"}]  # what Flask passes: no HEAD
    assert next(r for r in app.url_map.iter_rules() if r.rule == "/items").methods == {"GET", "HEAD", "OPTIONS"}


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_moved_post_needs_308_not_301() -> None:
    from flask import redirect, request

    app = Flask(__name__)

    @app.post("/v1/orders")
    def old_orders():  # type: ignore[no-untyped-def]
        return redirect("/v2/orders", int(request.args.get("code", "301")))

    @app.route("/v2/orders", methods=["GET", "POST"])
    def orders() -> str:
        return f"{request.method} {request.get_data(as_text=True)!r}"

    client = app.test_client()
    moved = {
        code: client.post(f"/v1/orders?code={code}", data="qty=2", follow_redirects=True).text for code in (301, 308)
    }
    assert moved == {301: "GET ''", 308: "POST 'qty=2'"}
