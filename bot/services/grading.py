"""Grading typed answers: at once (quiz, review, terminal) or in the background (the timed interview)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain.bank import OpenQuestion
from bot.domain.clock import Clock
from bot.domain.grader import Grade, Grader
from bot.domain.offline_grader import OfflineGrader
from bot.storage.grades import GradeStore

logger = logging.getLogger(__name__)

# How long past LLM_TIMEOUT a reader waits for a background grade before it takes the offline one.
_GRACE = 1.0


@dataclass
class GraderStats:
    """LLM grader calls since start, by outcome ("ok", "timeout", …), with the seconds they took."""

    # Also told of each call: the /metrics series (bot/metrics.py), when the bot runs with them.
    also: Callable[[str, float], None] | None = None
    calls: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def record(self, outcome: str, seconds: float) -> None:
        """Count one call (the LLM grader's on_outcome hook)."""
        self.calls[outcome] += 1
        self.seconds[outcome] = self.seconds.get(outcome, 0.0) + seconds
        if self.also is not None:
            self.also(outcome, seconds)

    def mean_seconds(self, outcome: str) -> float:
        """The mean duration of the calls that ended this way."""
        n = self.calls[outcome]
        return self.seconds.get(outcome, 0.0) / n if n else 0.0


class GradingService:
    """One grader for every front end, plus the interview's background grades and where they are kept."""

    def __init__(
        self, grader: Grader, store: GradeStore, clock: Clock, timeout: float, stats: GraderStats | None = None
    ) -> None:
        self.grader = grader
        self.stats = stats or GraderStats()
        self._store = store
        self._clock = clock
        self._timeout = timeout
        self._offline = OfflineGrader()
        self._tasks: dict[tuple[int, int], asyncio.Task[Grade]] = {}

    @property
    def uses_llm(self) -> bool:
        """Whether answers go to an LLM (and so may take seconds to grade)."""
        return not isinstance(self.grader, OfflineGrader)

    def offline(self, question: OpenQuestion, text: str) -> Grade:
        """The offline grade, at once: it decides follow-ups and stands in until a slower grade lands."""
        return self._offline.grade_now(question, text)

    async def grade(self, question: OpenQuestion, text: str, user_id: int | None = None) -> Grade:
        """Grade with the configured grader and wait for it (the LLM grader falls back offline by itself)."""
        try:
            return await self.grader.grade(question, text, user_id)
        except Exception:
            # The LLM grader catches its own failures; this guards the learner against any other bug.
            logger.exception("grading %s failed; the offline grade is used", question.id)
            return self.offline(question, text)

    async def grade_answer(
        self, session_id: int, position: int, question: OpenQuestion, text: str, user_id: int
    ) -> Grade:
        """Grade a stored answer now and keep the grade, so the message can be shown again as it was."""
        return await self._run(session_id, position, question, text, user_id)

    async def grade_of(self, session_id: int, position: int, question: OpenQuestion, text: str | None) -> Grade | None:
        """The stored grade of an answer, else the offline grade of its text (None when nothing was typed)."""
        found = (await self._store.of_session(session_id)).get(position)
        if found is not None:
            return found
        return None if not text else self.offline(question, text)

    def start(self, session_id: int, position: int, question: OpenQuestion, text: str, user_id: int) -> None:
        """Grade a stored interview answer in the background and store the grade; a second start does nothing."""
        key = (session_id, position)
        if key in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(session_id, position, question, text, user_id))
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))

    async def _run(self, session_id: int, position: int, question: OpenQuestion, text: str, user_id: int) -> Grade:
        grade = await self.grade(question, text, user_id)
        try:
            await self._store.save(session_id, position, grade, int(self._clock.now().timestamp() * 1000))
        except Exception:
            logger.exception("could not store the grade of %s/%s", session_id, position)
        return grade

    def pending(self, session_id: int, position: int) -> bool:
        """Whether the grade of this answer is still being worked out."""
        return (session_id, position) in self._tasks

    async def wait(self, session_id: int, position: int) -> Grade | None:
        """The background grade once it lands (None if none runs); past LLM_TIMEOUT, None too."""
        task = self._tasks.get((session_id, position))
        if task is None:
            return None
        try:
            async with asyncio.timeout(self._timeout + _GRACE):
                return await asyncio.shield(task)
        except TimeoutError:
            return None

    async def stored(self, session_id: int) -> dict[int, Grade]:
        """The grades that have landed for a session, by position."""
        return await self._store.of_session(session_id)

    async def aclose(self) -> None:
        """Stop background grading (an answer without a stored grade is graded offline when read) and close."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.grader.aclose()
