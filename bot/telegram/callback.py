"""callback_data as a typed codec: a prefix plus fields, at most 64 bytes, validated on unpack."""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from typing import Any, ClassVar, TypeVar

from bot.domain.bank import Level
from bot.domain.goal import MAX_DAYS, MIN_DAYS, GoalOutcome
from bot.domain.grading import SelfGrade
from bot.domain.interview import Mode
from bot.domain.mock_interview import StartPick
from bot.domain.progress import Erasure
from bot.domain.report_reason import Reason, ReportAction
from bot.i18n import Language

MAX_BYTES = 64
SEP = ":"
_MAX_INT = 2**53
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)


class CallbackError(ValueError):
    """callback_data that this bot did not (or could not) produce."""


@dataclasses.dataclass(frozen=True)
class CallbackData:
    """Base of every button payload; subclasses set PREFIX and typed fields."""

    PREFIX: ClassVar[str] = ""

    def check(self) -> None:
        """Raise CallbackError if the fields are well-typed but out of range; subclasses narrow it."""

    def pack(self) -> str:
        """Encode as `prefix:field:field`; refuses what `unpack` would: out of range, separators, over 64 bytes."""
        self.check()
        parts = [self.PREFIX]
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and not isinstance(value, enum.Enum) and abs(value) > _MAX_INT:
                raise CallbackError(f"field {f.name} out of range: {value}")
            text = value.value if isinstance(value, enum.Enum) else str(value)
            if SEP in text or not text:
                raise CallbackError(f"field {f.name} cannot be packed: {text!r}")
            parts.append(text)
        data = SEP.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise CallbackError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data


def _picked_mode(mode: Mode) -> None:
    if mode not in (Mode.QUIZ, Mode.INTERVIEW):
        raise CallbackError(f"not a mode a user picks: {mode.value}")


_REGISTRY: dict[str, type[CallbackData]] = {}
_HINTS: dict[str, dict[str, Any]] = {}
C = TypeVar("C", bound=type[CallbackData])


def _register(cls: C) -> C:
    assert cls.PREFIX and cls.PREFIX not in _REGISTRY and SEP not in cls.PREFIX
    _REGISTRY[cls.PREFIX] = cls
    return cls


def _convert(kind: Any, text: str) -> object:
    if kind is int:
        # Only what pack() writes: ASCII digits, one optional minus, no leading zeros ("--1" made int() raise).
        if not _INT.fullmatch(text) or text == "-0" or abs(int(text)) > _MAX_INT:
            raise CallbackError(f"not an integer: {text!r}")
        return int(text)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(text)
        except ValueError:
            raise CallbackError(f"not a {kind.__name__}: {text!r}") from None
    raise CallbackError(f"unsupported field type {kind!r}")


def payload_name(data: str | None) -> str:
    """The payload class that callback_data names by its prefix (fields unchecked), or `unknown`: a metrics label."""
    cls = _REGISTRY.get((data or "").split(SEP, 1)[0])
    return cls.__name__ if cls is not None else "unknown"


def unpack(data: str | None) -> CallbackData:
    """Decode callback_data into its typed payload; raise CallbackError for anything forged or malformed."""
    try:
        size = len(data.encode()) if data else 0
    except UnicodeEncodeError:  # lone surrogates: not even UTF-8
        raise CallbackError("callback data is not valid UTF-8") from None
    if not data or size > MAX_BYTES:
        raise CallbackError("empty or over-long callback data")
    prefix, *values = data.split(SEP)
    cls = _REGISTRY.get(prefix)
    if cls is None:
        raise CallbackError(f"unknown prefix {prefix!r}")
    fields = dataclasses.fields(cls)
    if len(values) != len(fields):
        raise CallbackError(f"{prefix}: expected {len(fields)} fields, got {len(values)}")
    hints = _HINTS.get(prefix)
    if hints is None:  # resolving the string annotations costs ~0.2 ms: once per class, not per tap
        hints = _HINTS[prefix] = typing.get_type_hints(cls)
    kwargs = {f.name: _convert(hints[f.name], v) for f, v in zip(fields, values, strict=True)}
    payload = cls(**kwargs)
    payload.check()
    return payload


