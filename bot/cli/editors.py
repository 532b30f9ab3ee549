"""Commands for whoever edits the bank: `bank calibrate` and `reports [--csv]`, on the bot's database."""

from __future__ import annotations

import csv
import sys
from typing import TextIO

from bot.config import Settings
from bot.domain.bank import load_bank
from bot.domain.clock import SystemClock
from bot.domain.estimate import level_index
from bot.services.calibration import CalibrationService
from bot.services.reports import ReportService, content_hash
from bot.storage.db import Database
from bot.storage.reports import ReportStore

CSV_FIELDS = ("question_id", "reason", "comment", "reported_at", "user_id", "session_id", "hash_then", "hash_now")


async def run_calibrate(settings: Settings, out: TextIO | None = None) -> int:
    """Print the questions whose observed difficulty disagrees with their level, or that nearly all get right/wrong."""
    out = out or sys.stdout
    bank = load_bank(settings.questions_dir)
    db = await Database.open(settings.database_path)
    try:
        service = CalibrationService(db, bank, SystemClock())
        observed = await service.observed()
        flagged = await service.flagged()
    finally:
        await db.close()
    out.write(f"{len(observed)} questions have enough answers to calibrate; {len(flagged)} to look at.\n")
    for o in flagged:
        notes = []
        if o.disagrees:
            notes.append(f"plays like {o.plays_like.value} ({o.difficulty - level_index(o.level):+.1f} levels)")
        if o.too_easy:
            notes.append("nearly everyone gets it right")
        if o.too_hard:
            notes.append("nearly everyone gets it wrong")
        out.write(
            f"{o.question_id}  [{o.level.value}]  {o.answers} answers, {o.share_right:.0%} right, "
            f"{o.mean_seconds:.0f} s on average: {'; '.join(notes)}\n"
        )
    return 0


async def run_reports(settings: Settings, as_csv: bool, out: TextIO | None = None) -> int:
    """Print the open reports grouped by question, or export them one per row as CSV."""
    out = out or sys.stdout
    bank = load_bank(settings.questions_dir)
    db = await Database.open(settings.database_path)
    try:
        service = ReportService(ReportStore(db), bank, SystemClock())
        rows = await service.open_reports() if as_csv else []
        groups = [] if as_csv else await service.open_groups()
    finally:
        await db.close()
    if as_csv:
        writer = csv.writer(out)
        writer.writerow(CSV_FIELDS)
        for r in rows:
            question = bank.get(r.question_id)
            when = r.created.isoformat(timespec="seconds")
            now_hash = content_hash(question) if question else ""
            writer.writerow(
                (
                    r.question_id,
                    r.reason,
                    r.comment or "",
                    when,
                    r.user_id,
                    r.session_id or "",
                    r.content_hash,
                    now_hash,
                )
            )
        return 0
    if not groups:
        out.write("No open reports.\n")
        return 0
    for g in groups:
        where = bank.sources.get(g.question_id, "not in the bank any more")
        reasons = ", ".join(f"{r} x{n}" for r, n in sorted(g.reasons.items()))
        changed = " (changed since reported)" if g.current_hash and any(h != g.current_hash for h in g.hashes) else ""
        out.write(f"{g.question_id}  ({where}){changed}: {g.count} report(s): {reasons}\n")
        for comment in g.comments:
            out.write(f"    - {comment}\n")
    return 0
