"""The catalogs' tooling: `python -m bot.cli.i18n update|compile|check` (Babel's extract, update, compile).

- `update`: extract every `_()`, `N_()` and `ngettext()` string of bot/ and merge it into each language's
  `.po` (new strings arrive untranslated, changed ones fuzzy: both fail `check` until translated);
- `compile`: write the `.mo` files the bot loads (committed, so a plain `pip install .` ships them);
- `check`: what CI fails on (tests/unit/test_i18n_catalog.py runs the same checks): a string missing from a
  catalog, untranslated or fuzzy, a translation whose `{placeholders}` differ from the English, a `.mo` older
  than its `.po`.
The same options every time (no line numbers, sorted), so two branches adding strings merge cleanly.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DEFAULT, DOMAIN, LANGUAGES

PACKAGE = Path(__file__).resolve().parents[1]
LOCALE = PACKAGE / "locale"
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def po_path(lang: str) -> Path:
    """The editable catalog of a language."""
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    """The compiled catalog the bot loads."""
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def translated_languages() -> list[str]:
    """Every language with a catalog (English is the source)."""
    return [lang for lang in LANGUAGES if lang != DEFAULT]


def extract() -> Catalog:
    """The template: every marked string of the package, as English msgids."""
    template = Catalog(project="flask-interview-bot", domain=DOMAIN)
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords=DEFAULT_KEYWORDS,
        comment_tags=("i18n:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _write_po(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, no_location=True, sort_output=True, omit_header=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def read_catalog(lang: str) -> Catalog:
    """A language's `.po` as Babel reads it."""
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def update() -> None:
    """Merge the strings in the code into every catalog (creating a missing one)."""
    template = extract()
    for lang in translated_languages():
        if po_path(lang).exists():
            catalog = read_catalog(lang)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="flask-interview-bot")
        created = catalog.creation_date
        catalog.update(template)
        # The header stays as it was (dates included), so an update changes only the entries that changed.
        catalog.creation_date = created
        catalog.fuzzy = False
        catalog.obsolete.clear()  # a string gone from the code has no use; git keeps its history
        _write_po(catalog, po_path(lang))


def compiled(lang: str) -> bytes:
    """The `.mo` bytes of a language's `.po` (fuzzy entries left out: they count as untranslated)."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(lang), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    """Write every `.mo` from its `.po`."""
    for lang in translated_languages():
        mo_path(lang).write_bytes(compiled(lang))


def _strings(message: Message) -> tuple[str, ...]:
    ids = message.id
    return tuple(ids) if isinstance(ids, (list, tuple)) else (str(ids),)


def _translations(message: Message) -> tuple[str, ...]:
    found = message.string
    return tuple(found) if isinstance(found, (list, tuple)) else (str(found or ""),)


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a format string."""
    return set(_PLACEHOLDER.findall(text))


def problems(lang: str, template: Catalog | None = None) -> list[str]:
    """Why a language's catalog is not ready to ship; empty when it is."""
    template = template if template is not None else extract()
    if not po_path(lang).exists():
        return [f"{po_path(lang)} is missing: run python -m bot.cli.i18n update"]
    catalog = read_catalog(lang)
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        key = message.id if not isinstance(message.id, (list, tuple)) else message.id[0]
        entry = catalog.get(message.id, context=message.context)
        label = repr(key)[:90]
        if entry is None:
            found.append(f"{lang}: missing {label}: run python -m bot.cli.i18n update, then translate it")
            continue
        if entry.fuzzy:
            found.append(f"{lang}: fuzzy (check and remove the fuzzy flag) {label}")
            continue
        strings = _translations(entry)
        if not all(strings) or (isinstance(message.id, (list, tuple)) and len(strings) < catalog.num_plurals):
            found.append(f"{lang}: untranslated {label}")
            continue
        # Babel's own checks (a `%` that reads as a %-format directive in one and not the other, and so on).
        found += [f"{lang}: {label}: {error}" for error in entry.check(catalog)]
        wanted = set().union(*(placeholders(s) for s in _strings(message)))
        for text in strings:
            if placeholders(text) - wanted:
                found.append(f"{lang}: {label} translation uses unknown fields {sorted(placeholders(text) - wanted)}")
            missing = wanted - placeholders(text)
            # A singular may drop the count ("один день"); other fields must all appear.
            if missing - {"n"} or (missing and not isinstance(message.id, (list, tuple))):
                found.append(f"{lang}: {label} translation lacks fields {sorted(missing)}")
    if not mo_path(lang).exists() or _catalog_of_mo(mo_path(lang).read_bytes()) != _catalog_of_mo(compiled(lang)):
        found.append(f"{lang}: {mo_path(lang).name} is out of date: run python -m bot.cli.i18n compile")
    return found


def _catalog_of_mo(data: bytes) -> dict[object, object]:
    catalog = read_mo(io.BytesIO(data))
    return {(m.id if not isinstance(m.id, list) else tuple(m.id)): _translations(m) for m in catalog if m.id}


def all_problems(languages: Iterable[str] | None = None) -> list[str]:
    """Problems of every translated language."""
    template = extract()
    return [p for lang in (languages or translated_languages()) for p in problems(lang, template)]


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot.cli.i18n", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["update", "compile", "check"])
    args = parser.parse_args(argv)
    if args.action == "update":
        update()
    elif args.action == "compile":
        compile_all()
    found = all_problems()
    for problem in found:
        print(problem, file=sys.stderr)
    print(f"{len(found)} problem(s) in {', '.join(translated_languages())}")
    return 1 if found and args.action == "check" else 0


if __name__ == "__main__":
    sys.exit(main())
