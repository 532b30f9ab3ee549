"""Where an answer's time goes: one user taps, and the loopback server notes when each of the bot's calls arrives.

Run on demand (not in CI): python bench/answer_timeline.py [--seconds S] [--repeat R] [--no-write]

One simulated user answers quiz questions back to back (bench_throughput.py's user, N=1, so nothing queues) against
the real bot (`python -m bot`) and the bare PTB bot (bench/bare_bot.py), in alternating order. For every tap the
server records, on its own clock, when getUpdates handed the tap over and when the tap's answerCallbackQuery,
its next sendMessage and its editMessageText arrived. The medians show which stretch of an answer is the bot's
own: from the update leaving the server to the first call coming back is parsing, the handlers and the database
before the first send; between the calls, what the bot does between its Bot API round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_throughput as throughput
from common import TOKEN, median, record, table
from loopback import BenchApi

STEPS = ("updates", "answerCallbackQuery", "sendMessage", "editMessageText")
USER = 10_000_000


class TimedApi(BenchApi):
    """The loopback server, noting the server-side time of taps and of the calls that follow them."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.events: list[tuple[float, str]] = []

    def tap(self, *args: Any, **kwargs: Any) -> str:
        self.events.append((time.perf_counter(), "tap"))
        return super().tap(*args, **kwargs)

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        result = await super()._m_getupdates(params)
        if result:
            self.events.append((time.perf_counter(), "updates"))
        return result

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        self.events.append((time.perf_counter(), "answerCallbackQuery"))
        return await super()._m_answercallbackquery(params)

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        self.events.append((time.perf_counter(), "sendMessage"))
        return await super()._m_sendmessage(params)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        self.events.append((time.perf_counter(), "editMessageText"))
        return await super()._m_editmessagetext(params)


def offsets(events: list[tuple[float, str]], since: float) -> dict[str, list[float]]:
    """Milliseconds from each tap to the first of each step after it (taps whose edit arrived only)."""
    found: dict[str, list[float]] = {step: [] for step in STEPS}
    current: dict[str, float] | None = None
    for at, what in [*events, (float("inf"), "tap")]:
        if what == "tap":
            if current is not None and "editMessageText" in current:
                for step in STEPS:
                    if step in current:
                        found[step].append((current[step] - current["tap"]) * 1000)
            current = {"tap": at} if at >= since else None
        elif current is not None and what not in current:
            current[what] = at
    return found


async def measure(kind: str, seconds: float) -> tuple[dict[str, list[float]], float]:
    """One run: the medians' inputs and the answers per second."""
    api = TimedApi(TOKEN)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        proc = await throughput._start(kind, api, Path(tmp))
        try:
            run = throughput.Run(kind, 1)
            start = time.perf_counter()
            measure_from = start + 2  # warm-up: the first quiz, imports, the first connections
            await throughput._user(api, USER, measure_from, measure_from + seconds, run)
        finally:
            await throughput._stop(proc)
            await api.close()
    return offsets(api.events, measure_from), run.answers / seconds


async def _main(seconds: float, repeat: int) -> dict[str, tuple[dict[str, list[float]], list[float]]]:
    found: dict[str, tuple[dict[str, list[float]], list[float]]] = {
        kind: ({step: [] for step in STEPS}, []) for kind in ("ours", "bare")
    }
    for rep in range(repeat):
        for kind in ("ours", "bare") if rep % 2 == 0 else ("bare", "ours"):
            steps, rate = await measure(kind, seconds)
            for step, values in steps.items():
                found[kind][0][step].extend(values)
            found[kind][1].append(rate)
            print(f"{kind}: {rate:.1f} answers/s", file=sys.stderr)
    return found


def main() -> None:
    """Measure both bots and print (and record) the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per bot, alternating")
    parser.add_argument("--no-write", action="store_true", help="print only, do not append to docs/benchmarks.md")
    args = parser.parse_args()
    found = asyncio.run(_main(args.seconds, args.repeat))
    rows = []
    for kind, (steps, rates) in found.items():
        answers = len(steps["editMessageText"])
        rows.append(
            [kind, f"{median(rates):.1f}", answers, *(f"{median(steps[s]):.2f}" if steps[s] else "n/a" for s in STEPS)]
        )
    body = (
        f"One user answering back to back, {args.seconds:g} s measured per run after a 2 s warm-up, {args.repeat} "
        f"runs per bot in alternating order; milliseconds from the tap (server clock) to the server handing the "
        f"update over in getUpdates, and to the arrival of the tap's answerCallbackQuery, the next question's "
        f"sendMessage and the result's editMessageText (medians over every answer of every run). Ours runs with "
        f"TELEGRAM_RATE_LIMITS=false.\n\n"
        + table(["bot", "answers/s (median run)", "answers", *(f"→ {s} ms" for s in STEPS)], rows)
    )
    record("Where an answer's time goes: ours against bare PTB, one user", body, write=not args.no_write)


if __name__ == "__main__":
    main()
