"""The request getUpdates goes through, counted: PTB sends getUpdates around the rate limiter, where every other
Bot API call is counted (bot/telegram/ratelimit.py), so without this /metrics would not show the poll failing."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from telegram.request import BaseRequest

from bot.metrics import Metrics
from bot.telegram.wrapped_request import WrappedRequest


class CountedRequest(WrappedRequest):
    """Another request, with each answer (`ok`, `flood`, `error`) counted under its Bot API method.

    PTB's `post`, which turns a status into an error, is final: the count is taken from the status here.
    """

    __slots__ = ("_metrics",)

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        super().__init__(inner)
        self._metrics = metrics

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """The wrapped request's transport; the answer's status counted as the limiter counts the other calls."""
        method = url.rsplit("/", 1)[-1]
        try:
            status, payload = await self._inner.do_request(url, *args, **kwargs)
        except Exception:
            self._metrics.on_api_call(method, "error")
            raise
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            self._metrics.on_api_call(method, "flood")
            self._metrics.on_flood(method, _retry_after(payload))
        else:
            ok = HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES
            self._metrics.on_api_call(method, "ok" if ok else "error")
        return status, payload


def _retry_after(payload: bytes) -> float:
    """The seconds a 429 answer asks to wait (0 when its body does not say)."""
    try:
        seconds = json.loads(payload)["parameters"]["retry_after"]
    except (ValueError, KeyError, TypeError):
        return 0.0
    return float(seconds) if isinstance(seconds, int | float) else 0.0
