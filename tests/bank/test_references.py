"""Every reference of the bank: Flask and Werkzeug links resolve (page and anchor); the others are well-formed.

The docs are read from the sdists of the installed Flask and Werkzeug (pip download, cached between runs in
$BANK_DOCS_CACHE or ~/.cache/flask-interview-bot/sdist), so a link is checked against the same version the
bank's checks run on.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank
from tests.bank.doc_anchors import DocSite, fetch_docs, make_id, parse_docs

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
DOC_HOSTS = {"flask.palletsprojects.com": "flask", "werkzeug.palletsprojects.com": "werkzeug"}
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PLACEHOLDER_HOSTS = {"example.com", "example.org", "example.net", "localhost"}


def _cache_dir() -> Path:
    return Path(os.environ.get("BANK_DOCS_CACHE") or Path.home() / ".cache" / "flask-interview-bot" / "sdist")


@cache
def _site(project: str) -> DocSite:
    version = importlib.metadata.version(project)
    return parse_docs(fetch_docs(project.lower(), version, _cache_dir()), project, version)


def _references() -> list[tuple[str, str]]:
    return sorted({(q.id, url) for q in BANK for url in q.references})


def _doc_references() -> list[tuple[str, str]]:
    return [(qid, url) for qid, url in _references() if urlsplit(url).hostname in DOC_HOSTS]


def dead_reason(url: str) -> str | None:
    """Why a Flask/Werkzeug docs URL does not resolve in the installed version's docs, or None if it does."""
    parts = urlsplit(url)
    project = DOC_HOSTS[parts.hostname or ""]
    site = _site(project)
    segments = parts.path.strip("/").split("/")
    if len(segments) < 2 or segments[0] != "en":
        return "expected /en/<version>/<page>/"
    major_minor = ".".join(site.version.split(".")[:2])
    if segments[1] not in ("stable", f"{major_minor}.x"):
        return f"version {segments[1]!r} is neither 'stable' nor the installed {major_minor}.x"
    page = "/".join(segments[2:])
    if page not in site.pages:
        return f"{project} {site.version} docs have no page {page!r}"
    if parts.fragment and parts.fragment not in site.pages[page]:
        return f"{project} {site.version} page {page!r} has no anchor #{parts.fragment}"
    return None


def test_doc_references_resolve() -> None:
    refs = _doc_references()
    assert len(refs) > 100, "the bank should cite Flask's and Werkzeug's docs"
    dead = [f"{qid}: {url}: {why}" for qid, url in refs if (why := dead_reason(url))]
    assert not dead, "\n".join(dead)


def test_resolver_rejects_what_the_docs_lack() -> None:
    # The resolver must not accept everything: pages, anchors and API targets that 3.1 docs do not have.
    base = "https://flask.palletsprojects.com/en/stable/"
    assert dead_reason(base + "api/#flask.Flask.add_url_rule") is None
    assert dead_reason(base + "config/#SECRET_KEY") is None
    assert dead_reason(base + "design/#what-does-micro-mean") is None
    assert dead_reason(base + "changes/#version-2-2-3") is None
    assert dead_reason(base + "foreword/#what-does-micro-mean")  # page dropped from the 3.x docs
    assert dead_reason(base + "templating/#standard-filters")  # section dropped
    assert dead_reason(base + "api/#flask.Flask.no_such_method")
    assert dead_reason(base + "api/#flask.Flask.add_url_rules")
    assert dead_reason(base + "config/#secret_key")  # API anchors are case-sensitive
    assert dead_reason(base.replace("stable", "latest") + "api/")
    wz = "https://werkzeug.palletsprojects.com/en/stable/"
    assert dead_reason(wz + "routing/#werkzeug.routing.Rule") is None
    assert dead_reason(wz + "routing/#werkzeug.routing.NoSuchConverter")


def test_make_id_follows_docutils() -> None:
    assert make_id('What does "micro" mean?') == "what-does-micro-mean"
    assert make_id("Version 2.0.1") == "version-2-0-1"
    assert make_id("Cross-Site Request Forgery (CSRF)") == "cross-site-request-forgery-csrf"
    assert make_id("3rd party") == "rd-party"


def malformed_reason(url: str) -> str | None:
    """Why a reference URL is not a well-formed public https link, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "not https"
    if not parts.hostname or not _HOST.match(parts.hostname) or parts.port is not None:
        return "bad host"
    if parts.username or parts.password:
        return "credentials in URL"
    if parts.hostname in _PLACEHOLDER_HOSTS:
        return "placeholder host"
    if not _URL_CHARS.match(url) or _BAD_ESCAPE.search(url):
        return "characters a URL may not contain unescaped"
    return None


def test_references_are_well_formed() -> None:
    refs = _references()
    bad = [f"{qid}: {url}: {why}" for qid, url in refs if (why := malformed_reason(url))]
    assert not bad, "\n".join(bad)
    for url in ("http://flask.palletsprojects.com/", "https://exa mple.com/", "https://localhost/x", "https://a.b/%zz"):
        assert malformed_reason(url), url
