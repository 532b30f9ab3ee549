"""Property-based tests: the callback codec, and arbitrary well-formed updates fed to the real Application."""

from __future__ import annotations

import dataclasses
import itertools
import random
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import texts as bot_texts
from bot.config import DEFAULT_QUESTIONS_DIR, Settings
from bot.telegram.app import build_application
from bot.telegram.callback import (
    MAX_BYTES,
    CallbackData,
    CallbackError,
    unpack,
)
from bot.telegram.handlers.router import ROUTES
from tests.clock import FakeClock
from tests.conftest import TOKEN
from tests.fake_bot_api import NOW, FakeBotApi, buttons, tap_update, text_update, unthrottled

FUZZ = settings(max_examples=50, deadline=None)
ints = st.integers(min_value=-(2**53), max_value=2**53)

# Every payload class the codec knows (the decorator registers each as a direct subclass).
PAYLOAD_CLASSES = CallbackData.__subclasses__()


def _small_ids(cls: type[CallbackData]) -> st.SearchStrategy[CallbackData]:
    """Payloads whose numbers are small, so they often name real sessions, positions and options."""
    ints = {f.name: st.integers(min_value=-1, max_value=12) for f in dataclasses.fields(cls) if f.type == "int"}
    return st.builds(cls, **ints)


payloads: st.SearchStrategy[CallbackData] = st.one_of(*(st.builds(cls) for cls in PAYLOAD_CLASSES))
near_payloads: st.SearchStrategy[CallbackData] = st.one_of(*(_small_ids(cls) for cls in PAYLOAD_CLASSES))
fields = st.one_of(
    st.sampled_from(
        [
            "",
            "-",
            "--1",
            "-0",
            "01",
            "+1",
            "0x1",
            "1e3",
            "٣",
            "１",
            "1_0",
            " 1",
            "1 ",
            "\ud800",
            "quiz",
            "interview",
            "fresher",
            "nailed",
            "QUIZ",
            "9" * 17,
            "-" + "9" * 16,
        ]
    ),
    st.integers(min_value=-(2**60), max_value=2**60).map(str),
    st.text(max_size=5),
)
# Strings that look like callback data: prefixes, separators, digits, signs, and anything at all.
data_like = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=70),  # lone surrogates
    st.sampled_from([("a", 3), ("g", 3), ("l", 2), ("r", 1), ("n", 2), ("zz", 1), ("", 0)]).flatmap(
        lambda p: st.lists(fields, min_size=max(0, p[1] - 1), max_size=p[1] + 1).map(lambda f: ":".join([p[0], *f]))
    ),
)


@FUZZ
@given(payloads)
def test_pack_unpack_round_trip(payload: CallbackData) -> None:
    try:
        packed = payload.pack()
    except CallbackError:
        return  # over 64 bytes: refused, never truncated
    assert len(packed.encode()) <= MAX_BYTES
    assert unpack(packed) == payload


@FUZZ
@given(data_like)
def test_arbitrary_data_only_raises_callback_error(data: str) -> None:
    try:
        payload = unpack(data)
    except CallbackError:
        return
    # Whatever is accepted is exactly what this bot would have produced.
    assert payload.pack() == data


# ----------------------------------------------------------------------------- the Application
USERS = (3101, 3102, 3103)
# Every command of the menu, the hidden ones, arguments good and bad, and an unknown command.
COMMANDS = [f"/{name}" for name, _ in bot_texts.COMMANDS] + [
    "/start",
    "/admin",
    "/nonsense",
    "/export json",
    "/export xml",
    "/daily 09:00",
    "/daily off",
    "/daily 25:99",
    "/daily 9 10",
    "/timezone Europe/Berlin",
    "/timezone Mars/Olympus",
    "/level",  # group commands (the "group" action sends them in a group)
    "/level experienced",
    "/groupquiz",
    "/top",
    "/reports",  # operator commands (USERS[0] is an admin)
    "/enable",
    "/enable some-question-id",
    "/broadcast",  # an admin's announcement: drafted, previewed, confirmed by a tap (a BroadcastCb)
    "/broadcast <b>News</b> for everyone",
    "/broadcast <b>unclosed",
    "/broadcast stop",
    "/news off",
    "/news on",
]
_query_ids = itertools.count(1)


def _packed(payload: CallbackData) -> str:
    try:
        return payload.pack()
    except CallbackError:
        return "x"  # over 64 bytes: the bot could never have sent it


user_ids = st.sampled_from(USERS)
texts_ = st.one_of(
    st.sampled_from(COMMANDS),
    st.text(min_size=1, max_size=300),
    st.sampled_from(["<b>", "&amp;", "a" * 4000, "🙂" * 2000]),
)
commands = st.sampled_from(COMMANDS)
actions = st.one_of(  # one_of picks branches evenly: repeats weight the walk towards real quizzes
    *[st.tuples(st.just("say"), user_ids, commands)] * 3,
    st.tuples(st.just("say"), user_ids, texts_),
    *[st.tuples(st.just("tap_last"), user_ids, st.integers(min_value=0, max_value=10))] * 5,  # own newest buttons
    st.tuples(st.just("tap"), user_ids, st.integers(min_value=0, max_value=10_000)),  # a button in any chat
    st.tuples(st.just("forge"), user_ids, st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64)),
    st.tuples(st.just("forge"), user_ids, st.one_of(payloads, near_payloads).map(_packed)),
    st.tuples(st.just("edit"), user_ids, texts_),
    st.tuples(st.just("group"), user_ids, commands),
)


