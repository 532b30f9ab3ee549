"""Every property test runs with the profile's example database: kept locally, none (and derandomized) in CI."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent


def _property_tests() -> list[tuple[str, object]]:
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if "@given" not in path.read_text(encoding="utf-8"):
            continue
        name = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if getattr(value, "is_hypothesis_test", False):
                found.append((f"{name}.{attr}", value))
    return found


PROPERTY_TESTS = _property_tests()


def test_there_are_property_tests_to_check() -> None:
    assert len(PROPERTY_TESTS) >= 3


@pytest.mark.parametrize(("name", "test"), PROPERTY_TESTS, ids=[n for n, _ in PROPERTY_TESTS])
def test_failures_found_locally_are_kept_and_ci_replays_the_same_examples(name: str, test: object) -> None:
    chosen = test._hypothesis_internal_use_settings  # type: ignore[attr-defined]
    if os.environ.get("CI"):
        assert chosen.derandomize and chosen.database is None
    else:
        # database=None would throw away the failing example Hypothesis shrank, so the next run might not find it.
        assert chosen.database is not None, f"{name} sets database=None"
