"""The interview transcript in a real browser: headless Chromium at a phone's width (390 CSS px).

The document comes from a real interview on the started Application, with typed answers that try to load
an image from a local server and carry a long unbroken word and a long line of code. Chromium, driven over
the DevTools protocol, must request nothing but the file itself and need no horizontal scroll anywhere.
A control page with the same content left unescaped and unwrapped shows the harness catches both failures.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from bot.config import Settings
from bot.telegram.callback import TranscriptCb, unpack
from tests.browser.cdp import PageLoad, chromium, chromium_path
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver, finished_interview, running_app

PHONE_WIDTH = 390
# .ci/run installs Debian's chromium and sets this: there, a missing browser is a failure, not a skip.
REQUIRED = os.environ.get("BROWSER_TESTS") == "required"


@pytest.fixture
def browser_path() -> str:
    found = chromium_path()
    if found is None:
        if REQUIRED:
            pytest.fail("BROWSER_TESTS=required but no chromium on PATH")
        pytest.skip("chromium is not installed (.ci/run installs Debian's package: apt-get install chromium)")
    return found


@pytest_asyncio.fixture
async def bait() -> AsyncIterator[tuple[str, list[str]]]:
    """A local server that records every request: the page must never call it."""
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"", content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        await runner.cleanup()


def _typed(base: str) -> str:
    long_code = "app.config.update(" + ", ".join(f"SETTING_NUMBER_{i}=True" for i in range(12)) + ")"
    return (
        f'<img src="{base}/escaped.png"> <link rel="stylesheet" href="{base}/style.css"> '
        f'<script src="{base}/run.js"></script> {base}/plain-url '
        + "x" * 240
        + f"\n```python\n{long_code}\n```\nand `{'y' * 120}`"
    )


def _control(base: str, long_word: str) -> str:
    """What a careless renderer would produce: the answer as raw HTML, no viewport, no wrapping."""
    return (
        "<!DOCTYPE html><html><head><style>pre{white-space:pre}</style></head><body>"
        f'<img src="{base}/control.png"><p>{long_word}</p><pre>{long_word}</pre></body></html>'
    )


def _assert_clean(load: PageLoad, url: str) -> None:
    assert load.requests == [url], f"the page fetched more than itself: {load.requests}"
    layout = load.layout
    assert layout["innerWidth"] == PHONE_WIDTH
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    assert layout["bodyScrollWidth"] <= layout["innerWidth"], layout
    assert layout["wide"] == [], f"elements wider than their box: {layout['wide']}"


async def test_transcript_in_headless_chromium_at_phone_width(
    browser_path: str,
    bait: tuple[str, list[str]],
    settings: Settings,
    api: FakeBotApi,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    base, hits = bait
    async with running_app(settings, api, clock) as app:
        user = ChatDriver(app, api)
        report = await finished_interview(user, clock, _typed(base))
        await user.tap(report, next(d for _, d in buttons(report) if isinstance(unpack(d), TranscriptCb)))
    [(filename, payload)] = api.of("sendDocument")[-1].files.values()
    page = tmp_path / filename
    page.write_bytes(payload)
    control = tmp_path / "control.html"
    control.write_text(_control(base, "z" * 400))

    async with chromium(browser_path) as browser:
        load = await browser.load(page.as_uri(), PHONE_WIDTH)
        _assert_clean(load, page.as_uri())
        assert load.layout["sections"] == 10
        assert "x" * 240 in load.layout["text"].replace("\n", "")  # the long word is there, wrapped
        assert "SETTING_NUMBER_11=True" in load.layout["text"]
        assert f"{base}/plain-url" in load.layout["text"]  # shown as text, never followed
        assert hits == []

        # The harness sees both failures when they are there.
        bad = await browser.load(control.as_uri(), PHONE_WIDTH)
        assert f"{base}/control.png" in bad.requests
        assert bad.layout["scrollWidth"] > bad.layout["innerWidth"]
        assert bad.layout["wide"]
    assert hits == ["/control.png"]
