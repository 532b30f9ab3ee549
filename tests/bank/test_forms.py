"""Executable checks for the forms questions of the bank."""

import gc
import io
from pathlib import Path

import pytest
from flask import Flask, request
from werkzeug.utils import secure_filename


def test_missing_form_field_is_400() -> None:
    app = Flask(__name__)

    @app.post("/subscribe")
    def subscribe() -> str:
        return request.form["email"]

    @app.post("/subscribe-get")
    def subscribe_get() -> dict:
        return {"email": request.form.get("email")}

    client = app.test_client()
    r = client.post("/subscribe", data={"name": "Ann"})
    assert r.status_code == 400
    assert client.post("/subscribe", data={"email": "a@b.c"}).data == b"a@b.c"
    assert client.post("/subscribe-get", data={}).get_json() == {"email": None}


def test_getlist_for_repeated_fields() -> None:
    app = Flask(__name__)

    @app.post("/prefs")
    def prefs() -> dict:
        return {"all": request.form.getlist("topic"), "first": request.form["topic"]}

    r = app.test_client().post("/prefs", data={"topic": ["python", "flask"]})
    assert r.get_json() == {"all": ["python", "flask"], "first": "python"}


def test_files_empty_without_multipart() -> None:
    app = Flask(__name__)

    @app.post("/upload")
    def upload() -> dict:
        return {"files": list(request.files), "form": request.form.to_dict()}

    client = app.test_client()
    # what a browser sends for <input type=file name=avatar> when the form lacks enctype
    r = client.post("/upload", data="avatar=me.png", content_type="application/x-www-form-urlencoded")
    assert r.get_json() == {"files": [], "form": {"avatar": "me.png"}}
    r = client.post("/upload", data={"avatar": (io.BytesIO(b"png"), "me.png")})  # multipart
    assert r.get_json() == {"files": ["avatar"], "form": {}}


def test_upload_filename_is_client_controlled(tmp_path: Path) -> None:
    app = Flask(__name__)
    upload_dir = tmp_path / "uploads"
    upload_dir.mkdir()

    @app.post("/upload")
    def upload() -> dict:
        f = request.files["file"]
        return {"raw": f.filename, "safe": secure_filename(f.filename)}

    r = app.test_client().post("/upload", data={"file": (io.BytesIO(b"x"), "../../etc/passwd")})
    assert r.get_json() == {"raw": "../../etc/passwd", "safe": "etc_passwd"}
    # joining the raw name would escape the upload folder
    escaped = (upload_dir / "../../etc/passwd").resolve()
    assert not escaped.is_relative_to(upload_dir.resolve())


def test_secure_filename_examples() -> None:
    assert secure_filename("../../etc/passwd") == "etc_passwd"
    assert secure_filename("my cv (final).pdf") == "my_cv_final.pdf"
    assert secure_filename("..") == ""
    assert secure_filename("отчёт.pdf") == "pdf"  # non-ASCII is dropped


def test_max_content_length_413() -> None:
    app = Flask(__name__)
    assert app.config["MAX_CONTENT_LENGTH"] is None
    app.config["MAX_CONTENT_LENGTH"] = 1024

    @app.post("/upload")
    def upload() -> str:
        request.files["file"].read()
        return "saved"

    client = app.test_client()
    big = client.post("/upload", data={"file": (io.BytesIO(b"x" * 5000), "big.bin")})
    assert big.status_code == 413
    small = client.post("/upload", data={"file": (io.BytesIO(b"x" * 100), "small.bin")})
    assert small.status_code == 200


def _form_limit_statuses() -> tuple[int, int, int, int]:
    app = Flask(__name__)
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000

    @app.post("/submit")
    def submit() -> dict:
        return {"fields": len(request.form), "files": len(request.files)}

    client = app.test_client()
    big_text = client.post("/submit", data={"bio": "x" * 600_000, "photo": (io.BytesIO(b"img"), "a.png")})
    big_file = client.post("/submit", data={"photo": (io.BytesIO(b"y" * 600_000), "a.png")})
    # the limit applies to multipart bodies; a url-encoded body is not checked by it
    urlencoded = client.post("/submit", data="bio=" + "x" * 600_000, content_type="application/x-www-form-urlencoded")
    # no MAX_CONTENT_LENGTH by default: a 5 MB file is accepted
    five_mb = client.post("/submit", data={"photo": (io.BytesIO(b"z" * 5_000_000), "a.png")})
    return big_text.status_code, big_file.status_code, urlencoded.status_code, five_mb.status_code


# Bodies over 500 KB are spooled to temporary files that Werkzeug leaves to the GC.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_max_form_memory_size() -> None:
    statuses = _form_limit_statuses()
    gc.collect()  # release the spooled files while ResourceWarning is ignored
    assert statuses == (413, 200, 200, 200)


def test_max_form_parts() -> None:
    app = Flask(__name__)
    assert app.config["MAX_FORM_PARTS"] == 1000

    @app.post("/submit")
    def submit() -> dict:
        return {"fields": len(request.form)}

    @app.post("/json")
    def json_view() -> dict:
        return {"items": len(request.get_json())}

    client = app.test_client()
    many = {f"f{i}": "v" for i in range(1500)}
    many["photo"] = (io.BytesIO(b"img"), "a.png")
    assert client.post("/submit", data=many).status_code == 413
    few = {f"f{i}": "v" for i in range(100)}
    few["photo"] = (io.BytesIO(b"img"), "a.png")
    assert client.post("/submit", data=few).status_code == 200
    # the part limit only applies to multipart bodies
    urlencoded = "&".join(f"f{i}=v" for i in range(2000))
    r = client.post("/submit", data=urlencoded, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 200
    assert r.get_json() == {"fields": 2000}
    assert client.post("/json", json=["x" * 1000] * 2000).status_code == 200  # ~2 MB of JSON


def test_per_request_limit_override() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024

    @app.before_request
    def allow_big_uploads() -> None:
        if request.endpoint == "video":
            request.max_content_length = 100_000

    @app.post("/video")
    def video() -> str:
        request.files["file"].read()
        return "ok"

    @app.post("/avatar")
    def avatar() -> str:
        request.files["file"].read()
        return "ok"

    # the route decorator has no such option
    with pytest.raises(TypeError):
        app.add_url_rule("/other", view_func=avatar, endpoint="other", max_content_length=100_000)

    client = app.test_client()
    payload = b"x" * 5000
    assert client.post("/video", data={"file": (io.BytesIO(payload), "v.mp4")}).status_code == 200
    assert client.post("/avatar", data={"file": (io.BytesIO(payload), "a.png")}).status_code == 413


def test_get_form_in_args_post_form_in_body() -> None:
    app = Flask(__name__)

    @app.route("/search", methods=["GET", "POST"])
    def search() -> dict[str, object]:
        return {"args": request.args.to_dict(), "form": request.form.to_dict()}

    client = app.test_client()
    assert client.get("/search", query_string={"q": "flask"}).get_json() == {"args": {"q": "flask"}, "form": {}}
    assert client.post("/search", data={"q": "flask"}).get_json() == {"args": {}, "form": {"q": "flask"}}


def test_post_to_get_only_route_is_405() -> None:
    app = Flask(__name__)

    @app.route("/signup")
    def signup() -> str:
        return "form"

    r = app.test_client().post("/signup", data={"email": "a@b.c"})
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"] and "POST" not in r.headers["Allow"]
