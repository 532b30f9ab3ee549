"""The callback_data codec: round trips, 64-byte limit, forged data rejected."""

from __future__ import annotations

import pytest

from bot.domain.bank import Level
from bot.domain.grading import SelfGrade
from bot.domain.interview import Mode
from bot.telegram.callback import AnswerCb, CallbackError, GradeCb, LevelCb, ResumeCb, StartOverCb, unpack


@pytest.mark.parametrize(
    "data",
    [
        AnswerCb(2**40, 9, 5),
        GradeCb(1, 2, SelfGrade.PARTLY),
        LevelCb(Mode.QUIZ, Level.ADVANCED),
        ResumeCb(3),
        StartOverCb(4, Mode.INTERVIEW),
    ],
)
def test_round_trip(data: object) -> None:
    packed = data.pack()  # type: ignore[attr-defined]
    assert len(packed.encode()) <= 64
    assert unpack(packed) == data


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "a",
        "a:1:2",
        "a:1:2:3:4",
        "q:1",
        "a:x:1:2",
        "g:1:2:great",
        "l:quiz:expert",
        "a:" + "1" * 80,
        "a:1.5:2:3",
        "a:99999999999999999999:1:1",
    ],
)
def test_forged_data_is_rejected(raw: str | None) -> None:
    with pytest.raises(CallbackError):
        unpack(raw)


def test_pack_refuses_oversize() -> None:
    with pytest.raises(CallbackError):
        AnswerCb(10**60, 1, 1).pack()


def test_erase_confirms_with_one_only() -> None:
    from bot.domain.progress import Erasure
    from bot.telegram.callback import EraseCb

    assert unpack(EraseCb(Erasure.DELETE, 1).pack()) == EraseCb(Erasure.DELETE, 1)
    assert unpack(EraseCb(Erasure.RESET, 0).pack()) == EraseCb(Erasure.RESET, 0)
    for forged in (2, -1, 7):
        with pytest.raises(CallbackError):
            unpack(EraseCb(Erasure.DELETE, forged).pack())
