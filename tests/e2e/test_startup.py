"""Start-up failures as an operator meets them: one clear line, exit 2, never the token, never a hang.

Each case runs `python -m bot` (or `practice`) as a real process against the loopback Bot API.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import BotProcess, make_bot_process

pytestmark = pytest.mark.e2e

USER = 9_300_001
# The right form, but not the token the loopback API was started with: it answers 401.
WRONG_TOKEN = "6123456789:AAHx-wrongSecretHash_Qq1wErTy2UiOp3As"


def _secret_parts(token: str) -> set[str]:
    secret = token.split(":", 1)[1]
    return {token, secret, secret[:12], secret[-12:]}


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


async def _run(env: dict[str, str], cwd: Path, *args: str, within: float = 15.0) -> tuple[int, str]:
    """Run `python -m bot *args` to its end with stdin closed; (exit code, stdout + stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), within)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"`python -m bot {' '.join(args)}` still running after {within}s (a hang)") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


async def test_rejected_token_is_one_line_without_the_token(api: BotApiServer, bot_process: BotProcess) -> None:
    bot_process.env["TELEGRAM_BOT_TOKEN"] = WRONG_TOKEN
    code, out = await _run(bot_process.env, bot_process.workdir)
    assert code == 2, out
    assert "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized); check the token from @BotFather" in out
    assert "Traceback" not in out
    for part in _secret_parts(WRONG_TOKEN):
        assert part not in out, f"{part!r} leaked"
    assert api.calls["getMe"] == 1, "a rejected token is not retried"


async def test_malformed_token_stops_before_any_request(api: BotApiServer, bot_process: BotProcess) -> None:
    bot_process.env["TELEGRAM_BOT_TOKEN"] = "12345:not-a-real-token"
    code, out = await _run(bot_process.env, bot_process.workdir)
    assert code == 2, out
    assert _lines(out) == [_lines(out)[0]] and "TELEGRAM_BOT_TOKEN" in out
    assert "not-a-real-token" not in out
    assert api.requests == []


async def test_api_down_at_start_is_ridden_out(api: BotApiServer, bot_process: BotProcess) -> None:
    api.fail_for("getMe", 502, "Bad Gateway", seconds=10)
    await bot_process.start(ready=False)
    await bot_process.wait_polling(0, within=60)
    api.send_text(USER, "/start")
    await api.wait_for(lambda: api.last_with_buttons(USER) is not None, 20, "the greeting after recovery")
    log = bot_process.stderr()
    assert api.calls["getMe"] >= 3, "getMe was not retried"
    assert "getMe: the Bot API did not answer (Bad Gateway); attempt 1, retrying in 1 s" in log
    assert "Traceback" not in log
    # One line per attempt: the rate limiter leaves getMe's retries to start-up.
    assert "getMe to chat" not in log
    assert await bot_process.terminate() == 0


async def test_sigterm_during_start_up_retries_exits_0(api: BotApiServer, bot_process: BotProcess) -> None:
    api.fail_for("getMe", 502, "Bad Gateway", seconds=120)
    await bot_process.start(ready=False)
    await api.wait_for(lambda: api.calls["getMe"] >= 2, 20, "a retried getMe")
    assert await bot_process.terminate(within=5) == 0
    assert "Traceback" not in bot_process.stderr()


def _not_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 this is a zip file, not a database\n" * 200)


def _newer_schema(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("command", [(), ("practice",)], ids=["bot", "practice"])
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not-sqlite", "is not an SQLite database"),
        ("newer-schema", "has schema version 999, newer than this bot knows"),
        ("folder-is-a-file", "cannot create the folder"),
    ],
)
async def test_bad_database_is_one_line_and_exit_2(
    api: BotApiServer, bot_process: BotProcess, tmp_path: Path, command: tuple[str, ...], case: str, expected: str
) -> None:
    db = tmp_path / "store" / "bot.sqlite3"
    if case == "not-sqlite":
        _not_sqlite(db)
    elif case == "newer-schema":
        _newer_schema(db)
    else:
        (tmp_path / "store").write_text("a file where the folder should be")
    before = db.read_bytes() if db.exists() else None
    bot_process.env["DATABASE_PATH"] = str(db)
    code, out = await _run(bot_process.env, bot_process.workdir, *command, within=15)
    assert code == 2, out
    errors = [line for line in _lines(out) if line.startswith("DATABASE_PATH:")]
    assert len(errors) == 1 and expected in errors[0], out
    assert "Traceback" not in out
    # Left exactly as it was: the same bytes, or still absent when its folder could not be made.
    assert (db.read_bytes() if db.exists() else None) == before, "the file was changed"
    assert api.calls["getMe"] == 0, "the database is checked before the network"


async def test_second_bot_on_the_same_database_refuses(api: BotApiServer, bot_process: BotProcess) -> None:
    await bot_process.start()
    assert bot_process.proc is not None
    code, out = await _run(bot_process.env, bot_process.workdir)
    assert code == 2, out
    assert f"another bot instance (pid {bot_process.proc.pid}) is already running" in out
    assert "Traceback" not in out
    api.send_text(USER, "/help")
    await api.wait_for(
        lambda: any("What I can do" in (m.text or "") for m in api.bot_messages(USER)), 20, "the first bot serving"
    )
    assert await bot_process.terminate() == 0


async def test_two_bots_with_one_token_log_the_conflict(
    api: BotApiServer, bot_process: BotProcess, tmp_path: Path
) -> None:
    other = make_bot_process(api, tmp_path / "other")
    try:
        await bot_process.start()
        await other.start()
        conflict = "another bot instance is polling with this token (409 Conflict)"
        await api.wait_for(
            lambda: conflict in bot_process.stderr() or conflict in other.stderr(), 40, "a logged conflict"
        )
        assert await other.terminate() == 0
    finally:
        await other.close()
    for log in (bot_process.stderr(), other.stderr()):
        assert "Traceback" not in log
        assert "telegram.error.Conflict" not in log
        assert log.count(conflict) <= 2, "the conflict is logged at most once a minute"
    api.send_text(USER, "/help")
    await api.wait_for(
        lambda: any("What I can do" in (m.text or "") for m in api.bot_messages(USER)),
        40,
        "the first bot serving again",
    )
    assert await bot_process.terminate() == 0


async def test_push_from_cron_says_what_failed(api: BotApiServer, bot_process: BotProcess) -> None:
    env = dict(bot_process.env, TELEGRAM_BOT_TOKEN=WRONG_TOKEN)
    code, out = await _run(env, bot_process.workdir, "push", "--all")
    assert code == 2, out
    assert _lines(out)[-1] == (
        "push: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized); check the token from @BotFather"
    )
    assert "Traceback" not in out
    for part in _secret_parts(WRONG_TOKEN):
        assert part not in out

    api.fail_for("getMe", 502, "Bad Gateway", seconds=120)
    code, out = await _run(bot_process.env, bot_process.workdir, "push", "--all", within=30)
    assert code == 3, out
    assert "push: the Bot API is not reachable: getMe failed 4 times; last: Bad Gateway" in out
    assert "Traceback" not in out
