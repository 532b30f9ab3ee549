"""Executable checks for the templates questions of the bank."""

from __future__ import annotations

import os
from pathlib import Path

import flask
import jinja2
import pytest
from flask import Flask, render_template, render_template_string
from markupsafe import Markup


def _app_with_templates(tmp_path: Path, files: dict[str, str]) -> Flask:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return Flask(__name__, root_path=str(tmp_path))


def test_render_template_uses_templates_folder(tmp_path: Path) -> None:
    app = _app_with_templates(tmp_path, {"hello.html": "<h1>Hello {{ name }}</h1>"})
    assert app.template_folder == "templates"
    assert isinstance(app.jinja_env, jinja2.Environment)
    with app.app_context():
        assert render_template("hello.html", name="Ann") == "<h1>Hello Ann</h1>"
        with pytest.raises(jinja2.TemplateNotFound):
            render_template("missing.html")


def test_autoescape_by_extension(tmp_path: Path) -> None:
    names = ["page.html", "page.htm", "feed.xml", "page.xhtml", "icon.svg", "mail.txt", "data.json", "page.jinja"]
    app = _app_with_templates(tmp_path, {name: "{{ x }}" for name in names})
    with app.app_context():
        out = {name: render_template(name, x="<b>") for name in names}
    for name in ("page.html", "page.htm", "feed.xml", "page.xhtml", "icon.svg"):
        assert out[name] == "&lt;b&gt;", name
    for name in ("mail.txt", "data.json", "page.jinja"):
        assert out[name] == "<b>", name


def test_render_template_string_autoescapes() -> None:
    app = Flask(__name__)
    with app.app_context():
        assert render_template_string("{{ x }}", x="<b>") == "&lt;b&gt;"
        assert render_template_string("{% autoescape false %}{{ x }}{% endautoescape %}", x="<b>") == "<b>"


def test_safe_filter_and_markup() -> None:
    app = Flask(__name__)
    bio = "<b>hi</b>"
    with app.app_context():
        assert render_template_string("{{ bio }}", bio=bio) == "&lt;b&gt;hi&lt;/b&gt;"
        assert render_template_string("{{ bio|safe }}", bio=bio) == bio
        assert render_template_string("{{ bio }}", bio=Markup(bio)) == bio
        # |e on something already marked safe does not escape it again.
        assert render_template_string("{{ bio|e }}", bio=Markup(bio)) == bio


def test_markup_interpolation_escapes_arguments() -> None:
    user = "<script>x</script>"
    assert str(Markup("<b>%s</b>") % user) == "<b>&lt;script&gt;x&lt;/script&gt;</b>"
    assert str(Markup("<b>{}</b>").format(user)) == "<b>&lt;script&gt;x&lt;/script&gt;</b>"
    # Building the string first and wrapping it afterwards trusts everything.
    assert str(Markup(f"<b>{user}</b>")) == "<b><script>x</script></b>"
    assert str(Markup("<b>") + user) == "<b>&lt;script&gt;x&lt;/script&gt;"


def test_child_content_outside_blocks_ignored(tmp_path: Path) -> None:
    app = _app_with_templates(
        tmp_path,
        {
            "base.html": (
                "<title>{% block title %}Site{% endblock %}</title><main>{% block body %}{% endblock %}</main>"
            ),
            "page.html": (
                '{% extends "base.html" %}'
                "LOST"
                "{% block title %}Page - {{ super() }}{% endblock %}"
                "{% block body %}Hello{% endblock %}"
            ),
        },
    )
    with app.app_context():
        out = render_template("page.html")
    assert out == "<title>Page - Site</title><main>Hello</main>"
    assert "LOST" not in out


def test_text_before_extends_is_printed(tmp_path: Path) -> None:
    app = _app_with_templates(
        tmp_path,
        {
            "base.html": "[{% block body %}{% endblock %}]",
            "page.html": 'BEFORE{% extends "base.html" %}AFTER{% block body %}Hello{% endblock %}',
        },
    )
    with app.app_context():
        assert render_template("page.html") == "BEFORE[Hello]"


def test_super_renders_parent_block(tmp_path: Path) -> None:
    app = _app_with_templates(
        tmp_path,
        {
            "base.html": "{% block head %}<link href=base.css>{% endblock %}",
            "child.html": '{% extends "base.html" %}{% block head %}{{ super() }}<link href=page.css>{% endblock %}',
            "replace.html": '{% extends "base.html" %}{% block head %}<link href=page.css>{% endblock %}',
        },
    )
    with app.app_context():
        assert render_template("child.html") == "<link href=base.css><link href=page.css>"
        assert render_template("replace.html") == "<link href=page.css>"


def test_context_processor_runs_per_render() -> None:
    app = Flask(__name__)
    calls: list[int] = []

    @app.context_processor
    def inject_brand() -> dict[str, str]:
        calls.append(1)
        return {"brand": "Acme", "title": "default"}

    with app.test_request_context():
        assert render_template_string("{{ brand }}") == "Acme"
        assert render_template_string("{{ brand }}") == "Acme"
        # Values passed to render_template win over context processors.
        assert render_template_string("{{ title }}", title="mine") == "mine"
    assert len(calls) == 3


