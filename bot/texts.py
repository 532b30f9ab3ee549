"""Every user-facing string, in Telegram HTML or plain text for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.domain.groups import PollResult, Score

BOT_DESCRIPTION = "Flask interview practice"

COMMANDS: tuple[tuple[str, str], ...] = (
    ("quiz", "10 multiple-choice questions of one level"),
    ("interview", "A mock interview: open questions and MCQs"),
    ("cancel", "End the current session"),
    ("stats", "Your progress: readiness by topic, streaks"),
    ("history", "Your last sessions and answers"),
    ("export", "Download your answers as CSV"),
    ("reset", "Erase your progress, keep your settings"),
    ("deleteme", "Delete all your data"),
    ("daily", "A question every day at your time"),
    ("timezone", "Set your time zone for the daily question"),
    ("help", "What I can do"),
)

LEVEL_LABELS = {
    "fresher": "🌱 Fresher",
    "intermediate": "🌿 Intermediate",
    "experienced": "🌳 Experienced",
    "advanced": "🚀 Advanced",
}

MODE_NAMES = {"quiz": "quiz", "interview": "mock interview", "daily": "daily question"}


def greeting(first_name: str) -> str:
    """The /start message."""
    return (
        f"Hi, {escape(first_name)}! I help you get ready for a <b>Flask interview</b>.\n\n"
        "• /quiz — 10 multiple-choice questions of one level, with explanations\n"
        "• /interview — a mock interview: type answers to open questions, compare them with a model answer\n"
        "• /daily — one well-chosen question a day at your local time\n"
        "• /stats — where you stand, topic by topic\n\n"
        "Pick a level to start a quiz:"
    )


HELP = (
    "<b>What I can do</b>\n"
    + "\n".join(f"/{command} — {about}" for command, about in COMMANDS)
    + "\n\nTap an option to answer. In an interview, type your answer to open questions, "
    "then grade yourself against the model answer."
)

PICK_LEVEL = {"quiz": "Choose the level of your quiz:", "interview": "Choose the level of your mock interview:"}
RESUME_OR_RESTART = "You have an unfinished {mode} (question {pos} of {size}). Resume it or start over?"
BTN_RESUME = "▶️ Resume"
BTN_START_OVER = "🔄 Start over"
EMPTY_LEVEL = "There are no questions for that level yet. Try another level."
CANCELLED = "Session ended. Send /quiz or /interview to start again."
NOTHING_TO_CANCEL = "There is no session to end. Send /quiz to start one."
NO_QUESTION_WAITING = "I am not waiting for an answer right now. Send /quiz or /interview to practise."
TAP_AN_OPTION = "Tap one of the buttons under the question to answer."
GRADE_FIRST = "Please grade your answer with the buttons above, then I will ask the next question."
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."
ERROR = "Sorry, something went wrong on my side. Your progress is saved; please try again."
NOT_ADMIN = "This command is for the bot's operators."
TEXT_TOO_LONG = "That answer is very long; I kept the first {limit} characters."

CB_RECORDED_RIGHT = "✅ Right!"
CB_RECORDED_WRONG = "❌ Not quite."
CB_ALREADY_ANSWERED = "You already answered this question."
CB_STALE = "This question is no longer active."
CB_NOT_YOURS = "These buttons belong to someone else's session."
CB_INVALID = "This button is not valid any more."
CB_ALREADY_STARTED = "Already started: your current question is in the chat."
CB_GRADED = "Saved."

GRADE_LABELS = {"nailed": "💪 Nailed it", "partly": "🤏 Partly", "missed": "🙈 Missed"}
OPTION_LETTERS = "ABCDEF"


def question_header(mode: str, position: int, size: int, level: str, topic: str) -> str:
    """The line above a question."""
    return f"<b>Question {position + 1}/{size}</b> · {escape(level)} · {escape(topic)}"


def result_line(correct: bool) -> str:
    """The verdict under an answered MCQ."""
    return "✅ <b>Right.</b>" if correct else "❌ <b>Wrong.</b>"


def your_answer(letter: str, option_html: str) -> str:
    """The user's choice, shown under the answered question."""
    return f"Your answer: <b>{letter}</b>) {option_html}"


def right_answer(letter: str, option_html: str) -> str:
    """The right option, shown under a wrongly answered question."""
    return f"Right answer: ✅ <b>{letter}</b>) {option_html}"