def _message(api: FakeBotApi, chat: int | None = None) -> list[dict[str, Any]]:
    return [m for (c, _), m in sorted(api.messages.items()) if chat is None or c == chat]


async def _play(app: Application, api: FakeBotApi, action: tuple[Any, ...]) -> str | None:  # type: ignore[type-arg]
    """Feed one update; returns the callback query id of a tap."""
    kind, user, arg = action
    bot = app.bot
    if kind == "say":
        await app.process_update(text_update(bot, user, arg))
    elif kind == "group":
        await app.process_update(text_update(bot, user, arg, chat_type="group"))
    elif kind == "edit":
        update = text_update(bot, user, arg).to_dict()
        update["edited_message"] = update.pop("message")
        update["edited_message"]["edit_date"] = NOW + 5
        await app.process_update(Update.de_json(update, bot))
    else:
        if kind == "forge":
            message = (_message(api) or [{"message_id": 1, "date": NOW, "chat": {"id": user, "type": "private"}}])[-1]
            data = arg
        else:
            pool = _message(api, user if kind == "tap_last" else None)
            with_buttons = [(m, d) for m in pool for _, d in buttons(m)]
            if not with_buttons:
                return None
            message, data = (
                with_buttons[-1 - arg % len(with_buttons)]
                if kind == "tap_last"
                else with_buttons[arg % len(with_buttons)]
            )
        update = tap_update(bot, user, message, data)
        assert update.callback_query is not None
        await app.process_update(update)
        return update.callback_query.id
    return None


def _invariants(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        twice = conn.execute("SELECT session_id, position FROM answers GROUP BY 1, 2 HAVING COUNT(*) > 1").fetchall()
        assert not twice, f"answered twice: {twice}"
        open_ = conn.execute(
            "SELECT user_id FROM sessions WHERE status = 'open' AND mode IN ('quiz', 'interview') "
            "GROUP BY 1 HAVING COUNT(*) > 1"
        ).fetchall()
        assert not open_, f"several open sessions: {open_}"
        beyond = conn.execute(
            "SELECT s.session_id FROM sessions s WHERE s.position > s.size OR "
            "(SELECT COUNT(*) FROM answers a WHERE a.session_id = s.session_id) > s.size"
        ).fetchall()
        assert not beyond, f"sessions past their size: {beyond}"
        orphan = conn.execute(
            "SELECT a.answer_id FROM answers a JOIN sessions s USING (session_id) WHERE a.user_id != s.user_id"
        ).fetchall()
        assert not orphan, f"answers recorded for another user's session: {orphan}"
        # Per outcome since migration 8 (the scores come from the domain's grading table, not from SQL).
        tallies = conn.execute(
            "SELECT question_id, level, kind, correct, self_grade, timed_out, answers, time_ms FROM answer_tallies"
        ).fetchall()
        scan = conn.execute(
            "SELECT question_id, level, kind, IFNULL(correct, -1), IFNULL(self_grade, ''), timed_out, COUNT(*), "
            "COALESCE(SUM(time_taken_ms), 0) FROM answers GROUP BY 1, 2, 3, 4, 5, 6"
        ).fetchall()
        assert sorted(tallies) == sorted(scan), "calibration's running tallies drifted from the answers"
    finally:
        conn.close()


@asynccontextmanager
async def _fresh_app() -> AsyncIterator[tuple[Application, FakeBotApi, Path, list[BaseException]]]:  # type: ignore[type-arg]
    """A new bot on a new database for each example, so every failure replays from its own steps alone."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(
            telegram_bot_token=TOKEN,
            database_path=Path(tmp) / "bot.sqlite3",
            questions_dir=DEFAULT_QUESTIONS_DIR,
            admin_ids=frozenset({USERS[0]}),
            _env_file=None,
        )
        api = FakeBotApi()
        app = build_application(
            config, clock=FakeClock(), rng=random.Random(7), request=api, limiter=unthrottled(config)
        )
        errors: list[BaseException] = []

        async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert context.error is not None
            errors.append(context.error)

        app.add_error_handler(record)
        await app.initialize()
        assert app.post_init is not None and app.post_shutdown is not None
        await app.post_init(app)
        try:
            yield app, api, config.database_path, errors
        finally:
            await app.shutdown()
            await app.post_shutdown(app)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=1, max_size=40))
# Found by CI: a forged level tap on a message in a group, from a user who never wrote in private.
@example(steps=[("group", 3101, "/quiz"), ("forge", 3101, "l:quiz:fresher")])
async def test_arbitrary_updates_never_break_the_bot(steps: list[tuple[Any, ...]]) -> None:
    async with _fresh_app() as (app, api, database, errors):
        taps: list[str] = []
        for step in steps:
            query_id = await _play(app, api, step)
            if query_id is not None:
                taps.append(query_id)
        assert not errors, f"{errors[0]!r} after {steps}"
        answered = {c.params["callback_query_id"] for c in api.of("answerCallbackQuery")}
        assert set(taps) <= answered, f"taps left unanswered: {set(taps) - answered} in {steps}"
        _invariants(database)


def test_the_walk_covers_every_payload_class_and_command(settings: Settings) -> None:
    assert set(PAYLOAD_CLASSES) == set(ROUTES)  # every button the bot routes can be forged
    app = build_application(settings)
    handled = {c for group in app.handlers.values() for h in group if isinstance(h, CommandHandler) for c in h.commands}
    assert handled == {c.split()[0].removeprefix("/") for c in COMMANDS if c != "/nonsense"}
