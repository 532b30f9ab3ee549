"""Answer throughput: N simulated users answer quiz questions as fast as the loopback Bot API lets them.

Run on demand (not in CI): python bench/bench_throughput.py [--users 1,10,100,200] [--duration S] [--warmup S]

For each N, a fresh loopback Bot API (bench/loopback.py) and a fresh bot child process: first the real bot
(`python -m bot`, TELEGRAM_BASE_URL at the loopback server, a new DATABASE_PATH), then the bare PTB bot of
bench/bare_bot.py that makes the same API calls with no logic and no database. Each simulated user loops:
/quiz, tap a level, then tap an option of every question; after the tenth, /quiz again. Measured after a
warm-up, for a fixed time: answers per second (taps whose edited result arrived in the window) and the
latency from the tap to the edit of the question into its result (server-side clock; the next question has
already been sent by then). CPU use of the bot process and of this harness (server + users) tell which one
was saturated. Bounded: every wait has a timeout, every run a fixed duration. With BENCH_PYSPY=<folder>,
py-spy (the `bench` extra) records each bot process over the measured window (--gil, raw format).

--whole-quiz: every user does one whole quiz from a cold start instead, quiz starts included.
Ours runs with TELEGRAM_RATE_LIMITS=false: the loopback server has no limits and the bare bot no limiter.
BENCH_OURS_FROM=<folder> runs `python -m bot` from another checkout (PYTHONPATH), to measure a "before".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import ROOT, TOKEN, child_env, cpu_seconds, median, peak_rss_mib, percentile, record, table
from loopback import BenchApi, StoredMessage

WAIT = 30.0  # the longest a simulated user waits for any one reply
QUIZ_SIZE = 10
GOAL = 0.85  # ours/bare answers per second (issue 15)


@dataclass
class Run:
    """What one (bot, N) run measured."""

    bot: str
    users: int
    answers: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bot_cpu: float = 0.0
    harness_cpu: float = 0.0
    rss_mib: float = 0.0
    timeouts: int = 0
    reps: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0


async def _wait_until(api: BenchApi, chat_id: int, ready: object, deadline: float) -> bool:
    assert callable(ready)
    while not ready():
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return False
        await api.changed(chat_id, remaining)
    return True


def _waiting(api: BenchApi, uid: int) -> StoredMessage | None:
    """The newest bot message with buttons that wait for a tap: a picker or an unanswered question.

    An answered question keeps a Report button in ours, so an edited message never counts.
    """
    message = api.last_buttons(uid)
    if message is None or (uid, message.message_id) in api.edited_at:
        return None
    return message


async def _user(
    api: BenchApi, uid: int, measure_from: float, stop_at: float, run: Run, quizzes: int | None = None
) -> None:
    """One simulated user: quizzes back to back until `stop_at` (or until `quizzes` are finished)."""
    done = 0
    while time.perf_counter() < stop_at:
        message = _waiting(api, uid)
        if message is None:
            if quizzes is not None and done >= quizzes:
                return
            api.send_text(uid, "/quiz")
            if not await _wait_until(api, uid, lambda: _waiting(api, uid) is not None, time.perf_counter() + WAIT):
                run.timeouts += 1
                return
            continue
        is_question = (message.text or "").startswith("Question ")
        tapped = time.perf_counter()
        api.tap(uid, message, message.buttons[0][1])
        if is_question:
            key = (uid, message.message_id)
            if not await _wait_until(api, uid, lambda k=key: k in api.edited_at, tapped + WAIT):
                run.timeouts += 1
                return
            at = api.edited_at[key]
            if measure_from <= at <= stop_at:
                run.answers += 1
                run.latencies.append((at - tapped) * 1000)
            if (message.text or "").startswith(f"Question {QUIZ_SIZE}/{QUIZ_SIZE}"):
                done += 1
        elif not await _wait_until(api, uid, lambda m=message: _waiting(api, uid) not in (None, m), tapped + WAIT):
            run.timeouts += 1
            return


async def _start(kind: str, api: BenchApi, tmp: Path) -> asyncio.subprocess.Process:
    # Ours without Telegram's rates (the loopback server has none, and bare PTB has no limiter): the question is the
    # bot's own cost per answer against the framework's. BENCH_OURS_FROM runs another checkout's bot (a "before").
    extra = {"TELEGRAM_RATE_LIMITS": "false"} if kind == "ours" else {}
    if kind == "ours" and os.environ.get("BENCH_OURS_FROM"):
        extra["PYTHONPATH"] = os.environ["BENCH_OURS_FROM"]
    env = child_env(api.base_url, tmp / "bot.sqlite3", **extra)
    args = ["-m", "bot"] if kind == "ours" else [str(ROOT / "bench" / "bare_bot.py")]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=tmp,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(tmp / "stderr.log").open("wb"),
    )
    deadline = time.monotonic() + 30
    while api.calls["getUpdates"] == 0:
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{kind} bot did not start polling:\n{(tmp / 'stderr.log').read_text()}")
        await asyncio.sleep(0.05)
    return proc


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def measure(kind: str, users: int, warmup: float, duration: float, whole_quiz: bool = False) -> Run:
    """One run: a fresh server and bot process, `users` simulated users, warm-up then the measured window.

    With `whole_quiz`, every user does one whole quiz (/quiz, a level, ten answers) from a cold start, all at
    once: the rate is every answer over the time from the first /quiz to the last edit (no warm-up).
    """
    if whole_quiz:
        return await _measure_quizzes(kind, users, duration)
    run = Run(kind, users)
    api = BenchApi(TOKEN)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc = await _start(kind, api, tmp)
        try:
            start = time.perf_counter()
            measure_from, stop_at = start + warmup, start + warmup + duration
            base = 10_000_000
            tasks = [asyncio.create_task(_user(api, base + i, measure_from, stop_at, run)) for i in range(users)]
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            cpu0, harness0 = cpu_seconds(proc.pid), time.process_time()
            spy = _profile(proc.pid, kind, users, duration, "")
            await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
            run.bot_cpu = (cpu_seconds(proc.pid) - cpu0) / duration * 100
            run.harness_cpu = (time.process_time() - harness0) / duration * 100
            run.seconds = duration
            _, pending = await asyncio.wait(tasks, timeout=WAIT + 5)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            run.rss_mib = peak_rss_mib(proc.pid)
            if spy is not None:
                spy.wait()
            print(f"  {kind} N={users}: calls {dict(api.calls)}", file=sys.stderr)
            errors = [e for e in api.errors if e[1] != 400 or "not modified" not in e[2]]
            if errors:
                print(f"  {kind} N={users}: {len(errors)} API errors, first {errors[0]}", file=sys.stderr)
        finally:
            await _stop(proc)
            await api.close()
    return run


async def _measure_quizzes(kind: str, users: int, limit: float) -> Run:
    run = Run(kind, users)
    api = BenchApi(TOKEN)
    await api.start()
    with tempfile.TemporaryDirectory() as tmp_name:
        proc = await _start(kind, api, Path(tmp_name))
        try:
            spy = _profile(proc.pid, kind, users, limit, "quiz")
            cpu0, harness0 = cpu_seconds(proc.pid), time.process_time()
            start = time.perf_counter()
            base = 10_000_000
            tasks = [_user(api, base + i, start, start + limit, run, quizzes=1) for i in range(users)]
            await asyncio.wait_for(asyncio.gather(*tasks), limit + WAIT)
            ended = max(api.edited_at.values(), default=start)
            run.seconds = ended - start
            run.bot_cpu = (cpu_seconds(proc.pid) - cpu0) / run.seconds * 100
            run.harness_cpu = (time.process_time() - harness0) / run.seconds * 100
            run.rss_mib = peak_rss_mib(proc.pid)
            if spy is not None:
                spy.terminate()
                await spy.wait()
            print(f"  {kind} whole quiz N={users}: calls {dict(api.calls)}", file=sys.stderr)
        finally:
            await _stop(proc)
            await api.close()
    return run


def _profile(pid: int, kind: str, users: int, seconds: float, label: str) -> subprocess.Popen[bytes] | None:
    """With BENCH_PYSPY=<folder>: py-spy records the bot for `seconds` (raw format, GIL holders only)."""
    spy = os.environ.get("BENCH_PYSPY")
    if not spy:
        return None
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--gil",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-f",
            "raw",
            "-o",
            f"{spy}/{kind}-{label}{users}.txt",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _p99_ratio(ours: Run, bare: Run) -> str:
    theirs = percentile(bare.latencies, 99)
    return f"{percentile(ours.latencies, 99) / theirs:.2f}" if theirs else "n/a"


def _row(run: Run) -> list[object]:
    all_runs = ", ".join(f"{x:.0f}" for x in run.reps)
    return [
        run.bot,
        run.users,
        run.answers,
        f"{run.rate:.1f} ({all_runs})",
        f"{median(run.latencies):.1f}",
        f"{percentile(run.latencies, 99):.1f}",
        f"{run.bot_cpu:.0f}%",
        f"{run.harness_cpu:.0f}%",
        f"{run.rss_mib:.0f}",
        run.timeouts,
    ]


def _merge(runs: list[Run]) -> Run:
    """The run of median rate, with the latencies of all runs pooled (this VM is noisy: ±20% run to run)."""
    runs = sorted(runs, key=lambda r: r.rate)
    mid = runs[len(runs) // 2]
    merged = Run(
        mid.bot,
        mid.users,
        mid.answers,
        mid.seconds,
        [x for r in runs for x in r.latencies],
        mid.bot_cpu,
        mid.harness_cpu,
        max(r.rss_mib for r in runs),
        sum(r.timeouts for r in runs),
    )
    merged.reps = [r.rate for r in runs]
    return merged


async def _main(
    users: list[int], warmup: float, duration: float, repeat: int, whole_quiz: bool
) -> list[tuple[Run, Run]]:
    pairs = []
    for n in users:
        found: dict[str, list[Run]] = {"ours": [], "bare": []}
        for rep in range(repeat):  # alternate the order, so drift in the machine hits both alike
            for kind in ("ours", "bare") if rep % 2 == 0 else ("bare", "ours"):
                run = await measure(kind, n, warmup, duration, whole_quiz)
                print(f"{kind} N={n}: {run.rate:.1f} answers/s", file=sys.stderr)
                found[kind].append(run)
        pairs.append((_merge(found["ours"]), _merge(found["bare"])))
    return pairs


def main() -> None:
    """Measure both bots at every N, print and record the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", default="1,10,100,200", help="comma-separated N")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per bot and N; the median rate is reported")
    parser.add_argument(
        "--whole-quiz",
        action="store_true",
        help="each user does one whole quiz from a cold start (quiz starts included); --duration is the time limit",
    )
    parser.add_argument("--title", default="Answer throughput: the bot against bare PTB")
    parser.add_argument("--no-write", action="store_true", help="print only, do not append to docs/benchmarks.md")
    args = parser.parse_args()
    users = [int(n) for n in args.users.split(",")]
    pairs = asyncio.run(_main(users, args.warmup, args.duration, args.repeat, args.whole_quiz))
    headers = [
        "bot",
        "N users",
        "answers (median run)",
        "answers/s: median (all runs)",
        "p50 ms",
        "p99 ms",
        "bot CPU",
        "harness CPU",
        "bot peak RSS MiB",
        "timeouts",
    ]
    rows = [_row(r) for pair in pairs for r in pair]
    ratios = table(
        ["N users", "ours answers/s", "bare answers/s", "ratio ours/bare", "goal ≥ 0.85", "p99 ratio ours/bare"],
        [
            [
                o.users,
                f"{o.rate:.1f}",
                f"{b.rate:.1f}",
                f"{o.rate / b.rate:.2f}" if b.rate else "n/a",
                "OK" if b.rate and o.rate / b.rate >= GOAL else "MISS",
                _p99_ratio(o, b),
            ]
            for o, b in pairs
        ],
    )
    how = (
        f"Every user does one whole {QUIZ_SIZE}-question quiz from a cold start (/quiz, a level, the answers), "
        f"all at once; answers/s is every answer over the time from the first /quiz to the last edit, "
        f"{args.repeat} runs per bot in alternating order; the median run is shown, latencies pooled over all runs"
        if args.whole_quiz
        else f"Warm-up {args.warmup:.0f} s, then {args.duration:.0f} s measured per run, {args.repeat} runs per bot "
        f"and N in alternating order; the median run is shown, latencies pooled over all runs"
    )
    body = (
        f"{how}; latency is tap → edited result (server clock). Ours runs with TELEGRAM_RATE_LIMITS=false (the "
        f"loopback server has no limits and bare PTB no limiter): the ratio is the bot's own cost per answer "
        f"against the framework's. CPU is % of one core over the window (2 cores in all: bot process vs this "
        f"harness, i.e. the loopback server and the simulated users).\n\n{table(headers, rows)}\n\n{ratios}"
    )
    record(args.title, body, write=not args.no_write)


if __name__ == "__main__":
    main()
