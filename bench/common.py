"""Shared helpers of the benchmarks: machine details, tables, docs/benchmarks.md, child processes."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import aiosqlite
import telegram

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
TOKEN = "6123456789:AAHx-benchSecretHashPart_Zq9wVbNm3Lk8Jt"

_HEADER = """# Benchmarks

Run on demand, not in CI: `python bench/bench_throughput.py`, `python bench/bench_push.py`,
`python bench/bench_growth.py` (and `python bench/bench_stats.py`). Each prints its table and appends
it here with the machine it ran on. Traffic is loopback only: the fake Bot API of `tests/e2e/botapi.py`
on 127.0.0.1 (wrapped by `bench/loopback.py`).
"""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine() -> str:
    """One line naming the machine and the versions that matter."""
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_ram_gib()} RAM, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"aiosqlite {aiosqlite.__version__}, SQLite {sqlite3.sqlite_version}; "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def record(title: str, body: str, *, write: bool = True) -> None:
    """Print a result section and append it to docs/benchmarks.md with the machine's details."""
    section = f"## {title}\n\nMachine: {machine()}.\nCommand: `python {' '.join(sys.argv)}`\n\n{body.strip()}\n"
    print(section)
    if not write:
        return
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    existing = DOCS.read_text() if DOCS.exists() else _HEADER
    DOCS.write_text(existing.rstrip("\n") + "\n\n" + section)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    """The median; 0 for no values."""
    return statistics.median(values) if values else 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc (0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident set (VmHWM) in MiB, from /proc (0 where unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def child_env(base_url: str, database: Path, **extra: str) -> dict[str, str]:
    """Environment for a bot child process bound to the loopback API and a fresh database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "QUESTIONS_", "LOG_", "ADMIN_", "PUSH_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=base_url,
        DATABASE_PATH=str(database),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env
