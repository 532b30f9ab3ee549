"""Where each layer stops: storage types stay behind the services, Telegram stays out of them."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import typing
from pathlib import Path

import pytest

import bot.services as services_pkg
import bot.storage as storage_pkg

ROOT = Path(__file__).resolve().parents[2] / "bot"
# Presentation code: Telegram handlers and the terminal commands. They see services, never rows.
PRESENTATION = sorted((ROOT / "telegram" / "handlers").glob("*.py")) + [
    ROOT / "telegram" / name for name in ("render.py", "jobs.py", "polls.py", "chat.py")
]


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", PRESENTATION, ids=lambda p: p.name)
def test_handlers_import_nothing_from_storage(path: Path) -> None:
    assert not {m for m in _imported_modules(path) if m.startswith("bot.storage")}


def _storage_types() -> set[type]:
    types: set[type] = set()
    for info in pkgutil.iter_modules(storage_pkg.__path__):
        module = importlib.import_module(f"bot.storage.{info.name}")
        types.update(obj for obj in vars(module).values() if inspect.isclass(obj) and obj.__module__ == module.__name__)
    return types


def _mentions(hint: object, types: set[type]) -> bool:
    if isinstance(hint, type) and hint in types:
        return True
    return any(_mentions(arg, types) for arg in typing.get_args(hint))


def _service_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"bot.services.{info.name}")
        found += [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == module.__name__]
    return found


# Services that other services build on (not handlers) may hand each other rows; the wiring holds the
# connection itself for start-up, the health probe and shutdown.
BETWEEN_SERVICES = {("InterviewService", "get_session"), ("Services", "db")}


def test_public_service_methods_return_no_storage_rows() -> None:
    rows = _storage_types()
    leaks = []
    for cls in _service_classes():
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") or (cls.__name__, name) in BETWEEN_SERVICES:
                continue
            returned = typing.get_type_hints(fn).get("return")
            if _mentions(returned, rows):
                leaks.append(f"{cls.__name__}.{name}")
        for name, hint in typing.get_type_hints(cls).items():
            if _mentions(hint, rows) and not name.startswith("_") and (cls.__name__, name) not in BETWEEN_SERVICES:
                leaks.append(f"{cls.__name__}.{name} (field)")
    assert leaks == []
