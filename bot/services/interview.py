"""The interview service: domain rules plus storage, with no Telegram in sight."""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.bank import Bank, Level, McqQuestion, OpenQuestion
from bot.domain.changes import PURPOSE as DRILL_PURPOSE
from bot.domain.changes import plan_drill
from bot.domain.clock import Clock
from bot.domain.grading import SelfGrade, answer_score, covered_points, grade_mcq, is_mistake
from bot.domain.interview import AnswerRecord, Mode, Summary, plan_session, shuffled_order, summarise
from bot.domain.review import Rating, rating_for_grade, rating_for_mcq, review
from bot.storage.answers import Attempt, NewAnswer, Reads, Recorded, Settled
from bot.storage.cards import CardStore, PendingReview
from bot.storage.interviews import At, Current, InterviewStore
from bot.storage.reports import ReportStore
from bot.storage.rows import AnswerRow, SessionRow, SlotRow
from bot.storage.sessions import NextSlot


class Outcome(enum.Enum):
    """How a user action on a question ended."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    STALE = "stale"
    NOT_YOURS = "not_yours"
    INVALID = "invalid"


@dataclass(frozen=True)
class QuestionView:
    """A question as one session asks it."""

    session_id: int
    position: int
    size: int
    mode: Mode
    question: McqQuestion | OpenQuestion
    order: tuple[int, ...]
    message_id: int | None
    result_shown: bool


@dataclass(frozen=True)
class McqOutcome:
    """The result of a tap on an option."""

    outcome: Outcome
    view: QuestionView | None = None
    chosen: int | None = None
    correct: bool | None = None
    next: QuestionView | None = None
    summary: Summary | None = None


@dataclass(frozen=True)
class OpenOutcome:
    """The result of a typed answer to an open question."""

    outcome: Outcome
    view: QuestionView
    covered: tuple[bool, ...] = ()


@dataclass(frozen=True)
class GradeOutcome:
    """The result of a self-grade tap."""

    outcome: Outcome
    view: QuestionView | None = None
    grade: SelfGrade | None = None
    next: QuestionView | None = None
    summary: Summary | None = None


@dataclass(frozen=True)
class OpenSession:
    """A user's unfinished quiz or interview, as the resume prompt shows it."""

    session_id: int
    mode: Mode
    position: int
    size: int


@dataclass(frozen=True)
class StartOutcome:
    """A new session's first question, or the session this picker already started."""

    view: QuestionView | None
    already_started: bool


def _ms(clock: Clock) -> int:
    return int(clock.now().timestamp() * 1000)