def open_prompt_hint() -> str:
    """Shown under an open question."""
    return "<i>Type your answer in one message.</i>"


def model_answer_block(model_html: str, points: list[tuple[str, bool]], typed: bool = True) -> str:
    """The model answer and key points, marking those a typed answer covered."""
    lines = ["<b>Model answer</b>", model_html, "", "<b>Key points</b>"]
    if not typed:
        lines += [f"• {escape(p)}" for p, _ in points]
        lines += ["", "How well would you have answered? Grade yourself:"]
        return "\n".join(lines)
    lines += [f"{'☑️' if hit else '▫️'} {escape(p)}" for p, hit in points]
    covered = sum(1 for _, hit in points if hit)
    lines += ["", f"Your answer mentioned {covered} of {len(points)} key points. How did you do?"]
    return "\n".join(lines)


def graded_line(grade: str) -> str:
    """The self-grade, shown once chosen."""
    return f"Your grade: <b>{escape(GRADE_LABELS.get(grade, grade))}</b>"


def score_line(right: int, total: int) -> str:
    """The final score, its own message."""
    return f"🏁 <b>Score: {right}/{total}</b>"


def summary_text(
    mode: str, mcq_right: int, mcq_total: int, grades: dict[str, int], by_topic: list[tuple[str, int, int]]
) -> str:
    """The per-topic breakdown after the score."""
    lines = [f"<b>Your {escape(MODE_NAMES.get(mode, mode))} by topic</b>"]
    lines += [f"• {escape(topic)}: {right}/{total}" for topic, right, total in by_topic]
    if mode == "interview":
        lines += ["", f"Multiple choice: {mcq_right}/{mcq_total} right"]
        lines += [f"{GRADE_LABELS[g]}: {grades.get(g, 0)}" for g in ("nailed", "partly", "missed")]
    lines += ["", "Send /quiz or /interview to go again."]
    return "\n".join(lines)


def admin_stats(users: int, sessions: int, answers: int) -> str:
    """The operator's overview."""
    return f"<b>Bot stats</b>\nUsers: {users}\nSessions: {sessions}\nAnswers: {answers}"


# Terminal practice
CLI_NO_TOKEN = (
    "No TELEGRAM_BOT_TOKEN is set (put it in .env to run the Telegram bot).\n"
    "Starting the terminal practice instead: python -m bot practice"
)
CLI_PICK_LEVEL = "Level? 1) fresher 2) intermediate 3) experienced 4) advanced [1]: "
CLI_MCQ_PROMPT = "Your answer (A-{last} or 1-{n}): "
CLI_BAD_CHOICE = "Please answer with a letter A-{last} or a number 1-{n}."
CLI_OPEN_PROMPT = "Your answer (one line): "
CLI_GRADE_PROMPT = "How did you do? 1) Nailed it 2) Partly 3) Missed: "
CLI_BAD_GRADE = "Please answer 1, 2 or 3."
CLI_RIGHT = "✅ Right."
CLI_WRONG = "❌ Wrong. Right answer: {letter}) {text}"
CLI_END_OF_INPUT = "(end of input)"
CLI_SCORE = "Score: {right}/{total}"
CLI_EMPTY = "No questions for level {level}."


# Progress and personal data: /stats, /history, /reset, /export, /deleteme
STATS_EMPTY = (
    "You have not answered any questions yet. Send /quiz to take your first quiz "
    "or /interview for a mock interview; your progress will show up here."
)
STATS_LEGEND = "<i>Bar = readiness: the share of a topic's questions you would likely get right today.</i>"
BTN_WEAKEST = "🎯 Quiz my weakest topics"
HISTORY_EMPTY = "No sessions yet. Send /quiz or /interview to start one; they will be listed here."
HISTORY_NO_ANSWERS = "No answers were recorded in that session."
HISTORY_GONE = "That session is no longer stored."
EXPORT_EMPTY = "There is nothing to export yet: you have not answered any questions. Send /quiz to start."
EXPORT_CAPTION = "Your answers, one row each (times in UTC)."
EXPORT_FILENAME = "flask-interview-answers.csv"
RESET_CONFIRM = (
    "Reset your progress? This erases every answer, session and review card. "
    "Your settings (time zone, daily question time) stay."
)
DELETE_CONFIRM = (
    "Delete all your data? This erases everything I store about you: answers, sessions, "
    "review cards and settings, and stops the daily question. It cannot be undone."
)
BTN_CONFIRM_RESET = "🗑 Yes, reset"
BTN_CONFIRM_DELETE = "🗑 Yes, delete everything"
BTN_KEEP = "↩️ No, keep it"
RESET_DONE = (
    "Done: your progress is reset ({answers} answers erased). Your settings are kept. Send /quiz to start afresh."
)
DELETE_DONE = "Done: everything I stored about you is deleted. Send /start if you ever want to begin again."
ERASE_KEPT = "Nothing was erased."
CB_WEAK_EMPTY = "There are no quiz questions for those topics any more."


