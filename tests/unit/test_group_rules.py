"""Group play rules: polls built from the bank within Telegram's limits, /groupquiz arguments, rankings, weeks."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest

from bot.config import DEFAULT_QUESTIONS_DIR
from bot.domain import groups as rules
from bot.domain import polls
from bot.domain.bank import Level, McqQuestion, Option, load_bank
from tests.fake_bot_api import poll_problem

BANK = load_bank(DEFAULT_QUESTIONS_DIR)
BOT = "flask_interview_bot"


def _mcq(
    prompt: str, options: list[str], explanation: str = "Because.", qid: str = "q1", poll: str | None = None
) -> McqQuestion:
    return McqQuestion(
        id=qid,
        level=Level.FRESHER,
        topic="basics",
        kind="mcq",
        prompt=prompt,
        options=[Option(text=t, correct=i == 0) for i, t in enumerate(options)],
        explanation=explanation,
        poll_explanation=poll,
        references=["https://flask.palletsprojects.com/"],
    )


def test_every_eligible_bank_question_makes_a_poll_telegram_accepts() -> None:
    rng = random.Random(1)
    eligible = polls.eligible(BANK)
    assert eligible
    for q in eligible:
        order = list(range(len(q.options)))
        rng.shuffle(order)
        spec = polls.build_poll(q, order, BOT, see_above="See above?", more="More:", prefix="10/10 · ")
        params = {
            "question": spec.question,
            "options": [{"text": o} for o in spec.options],
            "explanation": spec.explanation,
            "type": "quiz",
            "correct_option_ids": [spec.correct],
            "open_period": 30,
        }
        assert poll_problem(params) is None, (q.id, poll_problem(params))
        assert spec.options[spec.correct] == polls.option_labels(q)[q.correct_index]
        if spec.lead_html is None:
            stem = polls.poll_question(q)
            assert stem is not None and spec.question in (stem, f"10/10 · {stem}")


def test_a_short_poll_explanation_links_to_the_full_one() -> None:
    long = " ".join(f"word{i}" for i in range(100))
    q = _mcq("Which one?", ["a", "b", "c"], explanation=long, qid="routing-long-one", poll="Short: a wins.")
    spec = polls.build_poll(q, [2, 0, 1], BOT, see_above="?", more="Full explanation:")
    link = f"https://t.me/{BOT}?start=q-routing-long-one"
    assert spec.explanation == f"Short: a wins. Full explanation: {link}"
    assert spec.correct == 1 and spec.options == ("c", "a", "b")
    assert polls.question_of_payload(link.rsplit("=", 1)[1]) == "routing-long-one"


def test_a_poll_explanation_with_no_room_for_the_link_is_cut_at_a_word() -> None:
    short = " ".join(f"w{i}" for i in range(60))[:199]
    q = _mcq("Which one?", ["a", "b", "c"], explanation=short + " and more", qid="x" * 48, poll=short)
    spec = polls.build_poll(q, [0, 1, 2], BOT, see_above="?", more="Full explanation:")
    assert polls.tg_len(spec.explanation) <= polls.MAX_EXPLANATION
    assert spec.explanation.endswith(f"… Full explanation: https://t.me/{BOT}?start=q-{'x' * 48}")
    kept = spec.explanation.split("…")[0].split()
    assert kept == short.split()[: len(kept)]  # whole words only


def test_an_explanation_that_fits_is_the_poll_explanation_without_a_link() -> None:
    q = _mcq("Which?", ["a", "b", "c"], explanation="Line one.\nLine `two`.\n\nThree\nfour")
    spec = polls.build_poll(q, [0, 1, 2], BOT, see_above="?", more="More:")
    assert spec.explanation == "Line one. Line two.\nThree four"


def test_code_or_long_prompts_go_in_a_message_before_a_short_stem() -> None:
    code = _mcq("What prints?\n\n```python\nprint(1)\n```", ["1", "2", "3"])
    spec = polls.build_poll(code, [0, 1, 2], BOT, see_above="Your answer?", more="More:")
    assert spec.question == "Your answer?" and spec.lead_html is not None and "<pre>" in spec.lead_html
    long = _mcq("x" * 301, ["1", "2", "3"])
    assert polls.build_poll(long, [0, 1, 2], BOT, see_above="S?", more="").lead_html is not None


def test_long_options_leave_a_question_out_of_polls() -> None:
    q = _mcq("Which?", ["a" * 101, "b", "c"])
    assert not polls.poll_eligible(q)
    with pytest.raises(ValueError):
        polls.build_poll(q, [0, 1, 2], BOT, see_above="?", more="")


def test_payloads_other_than_questions_are_not_read_as_questions() -> None:
    assert polls.question_of_payload("quiz-fresher") is None
    assert polls.question_of_payload("q-") is None
    assert polls.question_of_payload("q-a b") is None
    assert polls.question_of_payload("q-" + "a" * 70) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], rules.QuizArgs(None, False, 5)),
        (["intermediate", "3"], rules.QuizArgs(Level.INTERMEDIATE, False, 3)),
        (["3", "Advanced"], rules.QuizArgs(Level.ADVANCED, False, 3)),
        (["mixed"], rules.QuizArgs(None, True, 5)),
        (["10"], rules.QuizArgs(None, False, 10)),
        (["11"], rules.QuizArgsError.BAD),
        (["0"], rules.QuizArgsError.BAD),
        (["expert"], rules.QuizArgsError.BAD),
        (["fresher", "advanced"], rules.QuizArgsError.BAD),
        (["fresher", "2", "3"], rules.QuizArgsError.BAD),
    ],
)
def test_groupquiz_arguments(args: list[str], expected: object) -> None:
    assert rules.parse_quiz_args(args) == expected


def test_ranking_breaks_ties_by_total_answer_time() -> None:
    scores = [
        rules.Score(1, "Slow", 2, 3, 9000),
        rules.Score(2, "Fast", 2, 3, 4000),
        rules.Score(3, "Top", 3, 3, 20000),
        rules.Score(4, "None", 0, 1, 100),
    ]
    table = rules.ranked(scores)
    assert [s.first_name for s in table] == ["Top", "Fast", "Slow", "None"]
    assert rules.rank_of(table, 1) == 3 and rules.rank_of(table, 99) is None


def test_week_starts_on_monday_in_the_group_zone() -> None:
    tz = zoneinfo.ZoneInfo("Asia/Tokyo")
    # Sunday 20:00 UTC is already Monday 05:00 in Tokyo: that week began at Monday 00:00 Tokyo time.
    now = dt.datetime(2026, 1, 4, 20, 0, tzinfo=dt.UTC)
    assert rules.week_start(now, tz) == dt.datetime(2026, 1, 4, 15, 0, tzinfo=dt.UTC)
    assert rules.week_start(now, zoneinfo.ZoneInfo("UTC")) == dt.datetime(2025, 12, 29, tzinfo=dt.UTC)


def test_questions_never_posted_in_the_group_come_first() -> None:
    pool = polls.eligible(BANK, Level.INTERMEDIATE)[:5]
    posted = {q.id: 1000 + i for i, q in enumerate(pool[:4])}
    chosen = rules.choose_questions(pool, 2, posted, random.Random(0))
    assert [q.id for q in chosen] == [pool[4].id, pool[0].id]