class InterviewService:
    """Starts sessions, takes answers and scores them."""

    def __init__(
        self,
        store: InterviewStore,
        bank: Bank,
        clock: Clock,
        rng: random.Random,
        cards: CardStore | None = None,
        reports: ReportStore | None = None,
    ) -> None:
        self._store = store
        self._reports = reports
        self._bank = bank
        self._clock = clock
        self._rng = rng
        self._cards = cards

    def _review(self, user_id: int, question_id: str, rating: Rating) -> PendingReview | None:
        """The card review an answer causes, stored in the answer's own transaction (none without cards)."""
        if self._cards is None:
            return None
        when = self._clock.now()
        return PendingReview(user_id, question_id, lambda stored: review(stored, rating, when))

    async def disabled_ids(self) -> frozenset[str]:
        """Questions an admin disabled: no new session, review or push asks them."""
        return frozenset() if self._reports is None else await self._reports.disabled_question_ids()

    @property
    def bank(self) -> Bank:
        """The question bank in use."""
        return self._bank

    async def register(self, user_id: int, chat_id: int, first_name: str) -> None:
        """Create or refresh the user."""
        await self._store.upsert_user(user_id, chat_id, first_name, _ms(self._clock))

    async def preferred_level(self, user_id: int) -> Level | None:
        """The level the user last chose, if any."""
        user = await self._store.get_user(user_id)
        known = {level.value: level for level in Level}
        return None if user is None or user.level is None else known.get(user.level)

    async def chat_of_session(self, session_id: int) -> int | None:
        """The private chat a session's questions go to."""
        return await self._store.chat_of_session(session_id)

    async def get_session(self, session_id: int) -> SessionRow | None:
        """A session by id, for the services built on this one."""
        return await self._store.get_session(session_id)

    async def open_session(self, user_id: int) -> OpenSession | None:
        """The user's open quiz or interview, if any."""
        row = await self._store.open_session(user_id)
        return None if row is None else OpenSession(row.session_id, Mode(row.mode), row.position, row.size)

    async def start(
        self,
        user_id: int,
        mode: Mode,
        level: Level,
        origin_message_id: int | None = None,
        topics: list[str] | None = None,
    ) -> StartOutcome:
        """Start a session (cancelling any open one) and return its first question: one database hand-off."""

        def plan(seen: dict[str, float], disabled: frozenset[str]) -> list[tuple[str, tuple[int, ...]]]:
            chosen = plan_session(self._bank, mode, level, self._rng, seen, topics, disabled)
            return [(p.qid, p.order) for p in chosen]

        opened = await self._store.start_session(
            user_id, mode.value, level.value, plan, origin_message_id, _ms(self._clock)
        )
        view = None if opened.found is None else self.view_of(*opened.found)
        return StartOutcome(view, opened.already_started)

    async def start_drill(self, user_id: int, origin_message_id: int | None = None) -> StartOutcome:
        """Start the "what changed from Flask 2 to 3" drill (cancelling any open session): a quiz of drill questions.

        The drill mixes levels, so the session keeps the user's level, or the first question's for a newcomer.
        """
        preferred = await self.preferred_level(user_id)

        def plan(seen: dict[str, float], disabled: frozenset[str]) -> list[tuple[str, tuple[int, ...]]]:
            return [(p.qid, p.order) for p in plan_drill(self._bank, self._rng, seen, disabled)]

        def level(chosen: Sequence[NextSlot]) -> str:
            return preferred.value if preferred is not None else self._bank[chosen[0].question_id].level.value

        opened = await self._store.start_session(
            user_id, Mode.QUIZ.value, level, plan, origin_message_id, _ms(self._clock), purpose=DRILL_PURPOSE
        )
        view = None if opened.found is None else self.view_of(*opened.found)
        return StartOutcome(view, opened.already_started)

    async def start_daily(self, user_id: int, level: Level, question_id: str) -> QuestionView | None:
        """Store a one-question session of mode 'daily'; None if the bank lacks the question."""
        question = self._bank.get(question_id)
        if question is None:
            return None
        opened = await self._store.start_session(
            user_id,
            Mode.DAILY.value,
            level.value,
            [(question_id, shuffled_order(question, self._rng))],
            None,
            _ms(self._clock),
        )
        assert opened.found is not None
        return self.view_of(*opened.found)

    async def reveal_open(self, user_id: int, session_id: int, position: int) -> OpenOutcome | None:
        """Record "show answer" on an open question as an answer with no text; None if not the user's."""

        def decide(session: SessionRow, slot: SlotRow | None, _reads: Reads) -> Attempt | None:
            view = self.view_of(session, slot)
            if session.user_id != user_id or view is None or not isinstance(view.question, OpenQuestion):
                return None
            return Attempt(NewAnswer(session_id, position, user_id, view.question.id, view.question.topic, "open"))

        done = await self._store.record_answer(At(session_id, position), decide, _ms(self._clock))
        view = self._settled_view(done)
        if view is None or done.recorded is None:
            return None
        outcome = {Recorded.RECORDED: Outcome.RECORDED, Recorded.DUPLICATE: Outcome.DUPLICATE}.get(
            done.recorded, Outcome.STALE
        )
        return OpenOutcome(outcome, view)

    async def view(self, session_id: int, position: int) -> QuestionView | None:
        """One question of a session, if the session has it and the bank still does."""
        found = await self._store.session_slot(session_id, position)
        return None if found is None else self.view_of(*found)

    def view_of(self, session: SessionRow, slot: SlotRow | None) -> QuestionView | None:
        """A stored question as its session asks it, if the bank still has it (for the services built on this one)."""
        if slot is None:
            return None
        question = self._bank.get(slot.question_id)
        if question is None:
            return None
        return QuestionView(
            session.session_id,
            slot.position,
            session.size,
            Mode(session.mode),
            question,
            slot.order,
            slot.message_id,
            slot.result_shown,
        )

    def _settled_view(self, done: Settled) -> QuestionView | None:
        return None if done.session is None else self.view_of(done.session, done.slot)

    async def current(self, user_id: int) -> QuestionView | None:
        """The question the user's open session waits on."""
        found = await self._store.current_slot(user_id)
        return None if found is None else self.view_of(*found)

    async def awaiting_grade(self, view: QuestionView) -> bool:
        """True when an open question has its typed answer and waits for the self-grade."""
        return await self._store.answer_at(view.session_id, view.position) is not None

    async def stored_text(self, view: QuestionView) -> str | None:
        """The typed answer already stored for an open question, if any."""
        stored = await self._store.answer_at(view.session_id, view.position)
        return None if stored is None else stored.answer_text

    async def message_sent(self, view: QuestionView, message_id: int) -> None:
        """Remember the message that shows a question."""
        await self._store.set_marks(None, (view.session_id, view.position, message_id))

    async def answer_shown(
        self, shown: QuestionView | None, asked: QuestionView | None, message_id: int | None
    ) -> None:
        """Remember, in one write, that `shown` now shows its result and which message asks `asked` (if sent)."""
        result_at = (shown.session_id, shown.position) if shown is not None else None
        message_at = None
        if asked is not None and message_id is not None:
            message_at = (asked.session_id, asked.position, message_id)
        if result_at is not None or message_at is not None:
            await self._store.set_marks(result_at, message_at)

    async def answer_mcq(self, user_id: int, session_id: int, position: int, shown_index: int) -> McqOutcome:
        """Grade and record a tap, in one transaction with what follows; a repeated or stale tap records nothing."""

        def decide(session: SessionRow, slot: SlotRow | None, _reads: Reads) -> Attempt | None:
            view = self.view_of(session, slot)
            if session.user_id != user_id or view is None:
                return None
            answer = tapped(view, user_id, shown_index)
            if answer is None:
                return None
            review = self._review(user_id, answer.question_id, rating_for_mcq(bool(answer.correct)))
            return Attempt(answer, advance=True, review=review, follow=True)

        done = await self._store.record_answer(At(session_id, position), decide, _ms(self._clock))
        if done.session is None:
            return McqOutcome(Outcome.STALE)
        if done.session.user_id != user_id:
            return McqOutcome(Outcome.NOT_YOURS)
        view = self._settled_view(done)
        if view is None or done.attempt is None or done.attempt.answer is None:
            return McqOutcome(Outcome.INVALID)
        if done.recorded is Recorded.STALE:
            return McqOutcome(Outcome.STALE, view)
        if done.recorded is Recorded.DUPLICATE:
            assert done.stored is not None
            return McqOutcome(Outcome.DUPLICATE, view, done.stored.chosen, done.stored.correct, *self._after(done))
        answer = done.attempt.answer
        return McqOutcome(Outcome.RECORDED, view, answer.chosen, answer.correct, *self._after(done))

    async def answer_open(self, user_id: int, text: str) -> OpenOutcome | None:
        """Record a typed answer to the current open question; None if no open question waits."""

        def decide(session: SessionRow, slot: SlotRow | None, _reads: Reads) -> Attempt | None:
            view = self.view_of(session, slot)
            if view is None or not isinstance(view.question, OpenQuestion):
                return None
            question = view.question
            return Attempt(
                NewAnswer(
                    view.session_id, view.position, user_id, question.id, question.topic, "open", answer_text=text
                )
            )

        done = await self._store.record_answer(Current(user_id), decide, _ms(self._clock))
        view = self._settled_view(done)
        if view is None or done.recorded is None or not isinstance(view.question, OpenQuestion):
            return None
        if done.recorded is not Recorded.RECORDED:
            return OpenOutcome(Outcome.DUPLICATE, view, _coverage(view, done.stored))
        return OpenOutcome(Outcome.RECORDED, view, tuple(covered_points(view.question.key_points, text)))

    async def grade_open(self, user_id: int, session_id: int, position: int, grade: SelfGrade) -> GradeOutcome:
        """Record the self-grade of a typed answer once, then move on (one transaction)."""

        def decide(session: SessionRow, slot: SlotRow | None, _reads: Reads) -> Attempt | None:
            view = self.view_of(session, slot)
            if session.user_id != user_id or view is None:
                return None
            review = self._review(user_id, view.question.id, rating_for_grade(grade))
            return Attempt(grade=grade.value, advance=True, review=review, follow=True)

        done = await self._store.record_answer(At(session_id, position), decide, _ms(self._clock))
        view = self._settled_view(done)
        if done.session is None or view is None or done.recorded is None:
            mine = done.session is None or done.session.user_id == user_id
            return GradeOutcome(Outcome.STALE if mine else Outcome.NOT_YOURS)
        if done.recorded is Recorded.STALE:
            return GradeOutcome(Outcome.STALE, view)
        if done.recorded is Recorded.DUPLICATE:
            stored = done.stored
            previous = SelfGrade(stored.self_grade) if stored and stored.self_grade else grade
            return GradeOutcome(Outcome.DUPLICATE, view, previous, *self._after(done))
        return GradeOutcome(Outcome.RECORDED, view, grade, *self._after(done))

    def _after(self, done: Settled) -> tuple[QuestionView | None, Summary | None]:
        """What follows a question, as its transaction read it: the next one, or the summary after the last."""
        assert done.session is not None
        if done.answers is None:
            return (None if done.next_slot is None else self.view_of(done.session, done.next_slot)), None
        return None, _summarise(done.session.size, done.answers)

    async def summary(self, session_id: int) -> Summary:
        """Score a session from its stored answers."""
        session = await self._store.get_session(session_id)
        assert session is not None
        return _summarise(session.size, await self._store.answers(session_id))

    async def recent_mistakes(self, user_id: int, since: dt.datetime) -> list[str]:
        """Questions the user got wrong (below full marks by the grading table) since a time, most recent first."""
        found: dict[str, None] = {}
        for a in await self._store.answers_since(user_id, int(since.timestamp() * 1000)):
            if is_mistake(answer_score(a.kind, a.correct, a.self_grade, a.timed_out)):
                found.setdefault(a.question_id)
        return list(found)

    async def totals(self) -> tuple[int, int, int]:
        """Users, sessions and answers stored, for operators."""
        return await self._store.totals()

    async def cancel(self, user_id: int) -> bool:
        """Cancel the user's open session; False if there was none."""
        session = await self._store.open_session(user_id)
        if session is None:
            return False
        await self._store.cancel(session.session_id, _ms(self._clock))
        return True


def tapped(view: QuestionView, user_id: int, shown_index: int, over_time: bool = False) -> NewAnswer | None:
    """The graded answer a tap on a shown option records; None if the question is no MCQ or the option is not shown."""
    question = view.question
    if not isinstance(question, McqQuestion) or not 0 <= shown_index < len(view.order):
        return None
    verdict = grade_mcq(question, view.order, shown_index)
    return NewAnswer(
        view.session_id,
        view.position,
        user_id,
        question.id,
        question.topic,
        "mcq",
        chosen=verdict.chosen,
        correct=verdict.correct,
        over_time=over_time,
    )


def _coverage(view: QuestionView, stored: AnswerRow | None) -> tuple[bool, ...]:
    """Key points covered by a stored typed answer."""
    if stored is None or not stored.answer_text or not isinstance(view.question, OpenQuestion):
        return ()
    return tuple(covered_points(view.question.key_points, stored.answer_text))


def _summarise(size: int, answers: Sequence[AnswerRow]) -> Summary:
    return summarise(size, [AnswerRecord(a.question_id, a.topic, a.kind, a.correct, a.self_grade) for a in answers])
