"""The catalogs CI relies on: every string of the texts layer is marked, translated (not fuzzy) into Russian with
the same placeholders, compiled, and fits the Telegram limit of where it is shown."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot import i18n, texts
from bot.cli import i18n as catalogs
from bot.domain import polls
from bot.domain.bank import McqQuestion, load_bank
from bot.domain.groups import PollResult, Score

ROOT = Path(__file__).resolve().parents[2]
# The texts layer: bot/texts.py and any per-feature split of it (bot/texts_*.py, bot/texts/*.py).
TEXT_MODULES = sorted(
    [ROOT / "bot" / "texts.py", *(ROOT / "bot").glob("texts_*.py"), *(ROOT / "bot").glob("texts/*.py")]
)
MARKERS = {"_", "N_", "ngettext", "gettext_"}
# Literals of the texts layer that are not words in a language: a file name, the option letters.
NOT_WORDS = {"flask-interview-answers.csv", "flask-interview-data.json", "ABCDEF"}

# Telegram's limits (telegram.constants) and how wide a label may be where the bot puts it.
CALLBACK_ANSWER_MAX = 200
COMMAND_DESCRIPTION_MAX = 256
DESCRIPTION_MAX = 512
SHORT_DESCRIPTION_MAX = 120
MESSAGE_MAX = 4096
# A button alone on its row shows about this many characters on a phone before Telegram cuts it with "…";
# two on a row (the level picker) half of it, three (the self-grade row) a third.
BUTTON_MAX = 32
BUTTON_IN_TWO_MAX = 20
BUTTON_IN_THREE_MAX = 14


def _marked(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside a gettext call, or where a literal is a key, not text (dict key, comparison, subscript, .get)."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Call):
            name = parent.func.id if isinstance(parent.func, ast.Name) else getattr(parent.func, "attr", "")
            if name in MARKERS or (name == "get" and parent.args and parent.args[0] is child):
                return True
        if isinstance(parent, ast.Dict) and child in parent.keys:
            return True
        if isinstance(parent, ast.Compare) or (isinstance(parent, ast.Subscript) and parent.slice is child):
            return True
        if isinstance(parent, ast.comprehension) and parent.iter is child:
            return True  # `for g in ("nailed", "partly", "missed")`: keys to look up
        if isinstance(parent, ast.Tuple) and isinstance(parents.get(parent), ast.Tuple) and parent.elts[0] is child:
            return True  # the command name of a (command, description) pair
        child, parent = parent, parents.get(parent)
    return False


def _in_f_string(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """A literal inside an f-string's {expression}: a marker call there is invisible to extraction."""
    parent = parents.get(node)
    if isinstance(parent, ast.JoinedStr):
        return False  # the f-string's own text: judged as any literal
    while parent is not None:
        if isinstance(parent, ast.JoinedStr):
            return True
        parent = parents.get(parent)
    return False


def _words(text: str) -> bool:
    """Whether a literal says something: letters left once tags, {fields}, /commands and entities are gone."""
    bare = re.sub(r"<[^>]*>|\{[^}]*\}|/\w+|&\w+;", " ", text)
    return re.search(r"[^\W\d_]{2,}", bare) is not None


def _unmarked(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {
        node.body[0].value
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or node in docstrings:
            continue
        if _words(node.value) and _in_f_string(node, parents):
            # pybabel does not look inside f-strings: `f"{_('Why')}"` would never reach the catalog.
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: inside an f-string: {node.value[:70]!r}")
            continue
        if node.value in NOT_WORDS or not _words(node.value) or _marked(node, parents):
            continue
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:70]!r}")
    return found


def test_every_word_of_the_texts_layer_goes_through_the_catalog() -> None:
    found = [line for path in TEXT_MODULES for line in _unmarked(path)]
    assert not found, (
        "user-facing text outside _()/N_()/ngettext() (the Russian catalog cannot have it; see bot/texts.py):\n"
        + "\n".join(found)
    )


