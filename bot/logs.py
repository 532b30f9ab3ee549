"""Logging set-up with a filter that removes the bot token from every record."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import TextIO

REDACTED = "<token>"


class RedactingFilter(logging.Filter):
    """Replaces secrets in the rendered message and traceback of every record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Telegram tokens are "<id>:<hash>"; the hash alone is secret enough to hide too.
        parts = {s for s in secrets if s} | {s.split(":", 1)[1] for s in secrets if ":" in s}
        self._secrets = sorted((p for p in parts if len(p) >= 6), key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def redact(self, text: str) -> str:
        """The text with every secret replaced."""
        return self._scrub(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrub it, and freeze the result on the record."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception as exc:  # a bad %-format anywhere must not raise at the caller's logging call
            message = f"{record.msg!r} with arguments {record.args!r} (unformattable: {exc!r})"
        record.msg = self._scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


def redacted_traceback(exc: BaseException, secrets: list[str]) -> str:
    """The whole traceback of `exc`, its causes and contexts included, with every secret replaced."""
    return RedactingFilter(secrets).redact("".join(traceback.format_exception(exc)))


def install_excepthooks(secrets: list[str], stream: TextIO | None = None) -> None:
    """Print what escapes to the top level (main thread, other threads) only after redaction.

    asyncio's default exception handler reports through the "asyncio" logger, so the filter covers it.
    """
    redactor = RedactingFilter(secrets)

    def write(text: str) -> None:
        out = stream if stream is not None else sys.stderr
        out.write(redactor.redact(text))

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        write("".join(traceback.format_exception(kind, exc, tb)))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            write(f"Exception in thread {args.thread.name if args.thread else '?'}:\n")
            write("".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))

    sys.excepthook = hook
    threading.excepthook = thread_hook


def setup_logging(level: str, secrets: list[str]) -> None:
    """Log to stderr at `level`, with secrets scrubbed and httpx's URL logging quieted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
