"""Pages and anchors of Flask's and Werkzeug's documentation, read from the .rst sources in their sdists.

The published HTML is built by Sphinx from `docs/` in each project's source distribution. An anchor on a
page is one of: a section title turned into an id by docutils' rules (`nodes.make_id`), an explicit label
(`.. _label:`), or an API target (`.. autoclass:: Flask` under `.. currentmodule:: flask` gives
`flask.Flask`; its `:members:` give `flask.Flask.add_url_rule`, found by importing the installed
package, which is the version the sdist was fetched for).
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import tarfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DocSite", "fetch_docs", "make_id", "parse_docs"]

_UNDERLINE = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_LABEL = re.compile(r"^\.\. _([^:`][^:]*|`[^`]+`):\s*$")
_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. (?:py:)?(?P<kind>[a-z]+)::\s*(?P<arg>.*?)\s*$")
_OPTION = re.compile(r"^\s+:(?P<name>[a-z-]+):\s*(?P<value>.*?)\s*$")
_ROLE = re.compile(r":[a-z:]+:`([^`]*)`")
_TARGET_TEXT = re.compile(r"^(.*?)\s*<[^>]*>$")
_DOC_COMMENT_ATTR = re.compile(r"#:[^\n]*\n(?:\s*#:[^\n]*\n)*\s*self\.(\w+)\s*[:=]")
_API_KINDS = {"class", "function", "data", "attribute", "method", "exception", "decorator", "property"}
_AUTO_KINDS = {"autoclass", "autofunction", "autodata", "autoattribute", "automethod", "autoexception"}
_MODULE_KINDS = {"module", "currentmodule", "automodule"}


def make_id(text: str) -> str:
    """The id docutils gives a section title or label (same rules as `docutils.nodes.make_id`)."""
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(folded.split()))
    return re.sub(r"^[-0-9]+|-+$", "", slug)


def _plain_title(text: str) -> str:
    """A title's text without inline markup, as docutils sees it when it makes the id."""

    def role(m: re.Match[str]) -> str:
        inner = m.group(1).lstrip("~!")
        shown = _TARGET_TEXT.match(inner)
        return shown.group(1) if shown else inner

    text = _ROLE.sub(role, text)
    return text.replace("``", "").replace("*", "").replace("`", "")


@dataclass
class DocSite:
    """One project's documentation: page path (as in the URL, no suffix) to its anchors."""

    project: str
    version: str
    pages: dict[str, set[str]] = field(default_factory=dict)


def _resolve(dotted: str) -> object | None:
    """The object a dotted name points at: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        try:
            for part in parts[k:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _members(dotted: str, options: dict[str, str]) -> set[str]:
    """Public member names autodoc documents for `:members:` (a superset: docstrings are not checked)."""
    listed = options.get("members", "")
    if listed:
        return {m.strip() for m in listed.split(",") if m.strip()}
    obj = _resolve(dotted)
    if obj is None:
        return set()
    if inspect.ismodule(obj):
        return set(getattr(obj, "__all__", None) or [n for n in vars(obj) if not n.startswith("_")])
    classes = inspect.getmro(obj) if inspect.isclass(obj) and "inherited-members" in options else (obj,)
    names = set(dir(obj) if "inherited-members" in options else vars(obj))
    for cls in classes:
        # autodoc also documents instance attributes that carry a `#:` doc comment in the source.
        try:
            names.update(_DOC_COMMENT_ATTR.findall(inspect.getsource(cls)))  # type: ignore[arg-type]
        except (OSError, TypeError):
            continue
    return {n for n in names if not n.startswith("_")}


def _parse_file(path: Path, anchors: set[str], module: list[str | None]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    scopes: list[tuple[int, str]] = []  # (indent, dotted prefix) of enclosing class directives
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        label = _LABEL.match(line)
        if label:
            anchors.add(make_id(label.group(1).strip("`")))
        elif (
            line.strip()
            and not line[0].isspace()
            and _UNDERLINE.match(nxt)
            and len(nxt.rstrip()) >= len(line.rstrip())
            and not _UNDERLINE.match(line)
        ):
            anchors.add(make_id(_plain_title(line.strip())))
        directive = _DIRECTIVE.match(line)
        if directive:
            kind, arg, indent = directive["kind"], directive["arg"], len(directive["indent"])
            options: dict[str, str] = {}
            j = i + 1
            while j < len(lines) and (opt := _OPTION.match(lines[j])):
                options[opt["name"]] = opt["value"]
                j += 1
            if kind == "include":
                _parse_file((path.parent / arg).resolve(), anchors, module)
            elif kind in _MODULE_KINDS:
                module[0] = None if arg == "None" else arg
                if kind != "currentmodule":
                    anchors.add(f"module-{arg}")
                if kind == "automodule" and "members" in options:
                    anchors.update(f"{arg}.{m}" for m in _members(arg, options))
            elif kind in _API_KINDS or kind in _AUTO_KINDS:
                name = arg.split("(", 1)[0].strip()
                while scopes and scopes[-1][0] >= indent:
                    scopes.pop()
                if scopes:
                    full = f"{scopes[-1][1]}.{name}"
                elif module[0] and not name.startswith(module[0] + "."):
                    full = f"{module[0]}.{name}"
                else:
                    full = name
                anchors.add(full)
                if kind in {"class", "autoclass", "exception", "autoexception"}:
                    scopes.append((indent, full))
                    if kind.startswith("auto") and "members" in options:
                        anchors.update(f"{full}.{m}" for m in _members(full, options))
        i += 1


def parse_docs(docs: Path, project: str, version: str) -> DocSite:
    """Every page under docs/ with its anchors."""
    site = DocSite(project, version)
    for path in sorted(docs.rglob("*.rst")):
        page = path.relative_to(docs).with_suffix("").as_posix()
        if page.endswith("/index"):
            page = page[: -len("/index")]
        elif page == "index":
            page = ""
        anchors: set[str] = set()
        _parse_file(path, anchors, [None])
        site.pages[page] = anchors
    return site


def fetch_docs(project: str, version: str, cache: Path) -> Path:
    """docs/ of project==version, from its sdist downloaded once into cache with pip."""
    unpacked = cache / f"{project}-{version}"
    if not (unpacked / "docs").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        found = list(cache.glob(f"{project}-{version}.tar.gz"))
        if not found:
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps"]
            subprocess.run([*cmd, "--dest", str(cache), f"{project}=={version}"], check=True, timeout=600)
            found = list(cache.glob(f"{project}-{version}.tar.gz"))
        with tarfile.open(found[0]) as tar:
            tar.extractall(cache, filter="data")
    return unpacked / "docs"