def test_the_lint_sees_a_plain_string_and_an_f_string(tmp_path: Path) -> None:
    sample = ROOT / "bot" / "_i18n_lint_sample.py"
    sample.write_text(
        'from bot.i18n import N_, _\nOK = N_("Saved.")\nBAD = "Not marked."\n'
        'def f(n: int) -> str:\n    """Doc."""\n    return f"{n} days left" + _("fine") + f"{_(\'hidden\')}"\n',
        encoding="utf-8",
    )
    try:
        found = _unmarked(sample)
    finally:
        sample.unlink()
    assert sorted(line.split(": ", 1)[1] for line in found) == [
        "' days left'",
        "'Not marked.'",
        "inside an f-string: 'hidden'",
    ]


def test_russian_catalog_is_complete_not_fuzzy_and_compiled() -> None:
    problems = catalogs.all_problems()
    assert not problems, "\n".join(problems)


def test_the_check_catches_missing_fuzzy_and_broken_placeholders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from babel.messages.catalog import Catalog

    template = Catalog(domain=i18n.DOMAIN)
    for message in ("Saved.", "Time zone: {zone}.", "Missing one.", "Fuzzy one."):
        template.add(message)
    template.add("{p}% right", flags=["python-format"])
    ru = Catalog(locale="ru", domain=i18n.DOMAIN)
    ru.add("Saved.", "Сохранено.")
    ru.add("Time zone: {zone}.", "Часовой пояс: {пояс}.")
    ru.add("Fuzzy one.", "Нечёткий.", flags=["fuzzy"])
    ru.add("{p}% right", "верно {p}%", flags=["python-format"])  # "% r" reads as a %-directive: pybabel refuses
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    monkeypatch.setattr(catalogs, "LOCALE", tmp_path)
    catalogs._write_po(ru, catalogs.po_path("ru"))
    problems = catalogs.problems("ru", template)
    assert any("missing 'Missing one.'" in p for p in problems)
    assert any("fuzzy" in p and "Fuzzy one." in p for p in problems)
    assert any("unknown fields ['пояс']" in p for p in problems)
    assert any("placeholders are incompatible" in p for p in problems)
    assert any("out of date" in p for p in problems)  # no .mo yet
    catalogs.compile_all()
    assert not any("out of date" in p for p in catalogs.problems("ru", template))


def test_every_language_has_a_compiled_catalog_in_the_package() -> None:
    for lang in i18n.LANGUAGES:
        if lang != i18n.DEFAULT:
            assert catalogs.mo_path(lang).is_file()
            assert catalogs.mo_path(lang).is_relative_to(ROOT / "bot")
            assert i18n.translations(lang).gettext("Saved.") != "Saved."


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1</b> день"),
        (2, "2</b> дня"),
        (4, "4</b> дня"),
        (5, "5</b> дней"),
        (11, "11</b> дней"),
        (21, "21</b> день"),
    ],
)
def test_russian_has_three_plural_forms(n: int, expected: str) -> None:
    with i18n.use("ru"):
        assert expected in texts.stats_header(n, n, 0)
    assert ("day" if n == 1 else "days") in texts.stats_header(n, n, 0)