def percent_text(share: float | None) -> str:
    """A share as `75%`, or a dash when there is nothing to measure."""
    return "—" if share is None else f"{round(share * 100)}%"


def stats_header(current: int, best: int, due: int) -> str:
    """Streaks and due reviews, on top of /stats."""
    return (
        f"📊 <b>Your progress</b>\n🔥 Streak: <b>{current}</b> day{'s' if current != 1 else ''} "
        f"· best {best}\n🔁 Reviews due: <b>{due}</b>"
    )


def stats_level(level: str, answered: int, accuracy: float | None, topic_lines: list[str], untried: int) -> str:
    """One level's block of /stats."""
    head = f"<b>{escape(LEVEL_LABELS.get(level, level))}</b> · {answered} answered · {percent_text(accuracy)} right"
    tail = [f"<i>{untried} more topic{'s' if untried != 1 else ''} not tried yet</i>"] if untried else []
    return "\n".join([head, *topic_lines, *tail])


def stats_topic(bar: str, readiness: float, topic: str, answered: int, accuracy: float | None) -> str:
    """One topic line: readiness bar, topic, answers and accuracy."""
    return f"<code>{bar}</code> {percent_text(readiness)} {escape(topic)} · {answered} · {percent_text(accuracy)}✓"


def stats_weakest(level: str, topics: list[str]) -> str:
    """The weakest topics, above the button that drills them."""
    names = ", ".join(escape(t) for t in topics)
    return f"<b>Work on next</b> ({escape(LEVEL_LABELS.get(level, level))}): {names}"


def history_line(
    number: int, when: str, mode: str, level: str, right: int, answered: int, size: int, duration: str, finished: bool
) -> str:
    """One past session in /history."""
    stopped = "" if finished else f" (stopped at {answered}/{size})"
    return (
        f"<b>{number}.</b> {escape(when)} · {escape(MODE_NAMES.get(mode, mode))} · {escape(level)} · "
        f"<b>{right}/{answered}</b>{stopped} · {escape(duration)}"
    )


def history_text(lines: list[str]) -> str:
    """The /history list."""
    return "\n".join(["🗂 <b>Your last sessions</b>", *lines, "", "Tap a number to see its questions and answers."])


def duration_text(seconds: int) -> str:
    """A session's length, short: `45 s`, `7 min`, `1 h 05 min`."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def review_header(mode: str, level: str, when: str) -> str:
    """The title of a past session's questions."""
    return f"<b>{escape(MODE_NAMES.get(mode, mode)).capitalize()} · {escape(level)} · {escape(when)}</b>"


def review_item(number: int, prompt: str, answer: str, result: bool | None) -> str:
    """One past question with the user's answer (both plain text, escaped here)."""
    mark = "⏳" if result is None else ("✅" if result else "❌")
    return f"{mark} <b>{number}.</b> {escape(prompt)}\n<i>Your answer:</i> {escape(answer) or '—'}"


# Daily question: /daily, /timezone and the pushed question
DAILY_HEADER = "📅 <b>Daily question</b>"
DAILY_PICK = "Tap a time, or send <code>/daily HH:MM</code> (your local time):"
DAILY_OFF = "The daily question is off. Send <code>/daily HH:MM</code> to turn it on again."
DAILY_BAD_TIME = "Send the time as HH:MM, for example <code>/daily 09:00</code>, or <code>/daily off</code>."
BTN_DAILY_OFF = "🔕 Turn off"
BTN_SHOW_ANSWER = "👀 Show answer"
TZ_PICK = "Tap your zone, or send <code>/timezone Area/City</code>, for example <code>/timezone Europe/Berlin</code>:"
CB_SAVED = "Saved."


