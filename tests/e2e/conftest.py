"""Fixtures for the end-to-end suite: the loopback Bot API and `python -m bot` as a real subprocess."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import pytest_asyncio

from bot import texts
from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain.bank import Bank, McqQuestion, load_bank
from bot.domain.markup import to_html, to_label
from bot.texts import OPTION_LETTERS
from tests.e2e.botapi import BotApiServer, StoredMessage

TOKEN = "6123456789:AAHx-e2eSecretHashPart_Zq9wVbNm3Lk8JtYp"
TOKEN_HASH = TOKEN.split(":", 1)[1]


@pytest_asyncio.fixture
async def api() -> AsyncIterator[BotApiServer]:
    """The loopback Bot API on a random free port."""
    server = BotApiServer(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


class BotProcess:
    """`python -m bot` as a child process, with its output in files."""

    def __init__(self, api: BotApiServer, workdir: Path, env: dict[str, str]) -> None:
        self.api = api
        self.workdir = workdir
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0
        self._files: list[IO[bytes]] = []
        self.returncodes: list[int] = []

    @property
    def db_path(self) -> Path:
        return Path(self.env["DATABASE_PATH"])

    def _open_logs(self) -> tuple[IO[bytes], IO[bytes]]:
        out = open(self.workdir / f"stdout.{self.runs}.log", "wb")  # noqa: SIM115 - closed in _reap
        err = open(self.workdir / f"stderr.{self.runs}.log", "wb")  # noqa: SIM115
        self._files += [out, err]
        return out, err

    async def start(self, ready: bool = True) -> None:
        """Start the bot; with `ready`, wait until it polls for updates."""
        assert self.proc is None or self.proc.returncode is not None
        self.runs += 1
        out, err = self._open_logs()
        polls = self.api.calls["getUpdates"]
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.workdir, env=self.env, stdout=out, stderr=err
        )
        if ready:
            await self.wait_polling(polls)

    async def wait_polling(self, polls_before: int, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while self.api.calls["getUpdates"] <= polls_before:
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"bot did not start polling:\n{self.stderr()}")
            await asyncio.sleep(0.05)

    async def wait_exit(self, within: float = 20.0) -> int:
        """The exit code of a process that stops by itself."""
        return await self._reap(within)

    async def kill(self) -> int:
        """kill -9."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        return await self._reap()

    async def terminate(self, within: float = 20.0) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await self._reap(within)

    async def _reap(self, within: float = 20.0) -> int:
        assert self.proc is not None
        try:
            code = await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"bot did not exit within {within}s") from None
        for f in self._files:
            f.close()
        self._files.clear()
        self.returncodes.append(code)
        return code

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        for f in self._files:
            f.close()
        self._files.clear()

    def output(self, stream: str) -> str:
        return "".join(
            (self.workdir / f"{stream}.{i}.log").read_text(errors="replace")
            for i in range(1, self.runs + 1)
            if (self.workdir / f"{stream}.{i}.log").exists()
        )

    def stderr(self) -> str:
        return self.output("stderr")

    def stdout(self) -> str:
        return self.output("stdout")

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        """Read the bot's database (WAL: safe while the bot runs)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()


def make_bot_process(api: BotApiServer, root: Path) -> BotProcess:
    """A bot process bound to `api`, with its database and output under `root` (not started)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "QUESTIONS_", "LOG_", "ADMIN_", "PUSH_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=api.base_url,
        DATABASE_PATH=str(root / "data" / "bot.sqlite3"),
        QUESTIONS_DIR=str(DEFAULT_QUESTIONS_DIR),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    workdir = root / "run"
    workdir.mkdir(parents=True)
    return BotProcess(api, workdir, env)


