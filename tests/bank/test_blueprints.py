"""Executable checks for the blueprints questions of the bank."""

from pathlib import Path

import pytest
from flask import Blueprint, Flask, abort, render_template, request, url_for


def test_blueprint_endpoint_names_and_url_for() -> None:
    auth = Blueprint("auth", __name__)

    @auth.route("/login")
    def login() -> str:
        # Inside the blueprint, ".login" is relative to the current blueprint.
        return url_for(".login")

    app = Flask(__name__)
    app.register_blueprint(auth, url_prefix="/auth")

    assert "auth.login" in app.view_functions
    assert "login" not in app.view_functions
    with app.test_request_context():
        assert url_for("auth.login") == "/auth/login"
    assert app.test_client().get("/auth/login").data == b"/auth/login"


def test_url_prefix_and_override() -> None:
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/users")
    def users() -> str:
        return "users"

    app = Flask(__name__)
    app.register_blueprint(admin)
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert "/admin/users" in rules
    assert "/users" not in rules

    other = Flask(__name__)
    other.register_blueprint(admin, url_prefix="/staff")
    rules = {r.rule for r in other.url_map.iter_rules()}
    # The prefix given at registration wins over the one given at creation.
    assert "/staff/users" in rules
    assert "/admin/users" not in rules


def test_blueprint_hooks_scope() -> None:
    shop = Blueprint("shop", __name__, url_prefix="/shop")
    log: list[str] = []

    @shop.before_request
    def only_shop() -> None:
        log.append("shop.before_request")

    @shop.before_app_request
    def every_request() -> None:
        log.append("shop.before_app_request")

    @shop.route("/cart")
    def cart() -> str:
        return "cart"

    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "index"

    app.register_blueprint(shop)
    client = app.test_client()

    client.get("/")
    assert log == ["shop.before_app_request"]

    log.clear()
    client.get("/shop/cart")
    assert log == ["shop.before_app_request", "shop.before_request"]


def test_blueprint_name_with_dot_is_rejected() -> None:
    with pytest.raises(ValueError, match="may not contain a dot"):
        Blueprint("api.v1", __name__)


def test_nested_blueprints() -> None:
    api = Blueprint("api", __name__, url_prefix="/api")
    v1 = Blueprint("v1", __name__, url_prefix="/v1")

    @v1.route("/users")
    def users() -> str:
        return f"{request.endpoint} {request.blueprints}"

    api.register_blueprint(v1)
    app = Flask(__name__)
    app.register_blueprint(api)

    response = app.test_client().get("/api/v1/users")
    assert response.data == b"api.v1.users ['api.v1', 'api']"
    with app.test_request_context():
        assert url_for("api.v1.users") == "/api/v1/users"


def test_blueprint_404_handler_scope() -> None:
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @shop.errorhandler(404)
    def shop_not_found(error: Exception) -> tuple[str, int]:
        return "shop 404", 404

    @shop.route("/item/<int:item_id>")
    def item(item_id: int) -> str:
        if item_id == 0:
            abort(404)
        return "item"

    app = Flask(__name__)
    app.register_blueprint(shop)
    client = app.test_client()

    # abort(404) inside a blueprint view: the blueprint handler is used.
    assert client.get("/shop/item/0").data == b"shop 404"
    # No rule matched: routing fails before any blueprint is known.
    response = client.get("/shop/does-not-exist")
    assert response.status_code == 404
    assert response.data != b"shop 404"
    assert b"Not Found" in response.data


def test_app_404_handler_catches_unmatched_urls() -> None:
    app = Flask(__name__)

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return "app 404", 404

    assert app.test_client().get("/shop/does-not-exist").data == b"app 404"


def test_register_same_blueprint_twice() -> None:
    shop = Blueprint("shop", __name__)

    @shop.route("/item")
    def item() -> str:
        return url_for(".item")

    app = Flask(__name__)
    app.register_blueprint(shop, url_prefix="/shop")
    with pytest.raises(ValueError, match="Use 'name='"):
        app.register_blueprint(shop, url_prefix="/store")

    app.register_blueprint(shop, url_prefix="/store", name="store")
    client = app.test_client()
    assert client.get("/shop/item").data == b"/shop/item"
    assert client.get("/store/item").data == b"/store/item"
    assert {"shop.item", "store.item"} <= set(app.view_functions)


def test_blueprint_templates_have_lower_precedence(tmp_path: Path) -> None:
    app_templates = tmp_path / "templates" / "admin"
    app_templates.mkdir(parents=True)
    (app_templates / "index.html").write_text("from app")
    bp_templates = tmp_path / "admin" / "templates" / "admin"
    bp_templates.mkdir(parents=True)
    (bp_templates / "index.html").write_text("from blueprint")
    (bp_templates / "only_bp.html").write_text("only in blueprint")
    (tmp_path / "templates" / "index.html").write_text("app index")
    (tmp_path / "admin" / "templates" / "index.html").write_text("blueprint index")

    admin = Blueprint("admin", __name__, template_folder="templates", root_path=str(tmp_path / "admin"))

    @admin.route("/admin")
    def admin_index() -> str:
        return render_template("index.html")

    app = Flask(__name__, root_path=str(tmp_path))
    app.register_blueprint(admin)

    with app.test_request_context():
        # Same template name: the application's templates folder wins.
        assert render_template("admin/index.html") == "from app"
        # Names not found in the app folder fall back to the blueprint folder.
        assert render_template("admin/only_bp.html") == "only in blueprint"

    # Rendering from a blueprint view does not change the search order.
    assert app.test_client().get("/admin").data == b"app index"