def daily_status(daily_time: str | None, zone: str) -> str:
    """The /daily message: the current setting."""
    if daily_time is None:
        return f"The daily question is <b>off</b>. Your time zone: {escape(zone)}.\n\n{DAILY_PICK}"
    return f"The daily question comes every day at <b>{escape(daily_time)}</b> ({escape(zone)}).\n\n{DAILY_PICK}"


def daily_on(daily_time: str, zone: str) -> str:
    """Confirmation of a subscription."""
    return (
        f"📅 Done: a question every day at <b>{escape(daily_time)}</b>, {escape(zone)} time. "
        "If that time has already passed today, today's question comes within a minute.\n"
        "Wrong zone? Send /timezone."
    )


def timezone_status(zone: str) -> str:
    """The /timezone message: the current zone."""
    return f"Your time zone: <b>{escape(zone)}</b>.\n\n{TZ_PICK}"


def timezone_set(zone: str, local_now: str) -> str:
    """Confirmation of a zone change, with the local time there."""
    return f"Time zone set to <b>{escape(zone)}</b> (it is {escape(local_now)} there now)."


def timezone_unknown(text: str, suggestion: str | None) -> str:
    """An unknown zone, with the closest match if there is one."""
    base = f"I don't know the time zone “{escape(text)}”."
    if suggestion:
        return f"{base} Did you mean <code>/timezone {escape(suggestion)}</code>?"
    return f"{base} {TZ_PICK}"


def reveal_text(model_html: str, points: list[str]) -> str:
    """The model answer of a pushed open question, before the self-grade."""
    lines = ["<b>Model answer</b>", model_html, "", "<b>Key points</b>"]
    lines += [f"▫️ {escape(p)}" for p in points]
    lines += ["", "How well did you know it?"]
    return "\n".join(lines)


# Group play: welcome, admin settings, the daily group poll, /groupquiz, /top
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("groupquiz", "A quiz for the whole group: /groupquiz [level] [n]"),
    ("top", "This group's leaderboard"),
    ("daily", "Admins: the daily question poll, /daily HH:MM or off"),
    ("timezone", "Admins: the group's time zone"),
    ("level", "Admins: the group's level, or mixed"),
    ("help", "What I can do in a group"),
)
LEVEL_MIXED = "🎲 Mixed"
POLL_SEE_ABOVE = "Your answer to the question above?"
POLL_MORE = "Full explanation:"
GROUP_HELP = (
    "<b>Flask practice for this group</b>\n"
    "• /groupquiz [level] [n] — a quiz of n polls (default 5, up to 10) for everyone here\n"
    "• /top — this week's and all-time leaderboard\n"
    "• A daily question as a quiz poll, if an admin turns it on\n\n"
    "<b>Admins</b> set it up: <code>/daily 09:00</code> or <code>/daily off</code>, "
    "<code>/timezone Europe/Berlin</code>, <code>/level intermediate</code> (or <code>mixed</code>), "
    "<code>/groupquiz admins</code> or <code>/groupquiz everyone</code> for who may start quizzes.\n\n"
    "For a mock interview, your stats and spaced repetition, message me privately."
)
GROUP_WELCOME = "👋 Hello! I bring Flask interview practice to this group.\n\n" + GROUP_HELP
GROUP_PRIVATE_ONLY = "That command works in a private chat with me. Here, try /groupquiz or /top (/help lists all)."
GROUP_ADMINS_ONLY = "Only this group's admins can do that."
GROUP_DAILY_OFF = "The daily question poll is off. An admin can turn it on with <code>/daily HH:MM</code>."
GROUP_DAILY_BAD_TIME = "Send the time as HH:MM, for example <code>/daily 09:00</code>, or <code>/daily off</code>."
GROUP_LEVEL_BAD = (
    "Send one of <code>/level fresher</code>, <code>intermediate</code>, <code>experienced</code>, "
    "<code>advanced</code> or <code>mixed</code>."
)
GROUP_TZ_USAGE = "Send <code>/timezone Area/City</code>, for example <code>/timezone Europe/Berlin</code>."
GROUPQUIZ_USAGE = (
    "Send <code>/groupquiz [level] [n]</code>: a level (fresher, intermediate, experienced, advanced or mixed) "
    "and from 1 to 10 questions, for example <code>/groupquiz intermediate 3</code>."
)
GROUPQUIZ_RUNNING = "A group quiz is already running here. Answer its polls; a new one can start when it ends."
GROUPQUIZ_EMPTY = "There are no poll questions for that level yet. Try another level."
GROUPQUIZ_ADMINS = "From now on only admins can start a group quiz here."
GROUPQUIZ_EVERYONE = "From now on anyone here can start a group quiz."
DEEP_LINK_GONE = "That question is no longer in the bank. Send /quiz to practise."


