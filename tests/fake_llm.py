"""A loopback fake of an OpenAI-compatible chat-completions endpoint, for the LLM grader's tests.

It replies with recorded JSON (queued replies, else one built from the prompt), and can instead hang,
answer 5xx, send a body that is not JSON, a message that is not JSON, or JSON that misses the schema.
It keeps every request it received, so tests can read the prompts (and count their size). It also
transcribes audio (/audio/transcriptions) into a set text, keeping what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

RECORDED = Path(__file__).resolve().parent / "llm_replies"
Mode = Literal["reply", "hang", "status", "garbage", "not_json", "schema"]
_ANSWER = re.compile(r"<answer>\n(.*)\n</answer>", re.DOTALL)
_POINT = re.compile(r"^(\d+)\. ", re.MULTILINE)


def recorded(name: str) -> dict[str, Any]:
    """A recorded reply content from tests/llm_replies/<name>.json."""
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return data


def default_reply(system: str, answer: str) -> dict[str, Any]:
    """A well-formed reply for any prompt: every point "partly", quoting the answer's first words."""
    rubric = system.split("Key points:", 1)[1].split("\n\n", 1)[0] if "Key points:" in system else ""
    n = len(_POINT.findall(rubric))
    quote = answer.strip()[:40] or None
    return {
        "points": [{"index": i, "verdict": "partly" if quote else "missing", "quote": quote} for i in range(n)],
        "wrong": [],
        "score": 0.5 if quote else 0.0,
        "feedback": "Some of it is there. Say more about each point.",
        "follow_up": "Which point would you explain next?",
    }


@dataclass
class FakeLlm:
    """The fake server; start() returns its base URL (ending in /v1)."""

    mode: Mode = "reply"
    status: int = 503
    replies: deque[dict[str, Any]] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # What /audio/transcriptions answers, and what it received: (model, audio bytes) per request.
    transcript: str = "flask run finds the app itself, and python app.py only serves when it calls app.run()"
    transcriptions: list[tuple[str, bytes]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    base_url: str = ""

    async def start(self) -> str:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        """Release hanging requests and shut down."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_requests(self, n: int, within: float = 10.0) -> None:
        """Wait (without polling) until n chat-completion requests have arrived."""
        async with asyncio.timeout(within):
            while len(self.requests) < n:
                await self._arrived.wait()
                self._arrived.clear()

    def prompts(self) -> list[str]:
        """Every message text of every request received, system and user, in order."""
        return [m["content"] for r in self.requests for m in r["messages"]]

    async def _transcribe(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        upload = form["file"]
        if isinstance(upload, web.FileField):
            # aiohttp spools an upload to a temporary file; older releases leave it open for the caller to close.
            with upload.file:
                audio = upload.file.read()
        else:
            audio = str(upload).encode()
        self.transcriptions.append((str(form["model"]), audio))
        if self.mode == "hang":
            await self._release.wait()
            return web.Response(status=499)
        if self.mode == "status":
            return web.json_response({"error": {"message": "overloaded"}}, status=self.status)
        return web.json_response({"text": self.transcript})

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self._arrived.set()
        self.headers.append(dict(request.headers))
        if self.mode == "hang":
            await self._release.wait()
            return web.Response(status=499)
        if self.mode == "status":
            return web.json_response({"error": {"message": "overloaded"}}, status=self.status)
        if self.mode == "garbage":
            return web.Response(text="<html>Bad gateway</html>", content_type="text/html")
        messages = body["messages"]
        system = next(m["content"] for m in messages if m["role"] == "system")
        user = next(m["content"] for m in messages if m["role"] == "user")
        found = _ANSWER.search(user)
        answer = found.group(1) if found else ""
        if self.mode == "not_json":
            content = "Sure! Here is the grade: covered, covered, missing."
        elif self.mode == "schema":
            content = json.dumps({"verdicts": ["covered"], "score": 2})
        else:
            reply = self.replies.popleft() if self.replies else default_reply(system, answer)
            content = json.dumps(reply)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "model": body.get("model", ""),
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        )
