"""The adaptive, timed mock interview: start, answers, deadlines, debrief grades and the report."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.bank import Bank, Level, McqQuestion, OpenQuestion
from bot.domain.clock import Clock
from bot.domain.estimate import Estimate
from bot.domain.grading import SelfGrade, covered_points, grade_mcq
from bot.domain.interview import Mode, shuffled_order
from bot.domain.mock_interview import (
    INTERVIEW_QUESTIONS,
    RECENT,
    Budgets,
    InterviewAnswer,
    InterviewReport,
    Scored,
    answer_score,
    build_report,
    choose_next,
    deadline,
    is_over_time,
    next_level,
)
from bot.domain.review import rating_for_grade, rating_for_mcq, review
from bot.services.interview import InterviewService, Outcome, QuestionView
from bot.storage.cards import PendingReview
from bot.storage.mock_interviews import (
    Closed,
    Closing,
    MockInterviewStore,
    NextSlot,
)

Difficulties = Callable[[], Awaitable[dict[str, float]]]
Disabled = Callable[[], Awaitable[frozenset[str]]]


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def _at(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


@dataclass(frozen=True)
class Step:
    """What closing a question did: the question, how it closed, and what comes next."""

    outcome: Outcome
    view: QuestionView | None = None
    chosen: int | None = None
    over_time: bool = False
    timed_out: bool = False
    next: QuestionView | None = None
    finished: bool = False


@dataclass(frozen=True)
class Expiry:
    """The deadline job's verdict: the question timed out now, or wait this long (None: nothing to do)."""

    step: Step | None
    wait_seconds: float | None = None


@dataclass(frozen=True)
class Deadline:
    """An interview question still waiting for its answer, and how long it has left (negative: overdue)."""

    session_id: int
    position: int
    seconds_left: float


@dataclass(frozen=True)
class DebriefPage:
    """One closed question of an interview with the user's answer."""

    view: QuestionView
    answer: InterviewAnswer
    covered: tuple[bool, ...]


@dataclass(frozen=True)
class InterviewResults:
    """A finished interview for its transcript and share line: every closed question, the report, the start."""

    pages: list[DebriefPage]
    report: InterviewReport
    started: dt.datetime


