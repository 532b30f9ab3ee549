"""The LLM grader: one chat-completions call per answer to any OpenAI-compatible endpoint, offline on failure."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import httpx

from bot.config import Settings
from bot.domain.bank import OpenQuestion
from bot.domain.clock import Clock, SystemClock
from bot.domain.grader import Grade, Grader
from bot.domain.llm_reply import REPLY_SCHEMA, LlmFailure, Outcome, delimited, grade_from_reply, grading_messages
from bot.domain.offline_grader import OfflineGrader

__all__ = [
    "FAILURES_BEFORE_PAUSE",
    "PAUSE",
    "CircuitBreaker",
    "LlmGrader",
    "LlmQuota",
    "MemoryQuota",
    "Outcome",
    "build_grader",
]

logger = logging.getLogger(__name__)

FAILURES_BEFORE_PAUSE = 3
PAUSE = dt.timedelta(seconds=60)
_HOUR = dt.timedelta(hours=1)


class LlmQuota(Protocol):
    """Counts a user's LLM calls; the service layer can back it with storage so a restart keeps the count."""

    async def take(self, user_id: int) -> bool:
        """Record one call for user_id and return True, or return False when the hourly allowance is spent."""
        ...


class MemoryQuota:
    """LLM_MAX_PER_USER_HOUR calls per user in any sliding hour, kept in memory."""

    def __init__(self, per_hour: int, clock: Clock) -> None:
        self._per_hour = per_hour
        self._clock = clock
        self._calls: dict[int, deque[dt.datetime]] = {}

    async def take(self, user_id: int) -> bool:
        """Record one call for user_id and return True, or return False when the hourly allowance is spent."""
        now = self._clock.now()
        calls = self._calls.setdefault(user_id, deque())
        while calls and now - calls[0] >= _HOUR:
            calls.popleft()
        if len(calls) >= self._per_hour:
            return False
        calls.append(now)
        return True


class CircuitBreaker:
    """After FAILURES_BEFORE_PAUSE failures in a row, the LLM is skipped for PAUSE."""

    def __init__(self, clock: Clock, failures: int = FAILURES_BEFORE_PAUSE, pause: dt.timedelta = PAUSE) -> None:
        self._clock = clock
        self._limit = failures
        self._pause = pause
        self._failures = 0
        self._until: dt.datetime | None = None

    def allows(self) -> bool:
        """Whether a call may go out now."""
        if self._until is None:
            return True
        if self._clock.now() >= self._until:
            self._until = None
            self._failures = 0
            return True
        return False

    def succeeded(self) -> None:
        """A call answered well: the count of failures in a row starts again."""
        self._failures = 0

    def failed(self) -> None:
        """A call failed; the third failure in a row opens the pause."""
        self._failures += 1
        if self._failures >= self._limit:
            self._until = self._clock.now() + self._pause


class LlmGrader:
    """Grades through the endpoint; any failure, the pause or the user's cap falls back to the offline grade."""

    name = "llm"

    def __init__(
        self,
        settings: Settings,
        fallback: OfflineGrader,
        quota: LlmQuota,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
        on_outcome: Callable[[Outcome, float], None] | None = None,
    ) -> None:
        if settings.llm_base_url is None or settings.llm_model is None:
            raise ValueError("LLM_BASE_URL and LLM_MODEL are required for the LLM grader")
        self._url = f"{settings.llm_base_url}/chat/completions"
        self._model = settings.llm_model
        self._timeout = settings.llm_timeout
        headers = {"Content-Type": "application/json"}
        if settings.llm_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
        # No retries: a retry doubles the bill and the wait, and the offline grade is always there.
        self._http = httpx.AsyncClient(headers=headers, timeout=settings.llm_timeout, transport=transport)
        self._fallback = fallback
        self._quota = quota
        self._breaker = CircuitBreaker(clock)
        self._on_outcome = on_outcome

    async def grade(self, question: OpenQuestion, answer: str, user_id: int | None = None) -> Grade:
        """Grade with the LLM when allowed and working, else offline (the Grader protocol)."""
        started = time.perf_counter()
        if not self._breaker.allows():
            return self._offline(question, answer, "paused", started)
        if user_id is not None and not await self._quota.take(user_id):
            return self._offline(question, answer, "over_quota", started)
        try:
            grade = await self._call(question, answer)
        except LlmFailure as exc:
            self._breaker.failed()
            logger.warning("LLM grader failed (%s: %s) on %s; the offline grade is used", exc.outcome, exc, question.id)
            return self._offline(question, answer, exc.outcome, started)
        self._breaker.succeeded()
        self._report("ok", started)
        return grade

    def _offline(self, question: OpenQuestion, answer: str, outcome: Outcome, started: float) -> Grade:
        grade = self._fallback.grade_now(question, answer)
        self._report(outcome, started)
        return grade

    def _report(self, outcome: Outcome, started: float) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome, time.perf_counter() - started)

    async def _call(self, question: OpenQuestion, answer: str) -> Grade:
        body = {
            "model": self._model,
            "temperature": 0,
            "messages": grading_messages(question, answer),
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "grade", "strict": True, "schema": REPLY_SCHEMA},
            },
        }
        try:
            # httpx times each phase; the outer bound caps the whole call, a slow trickle included.
            async with asyncio.timeout(self._timeout):
                response = await self._http.post(self._url, json=body)
        except (TimeoutError, httpx.TimeoutException):
            raise LlmFailure("timeout", f"no reply within {self._timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise LlmFailure("unreachable", type(exc).__name__) from None
        if not response.is_success:
            raise LlmFailure("http_error", f"HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LlmFailure("invalid_json", "not a chat completion") from None
        if not isinstance(content, str):
            raise LlmFailure("schema", "the message has no text content")
        return grade_from_reply(question, delimited(answer), content)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def build_grader(
    settings: Settings,
    clock: Clock | None = None,
    quota: LlmQuota | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_outcome: Callable[[Outcome, float], None] | None = None,
) -> Grader:
    """The grader the settings choose: the LLM one (offline as fallback) when LLM_BASE_URL is set, else offline."""
    if settings.llm_base_url is None:
        return OfflineGrader()
    clock = clock or SystemClock()
    quota = quota or MemoryQuota(settings.llm_max_per_user_hour, clock)
    return LlmGrader(settings, OfflineGrader(), quota, clock, transport, on_outcome)
