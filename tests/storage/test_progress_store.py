"""Progress on a real SQLite file: stats, readiness with and without cards, history, export, reset, deletion."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.bank import Bank, McqQuestion, OpenQuestion
from bot.domain.progress import EXPORT_COLUMNS
from bot.domain.review import rating_for_mcq, review
from bot.services.progress import FsrsCards, NoCards, ProgressService
from bot.storage.answers import Attempt, NewAnswer, Recorded
from bot.storage.cards import PendingReview
from bot.storage.db import Database
from bot.storage.interviews import At, InterviewStore
from bot.storage.progress import ProgressStore
from tests.clock import FakeClock


async def _record(
    store: InterviewStore, answer: NewAnswer, now_ms: int, advance: bool, review: PendingReview | None = None
) -> Recorded | None:
    """Record an answer through the one answer path."""
    at = At(answer.session_id, answer.position)
    return (await store.record_answer(at, Attempt(answer, advance=advance, review=review), now_ms)).recorded


ANN, BOB = 7, 8
START = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)


def _mcq(qid: str, topic: str, level: str = "fresher") -> McqQuestion:
    return McqQuestion.model_validate(
        {
            "id": qid,
            "kind": "mcq",
            "level": level,
            "topic": topic,
            "prompt": f"Prompt of {qid}?",
            "references": ["https://flask.palletsprojects.com/"],
            "explanation": "Because.",
            "options": [{"text": f"{qid} right", "correct": True}, {"text": f"{qid} wrong"}, {"text": f"{qid} other"}],
        }
    )


def _open(qid: str, topic: str) -> OpenQuestion:
    return OpenQuestion.model_validate(
        {
            "id": qid,
            "kind": "open",
            "level": "fresher",
            "topic": topic,
            "prompt": f"Explain {qid}.",
            "references": ["https://flask.palletsprojects.com/"],
            "model_answer": "Like so.",
            "key_points": [{"point": "one", "keywords": ["one"]}, {"point": "two", "keywords": ["two"]}],
        }
    )


BANK = Bank(
    [
        _mcq("r1", "routing"),
        _mcq("r2", "routing"),
        _mcq("r3", "routing"),
        _mcq("r4", "routing"),
        _mcq("t1", "templates"),
        _mcq("t2", "templates"),
        _open("o1", "templates"),
        _mcq("b1", "basics"),
        _mcq("x1", "routing", level="advanced"),
    ]
)


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "progress.sqlite3")
    yield database
    await database.close()


async def _session(
    db: Database,
    user_id: int,
    answers: list[tuple[str, bool]],
    when: dt.datetime,
    mode: str = "quiz",
    level: str = "fresher",
    step_s: int = 30,
) -> int:
    """Store a finished session in which the user answered each (question id, right?) in turn."""
    store = InterviewStore(db)
    await store.upsert_user(user_id, user_id, "U", _ms(when))
    sid = await store.create_session(user_id, mode, level, [(q, (0, 1, 2)) for q, _ in answers], None, _ms(when))
    assert sid is not None
    for pos, (qid, right) in enumerate(answers):
        q = BANK[qid]
        at = _ms(when) + (pos + 1) * step_s * 1000
        await _record(
            store,
            NewAnswer(sid, pos, user_id, qid, q.topic, "mcq", chosen=0 if right else 1, correct=right),
            at,
            advance=True,
        )
    return sid


def _service(db: Database, clock: FakeClock, cards: bool = False, default_tz: str = "UTC") -> ProgressService:
    store = ProgressStore(db)
    return ProgressService(store, BANK, clock, default_tz, FsrsCards(store) if cards else NoCards())


def _tables(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as raw:
        names = [
            r[0]
            for r in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: [c[1] for c in raw.execute("SELECT * FROM pragma_table_info(?)", (n,))] for n in names}


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as raw:
        return {t: raw.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in _tables(path)}


# Tables whose chat_id is a group's (negative) id: they hold no user's rows to erase.
GROUP_KEYED = {"groups", "group_quizzes", "polls", "group_deliveries"}


def _rows_about(path: Path, user_id: int) -> dict[str, int]:
    """Rows naming the user in a user_id or chat_id column, per table that has one."""
    found = {}
    with sqlite3.connect(path) as raw:
        for table, cols in _tables(path).items():
            keys = [c for c in ("user_id", "chat_id") if c in cols]
            if keys:
                where = " OR ".join(f'"{k}" = ?' for k in keys)
                found[table] = raw.execute(
                    f'SELECT COUNT(*) FROM "{table}" WHERE {where}', (user_id,) * len(keys)
                ).fetchone()[0]
    return found


async def test_stats_by_level_and_topic_with_latest_answer_readiness(db: Database) -> None:
    clock = FakeClock(START + dt.timedelta(hours=1))
    await _session(db, ANN, [("r1", True), ("r2", False), ("t1", True)], START - dt.timedelta(days=1))
    await _session(db, ANN, [("r1", False), ("r2", True)], START)
    await _session(db, ANN, [("x1", True)], START + dt.timedelta(minutes=10), level="advanced")
    report = await _service(db, clock).stats(ANN)
    assert [lp.level.value for lp in report.levels] == ["fresher", "advanced"]
    fresher = {t.topic: t for t in report.levels[0].topics}
    assert fresher["routing"].answered == 4 and fresher["routing"].accuracy == pytest.approx(0.5)
    # Latest answers: r1 wrong, r2 right; the topic has four questions.
    assert fresher["routing"].readiness == pytest.approx(1 / 4)
    assert fresher["templates"].readiness == pytest.approx(1 / 3)  # t1 right of t1, t2, o1
    assert report.levels[0].untried == 1  # basics
    assert report.levels[1].topics[0].readiness == 1.0
    assert (report.streaks.current, report.streaks.best) == (2, 2)
    assert report.due == 0
    assert report.weak_level is not None and report.weak_level.value == "advanced"  # the level of the last session
    assert [t.topic for t in report.weakest] == ["routing"]


async def test_readiness_uses_card_retrievability_when_cards_exist(db: Database) -> None:
    await _session(db, ANN, [("r1", True), ("r2", False)], START)
    store = ProgressStore(db)
    for qid, right in (("r1", True), ("r2", False)):  # cards as the spaced-repetition engine stores them
        card = review(None, rating_for_mcq(right), START)
        await db.execute(
            "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, ?, ?, ?, ?)",
            (ANN, qid, card.card_json, _ms(card.due), _ms(START)),
        )
    later = FakeClock(START + dt.timedelta(days=3))
    without = await _service(db, later).stats(ANN)
    with_cards = await _service(db, later, cards=True).stats(ANN)
    routing_plain = next(t for t in without.levels[0].topics if t.topic == "routing")
    routing_cards = next(t for t in with_cards.levels[0].topics if t.topic == "routing")
    assert routing_plain.readiness == pytest.approx(1 / 4)
    retrievability = await FsrsCards(store).retrievability(ANN, later.now())
    assert 0 < retrievability["r2"] < retrievability["r1"] < 1
    assert routing_cards.readiness == pytest.approx((retrievability["r1"] + retrievability["r2"]) / 4)
    assert with_cards.due == 2 and without.due == 0  # both cards fall due within three days


async def test_streak_uses_the_users_zone_and_follows_a_zone_change(db: Database, tmp_path: Path) -> None:
    # Answers at 23:30 UTC on the 1st, 2nd and 3rd, then 00:30 UTC on the 5th.
    for when in [dt.datetime(2026, 1, d, 23, 29, tzinfo=dt.UTC) for d in (1, 2, 3)] + [
        dt.datetime(2026, 1, 5, 0, 29, tzinfo=dt.UTC)
    ]:
        await _session(db, ANN, [("r1", True)], when, step_s=60)
    clock = FakeClock(dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC))
    svc = _service(db, clock, default_tz="UTC")
    report = await svc.stats(ANN)
    assert (report.streaks.current, report.streaks.best) == (1, 3)
    with sqlite3.connect(tmp_path / "progress.sqlite3") as raw:
        raw.execute("UPDATE users SET timezone = ? WHERE user_id = ?", ("Asia/Tokyo", ANN))
    report = await svc.stats(ANN)
    assert (report.streaks.current, report.streaks.best) == (4, 4)
    # The default zone applies to users without one.
    with sqlite3.connect(tmp_path / "progress.sqlite3") as raw:
        raw.execute("UPDATE users SET timezone = NULL WHERE user_id = ?", (ANN,))
    report = await _service(db, clock, default_tz="Asia/Tokyo").stats(ANN)
    assert report.streaks.current == 4


async def test_no_answers_is_an_empty_report(db: Database) -> None:
    await InterviewStore(db).upsert_user(ANN, ANN, "Ann", 0)
    report = await _service(db, FakeClock(START)).stats(ANN)
    assert report.empty and report.weakest == [] and report.streaks.best == 0
    assert await _service(db, FakeClock(START)).export_csv(ANN) is None


async def test_history_lists_the_last_ten_sessions_with_score_and_duration(db: Database) -> None:
    for i in range(12):
        await _session(db, ANN, [("r1", True), ("r2", i % 2 == 0)], START + dt.timedelta(hours=i))
    await _session(db, BOB, [("r1", True)], START + dt.timedelta(days=1))
    store = InterviewStore(db)
    empty = await store.create_session(
        ANN, "quiz", "fresher", [("r3", (0, 1, 2))], None, _ms(START + dt.timedelta(days=2))
    )
    items = await _service(db, FakeClock(START)).history(ANN)
    assert len(items) == 10
    assert all(i.session_id != empty for i in items)  # no answers, not listed
    assert [i.started for i in items] == sorted((i.started for i in items), reverse=True)
    newest = items[0]
    assert newest.started == START + dt.timedelta(hours=11)
    assert (newest.right, newest.answered, newest.duration_s) == (1, 2, 60)
    svc = _service(db, FakeClock(START))
    review_ = await svc.review(ANN, newest.session_id)
    assert review_ is not None
    assert [(i.answer, i.result) for i in review_.items] == [("r1 right", True), ("r2 wrong", False)]
    assert await svc.review(BOB, newest.session_id) is None


async def test_export_parses_back_to_the_stored_answers(db: Database, tmp_path: Path) -> None:
    await _session(db, ANN, [("r1", True), ("t1", False)], START)
    store = InterviewStore(db)
    sid = await store.create_session(ANN, "interview", "fresher", [("o1", ())], None, _ms(START))
    assert sid is not None
    await _record(
        store,
        NewAnswer(sid, 0, ANN, "o1", "templates", "open", answer_text='A "quoted", answer\n'),
        _ms(START) + 5000,
        advance=False,
    )
    await store.record_answer(At(sid, 0), Attempt(grade="partly", advance=True), _ms(START) + 6000)
    await _session(db, BOB, [("r2", True)], START)
    text = await _service(db, FakeClock(START)).export_csv(ANN)
    assert text is not None
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(parsed[0]) == EXPORT_COLUMNS
    with sqlite3.connect(tmp_path / "progress.sqlite3") as raw:
        stored = raw.execute(
            "SELECT question_id, topic, level, mode, answered_at, chosen, answer_text, kind, "
            "correct, self_grade FROM answers WHERE user_id = ? ORDER BY answered_at, answer_id",
            (ANN,),
        ).fetchall()
    assert len(parsed) == len(stored) == 3
    for row, (qid, topic, level, mode, at, chosen, typed, kind, correct, grade) in zip(parsed, stored, strict=True):
        assert (row["question_id"], row["topic"], row["level"], row["mode"]) == (qid, topic, level, mode)
        assert dt.datetime.fromisoformat(row["answered_at"]) == dt.datetime.fromtimestamp(at / 1000, dt.UTC)
        q = BANK[qid]
        expected = q.options[chosen].text if isinstance(q, McqQuestion) else typed
        assert row["answer"] == expected
        right = bool(correct) if kind == "mcq" else grade == "nailed"
        assert row["result"] == ("right" if right else "wrong")


async def test_reset_erases_progress_and_keeps_settings(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    await _session(db, ANN, [("r1", True), ("r2", False)], START)
    await _session(db, BOB, [("r1", True)], START)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE users SET timezone = 'Europe/Berlin', level = 'fresher' WHERE user_id = ?", (ANN,))
        if "daily_time" in _tables(path)["users"]:
            raw.execute("UPDATE users SET daily_time = '08:30' WHERE user_id = ?", (ANN,))
        raw.execute(
            "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, 'r1', '{}', 0, 0)", (ANN,)
        )
        user_before = raw.execute("SELECT * FROM users WHERE user_id = ?", (ANN,)).fetchone()
    bob_before = _rows_about(path, BOB)
    assert await _service(db, FakeClock(START)).reset(ANN) == 2
    after = _rows_about(path, ANN)
    assert after.pop("users") == 1
    assert all(n == 0 for n in after.values()), after
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT * FROM users WHERE user_id = ?", (ANN,)).fetchone() == user_before
        assert (
            raw.execute(
                "SELECT COUNT(*) FROM session_questions sq JOIN sessions s USING (session_id) WHERE s.user_id = ?",
                (ANN,),
            ).fetchone()[0]
            == 0
        )
        assert raw.execute("SELECT COUNT(*) FROM session_questions").fetchone()[0] == 1  # Bob's
    assert _rows_about(path, BOB) == bob_before
    assert (await _service(db, FakeClock(START)).stats(ANN)).empty


async def test_deleteme_removes_every_row_in_every_table(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    await _session(db, BOB, [("r1", True), ("t1", True)], START)
    before_ann = _counts(path)
    sid = await _session(db, ANN, [("r1", True), ("r2", False)], START)
    await _session(db, ANN, [("t1", True)], START + dt.timedelta(days=1), mode="interview")
    with sqlite3.connect(path) as raw:  # rows in the tables other features own, so each one is checked
        raw.execute(
            "INSERT INTO cards (user_id, question_id, card, due_at, reviewed_at) VALUES (?, 'r1', '{}', 0, 0)", (ANN,)
        )
        if "deliveries" in _tables(path):
            raw.execute(
                "INSERT INTO deliveries (user_id, local_date, status, claimed_at, session_id) "
                "VALUES (?, '2026-01-10', 'sent', 0, ?)",
                (ANN, sid),
            )
        if "reports" in _tables(path):
            raw.execute(
                "INSERT INTO reports (user_id, question_id, session_id, reason, content_hash, created_at) "
                "VALUES (?, 'r1', ?, 'typo', 'h', 0)",
                (ANN, sid),
            )
        if "goals" in _tables(path):  # a goal, a pause and a nudge
            raw.execute(
                "INSERT INTO goals (user_id, target_date, level, status, created_at) "
                "VALUES (?, '2026-02-01', 'fresher', 'active', 0)",
                (ANN,),
            )
            raw.execute(
                "INSERT INTO pauses (user_id, first_day, last_day, created_at) "
                "VALUES (?, '2026-01-05', '2026-01-06', 0)",
                (ANN,),
            )
            raw.execute("INSERT INTO nudges (user_id, local_date, sent_at) VALUES (?, '2026-01-05', 0)", (ANN,))
        if "broadcast_deliveries" in _tables(path):  # an announcement Ann got
            raw.execute("INSERT INTO broadcasts (html, status, created_at) VALUES ('News', 'done', 0)")
            raw.execute(
                "INSERT INTO broadcast_deliveries (broadcast_id, user_id, status, claimed_at) VALUES (1, ?, 'sent', 0)",
                (ANN,),
            )
            before_ann["broadcasts"] = before_ann.get("broadcasts", 0) + 1  # the announcement stays, her row goes
        if "poll_votes" in _tables(path):  # a group poll, Bob's vote on it, and Ann's
            raw.execute(
                "INSERT INTO polls (poll_id, chat_id, message_id, question_id, level, topic, correct_option, kind, "
                "sent_at) VALUES ('p1', -100123, 7, 'r1', 'fresher', 'routing', 0, 'daily', 0)"
            )
            for uid, name in ((BOB, "Bob"), (ANN, "Ann")):
                raw.execute("INSERT INTO group_members (user_id, first_name) VALUES (?, ?)", (uid, name))
                raw.execute(
                    "INSERT INTO poll_votes (poll_id, user_id, chat_id, question_id, level, topic, chosen, correct, "
                    "answered_at, time_taken_ms) VALUES ('p1', ?, -100123, 'r1', 'fresher', 'routing', 0, 1, 5, 5)",
                    (uid,),
                )
    before_ann["group_members"] = before_ann.get("group_members", 0) + 1
    before_ann["poll_votes"] = before_ann.get("poll_votes", 0) + 1
    before_ann["polls"] = before_ann.get("polls", 0) + 1
    about_ann = {t: n for t, n in _rows_about(path, ANN).items() if t not in GROUP_KEYED}
    untouched = [t for t, n in about_ann.items() if n == 0]
    assert not untouched, f"store rows for user {ANN} in {untouched} so that this test checks their deletion"
    assert await _service(db, FakeClock(START)).delete(ANN) is True
    assert _counts(path) == before_ann  # table by table, Bob's rows only
    assert all(n == 0 for n in _rows_about(path, ANN).values())
    assert await _service(db, FakeClock(START)).delete(ANN) is False