def _labels() -> list[tuple[str, str, int]]:
    """(name, label, limit) of every button label of the texts layer, in the current language."""
    found: list[tuple[str, str, int]] = []
    for name in dir(texts):
        value = getattr(texts, name)
        if name.startswith("BTN_"):
            found.append((name, value, BUTTON_MAX))
    found += [(f"LEVEL_LABELS[{k}]", v, BUTTON_IN_TWO_MAX) for k, v in texts.LEVEL_LABELS.items()]
    found += [(f"GRADE_LABELS[{k}]", v, BUTTON_IN_THREE_MAX) for k, v in texts.GRADE_LABELS.items()]
    found += [(f"REPORT_REASONS[{k}]", v, BUTTON_IN_TWO_MAX) for k, v in texts.REPORT_REASONS.items()]
    found += [("LEVEL_MIXED", texts.LEVEL_MIXED, BUTTON_IN_TWO_MAX)]
    found += [("review_more(999)", texts.review_more(999), BUTTON_MAX)]
    found += [("review_due_button(999)", texts.review_due_button(999), BUTTON_MAX)]
    found += [(f"NATIVE_NAMES[{k}]", v, BUTTON_IN_TWO_MAX) for k, v in i18n.NATIVE_NAMES.items()]
    return found


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translations_fit_telegram_limits(lang: str) -> None:
    too_long: list[str] = []

    def check(name: str, text: str, limit: int, least: int = 1) -> None:
        if not least <= polls.tg_len(text) <= limit:
            too_long.append(f"{lang} {name}: {polls.tg_len(text)} not in {least}..{limit}: {text!r}")

    with i18n.use(lang):
        for name, label, limit in _labels():
            check(name, label, limit)
        for name in dir(texts):
            value = getattr(texts, name)
            if name.startswith("CB_"):
                check(name, value, CALLBACK_ANSWER_MAX)
            elif name.isupper() and isinstance(value, str):
                check(name, value, MESSAGE_MAX)
        for command, about in (*texts.COMMANDS, *texts.GROUP_COMMANDS):
            check(f"/{command}", about, COMMAND_DESCRIPTION_MAX, least=3)
        check("BOT_DESCRIPTION", texts.BOT_DESCRIPTION, DESCRIPTION_MAX)
        check("BOT_SHORT_DESCRIPTION", texts.BOT_SHORT_DESCRIPTION, SHORT_DESCRIPTION_MAX)
        check("help_text()", texts.help_text(), MESSAGE_MAX)
        check("group_welcome()", texts.group_welcome(), MESSAGE_MAX)
        ranking = [Score(i, "N" * 64, 10 * i, 10, 1000) for i in range(10)]
        check("quiz_ranking()", texts.quiz_ranking(ranking, interrupted=True), MESSAGE_MAX)
        check("poll_result()", texts.poll_result(PollResult(999, 100, "N" * 64)), MESSAGE_MAX)
    assert not too_long, "\n".join(too_long)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_poll_fits_in_every_language(lang: str) -> None:
    """The poll's translated parts (the stem pointing at a lead, the link to the full explanation) keep it legal."""
    bank = load_bank(ROOT / "questions")
    eligible = polls.eligible(q for q in bank if isinstance(q, McqQuestion))
    assert eligible
    with i18n.use(lang):
        for question in eligible:
            order = list(range(len(question.options)))
            spec = polls.build_poll(
                question, order, "x" * 32, see_above=texts.POLL_SEE_ABOVE, more=texts.POLL_MORE, prefix="10/10 · "
            )
            assert 1 <= polls.tg_len(spec.question) <= polls.MAX_QUESTION, (question.id, spec.question)
            assert all(1 <= polls.tg_len(o) <= polls.MAX_OPTION for o in spec.options), question.id
            assert polls.tg_len(spec.explanation) <= polls.MAX_EXPLANATION, (question.id, spec.explanation)
            assert spec.explanation.count("\n") <= 2, question.id
            if question.poll_explanation is not None:
                assert texts.POLL_MORE in spec.explanation or "t.me/" in spec.explanation


def test_no_module_reads_a_text_at_import_time() -> None:
    """`X = {...: texts.CB_STALE}` at module level would freeze the English of import time for every user."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name.startswith("texts") or "texts" in path.parts[-2:-1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack: list[tuple[ast.AST, bool]] = [(tree, False)]
        while stack:
            node, in_code = stack.pop()
            for child in ast.iter_child_nodes(node):
                inside = in_code or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if (
                    not inside
                    and isinstance(child, ast.Attribute)
                    and isinstance(child.value, ast.Name)
                    and child.value.id == "texts"
                ):
                    found.append(f"{path.relative_to(ROOT)}:{child.lineno}: texts.{child.attr}")
                stack.append((child, inside))
    assert not found, "read these texts inside a function (per update), not at import:\n" + "\n".join(found)


def test_every_texts_module_reads_its_constants_translated() -> None:
    """A per-feature split (bot/texts_<feature>.py) must end like bot/texts.py, or its constants stay English."""
    for path in TEXT_MODULES:
        assert "i18n.translate_constants(__name__)" in path.read_text(encoding="utf-8"), path
