"""The bot's Bot API transport (bot/telegram/aiohttp_request.py) against a real loopback HTTP server."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.aiohttp_request import AiohttpRequest
from bot.telegram.delivery import may_have_arrived

TOKEN = "123456:TEST-aiohttp-request"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Server:
    """A loopback HTTP server whose one route does what the test says."""

    url: str = ""
    handler: Handler | None = None
    seen: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)
    peers: set[int] = field(default_factory=set)
    transports: list[asyncio.BaseTransport] = field(default_factory=list)

    async def route(self, request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        self.peers.add(request.transport.get_extra_info("peername")[1])
        self.transports.append(request.transport)
        assert self.handler is not None
        return await self.handler(request)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    found = Server()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", found.route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}"
    yield found
    await runner.cleanup()


@pytest_asyncio.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    made = AiohttpRequest(2, read_timeout=0.5, connect_timeout=0.5, pool_timeout=0.2)
    await made.initialize()
    yield made
    await made.shutdown()


def _ok(body: object = True) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": body})

    return handle


def _data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_fields_go_as_json_and_a_file_as_multipart_with_its_name_and_type(
    server: Server, request_: AiohttpRequest
) -> None:
    async def record(request: web.Request) -> web.Response:
        parts: dict[str, object] = {}
        if request.content_type == "application/json":
            parts = await request.json()
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                with value.file:
                    parts[name] = (value.filename, value.content_type, value.file.read())
            else:
                parts[name] = value
        server.seen.append((request.method, request.content_type, parts))
        return web.json_response({"ok": True, "result": True})

    server.handler = record
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a:1:0"}]]}
    status, body = await request_.do_request(
        f"{server.url}/m", "POST", _data(chat_id=7, text="é <b>&", reply_markup=keyboard)
    )
    assert status == 200 and json.loads(body) == {"ok": True, "result": True}
    assert server.seen[-1] == ("POST", "application/json", {"chat_id": 7, "text": "é <b>&", "reply_markup": keyboard})
    document = InputFile(io.BytesIO(b"a,b\n1,2\n"), filename="results.csv")
    await request_.do_request(f"{server.url}/m", "POST", _data(chat_id=7, document=document, caption="é"))
    method, kind, parts = server.seen[-1]
    assert method == "POST" and kind == "multipart/form-data"
    assert parts == {"chat_id": "7", "caption": "é", "document": ("results.csv", "text/csv", b"a,b\n1,2\n")}


async def test_a_ptb_bot_calls_through_it_and_reads_the_answer(server: Server) -> None:
    server.handler = _ok({"id": 1, "is_bot": True, "first_name": "Quiz", "username": "quiz_bot"})
    bot = Bot(TOKEN, base_url=f"{server.url}/bot", request=AiohttpRequest(1), get_updates_request=AiohttpRequest(1))
    async with bot:
        assert (await bot.get_me()).username == "quiz_bot"


async def test_a_slow_answer_times_out_and_may_have_arrived(server: Server, request_: AiohttpRequest) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    server.handler = slow
    with pytest.raises(TimedOut) as caught:
        await request_.do_request(f"{server.url}/m", "POST", _data(chat_id=1), read_timeout=0.05)
    # The request went out: it may have been carried out, so a send is never repeated.
    assert may_have_arrived(caught.value)


async def test_a_connection_never_made_did_not_arrive(request_: AiohttpRequest) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Bound and closed again: nothing listens there.
    with pytest.raises(NetworkError) as caught:
        await request_.do_request(f"http://127.0.0.1:{port}/m", "POST", _data(chat_id=1))
    assert not may_have_arrived(caught.value) and "ClientConnectorError" in caught.value.message


async def test_a_call_that_waits_past_the_pool_timeout_was_not_sent(server: Server) -> None:
    release = asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    server.handler = held
    one = AiohttpRequest(1, read_timeout=5, connect_timeout=0.5, pool_timeout=0.05)
    await one.initialize()
    try:
        first = asyncio.create_task(one.do_request(f"{server.url}/m", "POST", _data(chat_id=1)))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut) as caught:
            await one.do_request(f"{server.url}/m", "POST", _data(chat_id=2))
        assert not may_have_arrived(caught.value)
        release.set()
        assert (await first)[0] == 200
    finally:
        await one.shutdown()


async def test_a_connection_lost_after_the_request_went_out_may_have_arrived(
    server: Server, request_: AiohttpRequest
) -> None:
    async def drop(request: web.Request) -> web.Response:
        await request.read()
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    server.handler = drop
    with pytest.raises(NetworkError) as caught:
        await request_.do_request(f"{server.url}/m", "POST", _data(chat_id=1))
    assert may_have_arrived(caught.value)


async def test_connections_are_kept_and_one_the_server_closed_while_idle_is_not_reused(
    server: Server, request_: AiohttpRequest
) -> None:
    server.handler = _ok()
    for _ in range(5):
        assert (await request_.do_request(f"{server.url}/m", "POST", _data(chat_id=1)))[0] == 200
    assert len(server.peers) == 1  # one connection, kept alive between calls
    # The server closes it while it is idle, without a Connection: close beforehand (as Telegram's front end does
    # after a while); the loop hears of it, and the next calls must not fail on it.
    server.transports[-1].close()
    await asyncio.sleep(0.05)
    for _ in range(3):
        assert (await request_.do_request(f"{server.url}/m", "POST", _data(chat_id=1)))[0] == 200
    assert len(server.peers) == 2


async def test_it_refuses_calls_until_initialized_and_opens_again_after_a_shutdown(server: Server) -> None:
    server.handler = _ok()
    made = AiohttpRequest(1)
    with pytest.raises(RuntimeError):
        await made.do_request(f"{server.url}/m", "POST")
    await made.initialize()
    await made.shutdown()
    with pytest.raises(RuntimeError):
        await made.do_request(f"{server.url}/m", "POST")
    await made.initialize()
    assert (await made.do_request(f"{server.url}/m", "POST"))[0] == 200
    await made.shutdown()
    assert made.read_timeout == 5.0


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


async def test_calls_go_through_the_proxy_the_environment_names_unless_no_proxy_spares_the_server(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)

    async def proxy(request: web.Request) -> web.Response:
        server.seen.append((request.method, request.host, {"path": request.path}))
        return web.json_response({"ok": True, "result": True})

    server.handler = proxy
    monkeypatch.setenv("HTTP_PROXY", server.url)  # the loopback server plays the proxy
    via = AiohttpRequest(1)
    await via.initialize()
    try:
        assert (await via.do_request("http://api.telegram.invalid/bot1:x/getMe", "POST"))[0] == 200
    finally:
        await via.shutdown()
    assert server.seen == [("POST", "api.telegram.invalid", {"path": "/bot1:x/getMe"})]
    # A proxy where nothing listens, and NO_PROXY sparing the server: the call goes straight to it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = AiohttpRequest(1)
    await direct.initialize()
    try:
        assert (await direct.do_request(f"{server.url}/bot1:x/getMe", "POST"))[0] == 200
    finally:
        await direct.shutdown()
