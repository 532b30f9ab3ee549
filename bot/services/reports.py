"""Reports of questions by learners, their triage by admins, and the disabled-question list."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.bank import FOLLOW_UP_SEPARATOR, Bank, McqQuestion, OpenQuestion
from bot.domain.clock import Clock
from bot.domain.report_reason import Reason
from bot.storage.reports import ReportRow, ReportStore

# The comment is "the next text message": after this long the bot stops waiting for it.
COMMENT_WINDOW = dt.timedelta(minutes=15)
MAX_COMMENT = 1000
LATEST_COMMENTS = 3


def content_hash(question: McqQuestion | OpenQuestion) -> str:
    """A short hash of the question as it reads now, so editors know which version was reported."""
    return hashlib.sha256(question.model_dump_json().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Filed:
    """A stored report: the question, and whether it is that question's first report today."""

    question_id: str
    first_today: bool


@dataclass(frozen=True)
class OpenReport:
    """One open report as editors export it."""

    question_id: str
    reason: str
    comment: str | None
    created: dt.datetime
    user_id: int
    session_id: int | None
    content_hash: str


@dataclass(frozen=True)
class ReportGroup:
    """The open reports of one question."""

    question_id: str
    latest_report_id: int
    count: int
    reasons: dict[str, int]
    comments: tuple[str, ...]
    hashes: tuple[str, ...]
    current_hash: str | None


def group_reports(rows: Sequence[ReportRow], bank: Bank) -> list[ReportGroup]:
    """Open reports grouped by question, the most reported first."""
    by_question: dict[str, list[ReportRow]] = {}
    for r in rows:
        by_question.setdefault(r.question_id, []).append(r)
    groups = []
    for qid, items in by_question.items():
        reasons: dict[str, int] = {}
        for r in items:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        newest = sorted(items, key=lambda r: (r.created_at, r.report_id), reverse=True)
        question = bank.get(qid)
        groups.append(
            ReportGroup(
                qid,
                newest[0].report_id,
                len(items),
                reasons,
                tuple(r.comment for r in newest if r.comment)[:LATEST_COMMENTS],
                tuple(sorted({r.content_hash for r in items})),
                None if question is None else content_hash(question),
            )
        )
    return sorted(groups, key=lambda g: (-g.count, g.question_id))


class ReportService:
    """Files reports, takes comments, and lets admins disable, dismiss and enable questions."""

    def __init__(self, store: ReportStore, bank: Bank, clock: Clock) -> None:
        self._store = store
        self._bank = bank
        self._clock = clock

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def question_of(self, user_id: int, session_id: int, position: int) -> str | None:
        """The question at a position of the user's session; None if it is not theirs or gone from the bank."""
        found = await self._store.question_at(session_id, position)
        if found is None or found[0] != user_id:
            return None
        # A follow-up is reported as the question it belongs to: their texts live in one bank entry.
        qid = found[1].split(FOLLOW_UP_SEPARATOR, 1)[0]
        return qid if qid in self._bank else None

    async def file(self, user_id: int, session_id: int, position: int, reason: Reason) -> Filed | None:
        """Store (or replace) the user's report on a question they were asked; None if the button is forged."""
        qid = await self.question_of(user_id, session_id, position)
        if qid is None:
            return None
        now = self._clock.now()
        first = await self._store.upsert(
            user_id,
            qid,
            session_id,
            reason.value,
            content_hash(self._bank[qid]),
            self._now_ms(),
            int((now + COMMENT_WINDOW).timestamp() * 1000),
            now.date().isoformat(),
        )
        return Filed(qid, first)

    async def awaits_comment(self, user_id: int) -> bool:
        """True if the user's next text is a report comment."""
        return await self._store.awaits_comment(user_id, self._now_ms())

    async def comment(self, user_id: int, text: str) -> bool:
        """Attach the comment (cut to MAX_COMMENT characters) to the report waiting for one."""
        return await self._store.add_comment(user_id, text[:MAX_COMMENT], self._now_ms())

    async def skip_comment(self, user_id: int) -> bool:
        """Stop waiting for a comment; False if none was awaited."""
        return await self._store.skip_comment(user_id, self._now_ms())

    async def open_groups(self) -> list[ReportGroup]:
        """Open reports grouped by question."""
        return group_reports(await self._store.open_reports(), self._bank)

    async def open_reports(self) -> list[OpenReport]:
        """Every open report, oldest first."""
        return [
            OpenReport(
                r.question_id,
                r.reason,
                r.comment,
                dt.datetime.fromtimestamp(r.created_at / 1000, dt.UTC),
                r.user_id,
                r.session_id,
                r.content_hash,
            )
            for r in await self._store.open_reports()
        ]

    async def question_of_report(self, report_id: int) -> str | None:
        """The question a report is about."""
        return await self._store.question_of_report(report_id)

    async def disable(self, question_id: str, admin_id: int) -> bool:
        """Take a question out of every new quiz, interview, review, push and poll."""
        return await self._store.disable(question_id, admin_id, self._now_ms())

    async def dismiss(self, question_id: str) -> int:
        """Close the open reports of a question without changing it."""
        return await self._store.resolve(question_id, "dismissed")

    async def enable(self, question_id: str) -> bool:
        """Bring a disabled question back."""
        return await self._store.enable(question_id)

    async def disabled_question_ids(self) -> frozenset[str]:
        """Every disabled question id: the one filter every question selection applies."""
        return await self._store.disabled_question_ids()
