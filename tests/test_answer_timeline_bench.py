"""bench/answer_timeline.py: each tap is matched with the first of each call that follows it, and taps whose
result never arrived (or came before the measured window) are left out."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from answer_timeline import offsets


def test_offsets_are_from_each_tap_to_the_first_call_after_it() -> None:
    events = [
        (0.0, "tap"),  # before the window: left out
        (0.001, "updates"),
        (0.004, "editMessageText"),
        (1.0, "tap"),
        (1.001, "updates"),
        (1.003, "answerCallbackQuery"),
        (1.004, "sendMessage"),
        (1.005, "sendMessage"),  # a second send (the score card): only the first counts
        (1.006, "editMessageText"),
        (2.0, "tap"),  # its edit never came: left out
        (2.002, "answerCallbackQuery"),
    ]
    found = offsets(events, since=0.5)
    assert {step: [round(v, 3) for v in values] for step, values in found.items()} == {
        "updates": [1.0],
        "answerCallbackQuery": [3.0],
        "sendMessage": [4.0],
        "editMessageText": [6.0],
    }
