"""Executable checks for the static-files questions of the bank."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, send_file, send_from_directory, url_for
from werkzeug.routing import BuildError


def _make_tree(tmp_path: Path) -> None:
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "site.css").write_text("body{}", encoding="utf-8")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.png").write_bytes(b"png")
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "report.txt").write_text("report", encoding="utf-8")
    (tmp_path / "config.py").write_text("SECRET_KEY = 'x'", encoding="utf-8")


def test_url_for_static(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    app = Flask(__name__, root_path=str(tmp_path))
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == "/static/css/site.css"
        assert url_for("static", filename="css/site.css", v="3") == "/static/css/site.css?v=3"
        with pytest.raises(BuildError):
            url_for("static", path="css/site.css")
        with pytest.raises(BuildError):
            url_for("css/site.css")
    response = app.test_client().get("/static/css/site.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


def test_static_folder_and_url_path(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    app = Flask(__name__, root_path=str(tmp_path), static_folder="assets", static_url_path="/files")
    client = app.test_client()
    ok = client.get("/files/logo.png")
    assert ok.status_code == 200 and ok.data == b"png"
    ok.close()
    assert client.get("/static/logo.png").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="logo.png") == "/files/logo.png"

    bare = Flask(__name__, root_path=str(tmp_path), static_folder=None)
    assert "static" not in bare.view_functions


def test_send_from_directory_blocks_traversal(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    uploads = tmp_path / "uploads"
    app = Flask(__name__, root_path=str(tmp_path))

    @app.route("/safe/<path:name>")
    def safe(name: str):  # type: ignore[no-untyped-def]
        return send_from_directory(uploads, name)

    @app.route("/naive/<path:name>")
    def naive(name: str):  # type: ignore[no-untyped-def]
        return send_file(os.path.join(uploads, name))

    client = app.test_client()
    good = client.get("/safe/report.txt")
    assert good.status_code == 200 and good.data == b"report"
    # Shown inline, not as a download, unless as_attachment=True.
    assert good.headers["Content-Disposition"].startswith("inline")
    good.close()
    assert client.get("/safe/%2e%2e/config.py").status_code == 404
    assert client.get("/safe/..%2fconfig.py").status_code == 404
    leaked = client.get("/naive/%2e%2e/config.py")
    assert leaked.status_code == 200 and b"SECRET_KEY" in leaked.data
    leaked.close()


def test_send_file_max_age_default(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    app = Flask(__name__, root_path=str(tmp_path))
    assert app.config["SEND_FILE_MAX_AGE_DEFAULT"] is None
    client = app.test_client()
    first = client.get("/static/css/site.css")
    assert first.headers["Cache-Control"] == "no-cache"
    assert "max-age" not in first.headers["Cache-Control"]
    assert first.headers.get("ETag") and first.headers.get("Last-Modified")
    first.close()
    again = client.get("/static/css/site.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    again.close()


def test_send_file_max_age_configured(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    app = Flask(__name__, root_path=str(tmp_path))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 31536000
    response = app.test_client().get("/static/css/site.css")
    assert response.headers["Cache-Control"] == "public, max-age=31536000"
    assert response.headers.get("Expires")
    response.close()


def test_static_route_url_for_and_custom_path(tmp_path: Path) -> None:
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "site.css").write_text("body{}", encoding="utf-8")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.js").write_text("x=1", encoding="utf-8")

    app = Flask("staticdemo", root_path=str(tmp_path))
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "static")
    assert rule.rule == "/static/<path:filename>"
    assert app.config["SEND_FILE_MAX_AGE_DEFAULT"] is None
    client = app.test_client()
    r = client.get("/static/css/site.css")
    assert r.status_code == 200 and r.data == b"body{}"
    assert "max-age" not in r.headers.get("Cache-Control", "")
    r.close()
    etag = r.headers["ETag"]
    cached = client.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    cached.close()
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == "/static/css/site.css"

    custom = Flask("staticdemo", root_path=str(tmp_path), static_folder="assets", static_url_path="/assets")
    js = custom.test_client().get("/assets/a.js")
    assert js.data == b"x=1"
    js.close()
    with custom.test_request_context():
        assert url_for("static", filename="a.js") == "/assets/a.js"


def test_send_file_answers_range_with_206(tmp_path: Path) -> None:
    data = bytes(range(256)) * 20
    (tmp_path / "intro.mp4").write_bytes(data)
    app = Flask(__name__)

    @app.route("/media/<name>")
    def media(name: str) -> Any:
        return send_from_directory(tmp_path, name)

    @app.route("/plain/<name>")
    def plain(name: str) -> Any:
        return send_file(tmp_path / name, conditional=False)

    client = app.test_client()
    full = client.get("/media/intro.mp4")
    assert full.status_code == 200 and full.headers["Accept-Ranges"] == "bytes"
    full.close()
    r = client.get("/media/intro.mp4", headers={"Range": "bytes=0-1023"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 0-1023/{len(data)}"
    assert r.data == data[:1024]
    r.close()
    # No If-Range is needed; a stale If-Range gets the whole file.
    stale = client.get("/media/intro.mp4", headers={"Range": "bytes=0-1023", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.data == data
    stale.close()
    past_end = client.get("/media/intro.mp4", headers={"Range": f"bytes={len(data) + 10}-"})
    assert past_end.status_code == 416
    past_end.close()
    ignored = client.get("/plain/intro.mp4", headers={"Range": "bytes=0-1023"})
    assert ignored.status_code == 200 and ignored.data == data
    ignored.close()


def test_traversal_in_the_url_needs_a_path_rule(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    uploads = tmp_path / "uploads"
    app = Flask(__name__, root_path=str(tmp_path))

    @app.route("/naive/<name>")
    def naive(name: str):  # type: ignore[no-untyped-def]
        return send_file(os.path.join(uploads, name))

    client = app.test_client()
    # The default string converter stops at "/", so "../config.py" never reaches the view.
    assert client.get("/naive/%2e%2e/config.py").status_code == 404
    assert client.get("/naive/..%2fconfig.py").status_code == 404
    ok = client.get("/naive/report.txt")
    assert ok.status_code == 200
    ok.close()


# ---------------------------------------------------------------- follow-ups (issue 22)


def test_get_send_file_max_age_override_per_file(tmp_path: Path) -> None:
    import re

    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.3f9a1c.css").write_text("body{}", encoding="utf-8")
    (tmp_path / "static" / "plain.css").write_text("body{}", encoding="utf-8")

    class VersionedFlask(Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            if filename and re.search(r"\.[0-9a-f]{6,}\.", filename):
                return 31536000
            return super().get_send_file_max_age(filename)

    client = VersionedFlask(__name__, root_path=str(tmp_path)).test_client()
    hashed = client.get("/static/app.3f9a1c.css")
    plain = client.get("/static/plain.css")
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000"
    assert plain.headers["Cache-Control"] == "no-cache"
    hashed.close()
    plain.close()


def test_static_url_path_follows_the_folder_name(tmp_path: Path) -> None:
    _make_tree(tmp_path)
    app = Flask(__name__, root_path=str(tmp_path), static_folder="assets")
    with app.test_request_context():
        assert url_for("static", filename="logo.png") == "/assets/logo.png"
    response = app.test_client().get("/assets/logo.png")
    assert response.data == b"png"
    response.close()
