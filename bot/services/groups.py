"""Group play, split by job: settings, the daily poll, votes and leaderboards, quizzes; what they share is here.

Sends go through an `Outbox` the Telegram layer provides. It raises `Undelivered` with the send's outcome:
BLOCKED when the group refuses the bot (403, chat not found), MOVED when it became a supergroup, UNCERTAIN when
the message may have reached Telegram anyway (a timeout), FAILED when it surely did not, RELEASED when the
process is stopping.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import i18n
from bot.domain import groups as rules
from bot.domain import polls
from bot.domain.bank import Bank, Level, McqQuestion
from bot.domain.delivery import Outcome, SendResult
from bot.domain.interview import shuffled_order
from bot.domain.polls import PollSpec
from bot.storage.db import Database
from bot.storage.groups import PollRow, last_posted


class Undelivered(Exception):
    """A post did not surely reach the group; `result` says how it ended."""

    def __init__(self, result: SendResult, reason: str = "") -> None:
        super().__init__(reason or result.outcome.value)
        self.result = result

    @property
    def outcome(self) -> Outcome:
        """How the send ended."""
        return self.result.outcome


@dataclass(frozen=True)
class PostedPoll:
    """A poll as Telegram took it."""

    poll_id: str
    message_id: int


class Outbox(Protocol):
    """How the services post in a group."""

    async def text(self, chat_id: int, html: str) -> int:
        """Send an HTML message; its id."""
        ...

    async def poll(self, chat_id: int, spec: PollSpec, open_period: int | None) -> PostedPoll:
        """Send a quiz poll."""
        ...

    async def stop(self, chat_id: int, message_id: int) -> None:
        """Close a poll (one already closed is fine)."""
        ...


class Texts(Protocol):
    """The strings the services put into what they post: bot/texts.py, the module itself, fits."""

    POLL_SEE_ABOVE: str
    POLL_MORE: str

    def poll_result(self, result: rules.PollResult) -> str: ...

    def quiz_ranking(self, table: Sequence[rules.Score], interrupted: bool) -> str: ...


class PollMaker:
    """Which questions a group gets next, and the poll each one becomes (shared by the daily poll and quizzes)."""

    def __init__(
        self,
        db: Database,
        bank: Bank,
        rng: random.Random,
        texts: Texts,
        disabled: Callable[[], Awaitable[frozenset[str]]] | None = None,
        language_of: Callable[[int], Awaitable[str]] | None = None,
    ) -> None:
        self._db = db
        # A group's language (LanguageService.of_chat): what the services post on their own is rendered in it.
        self._language_of = language_of
        self._bank = bank
        self._rng = rng
        self.texts = texts
        # Questions an admin disabled after a report (ReportService.disabled_question_ids): never posted.
        self._disabled = disabled

    @contextlib.asynccontextmanager
    async def speaking(self, chat_id: int) -> AsyncIterator[None]:
        """Render what is posted to a group inside the block in the group's language."""
        with i18n.use(await self._language_of(chat_id) if self._language_of is not None else None):
            yield

    def question(self, question_id: str) -> McqQuestion | None:
        """The question, if it is an MCQ the bank still has."""
        found = self._bank.get(question_id)
        return found if isinstance(found, McqQuestion) else None

    async def choose(self, chat_id: int, level: str | None, count: int) -> list[McqQuestion]:
        """`count` poll-eligible questions of the level the group saw longest ago (or never)."""
        disabled = frozenset() if self._disabled is None else await self._disabled()
        found = rules.parse_level(level or rules.MIXED)
        pool = polls.eligible(self._bank, found if isinstance(found, Level) else None)
        pool = [q for q in pool if q.id not in disabled]
        return rules.choose_questions(pool, count, await last_posted(self._db, chat_id), self._rng)

    def spec(self, question: McqQuestion, bot_username: str, prefix: str) -> PollSpec:
        """The poll for a question, its options shuffled."""
        order = shuffled_order(question, self._rng)
        return polls.build_poll(
            question,
            order,
            bot_username,
            see_above=self.texts.POLL_SEE_ABOVE,
            more=self.texts.POLL_MORE,
            prefix=prefix,
        )


def poll_row(
    chat_id: int,
    question: McqQuestion,
    spec: PollSpec,
    sent: PostedPoll,
    sent_at: int,
    kind: str,
    quiz_id: int | None = None,
    position: int | None = None,
    closes_at: int | None = None,
) -> PollRow:
    """The row of a poll just posted."""
    return PollRow(
        sent.poll_id,
        chat_id,
        sent.message_id,
        question.id,
        question.level.value,
        question.topic,
        spec.correct,
        kind,
        quiz_id,
        position,
        sent_at,
        closes_at,
        False,
    )
