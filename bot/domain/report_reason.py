"""Why a learner reports a question."""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    """The reasons offered under "Report"."""

    WRONG = "wrong"
    UNCLEAR = "unclear"
    TYPO = "typo"
    OUTDATED = "outdated"
    OTHER = "other"


class ReportAction(enum.StrEnum):
    """What an admin does with a reported question."""

    DISABLE = "d"
    DISMISS = "x"
    SHOW = "s"