def test_blueprint_hook_order() -> None:
    log: list[str] = []
    app = Flask(__name__)
    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @app.before_request
    def app_before() -> None:
        log.append("app.before")

    @shop.before_request
    def shop_before() -> None:
        log.append("shop.before")

    @app.after_request
    def app_after(response):  # type: ignore[no-untyped-def]
        log.append("app.after")
        return response

    @shop.after_request
    def shop_after(response):  # type: ignore[no-untyped-def]
        log.append("shop.after")
        return response

    @shop.route("/cart")
    def cart() -> str:
        log.append("view")
        return "cart"

    app.register_blueprint(shop)
    app.test_client().get("/shop/cart")
    assert log == ["app.before", "shop.before", "view", "shop.after", "app.after"]


def test_setup_after_first_request_is_refused() -> None:
    bp = Blueprint("late", __name__)
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "ok"

    app.test_client().get("/")
    with pytest.raises(AssertionError, match="can no longer be called"):
        app.register_blueprint(bp)


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_bare_endpoint_in_blueprint_view_is_not_relative() -> None:
    from werkzeug.routing import BuildError

    auth = Blueprint("auth", __name__)
    built: dict[str, str] = {}

    @auth.route("/login")
    def login() -> str:
        built["relative"] = url_for(".login")
        try:
            built["bare"] = url_for("login")
        except BuildError:
            built["bare"] = "BuildError"
        return "ok"

    app = Flask(__name__)
    app.register_blueprint(auth, url_prefix="/auth")
    assert app.test_client().get("/auth/login").status_code == 200
    assert built == {"relative": "/auth/login", "bare": "BuildError"}


def test_unregistered_blueprint_adds_nothing_to_the_app() -> None:
    from werkzeug.routing import BuildError

    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/report")
    def report() -> str:
        return "report"

    app = Flask(__name__)
    # Only the static route: the blueprint recorded its rule but nothing was replayed on the app.
    assert [r.endpoint for r in app.url_map.iter_rules()] == ["static"]
    assert app.test_client().get("/admin/report").status_code == 404
    with app.test_request_context(), pytest.raises(BuildError):
        url_for("admin.report")
    registered = Flask(__name__)
    registered.register_blueprint(admin)
    assert registered.test_client().get("/admin/report").data == b"report"


def test_blueprint_app_errorhandler_sees_unmatched_urls() -> None:
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.app_errorhandler(404)
    def not_found(error: Exception) -> tuple[dict[str, str], int] | tuple[str, int]:
        if request.path.startswith("/api/"):
            return {"error": "not found"}, 404
        return "page not found", 404

    app = Flask(__name__)
    app.register_blueprint(api)
    client = app.test_client()
    # Registered from the blueprint but on the app: unmatched URLs reach it.
    assert client.get("/api/nope").get_json() == {"error": "not found"}
    assert client.get("/elsewhere").text == "page not found"


def test_nested_blueprint_inherits_parent_hooks_and_handlers() -> None:
    log: list[str] = []
    api = Blueprint("api", __name__, url_prefix="/api")
    v1 = Blueprint("v1", __name__, url_prefix="/v1")
    v2 = Blueprint("v2", __name__, url_prefix="/v2")

    @api.before_request
    def api_before() -> None:
        log.append("api.before")

    @v1.before_request
    def v1_before() -> None:
        log.append("v1.before")

    @api.errorhandler(404)
    def api_404(e: Exception) -> tuple[dict[str, str], int]:
        return {"from": "api"}, 404

    @v1.errorhandler(404)
    def v1_404(e: Exception) -> tuple[dict[str, str], int]:
        return {"from": "v1"}, 404

    @v1.get("/users/<int:user_id>")
    def v1_user(user_id: int) -> str:
        abort(404)

    @v2.get("/users/<int:user_id>")
    def v2_user(user_id: int) -> str:
        abort(404)

    api.register_blueprint(v1)
    api.register_blueprint(v2)
    app = Flask(__name__)

    @app.before_request
    def app_before() -> None:
        log.append("app.before")

    app.register_blueprint(api)
    client = app.test_client()
    # The innermost blueprint's handler first, then its parent's.
    assert client.get("/api/v1/users/1").get_json() == {"from": "v1"}
    assert log == ["app.before", "api.before", "v1.before"]
    assert client.get("/api/v2/users/1").get_json() == {"from": "api"}
    # No rule matched: no blueprint, so neither handler.
    unmatched = client.get("/api/v1/nope")
    assert unmatched.status_code == 404 and unmatched.get_json() is None


def test_same_view_name_in_two_blueprints() -> None:
    def make(name: str, prefix: str) -> Blueprint:
        bp = Blueprint(name, __name__, url_prefix=prefix)

        @bp.route("/")
        def index() -> str:  # the same function name in every blueprint
            return url_for(".index")

        return bp

    app = Flask(__name__)
    app.register_blueprint(make("main", "/"))
    app.register_blueprint(make("admin", "/admin"))
    assert {"main.index", "admin.index"} <= set(app.view_functions)
    # Another blueprint under a name already registered is refused without name=.
    with pytest.raises(ValueError, match="already registered"):
        app.register_blueprint(make("admin", "/staff"))
    client = app.test_client()
    assert client.get("/").text == "/"
    assert client.get("/admin/").text == "/admin/"
    with app.test_request_context():
        assert (url_for("main.index"), url_for("admin.index")) == ("/", "/admin/")

    plain = Flask(__name__)

    def first() -> str:
        return "first"

    def second() -> str:
        return "second"

    first.__name__ = second.__name__ = "index"
    plain.route("/a")(first)
    # Without blueprints the function name is the endpoint: a second "index" is refused.
    with pytest.raises(AssertionError, match="overwriting an existing endpoint function"):
        plain.route("/b")(second)