@pytest_asyncio.fixture
async def bot_process(api: BotApiServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """A bot process bound to `api` (not started)."""
    process = make_bot_process(api, tmp_path)
    try:
        yield process
    finally:
        await process.close()


_BANK: Bank | None = None


def bank() -> Bank:
    global _BANK
    if _BANK is None:
        _BANK = load_bank(DEFAULT_QUESTIONS_DIR)
    return _BANK


def answered(message: StoredMessage) -> bool:
    """True once a question message shows its result: its options are gone (only "Report" may be left)."""
    return all("Report" in label for label, _ in message.buttons)


def right_button(message: StoredMessage) -> str:
    """callback_data of the right option of a question message, worked out from the bank alone."""
    raw = message.raw or ""
    buttons = message.buttons
    labels = [label for label, _ in buttons]
    for q in bank():
        if not isinstance(q, McqQuestion) or to_html(q.prompt) not in raw:
            continue
        right = q.options[q.correct_index]
        if sorted(labels) == sorted(to_label(o.text) for o in q.options):
            return buttons[labels.index(to_label(right.text))][1]
        if labels == list(OPTION_LETTERS[: len(q.options)]):
            for letter, data in buttons:
                if f"<b>{letter}</b>) {to_html(right.text)}" in raw:
                    return data
    raise AssertionError(f"question not found in the bank: {message.text!r} {labels}")


def wrong_button(message: StoredMessage) -> str:
    right = right_button(message)
    return next(d for _, d in message.buttons if d != right)


async def wait_for_question(api: BotApiServer, chat_id: int, number: int, within: float = 30.0) -> StoredMessage:
    """The bot's `Question number/…` message once it has buttons."""
    found: list[StoredMessage] = []

    def ready() -> bool:
        for m in api.bot_messages(chat_id):
            if m.buttons and not answered(m) and (m.text or "").startswith(f"Question {number}/"):
                found.append(m)
                return True
        return False

    await api.wait_for(ready, within, f"question {number} in chat {chat_id}")
    return found[0]


async def wait_answered(api: BotApiServer, query_id: str, within: float = 30.0) -> None:
    await api.wait_for(lambda: api.callbacks[query_id].answered, within, f"answer to callback {query_id}")


LEVELS = ["Fresher", "Intermediate", "Experienced", "Advanced"]


async def take_quiz(api: BotApiServer, user_id: int, k: int) -> int:
    """One user's whole quiz; returns how many right options they tapped."""
    api.user(user_id, f"Dev{k}")
    api.send_text(user_id, "/quiz")
    await api.wait_for(lambda: any(m.buttons for m in api.bot_messages(user_id)), 30, f"level picker for {user_id}")
    picker = api.last_with_buttons(user_id)
    assert picker is not None and picker.text == texts.PICK_LEVEL["quiz"]
    query = api.tap(user_id, picker, label=LEVELS[k % len(LEVELS)])
    await wait_answered(api, query)
    right = 0
    for number in range(1, 11):
        question = await wait_for_question(api, user_id, number)
        pick_right = (k + number) % 3 != 0
        data = right_button(question) if pick_right else wrong_button(question)
        right += pick_right
        query = api.tap(user_id, question, data)
        await wait_answered(api, query)
        # The result is edited into the question message, and its keyboard goes.
        await api.wait_for(
            lambda q=question: answered(q) and q.edit_date is not None,
            30,
            f"result of question {number} for {user_id}",
        )
        verdict = "✅" if pick_right else "❌"
        assert f"{verdict} " in (question.text or ""), question.text
        assert api.callbacks[query].answer_text == (texts.CB_RECORDED_RIGHT if pick_right else texts.CB_RECORDED_WRONG)
    await api.wait_for(
        lambda: "by topic" in (api.bot_messages(user_id)[-1].text or ""), 30, f"score and breakdown for {user_id}"
    )
    return right


def answers_rows(process: BotProcess) -> list[tuple[object, ...]]:
    return process.query(
        "SELECT session_id, position, user_id, chosen, correct FROM answers ORDER BY session_id, position"
    )


def zone_past_midnight() -> str:
    """A zone where it is now between 00:00 and 01:00, so a daily time of 23:00 there is ~22 h away.

    The running bot's own push job then leaves such subscribers alone whatever the time of day the suite runs.
    """
    hour = dt.datetime.now(dt.UTC).hour
    return f"Etc/GMT+{hour}" if hour <= 12 else f"Etc/GMT-{24 - hour}"  # POSIX signs: Etc/GMT+5 is UTC-5


def subscribe(process: BotProcess, users: list[int], daily_time: str, zone: str) -> None:
    """Subscribers as the bot stores them (its database must exist), and their chats on the loopback API."""
    conn = sqlite3.connect(process.db_path, timeout=30)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO users (user_id, chat_id, first_name, created_at, daily_time, timezone) "
                "VALUES (?, ?, 'Sub', 0, ?, ?)",
                [(uid, uid, daily_time, zone) for uid in users],
            )
    finally:
        conn.close()
    for uid in users:
        process.api.open_chat(uid)


async def start_command(process: BotProcess, *args: str) -> asyncio.subprocess.Process:
    """`python -m bot <args>` beside the bot, with the bot's settings, its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=process.workdir,
        env=process.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_command(process: BotProcess, *args: str, within: float = 120) -> tuple[int, str, str]:
    """`python -m bot <args>` to its end: (exit code, stdout, stderr)."""
    proc = await start_command(process, *args)
    out, err = await asyncio.wait_for(proc.communicate(), within)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def run_push(process: BotProcess, *args: str, within: float = 120) -> tuple[int, str, str]:
    """`python -m bot push …` beside the bot, with the bot's settings; (exit code, stdout, stderr)."""
    return await run_command(process, "push", *args, within=within)


def daily_messages(api: BotApiServer, uid: int) -> list[StoredMessage]:
    """The daily questions the user got."""
    return [m for m in api.bot_messages(uid) if (m.text or "").startswith("📅 Daily question")]
