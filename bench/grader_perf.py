"""Offline grader cost: latency per answer (p50, p99, max) and the RSS it adds to a process holding the bank.

Usage: python bench/grader_perf.py [--rounds N]

Latency: every answer of bench/grader_set/ (and its 2,000-character worst case) graded N times, each call
timed alone. RSS: a fresh child process loads the settings and the bank as the bot does, reads VmRSS, then
imports the grader, grades every answer once and reads VmRSS again; the difference is what grading adds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_CHILD = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import load_bank
import bot.telegram.app  # the bot's own imports: PTB, aiosqlite, httpx
bank = load_bank(DEFAULT_QUESTIONS_DIR)
import yaml, glob
texts = [(qid, a["text"]) for f in sorted(glob.glob({sets!r}))
         for qid, answers in yaml.safe_load(open(f))["questions"].items() for a in answers]
before = rss()
from bot.domain.offline_grader import OfflineGrader
from bot.services.llm_grader import build_grader
grader = OfflineGrader()
for qid, text in texts:
    grader.grade_now(bank[qid], text)
after = rss()
print(before, after)
"""


def rss_added() -> tuple[float, float]:
    """VmRSS in MiB of a child holding the bot's imports and the bank, before and after grading."""
    code = _CHILD.format(root=str(ROOT), bench=str(ROOT / "bench"), sets=str(ROOT / "bench" / "grader_set" / "*.yaml"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after = (float(x) for x in out.split())
    return before, after


def latencies(rounds: int) -> list[float]:
    """Seconds per call, every answer (and the longest accepted answer) `rounds` times."""
    from bench.grader_eval import load_set
    from bot.config import DEFAULT_QUESTIONS_DIR
    from bot.domain.bank import OpenQuestion, load_bank
    from bot.domain.grader import MAX_ANSWER_CHARS
    from bot.domain.offline_grader import OfflineGrader

    bank = load_bank(DEFAULT_QUESTIONS_DIR)
    items = load_set(bank)
    longest = " ".join(x.text for x in items)[:MAX_ANSWER_CHARS]
    cases = [(x.qid, x.text) for x in items] + [(x.qid, longest) for x in items[:: max(1, len(items) // 20)]]
    grader = OfflineGrader()
    times = []
    for _ in range(rounds):
        for qid, text in cases:
            q = bank[qid]
            assert isinstance(q, OpenQuestion)
            start = time.perf_counter()
            grader.grade_now(q, text)
            times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    times = sorted(latencies(args.rounds))
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    before, after = rss_added()
    result = {
        "calls": len(times),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
        "max_ms": round(times[-1] * 1000, 3),
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "rss_added_mib": round(after - before, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"offline grading: {result['calls']} calls, p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {result['max_ms']} ms; "
            f"RSS {before:.1f} → {after:.1f} MiB (+{after - before:.1f} MiB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
