"""The composition root: every service built once from a database, the bank, a clock and an rng."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import texts
from bot.config import Settings
from bot.domain.bank import Bank
from bot.domain.clock import Clock
from bot.domain.grader import Grader
from bot.domain.mock_interview import Budgets
from bot.metrics import NO_METRICS, DeliveryObserver
from bot.services.broadcast import BroadcastService
from bot.services.calibration import CalibrationService
from bot.services.export import ExportService
from bot.services.goal import GoalService
from bot.services.grading import GraderStats, GradingService
from bot.services.group_daily import GroupDailyService
from bot.services.group_quiz import GroupQuizService
from bot.services.group_settings import GroupSettingsService
from bot.services.group_votes import GroupVoteService
from bot.services.groups import PollMaker
from bot.services.interview import InterviewService
from bot.services.languages import LanguageService
from bot.services.llm_grader import build_grader
from bot.services.mock_interview import MockInterviewService
from bot.services.progress import FsrsCards, ProgressService
from bot.services.push import PushService, Rate, Sleep
from bot.services.reports import ReportService
from bot.services.review import ReviewService
from bot.services.transcribe import Transcriber, build_transcriber
from bot.storage.broadcasts import BroadcastStore
from bot.storage.cards import CardStore
from bot.storage.db import Database
from bot.storage.export import ExportStore
from bot.storage.goals import GoalStore
from bot.storage.grades import GradeStore
from bot.storage.group_daily import GroupDailyStore
from bot.storage.group_quizzes import GroupQuizStore
from bot.storage.group_settings import GroupSettingsStore
from bot.storage.group_votes import GroupVoteStore
from bot.storage.interviews import InterviewStore
from bot.storage.languages import LanguageStore
from bot.storage.mock_interviews import MockInterviewStore
from bot.storage.progress import ProgressStore
from bot.storage.push import PushStore
from bot.storage.reports import ReportStore


@dataclass(frozen=True)
class Groups:
    """The group services, one per job."""

    settings: GroupSettingsService
    daily: GroupDailyService
    votes: GroupVoteService
    quiz: GroupQuizService


@dataclass
class Services:
    """Everything a front end (chat, terminal, push CLI) may call."""

    settings: Settings
    db: Database
    interview: InterviewService
    progress: ProgressService
    push: PushService
    mock: MockInterviewService
    review: ReviewService
    reports: ReportService
    calibration: CalibrationService
    groups: Groups
    broadcast: BroadcastService
    export: ExportService
    languages: LanguageService
    goal: GoalService
    grading: GradingService
    # None unless LLM_BASE_URL and TRANSCRIBE_MODEL are set: then voice answers are transcribed.
    transcriber: Transcriber | None = None
    # Held while a daily push round runs, so job ticks never overlap.
    push_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def build_services(
    settings: Settings,
    db: Database,
    bank: Bank,
    clock: Clock,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
    push_rate: Rate | None = None,
    grader: Grader | None = None,
    observer: DeliveryObserver = NO_METRICS,
    on_grade: Callable[[str, float], None] | None = None,
) -> Services:
    """Wire the stores and services on one open database; `push_rate` paces the push (PUSH_RATE if None).

    `observer` counts bulk deliveries (bot/metrics.py): the delivery engine reports every send that came to an
    outcome, the push's, the group poll's and the broadcast's alike. `grader` grades open answers (the one the
    settings choose if None); `on_grade` sees each LLM grader call.
    """
    cards = CardStore(db)
    report_store = ReportStore(db)
    interview_store = InterviewStore(db)
    interview = InterviewService(interview_store, bank, clock, rng, cards=cards, reports=report_store)
    progress_store = ProgressStore(db)
    goals = GoalService(
        GoalStore(db), progress_store, interview_store, interview, bank, clock, rng, settings.default_timezone
    )
    languages = LanguageService(LanguageStore(db), clock)
    progress = ProgressService(
        progress_store,
        bank,
        clock,
        settings.default_timezone,
        FsrsCards(progress_store),
        goals.paused_days,
        on_delete=languages.forget,
    )
    push = PushService(
        PushStore(db, settings.default_timezone),
        cards,
        interview,
        clock,
        rng,
        settings.default_timezone,
        push_rate or settings.push_rate,
        sleep,
        observer=observer,
        notes=goals,
    )
    zone = settings.default_timezone
    group_settings = GroupSettingsService(GroupSettingsStore(db, zone), clock, zone)
    votes = GroupVoteService(GroupVoteStore(db), group_settings, clock, zone)
    poll_maker = PollMaker(db, bank, rng, texts, disabled=interview.disabled_ids, language_of=languages.of_chat)
    groups = Groups(
        group_settings,
        GroupDailyService(GroupDailyStore(db, zone), poll_maker, group_settings, votes, push.engine, clock, zone),
        votes,
        GroupQuizService(GroupQuizStore(db), poll_maker, group_settings, votes, clock, settings.group_quiz_seconds),
    )
    calibration = CalibrationService(db, bank, clock)
    stats = GraderStats(on_grade)
    grader = grader or build_grader(settings, clock, on_outcome=stats.record)
    grading = GradingService(grader, GradeStore(db), clock, settings.llm_timeout, stats)
    mock = MockInterviewService(
        MockInterviewStore(db),
        interview_store,
        interview,
        bank,
        clock,
        rng,
        Budgets(settings.interview_seconds_mcq, settings.interview_seconds_open),
        calibration.difficulties,
        grading,
    )
    review = ReviewService(interview_store, cards, interview, bank, clock, rng)
    reports = ReportService(report_store, bank, clock)
    broadcast = BroadcastService(BroadcastStore(db), push.engine, clock)
    export = ExportService(ExportStore(db), clock)
    return Services(
        settings,
        db,
        interview,
        progress,
        push,
        mock,
        review,
        reports,
        calibration,
        groups,
        broadcast,
        export,
        languages,
        goals,
        grading,
        build_transcriber(settings, clock),
    )
