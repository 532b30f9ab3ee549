"""Questions whose right answer depends on the Flask or Werkzeug version must say which version they mean."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.bank import McqQuestion, OpenQuestion

__all__ = ["VERSION_SENSITIVE", "VersionSensitive", "version_problems"]


@dataclass(frozen=True)
class VersionSensitive:
    """Something a question can mention whose behaviour changed (or is announced to change) between releases."""

    pattern: re.Pattern[str]
    what: str


def _vs(pattern: str, what: str) -> VersionSensitive:
    return VersionSensitive(re.compile(pattern), what)


# Each entry names the release where the behaviour changed, so a reader knows which version to state.
VERSION_SENSITIVE: tuple[VersionSensitive, ...] = (
    _vs(
        r"(?s)\bredirect\(.*(\bdefault (status )?code\b|no `code`|\bwhich status code\b)",
        "redirect()'s default code (a library default, not an HTTP rule)",
    ),
    _vs(r"\bMAX_FORM_MEMORY_SIZE\b|\bMAX_FORM_PARTS\b", "multipart limits as config (Flask 3.1)"),
    _vs(r"\bSECRET_KEY_FALLBACKS\b", "SECRET_KEY_FALLBACKS (Flask 3.1; key order fixed in 3.1.1)"),
    _vs(r"\bTRUSTED_HOSTS\b", "TRUSTED_HOSTS (Flask 3.1)"),
    _vs(
        r"(?s)\bSERVER_NAME\b.*\b(404|hosts?\b.*\b(match|restrict|reject|other|different))",
        "SERVER_NAME no longer restricts hosts (Flask 3.1)",
    ),
    _vs(r"\bSESSION_COOKIE_PARTITIONED\b", "SESSION_COOKIE_PARTITIONED (Flask 3.1)"),
    _vs(r"\bPROVIDE_AUTOMATIC_OPTIONS\b", "PROVIDE_AUTOMATIC_OPTIONS config (Flask 3.1)"),
    _vs(r"\brequest\.max_(content_length|form_memory_size|form_parts)\b", "per-request body limits (Flask 3.1)"),
    _vs(r"\bfollow_redirects\b", "contexts kept after follow_redirects (Flask 3.1.2)"),
    _vs(r"\.svg\b", "autoescaping of .svg templates (Flask 2.2.3)"),
    _vs(r"\bFLASK_ENV\b|\bapp\.env\b", "FLASK_ENV and app.env (removed in Flask 2.3)"),
    _vs(r"\bbefore_(app_)?first_request\b", "before_first_request (removed in Flask 2.3)"),
    _vs(r"\b_(app|request)_ctx_stack\b", "the context stacks (deprecated in 2.2, removed in 3.0)"),
    _vs(
        r"\bJSON_(SORT_KEYS|AS_ASCII)\b|\bjson_encoder\b|\bJSONEncoder\b",
        "JSON config and encoders (removed in Flask 2.3)",
    ),
    _vs(r"from flask import [^\n]*\b(Markup|escape)\b", "Markup/escape re-exports (removed in Flask 3.0)"),
    _vs(r"\bflask\.__version__\b|\b__version__\b", "flask.__version__ (deprecated in Flask 3.0)"),
    _vs(r"\bsignals_available\b", "signals_available (blinker required since Flask 2.3)"),
    _vs(r"\b(?!app\b)\w+\.register_blueprint\(", "nested blueprints (Flask 2.0, prefixes joined since 2.0.1)"),
)

# A prompt states a version when it names one, e.g. "On Flask 3.1", "since Werkzeug 2.3".
_STATED = re.compile(r"\b(Flask|Werkzeug)\s+\d+(\.\d+){0,2}\b")


def version_problems(question: McqQuestion | OpenQuestion) -> list[str]:
    """What a version-fragile question lacks: a version named in its prompt and a `versions` field.

    A question is version-fragile when its prompt or options mention one of VERSION_SENSITIVE.
    """
    # Options count too: a distractor that is right on another release makes two right answers there.
    asked = "\n".join([question.prompt, *(o.text for o in getattr(question, "options", ()))])
    hits = [vs.what for vs in VERSION_SENSITIVE if vs.pattern.search(asked)]
    if not hits:
        return []
    problems = []
    if not _STATED.search(question.prompt):
        problems.append(f"prompt mentions {hits[0]} but names no Flask/Werkzeug version")
    if not question.versions:
        problems.append(f"prompt mentions {hits[0]} but the question has no `versions` field")
    return problems
