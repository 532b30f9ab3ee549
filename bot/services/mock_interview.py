"""The adaptive, timed mock interview: start, answers, deadlines, debrief grades and the report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.domain.bank import Bank, Level, McqQuestion, OpenQuestion
from bot.domain.clock import Clock
from bot.domain.estimate import Estimate
from bot.domain.grading import SelfGrade, covered_points
from bot.domain.interview import Mode, shuffled_order
from bot.domain.mock_interview import (
    INTERVIEW_QUESTIONS,
    RECENT,
    Budgets,
    InterviewAnswer,
    InterviewReport,
    Scored,
    build_report,
    choose_next,
    deadline,
    interview_score,
    is_over_time,
    next_level,
    rate,
)
from bot.domain.review import Rating, rating_for_grade, rating_for_mcq, review
from bot.services.interview import InterviewService, Outcome, QuestionView, tapped
from bot.storage.answers import Attempt, NewAnswer, Reads, Recorded, SavedEstimate, Settled
from bot.storage.cards import PendingReview
from bot.storage.interviews import At, InterviewStore
from bot.storage.mock_interviews import MockInterviewStore
from bot.storage.rows import SessionRow, SlotRow
from bot.storage.sessions import NextSlot

Difficulties = Callable[[], Awaitable[dict[str, float]]]
# Given the located question: the answer that closes it and the card rating it earns, or None to write nothing.
Closer = Callable[[SessionRow, QuestionView, SlotRow], tuple[NewAnswer, Rating | None] | None]


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
    """Runs adaptive interviews on top of the session storage the quiz uses; every answer is one hand-off."""

    def __init__(
        self,
        store: MockInterviewStore,
        interviews: InterviewStore,
        sessions: InterviewService,
        bank: Bank,
        clock: Clock,
        rng: random.Random,
        budgets: Budgets,
        difficulties: Difficulties,
    ) -> None:
        self._store = store
        self._interviews = interviews
        self._sessions = sessions
        self._bank = bank
        self._clock = clock
        self._rng = rng
        self.budgets = budgets
        self._difficulties = difficulties

    @property
    def sessions(self) -> InterviewService:
        """The session service underneath."""
        return self._sessions

    def now(self) -> dt.datetime:
        """The service's clock."""
        return self._clock.now()

    def _slot(self, question: McqQuestion | OpenQuestion, now: dt.datetime) -> NextSlot:
        due = deadline(now, question.kind, self.budgets)
        return NextSlot(question.id, shuffled_order(question, self._rng), _ms(due))

    async def start(self, user_id: int, level: Level, origin_message_id: int | None = None) -> QuestionView | None:
        """Start an interview at a level (cancelling any open session), in one hand-off; its first question, or
        None if already started from this picker (then `current` has the question)."""
        now = self._clock.now()
        since = _ms(now - RECENT)

        def plan(seen: dict[str, float], disabled: frozenset[str]) -> list[NextSlot]:
            recent = {qid for qid, at in seen.items() if at >= since}
            first = choose_next(self._bank, level, 0, [], recent, self._rng, disabled)
            return [] if first is None else [self._slot(first, now)]

        opened = await self._interviews.start_session(
            user_id, Mode.INTERVIEW.value, level.value, plan, origin_message_id, _ms(now), size=INTERVIEW_QUESTIONS
        )
        if opened.already_started or opened.found is None:
            return None
        return self._sessions.view_of(*opened.found)

    async def deadline_of(self, view: QuestionView) -> dt.datetime | None:
        """When a question runs out of time."""
        found = await self._store.deadline_of(view.session_id, view.position)
        return None if found is None else _at(found)

    def _score_all(self, answers: Sequence[InterviewAnswer]) -> list[Scored]:
        out = []
        for a in answers:
            question = self._bank.get(a.question_id)
            if question is None:
                continue
            covered = self._covered(question, a.answer_text)
            score, final = interview_score(a.kind, a.correct, a.self_grade, covered, a.timed_out)
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

    async def _close(self, where: At, user_id: int | None, closer: Closer) -> tuple[Settled, Step]:
        """Close the located question once, choosing the next one, in one transaction and one hand-off.

        On the database thread, with this transaction's rows: the answer, the next question (from the estimate
        so far, away from recent and asked questions), or the end with the estimate stored.
        """
        now = self._clock.now()
        observed = await self._difficulties()  # cached: a database read at most once an hour

        def decide(session: SessionRow, slot: SlotRow | None, reads: Reads) -> Attempt | None:
            view = self._sessions.view_of(session, slot)
            if view is None or slot is None or view.mode is not Mode.INTERVIEW:
                return None
            if user_id is not None and session.user_id != user_id:
                return None
            made = closer(session, view, slot)
            if made is None:
                return None
            answer, rating = made
            if session.status != "open" or session.position != view.position:
                return Attempt(answer)  # the insert finds it answered (a duplicate) or gone (stale)
            question = view.question
            pending = None if rating is None else _pending(answer.user_id, question.id, rating, now)
            covered = self._covered(question, answer.answer_text)
            score, _ = interview_score(answer.kind, answer.correct, None, covered, answer.timed_out)
            sofar = self._score_all(reads.interview_answers(session.session_id))
            sofar.append(Scored(question.id, question.level, question.topic, question.kind, score, 0.0))
            start = Level(session.level)
            following: NextSlot | None = None
            if view.position + 1 < view.size:
                target = next_level(start, sofar, observed)
                recent = reads.answered_since(session.user_id, _ms(now - RECENT))
                asked = reads.asked(session.session_id)
                nxt = choose_next(self._bank, target, view.position + 1, asked, recent, self._rng, reads.disabled())
                following = None if nxt is None else self._slot(nxt, now)
            estimate = None if following is not None else _saved(rate(start, sofar, observed))
            return Attempt(
                answer,
                advance=True,
                finish=following is None,
                next_slot=following,
                review=pending,
                estimate=estimate,
                follow=True,
            )

        done = await self._interviews.record_answer(where, decide, _ms(now))
        return done, self._step(done, user_id)

    def _step(self, done: Settled, user_id: int | None) -> Step:
        """What a closing did, as the handlers show it."""
        if done.session is None:
            return Step(Outcome.STALE)
        view = self._sessions.view_of(done.session, done.slot)
        if view is None:
            return Step(Outcome.STALE)
        if user_id is not None and done.session.user_id != user_id:
            return Step(Outcome.NOT_YOURS, view)
        if done.attempt is None or done.attempt.answer is None:
            current = done.session.status == "open" and done.session.position == view.position
            return Step(Outcome.INVALID if view.mode is not Mode.INTERVIEW or current else Outcome.STALE, view)
        if done.recorded is Recorded.DUPLICATE:
            return Step(Outcome.DUPLICATE, view)
        if done.recorded is not Recorded.RECORDED:
            return Step(Outcome.STALE, view)
        answer = done.attempt.answer
        following = None if done.next_slot is None else self._sessions.view_of(done.session, done.next_slot)
        return Step(
            Outcome.RECORDED,
            view,
            answer.chosen,
            answer.over_time,
            answer.timed_out,
            next=following,
            finished=following is None,
        )

    async def answer_mcq(self, user_id: int, session_id: int, position: int, shown_index: int) -> Step:
        """Record a tap on an interview question, with no verdict; then the next question or the end."""
        now_ms = _ms(self._clock.now())

        def closer(session: SessionRow, view: QuestionView, slot: SlotRow) -> tuple[NewAnswer, Rating | None] | None:
            answer = tapped(view, user_id, shown_index, over_time=_over(slot, now_ms))
            return None if answer is None else (answer, rating_for_mcq(bool(answer.correct)))

        _, step = await self._close(At(session_id, position), user_id, closer)
        return step

    async def answer_open(self, user_id: int, view: QuestionView, text: str) -> Step:
        """Record a typed answer to the current open question; acknowledged, graded in the debrief."""
        if not isinstance(view.question, OpenQuestion):
            return Step(Outcome.INVALID, view)
        now_ms = _ms(self._clock.now())

        def closer(session: SessionRow, found: QuestionView, slot: SlotRow) -> tuple[NewAnswer, Rating | None] | None:
            question = found.question
            if not isinstance(question, OpenQuestion):
                return None
            answer = NewAnswer(
                found.session_id,
                found.position,
                user_id,
                question.id,
                question.topic,
                "open",
                answer_text=text,
                over_time=_over(slot, now_ms),
            )
            return answer, None

        _, step = await self._close(At(view.session_id, view.position), user_id, closer)
        return step

    async def expire(self, session_id: int, position: int) -> Expiry:
        """Close a question whose deadline has passed (once, whoever else tries); else say how long to wait."""
        now_ms = _ms(self._clock.now())

        def closer(session: SessionRow, view: QuestionView, slot: SlotRow) -> tuple[NewAnswer, Rating | None] | None:
            if slot.deadline_at is None or now_ms < slot.deadline_at:
                return None
            if session.status != "open" or session.position != position:
                return None
            question = view.question
            answer = NewAnswer(
                session_id,
                position,
                session.user_id,
                question.id,
                question.topic,
                question.kind,
                correct=False if question.kind == "mcq" else None,
                timed_out=True,
            )
            return answer, rating_for_mcq(False)

        done, step = await self._close(At(session_id, position), None, closer)
        if step.outcome is Outcome.RECORDED:
            return Expiry(step)
        slot = done.slot
        if done.attempt is None and slot is not None and slot.deadline_at is not None and now_ms < slot.deadline_at:
            return Expiry(None, (slot.deadline_at - now_ms) / 1000)
        return Expiry(None)

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
        """Self-grade an open answer in the debrief, once, with the estimate that follows: one hand-off."""
        now = self._clock.now()
        observed = await self._difficulties()

        def decide(session: SessionRow, slot: SlotRow | None, reads: Reads) -> Attempt | None:
            if session.user_id != user_id or slot is None:
                return None
            graded = [
                a if a.position != position else _with_grade(a, grade.value)
                for a in reads.interview_answers(session_id)
            ]
            start = Level(session.level)
            estimate = _saved(rate(start, self._score_all(graded), observed))
            pending = _pending(user_id, slot.question_id, rating_for_grade(grade), now)
            return Attempt(grade=grade.value, review=pending, estimate=estimate)

        done = await self._interviews.record_answer(At(session_id, position), decide, _ms(now))
        return done.recorded is Recorded.RECORDED

    async def report(self, session_id: int) -> InterviewReport:
        """The report of an interview from its stored answers."""
        session = await self._sessions.get_session(session_id)
        assert session is not None
        scored = self._score_all(await self._store.answers(session_id))
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


def _pending(user_id: int, question_id: str, rating: Rating, now: dt.datetime) -> PendingReview:
    return PendingReview(user_id, question_id, lambda stored: review(stored, rating, now))


def _over(slot: SlotRow, now_ms: int) -> bool:
    return slot.deadline_at is not None and is_over_time(_at(now_ms), _at(slot.deadline_at))


def _saved(estimate: Estimate) -> SavedEstimate:
    return SavedEstimate(estimate.level.value, estimate.ability, estimate.se)


def _with_grade(answer: InterviewAnswer, grade: str) -> InterviewAnswer:
    return dataclasses.replace(answer, self_grade=grade)
