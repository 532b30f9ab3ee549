"""Webhook mode end to end: the loopback Bot API POSTs updates to the bot's listener, as Telegram does."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import aiohttp
import pytest

from bot import texts
from bot.telegram.app import ALLOWED_UPDATES
from tests.e2e.botapi import SECRET_HEADER, BotApiServer
from tests.e2e.conftest import BotProcess, answers_rows, right_button, wait_answered, wait_for_question

pytestmark = pytest.mark.e2e

USER = 7_300_001
SECRET = "e2e-Webhook_secret-42"
HOOK_PATH = "/tg/hook-7f3a"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _webhook_env(bot_process: BotProcess) -> str:
    """Switch the process to webhook mode; the listener's base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bot_process.env.update(
        WEBHOOK_URL=base + HOOK_PATH, WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port)
    )
    return base


async def _start_webhook(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start(ready=False)

    def ready() -> bool:
        if bot_process.proc is not None and bot_process.proc.returncode is not None:
            raise AssertionError(f"bot exited with {bot_process.proc.returncode}:\n{bot_process.stderr()}")
        return api.webhook_url is not None

    await api.wait_for(ready, 30, "setWebhook")


def _update(update_id: int, text: str) -> dict[str, Any]:
    now = int(time.time())
    chat = {"id": USER, "type": "private", "first_name": "Mallory"}
    sender = {"id": USER, "is_bot": False, "first_name": "Mallory"}
    message = {"message_id": 999_000 + update_id, "date": now, "chat": chat, "from": sender, "text": text}
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


async def test_quiz_in_webhook_mode(api: BotApiServer, bot_process: BotProcess) -> None:
    api.watch.append(USER)
    _webhook_env(bot_process)
    api.fail("setWebhook", 502, "Bad Gateway")  # a 5xx is retried
    await _start_webhook(api, bot_process)
    assert api.calls["setWebhook"] == 2
    set_webhook = [p for m, p in api.requests if m == "setWebhook"][-1]
    assert set_webhook["url"] == bot_process.env["WEBHOOK_URL"]
    assert set_webhook["secret_token"] == SECRET
    assert sorted(set_webhook["allowed_updates"]) == sorted(ALLOWED_UPDATES)

    api.send_text(USER, "/quiz")
    await api.wait_for(lambda: api.last_with_buttons(USER) is not None, 30, "level picker")
    picker = api.last_with_buttons(USER)
    assert picker is not None
    await wait_answered(api, api.tap(USER, picker, label="Fresher"))
    for number in range(1, 11):
        question = await wait_for_question(api, USER, number)
        await wait_answered(api, api.tap(USER, question, right_button(question)))
    await api.wait_for(
        lambda: any("Score: 10/10" in (m.text or "") for m in api.bot_messages(USER)), 30, "the score card"
    )

    rows = answers_rows(bot_process)
    assert len(rows) == 10 and all(r[4] == 1 for r in rows)
    assert api.calls["getUpdates"] == 0  # every update came through the webhook
    assert api.webhook_posts and all(status == 200 for _, status in api.webhook_posts)
    assert await bot_process.terminate() == 0
    assert "Traceback" not in bot_process.stderr()
    assert SECRET not in bot_process.stderr()


async def test_refused_requests_health_sigterm_and_back_to_polling(api: BotApiServer, bot_process: BotProcess) -> None:
    api.watch.append(USER)
    base = _webhook_env(bot_process)
    await _start_webhook(api, bot_process)
    hook = base + HOOK_PATH
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"

        forged = _update(900_001, "/help")
        async with http.post(hook, json=forged) as resp:
            assert resp.status == 403
        async with http.post(hook, json=forged, headers={SECRET_HEADER: SECRET[:-1] + "x"}) as resp:
            assert resp.status == 403
        async with http.post(hook, json=forged, headers={SECRET_HEADER: ""}) as resp:
            assert resp.status == 403
        async with http.get(hook, headers={SECRET_HEADER: SECRET}) as resp:
            assert resp.status == 405
        bad_bodies = [b"this is not json", b"[1, 2]", json.dumps({"no_update_id": 1}).encode()]
        for body in bad_bodies:
            headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
            async with http.post(hook, data=body, headers=headers) as resp:
                assert resp.status == 400

        # The same user's real /start, after the refused ones: updates of one user run in arrival order,
        # so once it is answered, a forged /help that slipped through would have been answered before it.
        api.send_text(USER, "/start")
        await api.wait_for(lambda: bool(api.bot_messages(USER)), 30, "the reply to /start")
        sent = [p for m, p in api.requests if m == "sendMessage" and int(p.get("chat_id", 0)) == USER]
        assert all(p.get("text") != texts.help_text() for p in sent), sent

        # SIGTERM while an acknowledged update is still being handled: it is finished, then the exit is clean.
        api.slow["sendmessage"] = 1.5
        before = len(api.bot_messages(USER))
        update_id = api.send_text(USER, "/help")
        await api.wait_for(lambda: api.acknowledged(update_id), 30, "the webhook to acknowledge /help")
        assert await bot_process.terminate(within=60) == 0
        assert len(api.bot_messages(USER)) == before + 1
        with pytest.raises(aiohttp.ClientConnectionError):
            async with http.get(base + "/healthz") as resp:
                pass

    stderr = bot_process.stderr()
    assert stderr.count("refused a body that is not a JSON update") == len(bad_bodies)
    assert "Traceback" not in stderr
    assert SECRET not in stderr
    assert api.webhook_url is not None  # a stopping bot leaves the webhook for its next start

    # A restart without WEBHOOK_URL polls again (PTB deletes the webhook first), with /healthz on HEALTH_PORT.
    api.slow.pop("sendmessage")
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_PORT"):
        bot_process.env.pop(name)
    health_port = _free_port()
    bot_process.env["HEALTH_PORT"] = str(health_port)
    await bot_process.start()
    assert api.webhook_url is None and api.calls["deleteWebhook"] >= 1
    before = len(api.bot_messages(USER))
    api.send_text(USER, "/help")
    await api.wait_for(lambda: len(api.bot_messages(USER)) == before + 1, 30, "the reply to /help by polling")
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{health_port}/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ok"
    assert await bot_process.terminate() == 0


async def test_a_refused_set_webhook_or_a_taken_port_stops_with_one_line(
    api: BotApiServer, bot_process: BotProcess
) -> None:
    _webhook_env(bot_process)
    api.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
    await bot_process.start(ready=False)
    assert await bot_process.wait_exit(60) == 1
    assert "setWebhook failed, so Telegram cannot reach the bot" in bot_process.stderr()

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot_process.env["WEBHOOK_PORT"] = str(taken.getsockname()[1])
        await bot_process.start(ready=False)
        assert await bot_process.wait_exit(60) == 1
    stderr = bot_process.stderr()
    assert "cannot listen on 127.0.0.1:" in stderr
    assert "Traceback" not in stderr
    assert api.webhook_url is None


async def test_polling_with_a_taken_health_port_stops_with_one_line(api: BotApiServer, bot_process: BotProcess) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot_process.env.update(WEBHOOK_LISTEN="127.0.0.1", HEALTH_PORT=str(taken.getsockname()[1]))
        await bot_process.start(ready=False)
        assert await bot_process.wait_exit(60) == 1
    stderr = bot_process.stderr()
    assert "cannot listen on 127.0.0.1:" in stderr
    assert "Traceback" not in stderr
