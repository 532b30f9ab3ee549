"""Logging set-up with a filter that removes the bot token from every record."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from types import TracebackType
from typing import Literal, TextIO

REDACTED = "<token>"
LogFormat = Literal["text", "json"]
# At DEBUG, PTB logs whole Bot API payloads and aiosqlite every statement with its parameters (what users typed,
# what the bot sent): JSON logs promise neither, so these stay at INFO or above in that format.
_PAYLOAD_LOGGERS = ("telegram", "aiosqlite")

# Set while one update is handled (bot/telegram/observe.py), so every line logged meanwhile names it.
_update_id: ContextVar[int | None] = ContextVar("log_update_id", default=None)
_user_id: ContextVar[int | None] = ContextVar("log_user_id", default=None)


@contextlib.contextmanager
def update_context(update_id: int | None, user_id: int | None) -> Iterator[None]:
    """Lines logged inside this block (in this task and tasks it starts) carry these ids."""
    tokens = (_update_id.set(update_id), _user_id.set(user_id))
    try:
        yield
    finally:
        _user_id.reset(tokens[1])
        _update_id.reset(tokens[0])


class ContextFilter(logging.Filter):
    """Copies the update and user ids of the current context onto each record (`update_id`, `user_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Tag the record; never drops one."""
        record.update_id = _update_id.get()
        record.user_id = _user_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, update and user ids, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (newlines inside values are escaped)."""
        out: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("update_id", "user_id"):
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


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


def setup_logging(level: str, secrets: list[str], fmt: LogFormat = "text") -> None:
    """Log to stderr at `level` as text or JSON lines, with secrets scrubbed and httpx's URL logging quieted."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Redaction first: the formatter then renders only scrubbed text.
    handler.addFilter(RedactingFilter(secrets))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in _PAYLOAD_LOGGERS:
        # In text mode they follow the root level, as before.
        logging.getLogger(name).setLevel(
            max(logging.INFO, logging.getLevelName(level)) if fmt == "json" else logging.NOTSET
        )