def test_template_filter_registration() -> None:
    app = Flask(__name__)

    @app.template_filter("shout")
    def shout(value: str) -> str:
        return value.upper() + "!"

    @app.template_filter()
    def reverse_text(value: str) -> str:
        return value[::-1]

    assert app.jinja_env.filters["shout"] is shout
    assert "reverse_text" in app.jinja_env.filters
    with app.app_context():
        assert render_template_string("{{ 'hi'|shout }}") == "HI!"
        assert render_template_string("{{ 'ab'|reverse_text }}") == "ba"
        with pytest.raises(jinja2.TemplateAssertionError):
            render_template_string("{{ 'hi'|nosuchfilter }}")


def test_undefined_variables() -> None:
    app = Flask(__name__)
    assert app.jinja_env.undefined is jinja2.Undefined
    with app.app_context():
        assert render_template_string("[{{ user }}]") == "[]"
        with pytest.raises(jinja2.UndefinedError, match="'user' is undefined"):
            render_template_string("[{{ user.name }}]")
        assert render_template_string("[{{ user.name }}]", user={}) == "[]"
        assert render_template_string("[{{ user|default('guest') }}]") == "[guest]"
        assert render_template_string("{% if user %}yes{% else %}no{% endif %}") == "no"


def test_standard_context() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context("/search?q=flask"):
        flask.g.who = "ann"
        out = render_template_string(
            "{{ request.args.q }}|{{ session.get('x', 'none') }}|{{ g.who }}|{{ config.DEBUG }}"
            "|{{ url_for('static', filename='a.css') }}"
        )
        assert out == "flask|none|ann|False|/static/a.css"
        assert render_template_string("{{ get_flashed_messages() }}") == "[]"
        with pytest.raises(jinja2.UndefinedError):
            render_template_string("{{ current_user.name }}")


def test_autoescape_does_not_quote_attributes() -> None:
    app = Flask(__name__)
    payload = "x onmouseover=alert(1)"
    with app.app_context():
        unquoted = render_template_string("<a title={{ t }}>", t=payload)
        quoted = render_template_string('<a title="{{ t }}">', t='x" onmouseover="alert(1)')
    assert unquoted == "<a title=x onmouseover=alert(1)>"
    assert quoted == '<a title="x&#34; onmouseover=&#34;alert(1)">'


def test_tojson_is_safe_in_script() -> None:
    app = Flask(__name__)
    with app.app_context():
        out = render_template_string("<script>const d = {{ d|tojson }};</script>", d={"a": "</script><b>"})
    assert "</script><b>" not in out
    assert out == '<script>const d = {"a": "\\u003c/script\\u003e\\u003cb\\u003e"};</script>'


def test_template_injection_in_render_template_string() -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "s3cret"
    name = "{{ config.SECRET_KEY }} {{ 7 * 7 }}"
    with app.app_context():
        # User input pasted into the template source is executed as template code.
        assert render_template_string(f"Hello {name}") == "Hello s3cret 49"
        # Passed as a variable, it is only data.
        assert render_template_string("Hello {{ name }}", name=name) == "Hello " + name


def _touch_later(path: Path, text: str, seconds: int) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, (stat.st_atime + seconds, stat.st_mtime + seconds))


def test_templates_cached_without_debug(tmp_path: Path) -> None:
    app = _app_with_templates(tmp_path, {"t.html": "v1"})
    assert app.config["TEMPLATES_AUTO_RELOAD"] is None
    assert app.debug is False
    assert app.jinja_env.auto_reload is False
    with app.app_context():
        assert render_template("t.html") == "v1"
        _touch_later(tmp_path / "templates" / "t.html", "v2", 10)
        assert render_template("t.html") == "v1"


def test_templates_reload_when_enabled(tmp_path: Path) -> None:
    app = _app_with_templates(tmp_path, {"t.html": "v1"})
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    with app.app_context():
        assert render_template("t.html") == "v1"
        _touch_later(tmp_path / "templates" / "t.html", "v2", 10)
        assert render_template("t.html") == "v2"
    debug_app = Flask(__name__, root_path=str(tmp_path))
    debug_app.debug = True
    assert debug_app.jinja_env.auto_reload is True


def test_context_from_kwargs_globals_and_processor() -> None:
    app = Flask(__name__)
    app.secret_key = "test"

    @app.context_processor
    def site() -> dict[str, str]:
        return {"site_name": "Shop"}

    @app.route("/p")
    def page() -> str:
        flask.session["uid"] = 7
        return render_template_string(
            "{{ user }}|{{ request.path }}|{{ session['uid'] }}|{{ config['SECRET_KEY'] }}"
            "|{{ url_for('page') }}|{{ get_flashed_messages() }}|{{ site_name }}|[{{ missing }}]|{{ html }}",
            user="Ann",
            html="<b>x</b>",
        )

    body = app.test_client().get("/p").data.decode()
    assert body == "Ann|/p|7|test|/p|[]|Shop|[]|&lt;b&gt;x&lt;/b&gt;"


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_sandbox_refuses_unsafe_attributes() -> None:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import escape

    sandbox = SandboxedEnvironment(autoescape=True)
    assert sandbox.from_string("Hello {{ name }}").render(name="<Ann>") == "Hello &lt;Ann&gt;"
    with pytest.raises(SecurityError, match="__class__"):
        sandbox.from_string("{{ ''.__class__.__mro__ }}").render()
    # The app's own environment lets a template reach Python internals.
    app = Flask(__name__)
    with app.app_context():
        assert "object" in render_template_string("{{ ''.__class__.__mro__ }}")
        # Escaping the input before building the template source leaves the braces alone.
        assert render_template_string(f"<h1>Hello {escape('{{ 7*7 }}')}</h1>") == "<h1>Hello 49</h1>"
