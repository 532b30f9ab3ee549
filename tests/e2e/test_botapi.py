"""The loopback Bot API itself, driven by PTB's own Bot: Telegram's answers and errors as PTB sees them."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from tests.e2e.botapi import BotApiServer
from tests.e2e.conftest import TOKEN

pytestmark = pytest.mark.e2e

USER = 4242


def _kb(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d[:10] or "x", callback_data=d) for d in data]])


async def test_telegram_behaviours_through_ptb(api: BotApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, without the deprecation
    api.send_text(USER, "/start")
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        assert (await bot.get_me()).is_bot
        updates = await bot.get_updates(timeout=0)
        assert [u.message.text for u in updates if u.message] == ["/start"]
        assert updates[0].message and updates[0].message.entities[0].type == "bot_command"
        # offset confirms; a long poll returns as soon as an update arrives
        poll = asyncio.ensure_future(bot.get_updates(offset=updates[-1].update_id + 1, timeout=5))
        await asyncio.sleep(0.1)
        api.send_text(USER, "hi")
        assert [u.message.text for u in await poll if u.message] == ["hi"]

        msg = await bot.send_message(USER, "<b>Q</b> 1 &amp; 2", parse_mode="HTML", reply_markup=_kb("a:1", "a:2"))
        assert msg.text == "Q 1 & 2" and api.chat(USER)[-1].buttons == [("a:1", "a:1"), ("a:2", "a:2")]
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text(
                "<b>Q</b> 1 &amp; 2",
                chat_id=USER,
                message_id=msg.message_id,
                parse_mode="HTML",
                reply_markup=_kb("a:1", "a:2"),
            )
        edited = await bot.edit_message_text("done", chat_id=USER, message_id=msg.message_id)
        assert edited is not True and api.chat(USER)[-1].buttons == []  # no reply_markup: keyboard gone
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=USER, message_id=999)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(USER, "x" * 4097)
        await bot.send_message(USER, "🙂" * 4096)
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(USER, "q", reply_markup=_kb("é" * 33))
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER, "<b>open", parse_mode="HTML")
        kb = await bot.send_message(USER, "k", reply_markup=_kb("b:1"))
        await bot.edit_message_reply_markup(USER, kb.message_id, reply_markup=None)
        assert not api.chat(USER)[-1].buttons
        assert await bot.delete_message(USER, kb.message_id)
        with pytest.raises(BadRequest, match=r"(?i)not found"):
            await bot.delete_message(USER, kb.message_id)
        doc = await bot.send_document(USER, io.BytesIO(b"a,b\n1,2\n"), filename="export.csv", caption="data")
        assert doc.document is not None and doc.document.file_name == "export.csv" and doc.document.file_size == 8

        query = api.tap(USER, msg.message_id, "a:1", force=True)
        assert await bot.answer_callback_query(query, "ok")
        assert api.callbacks[query].answer_text == "ok"
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query("nope")

        api.blocked.add(USER)
        with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
            await bot.send_message(USER, "hello?")
        api.blocked.clear()
        api.rate_limit, api.retry_after = 2, 3
        await bot.send_message(USER, "1")
        await bot.send_message(USER, "2")
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(USER, "3")
        assert flood.value.retry_after == dt.timedelta(seconds=3)
        api.rate_limit = None
        api.fail("sendMessage", 502, "Bad Gateway")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
        api.drop("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "x")
        await api.go_down()
        with pytest.raises(NetworkError):
            await bot.get_me()
        await api.come_up()
        assert (await bot.get_me()).username == "flask_interview_bot"
    assert api.calls["getMe"] >= 3
