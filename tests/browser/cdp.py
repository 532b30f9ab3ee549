"""Headless Chromium driven over the DevTools protocol: open a page at a phone's size, record every request."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# The flags Chromium needs on a closed network with no display: without the background-networking ones it
# keeps dialling Google's hosts at start-up.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
START_TIMEOUT = 60.0


def chromium_path() -> str | None:
    """Debian's chromium (or an equivalent on PATH), if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageLoad:
    """What loading one page did: every URL it requested, and the layout figures the page reported."""

    requests: list[str] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)


# Runs in the page after load. An element "scrolls sideways" when its content is wider than its box and it
# is not an inline element (inline boxes have no clientWidth to compare with).
LAYOUT_PROBE = """
(() => {
  const wide = [];
  for (const el of document.querySelectorAll('body, body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'inline' || el.clientWidth === 0) continue;
    if (el.scrollWidth > el.clientWidth + 1) wide.push(el.tagName.toLowerCase() + '.' + el.className);
    const right = el.getBoundingClientRect().right;
    if (right > window.innerWidth + 1) wide.push('past-edge:' + el.tagName.toLowerCase() + '.' + el.className);
  }
  return JSON.stringify({
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    wide: wide,
    sections: document.querySelectorAll('section').length,
    text: document.body.innerText,
  });
})()
"""


class Chromium:
    """One headless Chromium process and its DevTools connection."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self._ws = ws
        self._ids = itertools.count(1)
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self._ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self._pending:
                self._pending.pop(data["id"]).set_result(data)
            else:
                await self._events.put(data)

    async def call(self, method: str, session_id: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and wait for its result."""
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session_id is not None:
            message["sessionId"] = session_id
        await self._ws.send_str(json.dumps(message))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def load(self, url: str, width: int, height: int = 844) -> PageLoad:
        """Open `url` in a new tab emulating a phone `width` CSS pixels wide; wait for load; probe the layout."""
        target = await self.call("Target.createTarget", url="about:blank")
        attached = await self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        sid = attached["sessionId"]
        load = PageLoad()
        await self.call("Network.enable", sid)
        await self.call("Page.enable", sid)
        await self.call(
            "Emulation.setDeviceMetricsOverride", sid, width=width, height=height, deviceScaleFactor=3, mobile=True
        )
        await self.call("Page.navigate", sid, url=url)
        while True:
            event = await asyncio.wait_for(self._events.get(), 30)
            if event.get("sessionId") != sid:
                continue
            if event["method"] == "Network.requestWillBeSent":
                load.requests.append(event["params"]["request"]["url"])
            if event["method"] == "Page.loadEventFired":
                break
        # Anything the page asks for after load (lazy images, fonts) arrives shortly after; give it a moment.
        await asyncio.sleep(0.5)
        while not self._events.empty():
            event = self._events.get_nowait()
            if event.get("sessionId") == sid and event["method"] == "Network.requestWillBeSent":
                load.requests.append(event["params"]["request"]["url"])
        probe = await self.call("Runtime.evaluate", sid, expression=LAYOUT_PROBE, returnByValue=True)
        load.layout = json.loads(probe["result"]["value"])
        await self.call("Target.closeTarget", targetId=target["targetId"])
        return load

    async def close(self) -> None:
        """Close the connection."""
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._ws.close()
        await self._session.close()


@contextlib.asynccontextmanager
async def chromium(executable: str) -> AsyncIterator[Chromium]:
    """Start headless Chromium with a fresh profile and connect to its browser endpoint."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = await asyncio.create_subprocess_exec(
            executable,
            *FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "HOME": profile},
        )
        assert proc.stderr is not None
        browser: Chromium | None = None
        try:
            endpoint = None
            seen: list[str] = []
            async with asyncio.timeout(START_TIMEOUT):
                while endpoint is None:
                    line = (await proc.stderr.readline()).decode(errors="replace")
                    if not line:
                        raise RuntimeError("chromium exited before DevTools listened:\n" + "".join(seen))
                    seen.append(line)
                    found = _LISTENING.search(line)
                    endpoint = found.group(1) if found else None
            # Keep draining stderr so Chromium never blocks on a full pipe.
            drain = asyncio.create_task(_drain(proc.stderr))
            session = aiohttp.ClientSession()
            ws = await session.ws_connect(endpoint, max_msg_size=0)
            browser = Chromium(session, ws)
            yield browser
            drain.cancel()
        finally:
            if browser is not None:
                await browser.close()
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass
