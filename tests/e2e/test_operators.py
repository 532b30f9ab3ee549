"""What an operator sees of a running bot: /metrics over HTTP, and JSON log lines, after a real quiz."""

from __future__ import annotations

import json
import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import TOKEN, TOKEN_HASH, BotProcess, take_quiz

pytestmark = pytest.mark.e2e

USER = 7_400_001
# Typed by the user mid-quiz: no log line may carry it.
PRIVATE_TEXT = "my answer mentions quokka-zebra-4711 and nothing else"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _sum(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


async def test_metrics_after_a_quiz_and_json_logs_without_token_or_text(
    api: BotApiServer, bot_process: BotProcess
) -> None:
    port = _free_port()
    bot_process.env.update(HEALTH_PORT=str(port), WEBHOOK_LISTEN="127.0.0.1", LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    await bot_process.start()
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 200
            before = _samples(await resp.text())
        assert _sum(before, "bot_updates_total") == 0

        await take_quiz(api, USER, 0)
        api.send_text(USER, PRIVATE_TEXT)
        await api.wait_for(lambda: api.calls["sendMessage"] > 12, 30, "the reply to a typed text")

        async with http.get(url) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain")
            after = _samples(await resp.text())

    # /quiz, the typed text, and the level tap plus ten answer taps.
    assert _sum(after, "bot_updates_total", type="message") == 2
    assert _sum(after, "bot_updates_total", type="callback_query") == 11
    assert _sum(after, "bot_handler_seconds_count", route="/quiz") == 1
    assert _sum(after, "bot_handler_seconds_count", route="button:AnswerCb") == 10
    assert _sum(after, "bot_handler_seconds_sum") > 0
    assert _sum(after, "bot_api_calls_total", method="sendMessage", result="ok") >= 12
    assert _sum(after, "bot_api_calls_total", method="answerCallbackQuery", result="ok") == 11
    assert _sum(after, "bot_api_calls_total", method="getUpdates", result="ok") >= 13  # at least one per update
    assert _sum(after, "bot_db_write_seconds_count") >= 11
    assert _sum(after, "bot_errors_total") == 0
    assert ("bot_active_sessions", ()) in after  # the quiz is over: 0 is the right figure
    assert after[("bot_active_sessions", ())] == 0

    assert await bot_process.terminate() == 0
    lines = [line for line in bot_process.stderr().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    for line, record in zip(lines, records, strict=True):
        assert TOKEN not in line and TOKEN_HASH not in line
        assert "quokka-zebra-4711" not in line, (record["logger"], record["level"], record["message"][:200])
    # Lines logged while handling an update name it and its user.
    assert any(r.get("user_id") == USER and isinstance(r.get("update_id"), int) for r in records), lines[-20:]
