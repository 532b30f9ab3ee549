"""The token never reaches log output, at any level, even from PTB's own DEBUG lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactingFilter, setup_logging, update_context

TOKEN = "123456:AAH-secretpart-xyz987"
_QUIETED = ("httpx", "httpcore", "apscheduler")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup_logging replaces the root logger's handlers and levels: give every later test the originals back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in _QUIETED}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([TOKEN]))
    logger = logging.getLogger("redaction-test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)


def test_message_args_and_traceback_are_scrubbed(captured: io.StringIO) -> None:
    logger = logging.getLogger("redaction-test")
    logger.debug("Set Bot API URL: https://api.telegram.org/bot%s", TOKEN)
    logger.info("hash alone %s", TOKEN.split(":")[1])
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("boom")
    out = captured.getvalue()
    assert "secretpart" not in out and TOKEN not in out
    assert out.count("<token>") >= 3


def test_ptb_debug_output_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    from telegram import Bot

    setup_logging("DEBUG", [TOKEN])
    Bot(TOKEN, base_url="http://127.0.0.1:9/bot")
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1:9/bot%s/getMe", TOKEN)
    err = capsys.readouterr().err
    assert "Set Bot API URL: http://127.0.0.1:9/bot<token>" in err
    assert "secretpart" not in err


def test_httpx_is_quiet_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", [TOKEN])
    logging.getLogger("httpx").info("HTTP Request: GET /bot%s/getUpdates", TOKEN)
    assert "HTTP Request" not in capsys.readouterr().err


def test_a_bad_format_is_logged_scrubbed_instead_of_raising(captured: io.StringIO) -> None:
    logger = logging.getLogger("redaction-test")
    logger.warning("token %s and %d", TOKEN)  # too few arguments, and the one given is a secret
    logger.warning("%d items", "many")
    out = captured.getvalue()
    assert "unformattable" in out and "<token>" in out and "secretpart" not in out
    assert "'%d items'" in out


def test_json_lines_carry_the_update_and_user_and_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG", [TOKEN], "json")
    log = logging.getLogger("json-test")
    try:
        log.info("outside any update")
        with update_context(17, 501):
            log.warning("token %s in a message\nover two lines", TOKEN)
            try:
                raise ValueError(f"failed with {TOKEN}")
            except ValueError:
                log.exception("boom")
        log.info("after the update")
    finally:
        setup_logging("INFO", [TOKEN])
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["message"] for r in records] == [
        "outside any update",
        "token <token> in a message\nover two lines",
        "boom",
        "after the update",
    ]
    assert [(r.get("update_id"), r.get("user_id")) for r in records] == [
        (None, None),
        (17, 501),
        (17, 501),
        (None, None),
    ]
    assert "ValueError: failed with <token>" in records[2]["exc"]
    assert all("secretpart" not in line for line in lines)


def test_json_format_keeps_payload_loggers_above_debug() -> None:
    setup_logging("DEBUG", [TOKEN], "json")
    try:
        assert not logging.getLogger("telegram.Bot").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("bot.anything").isEnabledFor(logging.DEBUG)
    finally:
        setup_logging("DEBUG", [TOKEN])
    assert logging.getLogger("telegram.Bot").isEnabledFor(logging.DEBUG)
    setup_logging("INFO", [TOKEN])
