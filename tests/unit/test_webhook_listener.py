"""The HTTP listener on a real PTB Application: secret check, body check, hand-over to the update queue, health;
and serve_webhook's shutdown order."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from pydantic import SecretStr
from telegram.ext import Application

from bot import texts
from bot.config import Settings
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.services import services_of
from bot.telegram.webhook import SECRET_HEADER, HttpListener, serve_webhook
from tests.fake_bot_api import FakeBotApi, unthrottled, user_dict

SECRET = "unit_Secret-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest_asyncio.fixture
async def base(app: Application) -> AsyncIterator[str]:  # type: ignore[type-arg]
    """The listener's base URL, serving /hook and /healthz for `app`."""
    port = _free_port()
    listener = HttpListener(app, "127.0.0.1", port, hook_path="/hook", secret=SECRET)
    await listener.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await listener.stop()


def _help_update(update_id: int) -> dict[str, object]:
    user = user_dict(501)
    chat = {"id": 501, "type": "private", "first_name": "Ann"}
    entities = [{"type": "bot_command", "offset": 0, "length": 5}]
    message = {"message_id": 1, "date": 1, "chat": chat, "from": user, "text": "/help", "entities": entities}
    return {"update_id": update_id, "message": message}


async def test_an_update_with_the_secret_is_handled_like_a_polled_one(
    app: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    base: str,
) -> None:
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(base + "/hook", json=_help_update(1), headers={SECRET_HEADER: "wrong"}) as resp:
                assert resp.status == 403
            async with http.post(base + "/hook", json=_help_update(2), headers={SECRET_HEADER: SECRET}) as resp:
                assert resp.status == 200
    finally:
        await app.stop()  # drains the queue: the accepted update is handled before stop returns
    assert api.sent_texts() == [texts.help_text()]


async def test_no_update_is_taken_while_the_application_is_not_running(
    app: Application,  # type: ignore[type-arg]
    base: str,
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(base + "/hook", json=_help_update(3), headers={SECRET_HEADER: SECRET}) as resp,
    ):
        assert resp.status == 503  # Telegram retries it once the bot is up
    assert app.update_queue.empty()


async def test_health_is_503_once_the_database_stops_answering(
    app: Application,  # type: ignore[type-arg]
    base: str,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"
        await services_of(app).db.close()
        async with http.get(base + "/healthz") as resp:
            assert resp.status == 503
            assert (await resp.json())["status"] == "error"


async def test_a_secret_header_that_is_not_utf8_is_refused_with_403(
    app: Application,  # type: ignore[type-arg]
    base: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Raw bytes on the wire (an HTTP client would refuse to send them): no 500, no traceback."""
    await app.start()
    try:
        host, port = base.removeprefix("http://").split(":")
        body = json.dumps(_help_update(4)).encode()
        for secret in (b"\xff\xfe", SECRET.encode()[:-1] + b"\xe9", b"\xed\xa0\x80"):  # not UTF-8; a lone surrogate
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                b"POST /hook HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: "
                + str(len(body)).encode()
                + b"\r\n"
                + SECRET_HEADER.encode()
                + b": "
                + secret
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
            status_line = await reader.readline()
            writer.close()
            await writer.wait_closed()
            assert status_line.split()[1] == b"403", (secret, status_line)
    finally:
        await app.stop()
    assert app.update_queue.empty()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


async def test_post_stop_runs_only_after_stop(settings: Settings, api: FakeBotApi) -> None:
    # As PTB's run_polling does: post_stop follows Application.stop(); a start that failed stops nothing.
    configured = settings.model_copy(
        update={"webhook_url": "https://example.com/hook", "webhook_secret": SecretStr("s3cret-value")}
    )
    app = build_application(configured, request=api, limiter=unthrottled(configured), webhook=True)
    calls: list[str] = []

    async def failing_post_init(_: object) -> None:
        calls.append("post_init")
        raise RuntimeError("the database cannot be opened")

    async def post_stop(_: object) -> None:
        calls.append("post_stop")

    async def post_shutdown(_: object) -> None:
        calls.append("post_shutdown")

    app.post_init, app.post_stop, app.post_shutdown = failing_post_init, post_stop, post_shutdown
    with pytest.raises(RuntimeError, match="cannot be opened"):
        await serve_webhook(app, configured, ALLOWED_UPDATES)
    assert calls == ["post_init", "post_shutdown"]
