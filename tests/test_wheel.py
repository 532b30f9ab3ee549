"""The wheel as an operator installs it: built, installed into a fresh venv, run from a folder outside the checkout.

Slow (a build and an install from the package index): skip it locally with `-m "not wheel"`; CI runs it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.botapi import BotApiServer

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "6123456789:AAHx-wheelSecretHashPart_Zq9wVbNm3Lk8"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "QUESTIONS_", "LOG_", "WEBHOOK_", "HEALTH_", "VIRTUAL_ENV"))
    }
    # English whatever the machine's locale: the terminal practice follows LANG.
    env = {k: v for k, v in env.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG="C.UTF-8", DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with only the wheel (and its dependencies) installed."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
        check=True,
        cwd=base,
        timeout=600,
    )
    (wheel,) = dist.glob("*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=300)
    python = base / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=base, timeout=600)
    return python


def _run(python: Path, args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=_env(cwd), timeout=300
    )


def test_the_installed_package_carries_the_bank(installed: Path, tmp_path: Path) -> None:
    code = "import bot.config as c; print(c.__file__); print(c.DEFAULT_QUESTIONS_DIR)"
    done = _run(installed, ["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    module, bank = done.stdout.split()
    venv = installed.parent.parent
    assert Path(module).is_relative_to(venv) and Path(bank).is_relative_to(venv)
    assert not Path(module).is_relative_to(ROOT)
    assert len(list(Path(bank).glob("*.yaml"))) == len(list((ROOT / "questions").glob("*.yaml")))


def test_a_plain_install_draws_the_stats_chart_without_a_display(installed: Path, tmp_path: Path) -> None:
    code = (
        "import datetime as dt, matplotlib\n"
        "from bot.chart import render_png\n"
        "from bot.domain.chart import ChartData, TopicBar\n"
        "days = tuple((dt.date(2026, 1, 1) + dt.timedelta(days=i), i % 5) for i in range(30))\n"
        "png = render_png(ChartData('fresher', (TopicBar('routing', 0.4, 0.9),), days, (dt.date(2026, 2, 1), 0.8)))\n"
        "print(matplotlib.__file__); print(png[:8].hex(), len(png))\n"
    )
    done = _run(installed, ["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    module, header, size = done.stdout.split()
    assert Path(module).is_relative_to(installed.parent.parent)  # a dependency of the wheel, in its venv
    assert header == "89504e470d0a1a0a" and int(size) > 10_000


def test_bank_check_and_practice_run_from_any_folder(installed: Path, tmp_path: Path) -> None:
    check = _run(installed, ["-m", "bot", "bank", "check"], tmp_path)
    assert check.returncode == 0, check.stderr
    assert "bank check passed" in check.stdout
    practice = _run(installed, ["-m", "bot", "practice", "--level", "fresher"], tmp_path, "A\n" * 10)
    assert practice.returncode == 0, practice.stderr
    assert practice.stdout.count("Question ") == 10
    assert re.search(r"Score: \d+/10", practice.stdout)
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 10


async def test_the_installed_bot_answers_and_stops_on_sigterm(installed: Path, tmp_path: Path) -> None:
    api = BotApiServer(TOKEN)
    await api.start()
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url)
    proc = await asyncio.create_subprocess_exec(
        str(installed), "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await api.wait_for(lambda: api.calls["getUpdates"] > 0 or proc.returncode is not None, 60, "polling")
        assert proc.returncode is None, (await proc.communicate())[1].decode()
        api.send_text(4242, "/help")
        await api.wait_for(lambda: bool(api.bot_messages(4242)), 60, "the reply to /help")
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await api.close()


def test_the_wheel_ships_the_compiled_catalogs_and_practice_follows_lang(installed: Path, tmp_path: Path) -> None:
    code = (
        "from bot import i18n, texts\n"
        "import bot.i18n as m, pathlib\n"
        "mo = pathlib.Path(m.__file__).parent / 'locale' / 'ru' / 'LC_MESSAGES' / 'bot.mo'\n"
        "print(mo.is_file(), mo)\n"
        "with i18n.use('ru'):\n"
        "    print(texts.CANCELLED)\n"
    )
    done = _run(installed, ["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    found, mo = done.stdout.splitlines()[0].split(" ", 1)
    assert found == "True" and Path(mo).is_relative_to(installed.parent.parent)
    assert done.stdout.splitlines()[1].startswith("Сессия завершена.")
    practice = subprocess.run(
        [str(installed), "-m", "bot", "practice", "--level", "fresher"],
        input="A\n" * 10,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(tmp_path, LANG="ru_RU.UTF-8"),
        timeout=300,
    )
    assert practice.returncode == 0, practice.stderr
    assert practice.stdout.count("Вопрос ") == 10 and "Question " not in practice.stdout
    assert re.search(r"Результат: \d+/10", practice.stdout)
