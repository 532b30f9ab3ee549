"""The adaptive mock interview on the started Application: timed questions, a timeout by the job queue, a
restart that closes an overdue question, no verdict until the end, the paged debrief and the report."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import aiosqlite
from telegram.ext import Application

from bot.config import Settings
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.telegram.app import build_application
from bot.telegram.callback import (
    DebriefCb,
    DebriefGradeCb,
    InterviewAnswerCb,
    ReportCb,
    ShareCb,
    TranscriptCb,
    WeakTopicsCb,
    unpack,
)
from bot.telegram.handlers import interview as interview_flow
from bot.telegram.services import Services
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons, unthrottled
from tests.flows.driver import ChatDriver


async def _started(settings: Settings, api: FakeBotApi, clock: FakeClock, seed: int) -> Application:  # type: ignore[type-arg]
    app = build_application(settings, clock=clock, rng=random.Random(seed), request=api, limiter=unthrottled(settings))
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()  # the update processor and the job queue run, as in production
    return app


async def _stopped(app: Application) -> None:  # type: ignore[type-arg]
    await app.stop()
    await app.shutdown()
    assert app.post_shutdown is not None
    await app.post_shutdown(app)


def _svc(app: Application) -> Services:  # type: ignore[type-arg]
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


async def _rows(path: Path) -> list[tuple[Any, ...]]:
    async with aiosqlite.connect(path) as conn:
        cur = await conn.execute(
            "SELECT a.position, a.kind, a.chosen, a.timed_out, a.over_time, a.time_taken_ms, q.closed_at "
            "FROM answers a JOIN session_questions q USING (session_id, position) ORDER BY a.position"
        )
        return [tuple(r) for r in await cur.fetchall()]


def _with(message: dict[str, Any], kind: type) -> list[tuple[str, str]]:
    return [(label, data) for label, data in buttons(message) if isinstance(unpack(data), kind)]


async def test_whole_interview_with_timeout_restart_debrief_and_report(
    settings: Settings, api: FakeBotApi, clock: FakeClock
) -> None:
    app = await _started(settings, api, clock, seed=11)
    try:
        user = ChatDriver(app, api)
        await user.say("/interview")
        intro = user.last()
        assert "about 10 questions" in intro["text"] and "discussed at the end" in intro["text"]
        assert [label for label, _ in buttons(intro)][-1] == "🤷 Not sure"
        await user.tap(intro, buttons(intro)[-1][1])
        levels: list[str] = []
        topics: set[str] = set()
        for number in range(1, 11):
            view = await _svc(app).interview.current(user.user_id)
            assert view is not None and view.position == number - 1
            asked = next(m for m in reversed(user.messages()) if f"Question {number}/10" in m["text"])
            assert "⏱" in asked["text"]
            levels.append(view.question.level.value)
            topics.add(view.question.topic)
            if number == 4:
                # The deadline job fires: time is up, the question closes with ⏰ and the next one comes.
                clock.advance(seconds=_svc(app).mock.budgets.of(view.question.kind) + 1)
                assert app.job_queue is not None
                [job] = app.job_queue.get_jobs_by_name(f"deadline-{view.session_id}-{view.position}")
                await job.run(app)
                assert "⏰ Time is up for question 4" in api.sent_texts()[-2]
                assert "⏰" in api.messages[(user.user_id, asked["message_id"])]["text"]
                # A second run (a late job, a second process) closes nothing twice.
                sent = len(api.sent_texts())
                await interview_flow.expire(app, view.session_id, view.position)
                assert len(api.sent_texts()) == sent
                continue
            if number == 7:
                # The bot goes down while question 7 waits and its time runs out; the restart closes it once.
                clock.advance(seconds=_svc(app).mock.budgets.of(view.question.kind) + 5)
                await _stopped(app)
                app = await _started(settings, api, clock, seed=12)
                user = ChatDriver(app, api)
                assert any("⏰ Time is up for question 7" in t for t in api.sent_texts()[-3:])
                continue
            clock.advance(seconds=20)
            if isinstance(view.question, McqQuestion):
                await user.say("B")
                assert "Tap one of the buttons" in user.last()["text"]
                [(_, data), *_] = _with(asked, InterviewAnswerCb)
                await user.tap(asked, data)
                edited = api.messages[(user.user_id, asked["message_id"])]
                # No verdict before the end: only the choice.
                assert "Your answer:" in edited["text"] and "✅" not in edited["text"] and "❌" not in edited["text"]
                assert "reply_markup" not in edited
                await user.tap(asked, data)
                assert user.answers()[-1] == "You already answered this question."
            else:
                assert isinstance(view.question, OpenQuestion)
                await user.say(f"I would say {view.question.key_points[0].keywords[0]} <b>matters</b>")
                assert any("Answer received" in t for t in api.sent_texts()[-2:])
        assert len(topics) >= 6
        texts = api.sent_texts()
        assert any("Interview over" in t for t in texts)
        report = next(m for m in reversed(user.messages()) if "Estimated level:" in m["text"])
        assert any(f"Estimated level: {name}" in report["text"] for name in ("Fresher", "Intermediate", "Experienced"))
        assert "Confidence:" in report["text"] and "Total time:" in report["text"] and "2 timed out" in report["text"]
        assert "first interview" in report["text"]
        # Weak-topic quizzes, then one row with the transcript and the share line (tests/flows/test_results_flow.py).
        kinds = [type(unpack(data)) for _, data in buttons(report)]
        assert kinds[-2:] == [TranscriptCb, ShareCb] and set(kinds[:-2]) <= {WeakTopicsCb}
        rows = await _rows(settings.database_path)
        assert len(rows) == 10 and [r[0] for r in rows] == list(range(10))
        assert sum(r[3] for r in rows) == 2 and all(r[6] is not None for r in rows)
        assert all(r[5] is not None and r[5] >= 0 for r in rows)

        # The debrief: one message, paged with ◀ ▶, a Report button, self-grades on open pages.
        debrief = next(m for m in user.messages() if m["text"].startswith("<b>Debrief 1/10</b>"))
        seen_pages = 1
        graded = False
        while True:
            page = api.messages[(user.user_id, debrief["message_id"])]
            assert len(_with(page, ReportCb)) == 1
            grades = _with(page, DebriefGradeCb)
            if grades:
                assert "Model answer" in page["text"] and "&lt;b&gt;matters" in page["text"]
                before = api.messages[(user.user_id, report["message_id"])]["text"]
                await user.tap(page, grades[0][1])
                page = api.messages[(user.user_id, debrief["message_id"])]
                assert "Your grade:" in page["text"] and not _with(page, DebriefGradeCb)
                graded = True
                assert (
                    api.messages[(user.user_id, report["message_id"])]["text"] != before or "open answer" not in before
                )
            forward = [d for label, d in _with(page, DebriefCb) if label == "▶"]
            if not forward:
                break
            await user.tap(page, forward[0])
            seen_pages += 1
        assert seen_pages == 10 and graded
        await user.say("/history")
        assert "mock interview" in user.last()["text"] and "estimated level: <b>" in user.last()["text"]
        # The next interview (all answered at once) reports the change since this one.
        await user.say("/interview")
        intro = user.last()
        await user.tap(intro, buttons(intro)[0][1])
        while (view := await _svc(app).interview.current(user.user_id)) is not None:
            if isinstance(view.question, McqQuestion):
                await user.tap(user.last_with_buttons(), _with(user.last_with_buttons(), InterviewAnswerCb)[0][1])
            else:
                await user.say("no idea")
        second = next(m for m in reversed(user.messages()) if "Estimated level:" in m["text"])
        assert second["message_id"] != report["message_id"] and "Since your previous interview" in second["text"]
    finally:
        await _stopped(app)


async def test_a_question_whose_send_fails_still_times_out(
    settings: Settings, api: FakeBotApi, clock: FakeClock
) -> None:
    app = await _started(settings, api, clock, seed=11)
    try:
        user = ChatDriver(app, api)
        await user.say("/interview")
        intro = user.last()
        api.fail("sendMessage", 400, "Bad Request: the question could not be sent")
        await user.tap(intro, buttons(intro)[0][1])
        assert not any("Question 1/10" in m["text"] for m in user.messages())  # the first question never went out
        view = await _svc(app).interview.current(user.user_id)
        assert view is not None and view.position == 0 and view.message_id is None
        # Its deadline is armed all the same: when the time is up, the question closes and the next one comes.
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name(f"deadline-{view.session_id}-0")
        clock.advance(seconds=_svc(app).mock.budgets.of(view.question.kind) + 1)
        await job.run(app)
        assert any("⏰ Time is up for question 1" in t for t in api.sent_texts())
        assert any("Question 2/10" in m["text"] for m in user.messages())
        after = await _svc(app).interview.current(user.user_id)
        assert after is not None and after.position == 1 and after.message_id is not None
    finally:
        await _stopped(app)
