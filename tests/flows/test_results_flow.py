"""A finished mock interview on the started Application: the 📄 Transcript document and the Share line."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import pytest_asyncio
from telegram.ext import Application

from bot.config import Settings
from bot.domain.deeplink import parse
from bot.telegram.callback import ShareCb, TranscriptCb, unpack
from tests.clock import FakeClock
from tests.fake_bot_api import BOT_USER, FakeBotApi, buttons
from tests.flows.driver import ChatDriver, finished_interview, running_app, services_of

HOSTILE = '<script>alert(1)</script><img src="http://127.0.0.1:9/x.png"> & `code` ' + "w" * 300
OTHER_USER = 2002


@pytest_asyncio.fixture
async def started(settings: Settings, api: FakeBotApi, clock: FakeClock) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with running_app(settings, api, clock) as app:
        yield app


class _Page(HTMLParser):
    """Collects what a browser would fetch or run: tags with src/href, scripts, and the visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


async def test_transcript_and_share_after_the_report(
    started: Application,  # type: ignore[type-arg]
    api: FakeBotApi,
    clock: FakeClock,
) -> None:
    app = started
    user = ChatDriver(app, api)
    report = await finished_interview(user, clock, HOSTILE)
    by_kind = {type(unpack(d)): d for _, d in buttons(report)}
    labels = [label for label, _ in buttons(report)]
    assert "📄 Transcript" in labels and any("Share" in label for label in labels)

    # 📄 Transcript: one HTML document (multipart sendDocument), everything escaped, nothing to fetch.
    await user.tap(report, by_kind[TranscriptCb])
    [call] = api.of("sendDocument")
    assert int(call.params["chat_id"]) == user.user_id and "interview" in str(call.params.get("caption"))
    [(filename, payload)] = call.files.values()
    assert filename.endswith(".html") and filename.startswith("flask-interview-")
    page = payload.decode("utf-8")
    parsed = _Page()
    parsed.feed(page)
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags and "img" not in tags and "link" not in tags and "iframe" not in tags
    assert all(not (a.get("src") or "") for _, a in parsed.tags)
    hrefs = [a["href"] for t, a in parsed.tags if t == "a" and a.get("href")]
    assert hrefs == [f"https://t.me/{BOT_USER['username']}?start=interview"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "default-src 'none'" in page and "overflow-wrap" in page and "pre-wrap" in page
    text = "".join(parsed.text)
    views = [p.view.question for p in (await services_of(app).mock.debrief(user.user_id, _session(by_kind)) or [])]
    assert len(views) == 10
    for n, q in enumerate(views, start=1):
        assert f"Question {n}/10" in text
        assert q.topic in text
    assert text.count("Your answer") == 10 and text.count("Explanation") == 10
    assert "Estimated level:" in text and "Confidence:" in text
    assert text.count(HOSTILE[:40]) == sum(1 for q in views if q.kind == "open")
    assert "✅ Right." in text or "❌ Wrong." in text

    # Share: a spoiler-free line (level, ✅❌⏰ row, deep link) and a button to pick a chat.
    await user.tap(report, by_kind[ShareCb])
    shared = user.last()
    lines = shared["text"].split("\n")
    level = re.search(r"Estimated level: (\w+)", report["text"])
    assert level is not None and lines[0].endswith(f"{level.group(1)} level")
    marks = lines[1]
    assert len(marks) == 10 and set(marks) <= {"✅", "❌", "⏰"}
    link = re.search(r"https://t\.me/(\w+)\?start=(\S+)", lines[2])
    assert link is not None and link.group(1) == BOT_USER["username"]
    deep = parse(link.group(2))
    assert deep is not None and deep.kind == "interview"
    for q in views:  # no spoilers: no question, no topic, no answer
        assert q.topic not in shared["text"] and q.prompt[:30] not in shared["text"]
    [(label, url)] = [(b["text"], b["url"]) for row in shared["reply_markup"]["inline_keyboard"] for b in row]
    assert label == "↗️ Send to a chat"
    picked = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith("https://t.me/share/url?") and picked["url"] == [link.group(0)]
    assert marks in picked["text"][0]

    # The deep link from the share line starts an interview for whoever follows it.
    other = ChatDriver(app, api, OTHER_USER)
    await other.say(f"/start {link.group(2)}")
    assert "Mock interview" in other.last()["text"]

    # Someone else's transcript is not theirs to have.
    documents = len(api.of("sendDocument"))
    await other.tap(report, by_kind[TranscriptCb])
    await other.tap(report, by_kind[ShareCb])
    assert len(api.of("sendDocument")) == documents
    assert other.answers()[-2:] == [other.answers()[-1]] * 2 and other.answers()[-1]


def _session(by_kind: dict[type, str]) -> int:
    payload = unpack(by_kind[TranscriptCb])
    assert isinstance(payload, TranscriptCb)
    return payload.session_id
