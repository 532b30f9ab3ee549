"""The interface language: gettext catalogs in bot/locale, the language of the work at hand, Babel formats.

English is the source language (the msgids); each other language has `bot/locale/<lang>/LC_MESSAGES/bot.mo`,
compiled from the `.po` beside it (see bot/locale/README.md). Which language a string is rendered in is held
in a context variable: the TypeHandler sets it once per update (every handler of that update then speaks the
user's language), and work with no update (the push, group polls, jobs) wraps each recipient in `use(lang)`.
Nothing here imports telegram or aiosqlite.
"""

from __future__ import annotations

import datetime as dt
import enum
import gettext
import os
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_datetime

DOMAIN = "bot"
DEFAULT = "en"


class Language(enum.Enum):
    """Every interface language, the source language first; each but English has a catalog (tests check it)."""

    EN = "en"
    RU = "ru"


LANGUAGES: tuple[str, ...] = tuple(language.value for language in Language)
# Each language's own name, for the /language keyboard.
NATIVE_NAMES = {"en": "English", "ru": "Русский"}

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def normalise(code: str | None) -> str | None:
    """An IETF tag (`ru-RU`, `en_GB`, `RU`) as a supported language, or None when it is missing or unsupported."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def resolve(chosen: str | None, group: str | None, telegram_code: str | None) -> str:
    """The language of a message: the user's /language choice, the group's setting, Telegram's code, English."""
    for candidate in (chosen, group, telegram_code):
        found = normalise(candidate)
        if found is not None:
            return found
    return DEFAULT


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The terminal's language, as gettext reads it: LANGUAGE (a list), LC_ALL, LC_MESSAGES, LANG; else English."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        if name == "LANGUAGE":
            for item in value.split(":"):
                found = normalise(item.split(".", 1)[0])
                if found is not None:
                    return found
            continue
        # The first variable set decides, as in gettext: LANG=C means English even if a later one says more.
        return normalise(value.split(".", 1)[0].split("@", 1)[0]) or DEFAULT
    return DEFAULT


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of a supported language (English has none: its msgids are the text)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    with resources.as_file(resources.files("bot") / "locale") as folder:
        # fallback=False: a missing compiled catalog is a packaging bug to see at once, not English in disguise.
        return gettext.translation(DOMAIN, localedir=str(folder), languages=[lang], fallback=False)


def current() -> str:
    """The language the current update or recipient is served in."""
    return _current.get()


def set_current(lang: str) -> None:
    """Serve the rest of this update (this task) in `lang`: called once per update by the TypeHandler."""
    _current.set(lang if lang in LANGUAGES else DEFAULT)


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Render in `lang` inside the block (a push recipient, a group poll); back to the previous one after."""
    chosen = lang if lang in LANGUAGES else DEFAULT
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def gettext_(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Russian has three)."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a constant for extraction; it is translated where it is read (bot/texts.py)."""
    return message


_ = gettext_


def format_datetime(moment: dt.datetime, zone: str | None = None, fmt: str = "d MMM HH:mm") -> str:
    """A moment in `zone` (else its own zone; naive means UTC), months in the current language: `5 мая 14:30`."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    local = aware.astimezone(ZoneInfo(zone)) if zone else aware
    return _babel_datetime(local, fmt, tzinfo=local.tzinfo, locale=_current.get())


def _translated(value: Any) -> Any:
    """A constant in the current language: strings through gettext, containers element by element."""
    if isinstance(value, str):
        return gettext_(value) if value else value
    if isinstance(value, dict):
        return {key: _translated(item) for key, item in value.items()}
    if isinstance(value, tuple):
        if len(value) == 2 and isinstance(value[0], str):
            return (value[0], _translated(value[1]))  # a (key, text) pair, as in COMMANDS: like a dict's key
        return tuple(_translated(item) for item in value)
    return value


class _TranslatingModule(types.ModuleType):
    """`texts.NAME` (an upper-case constant) reads in the language of the update or recipient at hand.

    So every caller keeps writing `texts.CANCELLED`, and a constant added with `N_()` needs nothing else.
    Dict keys and the first item of a pair (the command names of COMMANDS) are keys, never translated.
    """

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        return _translated(value) if name.isupper() else value


def translate_constants(module_name: str) -> None:
    """Make a texts module's upper-case constants read translated (call it at the end of the module)."""
    sys.modules[module_name].__class__ = _TranslatingModule
