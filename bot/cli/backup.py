"""`python -m bot backup PATH [--force]`: a consistent copy of the live database, safe beside the running bot."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.storage.db import Database


def run_backup(
    settings: Settings, target: Path, force: bool, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Write the copy and print its size; 0 on success, 1 when it could not be made."""
    out = out or sys.stdout
    err = err or sys.stderr
    source = settings.database_path
    if not source.is_file():
        print(f"backup: no database at {source}", file=err)
        return 1
    if target.is_dir():
        print(f"backup: {target} is a folder; give a file name", file=err)
        return 1
    if target.exists() and not force:
        print(f"backup: {target} exists; add --force to replace it", file=err)
        return 1
    # Written beside the target and renamed over it, so PATH is never a half-written copy.
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        verdict = asyncio.run(_copy(source, partial))
        if verdict != "ok":
            print(f"backup: the copy failed its integrity check: {verdict}", file=err)
            return 1
        os.replace(partial, target)
    except OSError as exc:
        print(f"backup: cannot write {target}: {exc}", file=err)
        return 1
    finally:
        partial.unlink(missing_ok=True)
    print(f"backup: wrote {target} ({target.stat().st_size} bytes)", file=out)
    return 0


async def _copy(source: Path, target: Path) -> str:
    db = await Database.open(source)
    try:
        return await db.backup(target)
    finally:
        await db.close()
