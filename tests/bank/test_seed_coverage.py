"""Every question of the seed article has at least one bank question on the same point (corrected)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "flask-interview-questions.md"

# Article question number -> bank ids on the same point. Kept by hand when the bank changes.
COVERAGE: dict[int, tuple[str, ...]] = {
    1: ("basics-what-is-flask", "basics-micro-meaning"),
    2: ("django-comparison-core-features", "django-comparison-choose"),
    3: ("routing-what-is-route",),
    4: ("templates-what-are-templates",),
    5: ("request-response-request-object-open", "request-response-args-query-string"),
    6: ("cli-run-dev-server", "basics-flask-run-vs-python"),
    7: ("blueprints-what-and-why",),
    8: ("sessions-and-security-signed-not-encrypted", "sessions-and-security-session-open"),
    9: ("contexts-g-lifetime", "contexts-g-vs-session"),
    10: ("request-response-hooks-open",),
    11: ("sessions-and-security-csrf-open", "sessions-and-security-csrf-ajax"),
    12: ("contexts-app-vs-request",),
    13: ("database-sqlite-get-db-g", "database-teardown-appcontext"),
    14: ("internals-signals-basics", "internals-signals-vs-hooks"),
    15: ("deployment-production-server", "deployment-production-checklist"),
    16: ("extensions-flask-login", "extensions-auth-open"),
    17: ("performance-improve-overview", "performance-sync-code-myth"),
    18: ("internals-dispatch-order", "internals-request-dispatching"),
    19: ("contexts-teardown-which-runs", "contexts-teardown-exception"),
    20: ("rest-api-build-open", "rest-api-created-201"),
    21: ("errors-rest-api-design-open", "errors-http-exceptions-as-json"),
    22: ("rest-api-flask-restful-open", "rest-api-methodview"),
    23: ("django-comparison-layout", "django-comparison-structure-open"),
    24: ("django-comparison-migrate-cmd", "django-comparison-autogenerate"),
    25: ("django-comparison-wsgi-middleware", "django-comparison-before-request"),
    26: ("basics-hello-world",),
    27: ("request-response-return-dict", "rest-api-return-types"),
    28: ("forms-upload-unsafe-filename", "forms-safe-uploads-open", "forms-max-content-length"),
    29: ("forms-extension-flask-wtf",),
    30: ("routing-redirect-to-view", "routing-redirect-default-code"),
    31: ("cli-default-port",),
    32: ("routing-default-methods",),
    33: ("sessions-and-security-what-session-stores",),
}


def test_every_article_question_is_covered_by_existing_ids() -> None:
    bank = load_bank(DEFAULT_QUESTIONS_DIR)
    missing = [(n, qid) for n, ids in COVERAGE.items() for qid in ids if qid not in bank]
    assert not missing, missing
    assert sorted(COVERAGE) == list(range(1, 34))


def test_article_numbers_match_the_seed() -> None:
    if not SEED.exists():
        pytest.skip("the seed article lives in ../shared, which is not beside this checkout")
    numbers = [int(n) for n in re.findall(r"^### (\d+)\.", SEED.read_text(encoding="utf-8"), re.MULTILINE)]
    assert numbers == sorted(COVERAGE)
