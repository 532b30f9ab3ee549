"""Regenerate the README's pictures from the real code: docs/stats-chart.png and docs/transcript.png.

Run on demand: python bench/docs_images.py
A learner practises on the started Application (fake Bot API transport, injected clock, seeded rng): quizzes
on most of the last 30 days, then a mock interview. The chart is the PNG that /stats uploads; the
transcript is the HTML document that 📄 Transcript uploads, shot by headless Chromium at a phone's width
(Debian's chromium; fonts-noto-color-emoji for the emoji).
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import DEFAULT_QUESTIONS_DIR, Settings
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.telegram.callback import AnswerCb, InterviewAnswerCb, TranscriptCb, unpack
from tests.browser.cdp import FLAGS, chromium_path
from tests.clock import FakeClock
from tests.fake_bot_api import FakeBotApi, buttons
from tests.flows.driver import ChatDriver, running_app, services_of

DOCS = Path(__file__).resolve().parent.parent / "docs"
TOKEN = "6123456789:AAHx-docsSecretHashPart_Zq9wVbNm3Lk8Jt"
PHONE = (390, 1150)


async def _quiz(user: ChatDriver, clock: FakeClock, rng: random.Random, skill: float) -> None:
    await user.say("/quiz")
    picker = user.last()
    await user.tap(picker, next(d for label, d in buttons(picker) if "Fresher" in label))
    for _ in range(10):
        clock.advance(seconds=rng.randint(8, 40))
        asked = user.last_with_buttons()
        data = [d for _, d in buttons(asked) if isinstance(unpack(d), AnswerCb)]
        first = unpack(data[0])
        assert isinstance(first, AnswerCb)
        view = await services_of(user.app).interview.view(first.session_id, first.position)
        assert view is not None and isinstance(view.question, McqQuestion)
        right = view.order.index(view.question.correct_index)
        await user.tap(asked, data[right if rng.random() < skill else (right + 1) % len(data)])


async def _interview(user: ChatDriver, clock: FakeClock, rng: random.Random) -> dict[str, Any]:
    """A mock interview from "Intermediate": most MCQs right, open answers that name some key points."""
    await user.say("/interview")
    intro = user.last()
    await user.tap(intro, next(d for label, d in buttons(intro) if "Intermediate" in label))
    while (view := await services_of(user.app).interview.current(user.user_id)) is not None:
        clock.advance(seconds=rng.randint(15, 50))
        q = view.question
        if isinstance(q, McqQuestion):
            asked = user.last_with_buttons()
            data = [d for _, d in buttons(asked) if isinstance(unpack(d), InterviewAnswerCb)]
            right = view.order.index(q.correct_index)
            await user.tap(asked, data[right if rng.random() < 0.7 else (right + 1) % len(data)])
        else:
            assert isinstance(q, OpenQuestion)
            points = [kp.keywords[0] for kp in q.key_points[:2]]
            await user.say(
                f"I would start from {points[0]}"
                + (f", then {points[1]}" if len(points) > 1 else "")
                + ". For example:\n```python\nwith app.app_context():\n    db.create_all()\n```"
            )
    return next(m for m in reversed(user.messages()) if "Estimated level:" in m["text"])


async def generate(workdir: Path) -> tuple[bytes, bytes]:
    """The chart's PNG and the transcript's HTML, as the bot sent them."""
    settings = Settings(
        telegram_bot_token=TOKEN,
        database_path=workdir / "bot.sqlite3",
        questions_dir=DEFAULT_QUESTIONS_DIR,
        _env_file=None,
    )
    api, clock, rng = FakeBotApi(), FakeClock(), random.Random(7)
    async with running_app(settings, api, clock, seed=7) as app:
        user = ChatDriver(app, api)
        for day in range(30):
            if rng.random() < 0.75:
                for _ in range(rng.choice((1, 1, 2, 3))):
                    await _quiz(user, clock, rng, skill=0.45 + day / 70)
            clock.advance(days=1)
        report = await _interview(user, clock, rng)
        await user.tap(report, next(d for _, d in buttons(report) if isinstance(unpack(d), TranscriptCb)))
        await user.say("/stats")
    [(_, html)] = api.of("sendDocument")[-1].files.values()
    [(_, png)] = api.of("sendPhoto")[-1].files.values()
    return png, html


def screenshot(html_path: Path, out: Path, workdir: Path) -> None:
    """Chromium's own --screenshot of the page at a phone's width, at 2x for a sharp image."""
    browser = chromium_path()
    if browser is None:
        raise SystemExit("chromium is not installed: apt-get install chromium fonts-noto-color-emoji")
    flags = [f for f in FLAGS if not f.startswith("--remote-debugging")]
    subprocess.run(
        [
            browser,
            *flags,
            f"--user-data-dir={workdir / 'profile'}",
            f"--window-size={PHONE[0]},{PHONE[1]}",
            "--force-device-scale-factor=2",
            f"--screenshot={out}",
            html_path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def main() -> None:
    """Generate both pictures into docs/."""
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        png, html = asyncio.run(generate(work))
        (DOCS / "stats-chart.png").write_bytes(png)
        page = work / "transcript.html"
        page.write_bytes(html)
        screenshot(page, DOCS / "transcript.png", work)
    for name in ("stats-chart.png", "transcript.png"):
        print(f"wrote docs/{name} ({(DOCS / name).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
