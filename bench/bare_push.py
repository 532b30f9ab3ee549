"""A bare python-telegram-bot push loop: the messages `python -m bot push --all` sent, with the same number in flight,
and nothing else (no database, no rate limiter): the baseline of the unpaced push.

Run as `python bench/bare_push.py MESSAGES.json IN_FLIGHT` with TELEGRAM_BOT_TOKEN and TELEGRAM_BASE_URL set;
MESSAGES.json is a list of [chat_id, html_text, reply_markup] as the bot sent them. It prints `sent: N`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode


async def push(messages: list[list[Any]], in_flight: int) -> int:
    """Send every message, at most `in_flight` at once; the number sent."""
    bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], base_url=os.environ["TELEGRAM_BASE_URL"])
    slots = asyncio.Semaphore(in_flight)
    sent = 0

    async def one(chat_id: int, text: str, markup: dict[str, Any] | None) -> None:
        nonlocal sent
        try:
            await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup.de_json(markup, bot) if markup else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            sent += 1
        finally:
            slots.release()

    async with bot:
        tasks: set[asyncio.Task[None]] = set()
        for chat_id, text, markup in messages:
            await slots.acquire()
            task = asyncio.create_task(one(chat_id, text, markup))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return sent


def main() -> None:
    """Read the messages, send them, print the count."""
    messages = json.loads(Path(sys.argv[1]).read_text())
    print(f"sent: {asyncio.run(push(messages, int(sys.argv[2])))}")


if __name__ == "__main__":
    main()