class MockInterviewService:
    """Runs adaptive interviews on top of the session storage the quiz uses."""

    def __init__(
        self,
        store: MockInterviewStore,
        sessions: InterviewService,
        bank: Bank,
        clock: Clock,
        rng: random.Random,
        budgets: Budgets,
        difficulties: Difficulties,
        disabled: Disabled,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._bank = bank
        self._clock = clock
        self._rng = rng
        self.budgets = budgets
        self._difficulties = difficulties
        self._disabled = disabled

    @property
    def sessions(self) -> InterviewService:
        """The session service underneath."""
        return self._sessions

    def now(self) -> dt.datetime:
        """The service's clock."""
        return self._clock.now()

    def _slot(self, question: McqQuestion | OpenQuestion, now: dt.datetime) -> NextSlot:
        return NextSlot(
            question.id, shuffled_order(question, self._rng), _ms(deadline(now, question.kind, self.budgets))
        )

    async def start(self, user_id: int, level: Level, origin_message_id: int | None = None) -> QuestionView | None:
        """Start an interview at a level (cancelling any open session); its first question, or None if already
        started from this picker (then the current question, if any, is returned by `current`)."""
        now = self._clock.now()
        recent = await self._store.recent_questions(user_id, _ms(now - RECENT))
        first = choose_next(self._bank, level, 0, [], recent, self._rng, await self._disabled())
        if first is None:
            return None
        session_id = await self._store.create(
            user_id, level.value, INTERVIEW_QUESTIONS, self._slot(first, now), origin_message_id, _ms(now)
        )
        if session_id is None:
            return None
        return await self._sessions.view(session_id, 0)

    async def deadline_of(self, view: QuestionView) -> dt.datetime | None:
        """When a question runs out of time."""
        found = await self._store.deadline_of(view.session_id, view.position)
        return None if found is None else _at(found)

    async def _scored(self, session_id: int) -> list[Scored]:
        out = []
        for a in await self._store.answers(session_id):
            question = self._bank.get(a.question_id)
            if question is None:
                continue
            covered = self._covered(question, a.answer_text)
            score, final = answer_score(a.kind, a.correct, a.self_grade, covered, a.timed_out)
            out.append(
                Scored(
                    a.question_id,
                    question.level,
                    a.topic,
                    a.kind,
                    score,
                    a.time_taken_ms / 1000,
                    a.timed_out,
                    a.over_time,
                    final,
                )
            )
        return out

    @staticmethod
    def _covered(question: McqQuestion | OpenQuestion, text: str | None) -> tuple[bool, ...]:
        if not isinstance(question, OpenQuestion) or not text:
            return ()
        return tuple(covered_points(question.key_points, text))

    async def _close(
        self, view: QuestionView, user_id: int, now: dt.datetime, closing: Closing, pending: PendingReview | None
    ) -> Step:
        session = await self._sessions.get_session(view.session_id)
        start = Level(session.level) if session is not None else view.question.level
        following: NextSlot | None = None
        if view.position + 1 < view.size:
            sofar = await self._scored(view.session_id)
            question = view.question
            score, _ = answer_score(
                closing.kind, closing.correct, None, self._covered(question, closing.answer_text), closing.timed_out
            )
            sofar.append(Scored(question.id, question.level, question.topic, question.kind, score, 0.0))
            target = next_level(start, sofar, await self._difficulties())
            recent = await self._store.recent_questions(user_id, _ms(now - RECENT))
            asked = await self._store.asked(view.session_id)
            nxt = choose_next(self._bank, target, view.position + 1, asked, recent, self._rng, await self._disabled())
            following = None if nxt is None else self._slot(nxt, now)
        closed = await self._store.close(closing, _ms(now), following, pending)
        if closed is Closed.ALREADY:
            return Step(Outcome.DUPLICATE, view)
        if closed is Closed.STALE:
            return Step(Outcome.STALE, view)
        if following is None:
            await self._store_estimate(view.session_id)
            return Step(Outcome.RECORDED, view, closing.chosen, closing.over_time, closing.timed_out, finished=True)
        return Step(
            Outcome.RECORDED,
            view,
            closing.chosen,
            closing.over_time,
            closing.timed_out,
            next=await self._sessions.view(view.session_id, view.position + 1),
        )

    async def _owned_current(self, user_id: int, session_id: int, position: int) -> tuple[Outcome, QuestionView | None]:
        found = await self._sessions.view(session_id, position)
        session = await self._sessions.get_session(session_id)
        if found is None or session is None:
            return Outcome.STALE, None
        if session.user_id != user_id:
            return Outcome.NOT_YOURS, found
        if found.mode is not Mode.INTERVIEW:
            return Outcome.INVALID, found
        if session.status != "open" or session.position != position:
            return Outcome.STALE, found
        return Outcome.RECORDED, found

    async def answer_mcq(self, user_id: int, session_id: int, position: int, shown_index: int) -> Step:
        """Record a tap on an interview question, with no verdict; then the next question or the end."""
        outcome, view = await self._owned_current(user_id, session_id, position)
        if view is not None and outcome is Outcome.STALE and await self._store.answer(session_id, position):
            return Step(Outcome.DUPLICATE, view)
        if outcome is not Outcome.RECORDED or view is None:
            return Step(outcome, view)
        question = view.question
        if not isinstance(question, McqQuestion) or not 0 <= shown_index < len(view.order):
            return Step(Outcome.INVALID, view)
        verdict = grade_mcq(question, view.order, shown_index)
        now = self._clock.now()
        due = await self.deadline_of(view)
        closing = Closing(
            session_id,
            position,
            user_id,
            question.id,
            question.topic,
            "mcq",
            chosen=verdict.chosen,
            correct=verdict.correct,
            over_time=due is not None and is_over_time(now, due),
        )
        pending = PendingReview(user_id, question.id, lambda s: review(s, rating_for_mcq(verdict.correct), now))
        return await self._close(view, user_id, now, closing, pending)

    async def answer_open(self, user_id: int, view: QuestionView, text: str) -> Step:
        """Record a typed answer to the current open question; acknowledged, graded in the debrief."""
        question = view.question
        if not isinstance(question, OpenQuestion):
            return Step(Outcome.INVALID, view)
        now = self._clock.now()
        due = await self.deadline_of(view)
        closing = Closing(
            view.session_id,
            view.position,
            user_id,
            question.id,
            question.topic,
            "open",
            answer_text=text,
            over_time=due is not None and is_over_time(now, due),
        )
        return await self._close(view, user_id, now, closing, None)

    async def expire(self, session_id: int, position: int) -> Expiry:
        """Close a question whose deadline has passed (once, whoever else tries); else say how long to wait."""
        due = await self._store.deadline_of(session_id, position)
        view = await self._sessions.view(session_id, position)
        if due is None or view is None:
            return Expiry(None)
        now = self._clock.now()
        if _ms(now) < due:
            return Expiry(None, (due - _ms(now)) / 1000)
        session = await self._sessions.get_session(session_id)
        if session is None or session.status != "open" or session.position != position:
            return Expiry(None)
        question = view.question
        closing = Closing(
            session_id,
            position,
            session.user_id,
            question.id,
            question.topic,
            question.kind,
            correct=False if question.kind == "mcq" else None,
            timed_out=True,
        )
        pending = PendingReview(session.user_id, question.id, lambda s: review(s, rating_for_mcq(False), now))
        step = await self._close(view, session.user_id, now, closing, pending)
        return Expiry(step if step.outcome is Outcome.RECORDED else None)

    async def open_deadlines(self) -> list[Deadline]:
        """Every interview question still waiting for an answer (for re-arming after a restart)."""
        now_ms = _ms(self._clock.now())
        return [
            Deadline(d.session_id, d.position, (d.deadline_ms - now_ms) / 1000)
            for d in await self._store.open_deadlines()
        ]

    async def debrief(self, user_id: int, session_id: int) -> list[DebriefPage] | None:
        """The closed questions of one of the user's finished interviews; None if it is not theirs or not over."""
        session = await self._sessions.get_session(session_id)
        if session is None or session.user_id != user_id or session.mode != Mode.INTERVIEW.value:
            return None
        if session.status != "finished":
            return None
        pages = []
        for a in await self._store.answers(session_id):
            view = await self._sessions.view(session_id, a.position)
            if view is None:
                continue
            pages.append(DebriefPage(view, a, self._covered(view.question, a.answer_text)))
        return pages

    async def results(self, user_id: int, session_id: int) -> InterviewResults | None:
        """One of the user's finished interviews in full; None if it is not theirs or not over."""
        pages = await self.debrief(user_id, session_id)
        session = await self._sessions.get_session(session_id)
        if pages is None or session is None:
            return None
        return InterviewResults(pages, await self.report(session_id), _at(session.started_at))

    async def debrief_pages_of(self, session_id: int) -> list[DebriefPage]:
        """The debrief pages of a finished interview, whoever asks (the bot itself, at the end)."""
        session = await self._sessions.get_session(session_id)
        if session is None:
            return []
        return await self.debrief(session.user_id, session_id) or []

    async def grade(self, user_id: int, session_id: int, position: int, grade: SelfGrade) -> bool:
        """Self-grade an open answer in the debrief, once; the estimate follows."""
        answer = await self._store.answer(session_id, position)
        if answer is None:
            return False
        now = self._clock.now()
        pending = PendingReview(user_id, answer.question_id, lambda s: review(s, rating_for_grade(grade), now))
        if not await self._store.grade(user_id, session_id, position, grade.value, pending):
            return False
        await self._store_estimate(session_id)
        return True

    async def _store_estimate(self, session_id: int) -> Estimate:
        report = await self.report(session_id)
        await self._store.save_estimate(
            session_id, report.estimate.level.value, report.estimate.ability, report.estimate.se
        )
        return report.estimate

    async def report(self, session_id: int) -> InterviewReport:
        """The report of an interview from its stored answers."""
        session = await self._sessions.get_session(session_id)
        assert session is not None
        scored = await self._scored(session_id)
        past = await self._store.previous_estimate(session.user_id, session_id)
        previous = None if past is None else Estimate(past.ability, past.se)
        total = round(sum(s.seconds for s in scored))
        return build_report(Level(session.level), scored, await self._difficulties(), total, previous)

    async def report_message(self, session_id: int) -> int | None:
        """The report's message id, if sent."""
        return await self._store.report_message(session_id)

    async def report_sent(self, session_id: int, message_id: int) -> None:
        """Remember the report's message."""
        await self._store.set_report_message(session_id, message_id)
