"""`python -m bot broadcast FILE` against the loopback Bot API: killed midway (kill -9) and resumed."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pytest

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, run_command, run_push, start_command

pytestmark = pytest.mark.e2e

USERS = [9_700_000 + i for i in range(300)]
BLOCKED = set(USERS[5:300:30])  # 10 users who blocked the bot without it knowing: their sends get a 403
OPTED_OUT = USERS[7]
TEXT = '📣 <b>New in the bank</b>: 20 questions on <a href="https://flask.palletsprojects.com/">Flask 3.1</a>.'


def _news(api: BotApiServer, uid: int) -> list[str]:
    return [m.raw or "" for m in api.bot_messages(uid) if "New in the bank" in (m.text or "")]


async def _run(process: BotProcess, *args: str) -> tuple[int, str, str]:
    return await run_command(process, "broadcast", *args)


async def test_a_broadcast_killed_midway_resumes_and_reaches_everyone_once(
    api: BotApiServer, bot_process: BotProcess, tmp_path: Path
) -> None:
    bot_process.env["PUSH_RATE"] = "60"
    text = tmp_path / "news.html"
    text.write_text(TEXT)
    bad = tmp_path / "bad.html"
    bad.write_text("<b>unclosed, and a <blink>tag</blink> Telegram refuses")
    code, _, err = await _run(bot_process, str(bad))
    assert code == 2 and "<blink> is not a tag Telegram accepts" in err and "<b> is never closed" in err
    assert not api.calls["sendMessage"]

    code, out, _ = await run_push(bot_process)  # creates the database (nobody to push to)
    assert code == 0, out
    with sqlite3.connect(bot_process.db_path) as conn:
        conn.executemany(
            "INSERT INTO users (user_id, chat_id, first_name, created_at) VALUES (?, ?, 'U', 0)",
            [(uid, uid) for uid in USERS],
        )
        conn.execute("UPDATE users SET news = 0 WHERE user_id = ?", (OPTED_OUT,))
    for uid in USERS:
        api.open_chat(uid)
    api.blocked.update(BLOCKED)

    code, out, _ = await _run(bot_process, str(text), "--dry-run")
    assert code == 0 and "recipients: 299" in out and "New in the bank" in out
    assert not api.calls["sendMessage"]

    # Killed while 8 sends are in flight: Telegram has carried them out, their answers have not come back.
    first = await start_command(bot_process, "broadcast", str(text))
    await api.wait_for(lambda: sum(len(_news(api, u)) for u in USERS) >= 100, 60, "a third of the broadcast")
    api.lose_answers("sendMessage", 8)
    await api.wait_for(lambda: len(api.lost) >= 8, 30, "eight sends in flight")
    first.send_signal(signal.SIGKILL)
    await first.wait()
    in_flight = bot_process.query("SELECT COUNT(*) FROM broadcast_deliveries WHERE status = 'sending'")
    assert in_flight == [(8,)]

    code, out, err = await _run(bot_process, str(text))  # the same command again goes on where it stopped
    assert code == 0, err
    assert "resuming" in err and "left: 0" in out and "Traceback" not in err
    for uid in USERS:
        got = _news(api, uid)
        if uid in BLOCKED or uid == OPTED_OUT:
            assert got == [], uid
        else:
            assert got == [TEXT], (uid, got)  # exactly once, as written
    assert {m.buttons[0][1] for u in USERS for m in api.bot_messages(u)} == {"no"}  # the opt-out button
    blocked = bot_process.query("SELECT user_id FROM users WHERE blocked = 1 ORDER BY user_id")
    assert [r[0] for r in blocked] == sorted(BLOCKED)
    assert bot_process.query("SELECT status FROM broadcasts") == [("done",)]
