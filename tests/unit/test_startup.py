"""Start-up rules without a network: the token's form, redacted exceptions, retries, the conflict warning."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import sys
import threading

import looptime
import pytest
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.config import ConfigError, load_settings
from bot.logs import install_excepthooks, redacted_traceback
from bot.telegram.startup import (
    ApiUnreachable,
    PollingErrors,
    StopRequested,
    TokenRejected,
    backoff,
    until_up,
)

GOOD = "7012345678:AAF3kR9xZ-q_w8Lm2Tn5Vb7Yc1Hd4Js6Pe0"


def _token(value: str) -> object:
    return load_settings(telegram_bot_token=value, _env_file=None).telegram_bot_token


def test_a_well_formed_token_is_kept_as_a_secret() -> None:
    token = _token(f"  {GOOD}\n")
    assert token is not None and token.get_secret_value() == GOOD  # type: ignore[attr-defined]
    assert GOOD not in repr(token)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_an_empty_or_blank_token_means_no_token(blank: str) -> None:
    assert _token(blank) is None


@pytest.mark.parametrize(
    "bad",
    [
        "AAF3kR9xZ-q_w8Lm2Tn5Vb7Yc1Hd4Js6Pe0",  # the secret half alone
        "7012345678AAF3kR9xZ-q_w8Lm2Tn5Vb7Yc1Hd4Js6Pe0",  # no colon
        "7012345678:short",
        "70123x5678:AAF3kR9xZ-q_w8Lm2Tn5Vb7Yc1Hd4Js6Pe0",
        "7012345678:AAF3kR9xZ q_w8Lm2Tn5Vb7Yc1Hd4Js6Pe0",  # whitespace inside
        "7012345678:AAF3kR9xZ+q/w8Lm2Tn5Vb7Yc1Hd4Js6Pe0",
        "bot7012345678:AAF3kR9xZ-q_w8Lm2Tn5Vb7Yc1Hd4Js6Pe0",
    ],
)
def test_a_malformed_token_names_the_variable_and_not_the_value(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(telegram_bot_token=bad, _env_file=None)
    message = str(caught.value)
    assert message.startswith("TELEGRAM_BOT_TOKEN: is not a bot token")
    assert "\n" not in message
    assert bad.strip() not in message and bad.split(":")[-1] not in message


def _chained_failure() -> BaseException:
    try:
        try:
            raise InvalidToken("Unauthorized")
        except InvalidToken as inner:
            raise RuntimeError(f"while calling https://api.telegram.org/bot{GOOD}/getMe") from inner
    except RuntimeError as outer:
        try:
            raise ValueError(f"cleanup failed for {GOOD.split(':')[1]}")
        except ValueError as last:
            last.__cause__ = outer
            return last


def test_an_exception_chain_is_printed_without_the_token() -> None:
    text = redacted_traceback(_chained_failure(), [GOOD])
    assert "RuntimeError" in text and "InvalidToken" in text and "ValueError" in text
    assert GOOD not in text and GOOD.split(":")[1] not in text
    assert text.count("<token>") == 2


def test_uncaught_exceptions_in_threads_and_main_are_redacted() -> None:
    out = io.StringIO()
    saved = sys.excepthook, threading.excepthook
    try:
        install_excepthooks([GOOD], stream=out)
        exc = _chained_failure()
        sys.excepthook(type(exc), exc, exc.__traceback__)

        def fail() -> None:
            raise RuntimeError(f"thread saw {GOOD}")

        worker = threading.Thread(target=fail, name="worker")
        worker.start()
        worker.join()
    finally:
        sys.excepthook, threading.excepthook = saved
    text = out.getvalue()
    assert "thread saw <token>" in text and "Exception in thread worker" in text
    assert GOOD not in text and GOOD.split(":")[1] not in text


def test_backoff_doubles_up_to_the_cap() -> None:
    steps = backoff()
    assert [next(steps) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


class _Api:
    """getMe that fails with the given errors, then answers."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "me"