@_register
@dataclasses.dataclass(frozen=True)
class AnswerCb(CallbackData):
    """Tap on an option of a question (option = shown position)."""

    PREFIX: ClassVar[str] = "a"
    session_id: int
    position: int
    option: int


@_register
@dataclasses.dataclass(frozen=True)
class GradeCb(CallbackData):
    """Self-grade of a typed answer."""

    PREFIX: ClassVar[str] = "g"
    session_id: int
    position: int
    grade: SelfGrade


@_register
@dataclasses.dataclass(frozen=True)
class LevelCb(CallbackData):
    """Level picked for a new quiz or interview."""

    PREFIX: ClassVar[str] = "l"
    mode: Mode
    level: Level

    def check(self) -> None:
        """Only quizzes and interviews start from a level picker."""
        _picked_mode(self.mode)


@_register
@dataclasses.dataclass(frozen=True)
class ResumeCb(CallbackData):
    """Continue the open session."""

    PREFIX: ClassVar[str] = "r"
    session_id: int


@_register
@dataclasses.dataclass(frozen=True)
class StartOverCb(CallbackData):
    """Drop the open session and pick a level for a new one."""

    PREFIX: ClassVar[str] = "n"
    session_id: int
    mode: Mode

    def check(self) -> None:
        """Only quizzes and interviews start over."""
        _picked_mode(self.mode)


# Progress and personal data


@_register
@dataclasses.dataclass(frozen=True)
class WeakTopicsCb(CallbackData):
    """Start a quiz of one level on the topics whose bit is set (bit i = bank.TOPICS[i])."""

    PREFIX: ClassVar[str] = "pw"
    level: Level
    topics: int


@_register
@dataclasses.dataclass(frozen=True)
class HistoryCb(CallbackData):
    """Show the questions and answers of a past session."""

    PREFIX: ClassVar[str] = "ph"
    session_id: int


@_register
@dataclasses.dataclass(frozen=True)
class EraseCb(CallbackData):
    """Confirm (1) or call off (0) a reset or a deletion."""

    PREFIX: ClassVar[str] = "px"
    what: Erasure
    confirm: int

    def check(self) -> None:
        """Only 1 confirms; anything but 0 or 1 is forged."""
        if self.confirm not in (0, 1):
            raise CallbackError(f"confirm must be 0 or 1: {self.confirm}")


# Daily question
@_register
@dataclasses.dataclass(frozen=True)
class DailyTimeCb(CallbackData):
    """Subscribe to the daily question at a local time (minutes after midnight)."""

    PREFIX: ClassVar[str] = "dt"
    minute: int

    def check(self) -> None:
        """A minute of the day."""
        if not 0 <= self.minute < 24 * 60:
            raise CallbackError(f"minute of day out of range: {self.minute}")


@_register
@dataclasses.dataclass(frozen=True)
class DailyOffCb(CallbackData):
    """Turn the daily question off."""

    PREFIX: ClassVar[str] = "do"


@_register
@dataclasses.dataclass(frozen=True)
class ZoneCb(CallbackData):
    """Set the time zone to one of the offered common zones (index into the offer)."""

    PREFIX: ClassVar[str] = "dz"
    index: int


@_register
@dataclasses.dataclass(frozen=True)
class RevealCb(CallbackData):
    """Show the model answer of a pushed open question."""

    PREFIX: ClassVar[str] = "sa"
    session_id: int
    position: int


# The mock interview, /review, reports


@_register
@dataclasses.dataclass(frozen=True)
class InterviewStartCb(CallbackData):
    """Level picked for a mock interview (or "not sure")."""

    PREFIX: ClassVar[str] = "is"
    pick: StartPick


@_register
@dataclasses.dataclass(frozen=True)
class InterviewAnswerCb(CallbackData):
    """Tap on an option of an interview question: recorded, no verdict until the debrief."""

    PREFIX: ClassVar[str] = "ia"
    session_id: int
    position: int
    option: int


@_register
@dataclasses.dataclass(frozen=True)
class DebriefCb(CallbackData):
    """Show one page of an interview's debrief."""

    PREFIX: ClassVar[str] = "dp"
    session_id: int
    page: int


