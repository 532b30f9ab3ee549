"""Mutants for the checks written with the bank v4 option rewrite (issue 22, items 1 and 6)."""

from __future__ import annotations

from functools import wraps
from typing import Any

import pytest

from tests.bank.mutants import mutant


@mutant(
    "automatic-options-true-adds-options",
    "an explicit provide_automatic_options=True adds OPTIONS to the route, as unreleased Flask 3.2 does",
    "test_production.py",
)
def _explicit_true_adds_options(mp: pytest.MonkeyPatch) -> None:
    from flask.sansio.app import App

    orig = App.add_url_rule

    @wraps(orig)
    def add_url_rule(self: Any, rule: str, endpoint: Any = None, view_func: Any = None, **kw: Any) -> Any:
        if kw.get("provide_automatic_options") is True:
            kw["methods"] = {*(kw.get("methods") or ("GET",)), "OPTIONS"}
        return orig(self, rule, endpoint, view_func, **kw)

    mp.setattr(App, "add_url_rule", add_url_rule)


@mutant(
    "teardown-none-after-any-error-handler",
    "teardown gets None whenever some error handler produced the response, errorhandler(500) included",
    "test_contexts.py",
)
def _teardown_none_after_500_handler(mp: pytest.MonkeyPatch) -> None:
    from flask.ctx import RequestContext

    orig = RequestContext.pop

    @wraps(orig)
    def pop(self: Any, exc: Any = None) -> None:
        handlers = self.app.error_handler_spec.get(None, {})
        if isinstance(exc, BaseException) and handlers.get(500):
            exc = None
        orig(self, exc)

    mp.setattr(RequestContext, "pop", pop)


@mutant(
    "limiter-retry-after-only-on-429",
    "Flask-Limiter sends Retry-After only with a 429, not on successful responses",
    "test_production.py",
)
def _retry_after_only_on_429(mp: pytest.MonkeyPatch) -> None:
    from flask_limiter import Limiter

    orig = Limiter._Limiter__inject_headers  # type: ignore[attr-defined]

    @wraps(orig)
    def inject(self: Any, response: Any) -> Any:
        response = orig(self, response)
        if response.status_code != 429:
            response.headers.pop("Retry-After", None)
        return response

    mp.setattr(Limiter, "_Limiter__inject_headers", inject)