async def test_network_errors_and_5xx_are_retried_until_the_api_answers(caplog: pytest.LogCaptureFixture) -> None:
    api = _Api(NetworkError("httpx.ConnectError: boom"), NetworkError("Bad Gateway"), TimedOut())
    caplog.set_level(logging.WARNING, "bot.telegram.startup")
    assert await until_up(api, "getMe", asyncio.Event(), delays=[0, 0, 0, 0]) == "me"
    assert api.calls == 4
    attempts = [r.getMessage() for r in caplog.records]
    assert len(attempts) == 3 and "attempt 2" in attempts[1] and "Bad Gateway" in attempts[1]
    assert all(r.exc_info is None for r in caplog.records)


async def test_a_rejected_token_is_not_retried() -> None:
    async def get_me() -> None:
        try:
            raise InvalidToken("Unauthorized")
        except InvalidToken as exc:
            raise InvalidToken(f"The token `{GOOD}` was rejected by the server.") from exc

    with pytest.raises(TokenRejected) as caught:
        await until_up(get_me, "getMe", asyncio.Event(), delays=[0, 0])
    assert str(caught.value) == "401 Unauthorized"
    assert caught.value.__cause__ is None and caught.value.__context__ is not None
    assert GOOD not in str(caught.value)


async def test_a_bounded_caller_gets_api_unreachable() -> None:
    api = _Api(*(NetworkError("Bad Gateway") for _ in range(5)))
    with pytest.raises(ApiUnreachable, match="failed 3 times; last: Bad Gateway"):
        await until_up(api, "getMe", asyncio.Event(), delays=[0, 0, 0], attempts=3)
    assert api.calls == 3


async def test_stop_ends_the_wait_between_attempts_and_during_a_call() -> None:
    stop = asyncio.Event()
    stop.set()
    api = _Api(NetworkError("down"))
    with pytest.raises(StopRequested):
        await until_up(api, "getMe", stop, delays=[3600])
    assert api.calls == 1

    hanging = asyncio.Event()
    stop2 = asyncio.Event()

    async def never_answers() -> None:
        hanging.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(until_up(never_answers, "getMe", stop2, delays=[0]))
    await hanging.wait()
    stop2.set()
    with pytest.raises(StopRequested):
        await task


def test_a_conflict_is_logged_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    errors = PollingErrors(clock=lambda: now[0])
    caplog.set_level(logging.WARNING, "bot.telegram.startup")
    for step in (0, 5, 30, 59.9):
        now[0] = 1000.0 + step
        errors(Conflict("Conflict: terminated by other getUpdates request"))
    now[0] = 1060.0
    errors(Conflict("Conflict: terminated by other getUpdates request"))
    errors(NetworkError("httpx.ReadError"))
    messages = [r.getMessage() for r in caplog.records]
    assert sum("409 Conflict" in m for m in messages) == 2
    assert any("httpx.ReadError" in m for m in messages)
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.parametrize(
    ("wait", "timedelta_api"),
    [
        (dt.timedelta(seconds=7.5), False),  # PTB 22 gives a float for a fractional wait
        (dt.timedelta(seconds=7), True),  # a timedelta with PTB_TIMEDELTA, as later versions always will
        (dt.timedelta(seconds=7), False),  # an int
    ],
)
def test_a_flood_wait_at_start_up_is_waited_out_whatever_its_type(
    wait: dt.timedelta, timedelta_api: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true" if timedelta_api else "false")
    caplog.set_level(logging.WARNING, "bot.telegram.startup")
    api = _Api(RetryAfter(wait))
    loop = looptime.new_event_loop(_enabled=True)  # the wait passes on a fast-forwarded clock
    try:
        started = loop.time()
        assert loop.run_until_complete(until_up(api, "getMe", asyncio.Event(), delays=[1, 1])) == "me"
        waited = loop.time() - started
    finally:
        loop.close()
    assert api.calls == 2
    assert wait.total_seconds() <= waited < wait.total_seconds() + 0.5
    assert f"retrying in {wait.total_seconds():g} s" in caplog.records[0].getMessage()