@_register
@dataclasses.dataclass(frozen=True)
class DebriefGradeCb(CallbackData):
    """Self-grade of an open answer on a debrief page."""

    PREFIX: ClassVar[str] = "dg"
    session_id: int
    position: int
    grade: SelfGrade


@_register
@dataclasses.dataclass(frozen=True)
class TranscriptCb(CallbackData):
    """Send a finished interview's transcript as an HTML document."""

    PREFIX: ClassVar[str] = "it"
    session_id: int


@_register
@dataclasses.dataclass(frozen=True)
class ShareCb(CallbackData):
    """Send a finished interview's spoiler-free share line."""

    PREFIX: ClassVar[str] = "ish"
    session_id: int


@_register
@dataclasses.dataclass(frozen=True)
class ReviewCb(CallbackData):
    """Start a review of the due cards."""

    PREFIX: ClassVar[str] = "rv"


@_register
@dataclasses.dataclass(frozen=True)
class ChangesCb(CallbackData):
    """Start the "what changed from Flask 2 to 3" drill."""

    PREFIX: ClassVar[str] = "ch"


@_register
@dataclasses.dataclass(frozen=True)
class ReportCb(CallbackData):
    """Report the question at a position of a session: offers the reasons."""

    PREFIX: ClassVar[str] = "rq"
    session_id: int
    position: int


@_register
@dataclasses.dataclass(frozen=True)
class ReportReasonCb(CallbackData):
    """The reason of a report."""

    PREFIX: ClassVar[str] = "rr"
    session_id: int
    position: int
    reason: Reason


@_register
@dataclasses.dataclass(frozen=True)
class ReportActionCb(CallbackData):
    """An admin's decision on a reported question (named by its latest report)."""

    PREFIX: ClassVar[str] = "ra"
    action: ReportAction
    report_id: int


class BroadcastAction(enum.Enum):
    """An admin's answer to a broadcast preview."""

    SEND = "s"
    CANCEL = "c"


@_register
@dataclasses.dataclass(frozen=True)
class BroadcastCb(CallbackData):
    """Send or cancel a drafted broadcast (the admin is checked again on the tap)."""

    PREFIX: ClassVar[str] = "bc"
    action: BroadcastAction
    broadcast_id: int

    def check(self) -> None:
        if self.broadcast_id <= 0:
            raise CallbackError(f"not a broadcast id: {self.broadcast_id}")


@_register
@dataclasses.dataclass(frozen=True)
class NewsOffCb(CallbackData):
    """The button under a broadcast: no more announcements."""

    PREFIX: ClassVar[str] = "no"


def _goal_days(days: int) -> None:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise CallbackError(f"goal days out of range: {days}")


@_register
@dataclasses.dataclass(frozen=True)
class GoalDateCb(CallbackData):
    """Goal picker: the interview is this many days away; the level comes next."""

    PREFIX: ClassVar[str] = "gd"
    days: int

    def check(self) -> None:
        """1 to 180 days ahead."""
        _goal_days(self.days)


@_register
@dataclasses.dataclass(frozen=True)
class GoalLevelCb(CallbackData):
    """Goal picker: set the goal `days` ahead at this level."""

    PREFIX: ClassVar[str] = "gl"
    days: int
    level: Level

    def check(self) -> None:
        """1 to 180 days ahead."""
        _goal_days(self.days)


@_register
@dataclasses.dataclass(frozen=True)
class GoalOffCb(CallbackData):
    """Turn the goal off."""

    PREFIX: ClassVar[str] = "go"


@_register
@dataclasses.dataclass(frozen=True)
class SetStartCb(CallbackData):
    """Start today's set."""

    PREFIX: ClassVar[str] = "gs"


@_register
@dataclasses.dataclass(frozen=True)
class GoalResultCb(CallbackData):
    """How the interview of a goal went."""

    PREFIX: ClassVar[str] = "gr"
    goal_id: int
    outcome: GoalOutcome


# Interface language
@_register
@dataclasses.dataclass(frozen=True)
class LanguageCb(CallbackData):
    """The /language keyboard: serve this user in that language."""

    PREFIX: ClassVar[str] = "lang"
    language: Language
