"""The timed mock interview against the loopback Bot API, as a real process, with INTERVIEW_SECONDS_MCQ=3:
one question is left unanswered and times out; the interview ends in the debrief and the report."""

from __future__ import annotations

import io
from typing import Any

import PIL.Image
import pytest

from tests.e2e.botapi import BOT_USER, BotApiServer, StoredMessage
from tests.e2e.conftest import BotProcess, wait_answered

pytestmark = pytest.mark.e2e

USER = 7_300_001
LEFT_TO_TIME_OUT = 2


def _question(api: BotApiServer, number: int) -> StoredMessage | None:
    return next(
        (m for m in api.bot_messages(USER) if (m.text or "").startswith(f"Question {number}/10")),
        None,
    )


async def test_interview_with_a_timeout_ends_in_debrief_and_report(api: BotApiServer, bot_process: BotProcess) -> None:
    api.watch.append(USER)
    bot_process.env["INTERVIEW_SECONDS_MCQ"] = "3"
    await bot_process.start()
    api.send_text(USER, "/interview")
    await api.wait_for(lambda: api.last_with_buttons(USER) is not None, 30, "the interview intro")
    intro = api.last_with_buttons(USER)
    assert intro is not None and "Mock interview" in (intro.text or "")
    await wait_answered(api, api.tap(USER, intro, label="Not sure"))
    for number in range(1, 11):
        await api.wait_for(lambda n=number: _question(api, n) is not None, 60, f"question {number}")
        question = _question(api, number)
        assert question is not None and "to answer" in (question.text or "")
        if number == LEFT_TO_TIME_OUT:
            assert question.buttons, "the question to leave unanswered should be multiple choice"
            # Nobody answers: after 3 s the job queue closes it with ⏰ and asks the next one.
            await api.wait_for(
                lambda: any(
                    f"Time is up for question {LEFT_TO_TIME_OUT}" in (m.text or "") for m in api.bot_messages(USER)
                ),
                60,
                "the timeout message",
            )
            continue
        if question.buttons:
            await wait_answered(api, api.tap(USER, question, question.buttons[0][1]))
        else:
            api.send_text(USER, "It depends on the application context and the request context.")
    await api.wait_for(
        lambda: any("Estimated level:" in (m.text or "") for m in api.bot_messages(USER)), 60, "the report"
    )
    report = next(m for m in api.bot_messages(USER) if "Estimated level:" in (m.text or ""))
    assert any(
        f"Estimated level: {name}" in (report.text or "")
        for name in ("Fresher", "Intermediate", "Experienced", "Advanced")
    )
    assert any((m.text or "").startswith("Debrief 1/10") and m.buttons for m in api.bot_messages(USER))
    [(status, estimate)] = bot_process.query("SELECT status, estimate_level FROM sessions WHERE mode = 'interview'")
    assert status == "finished" and estimate is not None
    rows = bot_process.query("SELECT position, timed_out FROM answers ORDER BY position")
    assert [r[0] for r in rows] == list(range(10))
    assert (LEFT_TO_TIME_OUT - 1, 1) in rows

    # 📄 Transcript: the whole interview as an HTML document, uploaded as multipart sendDocument.
    await wait_answered(api, api.tap(USER, report, label="📄 Transcript"))
    await api.wait_for(lambda: _uploads(api, "sendDocument", "document") != [], 30, "the transcript document")
    [document] = _uploads(api, "sendDocument", "document")
    assert document["filename"].endswith(".html") and document["size"] == len(document["content"])
    page = document["content"].decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<section>") == 10
    assert "Question 10/10" in page and "Estimated level:" in page and "<script" not in page
    assert "It depends on the application context" in page
    assert any("document" in m.extra for m in api.bot_messages(USER))
    # Share: the spoiler-free line with the ✅❌⏰ row and the deep link to this bot.
    await wait_answered(api, api.tap(USER, report, label="📣 Share"))
    link = f"https://t.me/{BOT_USER['username']}?start=interview"
    await api.wait_for(lambda: any(link in (m.text or "") for m in api.bot_messages(USER)), 30, "the share line")
    shared = next(m for m in api.bot_messages(USER) if link in (m.text or ""))
    marks = (shared.text or "").split("\n")[1]
    assert len(marks) == 10 and marks.count("⏰") >= 1 and set(marks) <= {"✅", "❌", "⏰"}

    # /stats: the chart as a photo (multipart sendPhoto, a real PNG), then the text.
    api.send_text(USER, "/stats")
    await api.wait_for(lambda: _uploads(api, "sendPhoto", "photo") != [], 60, "the /stats chart")
    [photo] = _uploads(api, "sendPhoto", "photo")
    assert photo["content_type"] == "image/png" and photo["content"].startswith(b"\x89PNG\r\n\x1a\n")
    image = PIL.Image.open(io.BytesIO(photo["content"]))
    assert image.width == 800 and image.height > 600
    await api.wait_for(
        lambda: "Your progress" in (api.bot_messages(USER)[-1].text or ""), 30, "the /stats text after the chart"
    )
    assert any("photo" in m.extra for m in api.bot_messages(USER))
    assert await bot_process.terminate() == 0


def _uploads(api: BotApiServer, method: str, part: str) -> list[dict[str, Any]]:
    """The files the bot uploaded with `method` (multipart), as the loopback API received them."""
    return [p[part] for m, p in api.requests if m == method and isinstance(p.get(part), dict)]
