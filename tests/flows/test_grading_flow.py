"""Graded open answers on the started Application: in /review at once, with the LLM fake or offline."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from telegram.ext import Application

from bot.config import Settings
from bot.services.mock_interview import DebriefPage
from bot.storage.interviews import InterviewStore
from bot.telegram.callback import DebriefCb, GradeCb, unpack
from bot.telegram.observe import metrics_of
from bot.telegram.services import services_of
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons, voice_update
from tests.fake_llm import FakeLlm, recorded
from tests.flows.driver import ChatDriver, Sleeper, started_app, stop_app

QID = "basics-flask-run-vs-python"
ANSWER = (
    "python app.py just runs the file, and only serves if it calls app.run() at the bottom. flask run finds "
    "the app itself (FLASK_APP or --app) and is what the docs recommend. Both are dev servers only."
)


def with_llm(settings: Settings, fake: FakeLlm, **extra: Any) -> Settings:
    """The test settings with the LLM grader pointed at the loopback fake."""
    return settings.model_copy(update={"llm_base_url": fake.base_url, "llm_model": "test-model", **extra})


@pytest_asyncio.fixture
async def started(api: FakeBotApi, clock: FakeClock) -> AsyncIterator[Any]:
    """Starts an Application on given settings (tests/flows/driver.py); stops every one it started."""
    apps: list[Application] = []  # type: ignore[type-arg]

    async def start(s: Settings) -> Application:  # type: ignore[type-arg]
        apps.append(await started_app(s, api, clock, Sleeper(clock)))
        return apps[-1]

    yield start
    for app in apps:
        await stop_app(app)


async def _review_of(app: Application, user: ChatDriver, clock: FakeClock, qid: str = QID) -> None:  # type: ignore[type-arg]
    """A one-question review session waiting on an open question."""
    await user.say("/start")
    store = InterviewStore(services_of(app).db)
    now = int(clock.now().timestamp() * 1000)
    assert await store.create_session(user.user_id, "quiz", "fresher", [(qid, ())], None, now, "review") is not None


def _grade_rows(settings: Settings) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.database_path) as raw:
        return list(raw.execute("SELECT position, grader, json_extract(detail, '$.score') FROM answer_grades"))


async def test_review_answer_shows_the_llm_grade_with_the_suggestion_marked(
    settings: Settings, api: FakeBotApi, clock: FakeClock, fake_llm: FakeLlm, started: Any
) -> None:
    fake_llm.replies.append(recorded(QID))
    app = await started(with_llm(settings, fake_llm))
    user = ChatDriver(app, api)
    await _review_of(app, user, clock)
    await user.say(ANSWER)
    # "Grading…" goes out at once and is edited into the grade when the LLM answers.
    assert "Grading your answer" in api.sent_texts()[-1]
    shown = user.last()
    text = shown["text"]
    assert "Model answer" in text and "Key points" in text
    assert "💬 Good on how each command finds and starts the app." in text
    assert "✅ python app.py runs the module" in text
    assert "🔎 <i>A follow-up to think about:</i> What happens to an app.run() call in app.py" in text
    # The reply quoted words the answer never said for point 4: that point counts as missing.
    marks = [line.split(" ", 1)[0] for line in text.splitlines()]
    assert marks.count("▫️") == 1 and marks.count("🌓") == 2 and marks.count("✅") == 2
    assert "Suggested: <b>🤏 Partly</b> (the AI grader)" in text
    labels = [label for label, _ in buttons(shown)]
    assert labels == ["💪 Nailed it", "👉 🤏 Partly", "🙈 Missed"]
    assert len(fake_llm.requests) == 1 and ANSWER in fake_llm.prompts()[-1]
    [(position, grader, score)] = _grade_rows(settings)
    assert position == 0 and grader == "llm" and score == 0.6
    # The learner's tap decides: "Nailed it" against the suggested "Partly".
    nailed = next(d for label, d in buttons(shown) if "Nailed" in label)
    assert isinstance(unpack(nailed), GradeCb)
    await user.tap(shown, nailed)
    graded = api.messages[(user.user_id, shown["message_id"])]["text"]
    assert "Your grade: <b>💪 Nailed it</b>" in graded and "💬 Good on how" in graded
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT self_grade FROM answers").fetchall() == [("nailed",)]
    # Operators see the LLM calls by outcome.
    admin = ChatDriver(app, api, user_id=42)
    await admin.say("/admin")
    assert "LLM grader: ok 1 (~" in admin.last()["text"]
    metrics = metrics_of(app)
    assert metrics is not None
    assert metrics.registry.get_sample_value("bot_grader_calls_total", {"outcome": "ok"}) == 1
    assert metrics.registry.get_sample_value("bot_grader_seconds_count") == 1


async def test_invalid_json_from_the_llm_falls_back_to_the_offline_grade(
    settings: Settings, api: FakeBotApi, clock: FakeClock, fake_llm: FakeLlm, started: Any
) -> None:
    fake_llm.mode = "not_json"
    app = await started(with_llm(settings, fake_llm))
    user = ChatDriver(app, api)
    await _review_of(app, user, clock)
    await user.say(ANSWER)
    text = user.last()["text"]
    assert "Suggested:" in text and "(the grader)" in text and "Traceback" not in text
    assert [g for _, g, _ in _grade_rows(settings)] == ["offline"]
    admin = ChatDriver(app, api, user_id=42)
    await admin.say("/admin")
    assert "LLM grader: invalid_json 1 (~" in admin.last()["text"]


async def test_offline_grade_comes_in_one_message_and_a_resume_shows_it_again(
    settings: Settings, api: FakeBotApi, clock: FakeClock, started: Any
) -> None:
    app = await started(settings)
    user = ChatDriver(app, api)
    await _review_of(app, user, clock)
    sent = len(api.sent_texts())
    await user.say("flask run is what the docs recommend; python app.py only serves when it calls app.run()")
    assert len(api.sent_texts()) == sent + 1
    first = user.last()["text"]
    assert "Suggested:" in first and "(the grader)" in first and "👉" in "".join(lb for lb, _ in buttons(user.last()))
    # A second answer before the grade tap gets the same grade again, not a new one.
    await user.say("something else entirely")
    assert "grade your answer" in api.sent_texts()[-2] and user.last()["text"] == first


AUDIO = b"OggS\x00fake-opus-audio" * 64


async def test_a_voice_answer_is_transcribed_shown_and_graded_like_text(
    settings: Settings, api: FakeBotApi, clock: FakeClock, fake_llm: FakeLlm, started: Any
) -> None:
    app = await started(with_llm(settings, fake_llm, transcribe_model="whisper-1"))
    user = ChatDriver(app, api)
    await _review_of(app, user, clock)
    api.files["v1"] = AUDIO
    await app.process_update(voice_update(app.bot, user.user_id, "v1", 14, len(AUDIO)))
    assert [c.method for c in api.calls if c.method in ("getFile", "download")] == ["getFile", "download"]
    assert fake_llm.transcriptions == [("whisper-1", AUDIO)]
    heard = next(t for t in api.sent_texts() if "I heard" in t)
    assert heard == f"🎙 I heard: <i>{fake_llm.transcript}</i>"
    # Graded like typed text: the transcript is the answer the grader read and the one stored.
    assert fake_llm.transcript in fake_llm.prompts()[-1]
    assert "Suggested:" in user.last()["text"] and buttons(user.last())
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT answer_text FROM answers").fetchall() == [(fake_llm.transcript,)]
    # The audio itself is stored nowhere.
    assert AUDIO[:16] not in settings.database_path.read_bytes()
    # /privacy says the audio goes to the LLM host and is not kept.
    await user.say("/privacy")
    assert "127.0.0.1" in user.last()["text"] and "never the audio" in user.last()["text"]


async def test_voice_refusals_too_long_unheard_and_without_transcription(
    settings: Settings, api: FakeBotApi, clock: FakeClock, fake_llm: FakeLlm, started: Any
) -> None:
    app = await started(with_llm(settings, fake_llm, transcribe_model="whisper-1"))
    user = ChatDriver(app, api)
    await _review_of(app, user, clock)
    api.files["long"] = AUDIO
    await app.process_update(voice_update(app.bot, user.user_id, "long", 121, len(AUDIO)))
    assert "too long" in user.last()["text"]
    await app.process_update(voice_update(app.bot, user.user_id, "big", 30, 2 * 1024 * 1024 + 1))
    assert "too long" in user.last()["text"]
    assert not api.of("getFile") and not fake_llm.transcriptions  # refused before anything was downloaded
    fake_llm.mode = "status"
    api.files["v2"] = AUDIO
    await app.process_update(voice_update(app.bot, user.user_id, "v2", 10, None))
    assert "could not make out" in user.last()["text"] and "Traceback" not in user.last()["text"]
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)  # still waiting for an answer
    # Without TRANSCRIBE_MODEL: one line asking for text, and nothing downloaded.
    plain = await started(settings.model_copy(update={"database_path": settings.database_path.with_name("b.db")}))
    other = ChatDriver(plain, api, user_id=2002)
    await _review_of(plain, other, clock)
    sent = len(api.sent_texts())
    await plain.process_update(voice_update(plain.bot, other.user_id, "v3", 10, 100))
    assert api.sent_texts()[sent:] == ["I can't listen to voice messages here: please type your answer."]
    assert len(api.of("getFile")) == 1


async def _interview(app: Application, user: ChatDriver, answer: Any, on_open: Any = None) -> list[str]:  # type: ignore[type-arg]
    """Run a whole mock interview: the first option of every MCQ, `answer(question)` to every open one."""
    from bot.domain.bank import McqQuestion

    await user.say("/interview")
    intro = user.last()
    await user.tap(intro, buttons(intro)[0][1])
    asked: list[str] = []
    while (view := await services_of(app).interview.current(user.user_id)) is not None:
        asked.append(view.question.id)
        if isinstance(view.question, McqQuestion):
            message = user.last_with_buttons()
            await user.tap(message, buttons(message)[0][1])
        else:
            await user.say(answer(view.question))
            if on_open is not None:
                on_open(view)
    return asked


async def test_interview_with_the_llm_asks_follow_ups_and_debriefs_with_feedback_and_suggestion(
    settings: Settings, api: FakeBotApi, clock: FakeClock, fake_llm: FakeLlm, started: Any
) -> None:
    app = await started(with_llm(settings, fake_llm))
    user = ChatDriver(app, api)
    asked = await _interview(app, user, lambda q: "I am not sure, something about Flask")
    # Open answers that missed their key points were probed by an authored follow-up on one of them, at most twice.
    follow_ups = [(i, qid) for i, qid in enumerate(asked) if "/" in qid]
    assert 1 <= len(follow_ups) <= 2 and len(asked) == 10
    for i, qid in follow_ups:
        assert asked[i - 1] == qid.split("/")[0]
    # The grades land in the background, each when its LLM call returns: the interview never waited for them.
    graded = await _landed(app, await _last_session(settings))
    open_pages = [p for p in graded if p.grade is not None]
    assert len(open_pages) >= 3 and all(p.grade is not None and p.grade.grader == "llm" for p in open_pages)
    # Every open answer went to the LLM, follow-ups graded against their own key points.
    assert len(fake_llm.requests) == len(open_pages)
    debrief = next(m for m in user.messages() if m["text"].startswith("<b>Debrief 1/10</b>"))
    index = next(i for i, p in enumerate(graded) if p.grade is not None)
    await user.tap(debrief, DebriefCb(graded[0].view.session_id, index).pack())
    page = api.messages[(user.user_id, debrief["message_id"])]
    assert "💬 Some of it is there." in page["text"] and "(the AI grader)" in page["text"]
    assert "Suggested: <b>🤏 Partly</b>" in page["text"]
    assert any(label.startswith("👉") for label, _ in buttons(page))
    report = next(m for m in reversed(user.messages()) if "Estimated level:" in m["text"])
    assert "count with the grader's score until you grade them in the debrief" in report["text"]
    # Graded in the debrief, a follow-up's tap updates the report but makes no review card of its own (alone
    # in /review it would lack the question it follows); its Report button files against the parent question.
    position, qid = follow_ups[0]
    await user.tap(debrief, DebriefCb(graded[0].view.session_id, position).pack())
    page = api.messages[(user.user_id, debrief["message_id"])]
    nailed = next(d for label, d in buttons(page) if "Nailed" in label)
    await user.tap(page, nailed)
    assert "Your grade: <b>💪 Nailed it</b>" in api.messages[(user.user_id, debrief["message_id"])]["text"]
    with sqlite3.connect(settings.database_path) as raw:
        cards = {r[0] for r in raw.execute("SELECT question_id FROM cards")}
    assert not any("/" in c for c in cards)
    session = graded[0].view.session_id
    assert await services_of(app).reports.question_of(user.user_id, session, position) == qid.split("/")[0]


async def _landed(app: Application, session: int) -> list[DebriefPage]:  # type: ignore[type-arg]
    """The debrief pages once each grade the debrief went out without has landed and been shown."""
    # The bot watches each such grade (bot/telegram/handlers/interview.py) and edits the debrief when it lands.
    async with asyncio.timeout(30):
        await asyncio.gather(*(t for t in asyncio.all_tasks() if t.get_name() == "grade-landed"))
    pages = await services_of(app).mock.debrief_pages_of(session)
    assert not services_of(app).mock.grading_positions(pages)
    return pages


async def _last_session(settings: Settings) -> int:
    with sqlite3.connect(settings.database_path) as raw:
        return int(raw.execute("SELECT MAX(session_id) FROM sessions").fetchone()[0])


async def test_a_hanging_llm_never_holds_up_the_interview_and_the_debrief_is_edited_when_grades_fall_back(
    settings: Settings, api: FakeBotApi, clock: FakeClock, fake_llm: FakeLlm, started: Any
) -> None:
    fake_llm.mode = "hang"
    app = await started(with_llm(settings, fake_llm, llm_timeout=60))
    user = ChatDriver(app, api)
    seen: list[bool] = []

    def next_question_out(view: Any) -> None:
        # When the answer's handler returns, the next question is in the chat while the grade still hangs.
        current = next(m for m in reversed(user.messages()) if "<b>Question " in m["text"])
        assert current["text"].startswith(f"<b>Question {view.position + 2}/") or view.position == 9
        seen.append(services_of(app).grading.pending(view.session_id, view.position))

    asked = await _interview(app, user, lambda q: "flask run and app.run are dev servers", next_question_out)
    assert len(asked) == 10 and len(seen) >= 3 and all(seen)
    await fake_llm.wait_requests(len(seen))  # every grade went out to the endpoint, and hangs there
    session = await _last_session(settings)
    pages = await services_of(app).mock.debrief_pages_of(session)
    waiting = [i for i, p in enumerate(pages) if p.grading]
    assert waiting  # no grade has landed: the endpoint hangs
    debrief = next(m for m in user.messages() if m["text"].startswith("<b>Debrief 1/10</b>"))
    await user.tap(debrief, DebriefCb(session, waiting[0]).pack())
    assert "Grading your answer" in api.messages[(user.user_id, debrief["message_id"])]["text"]
    # The endpoint gives up (an error): each grade falls back to the offline one and the page is edited.
    fake_llm._release.set()
    await api.wait_for(lambda: "Suggested:" in api.messages[(user.user_id, debrief["message_id"])]["text"])
    page = api.messages[(user.user_id, debrief["message_id"])]["text"]
    assert "(the grader)" in page and "Grading your answer" not in page
    with sqlite3.connect(settings.database_path) as raw:
        graders = {r[0] for r in raw.execute("SELECT grader FROM answer_grades WHERE session_id = ?", (session,))}
    assert graders == {"offline"}