def level_label(level: str | None) -> str:
    """A level's label, or Mixed."""
    return LEVEL_MIXED if level in (None, "mixed") else LEVEL_LABELS.get(str(level), str(level))


def group_daily_status(daily_time: str | None, zone: str) -> str:
    """/daily with no argument in a group."""
    if daily_time is None:
        return f"{GROUP_DAILY_OFF} Group time zone: {escape(zone)}."
    return f"📅 The daily question poll comes at <b>{escape(daily_time)}</b> ({escape(zone)})."


def group_daily_on(daily_time: str, zone: str) -> str:
    """Confirmation of /daily HH:MM in a group."""
    return (
        f"📅 Done: a question poll every day at <b>{escape(daily_time)}</b>, {escape(zone)} time. "
        "Wrong zone? An admin can send /timezone Area/City."
    )


def group_timezone_set(zone: str, local_now: str) -> str:
    """Confirmation of a group's zone."""
    return f"Group time zone set to <b>{escape(zone)}</b> (it is {escape(local_now)} there now)."


def group_timezone_status(zone: str) -> str:
    """/timezone with no argument in a group."""
    return f"Group time zone: <b>{escape(zone)}</b>. {GROUP_TZ_USAGE}"


def group_level(level: str | None, changed: bool) -> str:
    """The group's level, shown or just set."""
    return f"{'Level set to' if changed else 'Group level:'} <b>{escape(level_label(level))}</b>."


def groupquiz_intro(size: int, level: str, seconds: int) -> str:
    """The message before a group quiz's first poll."""
    return (
        f"🧠 <b>Group quiz</b>: {size} question{'s' if size != 1 else ''}, {escape(level_label(level))}, "
        f"{seconds} s each. Answer in the polls; the ranking comes at the end."
    )


def poll_result(result: PollResult) -> str:
    """The one line under a closed daily poll: answered, percent right, first right answer."""
    if not result.answered:
        return "📊 Last question: nobody answered."
    tail = f" First right answer: <b>{escape(result.first_right)}</b>." if result.first_right else ""
    return f"📊 Last question: {result.answered} answered, {result.percent_right}% right.{tail}"


def _score_line(place: int, name: str, points: int, answered: int) -> str:
    medal = {1: "🥇", 2: "🥈", 3: "🥉"}.get(place, f"{place}.")
    return f"{medal} {escape(name or '—')} — <b>{points}</b> ({answered} answered)"


def quiz_ranking(table: Sequence[Score], interrupted: bool) -> str:
    """The ranking at the end of a group quiz (points, ties by total answer time)."""
    rows = list(table)
    head = "🏁 <b>Group quiz over</b>" + (" (stopped early)" if interrupted else "")
    if not rows:
        return f"{head}\nNobody answered this time."
    lines = [_score_line(i, s.first_name, s.points, s.answered) for i, s in enumerate(rows, start=1)]
    return "\n".join([head, *lines, "", "<i>Ties go to the faster total answer time.</i>"])


def top_text(week: list[tuple[int, str, int, int]], every: list[tuple[int, str, int, int]], mine: str) -> str:
    """/top: this week's and the all-time top 10, then the caller's place."""

    def block(title: str, rows: list[tuple[int, str, int, int]]) -> list[str]:
        if not rows:
            return [title, "No answers yet."]
        return [title, *(_score_line(*r) for r in rows)]

    return "\n".join([*block("🏆 <b>This week</b>", week), "", *block("🏛 <b>All time</b>", every), "", mine])


def top_mine(name: str, week: tuple[int, int] | None, every: tuple[int, int] | None) -> str:
    """The caller's place in both tables: (place, points) or None."""
    if every is None:
        return f"{escape(name)}, you have not answered here yet: vote in the next poll!"
    week_part = f"#{week[0]} this week with {week[1]}" if week else "not on this week's board yet"
    return f"{escape(name)}: {week_part}; #{every[0]} all time with {every[1]}."


def full_explanation(prompt_html: str, right_html: str, explanation_html: str) -> str:
    """A poll question's full explanation, opened from its deep link."""
    return f"{prompt_html}\n\nRight answer: ✅ {right_html}\n\n<b>Why</b>\n{explanation_html}"
