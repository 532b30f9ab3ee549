"""The token never reaches log output, at any level, even from PTB's own DEBUG lines."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import RedactingFilter, setup_logging

TOKEN = "123456:AAH-secretpart-xyz987"


@pytest.fixture
def captured() -> io.StringIO:
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
    try:
        Bot(TOKEN, base_url="http://127.0.0.1:9/bot")
        logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1:9/bot%s/getMe", TOKEN)
    finally:
        setup_logging("WARNING", [TOKEN])
    err = capsys.readouterr().err
    assert "Set Bot API URL: http://127.0.0.1:9/bot<token>" in err
    assert "secretpart" not in err


def test_httpx_is_quiet_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", [TOKEN])
    try:
        logging.getLogger("httpx").info("HTTP Request: GET /bot%s/getUpdates", TOKEN)
    finally:
        setup_logging("WARNING", [TOKEN])
    assert "HTTP Request" not in capsys.readouterr().err
