"""One bot process per database: an OS lock on a file beside it, held for the life of the process.

fcntl is imported only when the lock is taken: it does not exist on Windows, where the terminal practice (which
takes no lock) must still run.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bot.storage.db import DatabaseUnavailable, ensure_folder


class AlreadyRunning(Exception):
    """Another bot process holds the lock; `pid` is what it wrote in the lock file (None if unreadable)."""

    def __init__(self, lock_path: Path, pid: int | None) -> None:
        super().__init__(f"{lock_path} is held by pid {pid if pid is not None else '?'}")
        self.lock_path = lock_path
        self.pid = pid


class InstanceLock:
    """`flock` on `<DATABASE_PATH>.lock`; the kernel frees it when the process dies, even after kill -9."""

    def __init__(self, database_path: Path) -> None:
        self.path = database_path.with_name(database_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write our pid in the file, or raise AlreadyRunning."""
        import fcntl

        ensure_folder(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot create {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise AlreadyRunning(self.path, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays: removing it would race with a process about to lock it)."""
        if self._fd is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or "x")
    except (OSError, ValueError):
        return None
