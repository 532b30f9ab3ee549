"""How long a typed interview answer takes until the next question is out: LLM off, LLM on and answering,
LLM on and hanging (the loopback fake). The grade runs in the background, so the three should match.

Usage: python bench/interview_grading_latency.py [--rounds N]
Each round runs three whole mock interviews (one per mode) on a real PTB Application with the in-process fake
Bot API; it reports the median time per open answer and the ratios to the LLM-off run of the same round.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import DEFAULT_QUESTIONS_DIR, Settings  # noqa: E402
from bot.domain.bank import McqQuestion  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from bot.telegram.services import Services  # noqa: E402
from tests.clock import FakeClock  # noqa: E402
from tests.fake_bot_api import FakeBotApi, buttons, unthrottled  # noqa: E402
from tests.fake_llm import FakeLlm  # noqa: E402
from tests.flows.driver import ChatDriver  # noqa: E402

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


async def _interview(settings: Settings, user_id: int) -> list[float]:
    """Seconds from each typed answer to the handler's return (the next question sent)."""
    api = FakeBotApi()
    app = build_application(
        settings, clock=FakeClock(), rng=random.Random(3), request=api, limiter=unthrottled(settings)
    )
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    user = ChatDriver(app, api, user_id)
    timings: list[float] = []
    try:
        await user.say("/interview")
        intro = user.last()
        await user.tap(intro, buttons(intro)[0][1])
        while (view := await services.interview.current(user_id)) is not None:
            if isinstance(view.question, McqQuestion):
                message = user.last_with_buttons()
                await user.tap(message, buttons(message)[0][1])
                continue
            started = time.perf_counter()
            await user.say("flask run finds the app; app.run is for the dev server only")
            timings.append(time.perf_counter() - started)
    finally:
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
    return timings


async def main(rounds: int) -> None:
    fake = FakeLlm()
    await fake.start()
    hanging = FakeLlm(mode="hang")
    await hanging.start()
    rows: dict[str, list[float]] = {"off": [], "llm answering": [], "llm hanging": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds):
                for mode, base in (("off", None), ("llm answering", fake.base_url), ("llm hanging", hanging.base_url)):
                    values: dict[str, Any] = {
                        "telegram_bot_token": TOKEN,
                        "database_path": Path(tmp) / f"{r}-{mode}.sqlite3",
                        "questions_dir": DEFAULT_QUESTIONS_DIR,
                        "llm_timeout": 60,
                    }
                    if base is not None:
                        values.update(llm_base_url=base, llm_model="bench")
                    rows[mode] += await _interview(Settings(_env_file=None, **values), 1000 + r)
    finally:
        await fake.stop()
        await hanging.stop()
    base = statistics.median(rows["off"])
    print(f"open answers per mode: {len(rows['off'])} ({rounds} interviews)")
    for mode, values in rows.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"{mode:14} median {median * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms  ratio to off {median / base:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
