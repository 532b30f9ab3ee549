"""Typed records the storage layer returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserRow:
    """A user as stored."""

    user_id: int
    chat_id: int
    first_name: str
    level: str | None
    timezone: str | None


@dataclass(frozen=True)
class SessionRow:
    """A session as stored."""

    session_id: int
    user_id: int
    mode: str
    level: str
    status: str
    position: int
    size: int
    started_at: int
    ended_at: int | None


@dataclass(frozen=True)
class SlotRow:
    """One question of a session, with the message that shows it."""

    session_id: int
    position: int
    question_id: str
    order: tuple[int, ...]
    message_id: int | None
    asked_at: int | None
    result_shown: bool
    deadline_at: int | None = None


@dataclass(frozen=True)
class AnswerRow:
    """One recorded answer."""

    session_id: int
    position: int
    question_id: str
    topic: str
    kind: str
    chosen: int | None
    correct: bool | None
    answer_text: str | None
    self_grade: str | None
    answered_at: int
    timed_out: bool = False
