"""Every user-facing string, in Telegram HTML or plain text for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.domain.groups import PollResult, Score

COMMANDS: tuple[tuple[str, str], ...] = (
    ("quiz", "10 multiple-choice questions of one level"),
    ("interview", "A timed mock interview that estimates your level"),
    ("cancel", "End the current session"),
    ("review", "Your due review cards, now"),
    ("stats", "Your progress: readiness by topic, streaks"),
    ("history", "Your last sessions and answers"),
    ("export", "Download your answers as CSV (/export json: everything)"),
    ("reset", "Erase your progress, keep your settings"),
    ("deleteme", "Delete all your data"),
    ("privacy", "What I store about you, and who runs me"),
    ("daily", "A question every day at your time"),
    ("timezone", "Set your time zone for the daily question"),
    ("goal", "An interview date: forecast and daily plan"),
    ("pause", "Pause the daily message and streak, 1-14 days"),
    ("help", "What I can do"),
)

LEVEL_LABELS = {
    "fresher": "🌱 Fresher",
    "intermediate": "🌿 Intermediate",
    "experienced": "🌳 Experienced",
    "advanced": "🚀 Advanced",
}

MODE_NAMES = {
    "quiz": "quiz",
    "interview": "mock interview",
    "daily": "daily question",
    "review": "review",
    "set": "daily set",
    "changes": "Flask 2 → 3 drill",
}


def greeting(first_name: str) -> str:
    """The /start message."""
    return (
        f"Hi, {escape(first_name)}! I help you get ready for a <b>Flask interview</b>.\n\n"
        "• /quiz — 10 multiple-choice questions of one level, with explanations\n"
        "• /interview — a timed mock interview that adapts to your answers and ends with your estimated level\n"
        "• /daily — one well-chosen question a day at your local time\n"
        "• /stats — where you stand, topic by topic\n\n"
        "Pick a level to start a quiz:"
    )


HELP = (
    "<b>What I can do</b>\n"
    + "\n".join(f"/{command} — {about}" for command, about in COMMANDS)
    + "\n\nTap an option to answer, or type your answer to an open question. In a mock interview every question "
    "is timed and the next one gets harder or easier with your answers; they are discussed at the end, where you "
    "grade your open answers against the model answer and get your estimated level.\n\n"
    "Upgrading an app or brushing up? The button below drills what changed from Flask 2 to 3."
)
BTN_CHANGES = "🆕 What changed in Flask 2 → 3"


def changes_intro(size: int) -> str:
    """The message before the first question of the Flask 2 → 3 drill."""
    return (
        "<b>What changed from Flask 2 to 3</b>\n"
        f"{size} questions on behaviour that depends on the release: what was removed, new defaults and "
        "new settings. Each explanation names the version."
    )


CHANGES_EMPTY = "There are no questions about Flask releases to drill right now."
CB_CHANGES_USED = "That drill has ended. Send /help for a new one."

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
EXPORT_JSON_CAPTION = (
    "Everything I store about you, as JSON: settings, sessions, answers, review cards, reports and group votes "
    "(times in Unix milliseconds, UTC)."
)
EXPORT_JSON_FILENAME = "flask-interview-data.json"
EXPORT_USAGE = "Send /export for your answers as CSV, or /export json for everything I store about you."


def privacy(contact: str, llm_host: str | None) -> str:
    """The /privacy message: what is stored, for how long, where answers may go, and who runs the bot."""
    llm = (
        f"\n• To grade them, your typed answers to open questions (with the question) are sent to "
        f"<code>{escape(llm_host)}</code>, the language model this bot is set up with."
        if llm_host
        else ""
    )
    who = (
        f"This bot is run by {escape(contact)}. Ask them about your data."
        if contact.strip()
        else "The person running this bot has not published a contact."
    )
    return (
        "<b>What I store about you</b>\n"
        "• Your Telegram user id, chat id and first name; the level, time zone and daily-question time you chose.\n"
        "• Every quiz, mock interview, review and daily question you take: the questions, your answers "
        "(what you type for open questions too), their grades and times.\n"
        "• Your review schedule (when each question comes back), and the reports and comments you send "
        "about questions.\n"
        "• In groups: your answers to my quiz polls, and your first name for the leaderboard.\n"
        "• Whether each daily question reached you, so it is never sent twice."
        f"{llm}\n\n"
        "<b>For how long</b>\n"
        "Until you erase it: /reset erases your progress (answers, sessions, review cards) and keeps your "
        "settings; /deleteme erases everything. Nothing expires on its own, and backups the operator keeps "
        "may hold a copy until they are replaced.\n\n"
        "<b>Your copy</b>\n"
        "/export sends your answers as CSV; /export json sends every row I store about you.\n\n"
        f"<b>Who runs this bot</b>\n{who}"
    )


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
    number: int,
    when: str,
    mode: str,
    level: str,
    right: int,
    answered: int,
    size: int,
    duration: str,
    finished: bool,
    estimate: str | None = None,
) -> str:
    """One past session in /history; an interview shows its estimated level."""
    stopped = "" if finished else f" (stopped at {answered}/{size})"
    estimated = f" · estimated level: <b>{escape(LEVEL_NAMES.get(estimate, estimate))}</b>" if estimate else ""
    return (
        f"<b>{number}.</b> {escape(when)} · {escape(MODE_NAMES.get(mode, mode))} · {escape(level)} · "
        f"<b>{right}/{answered}</b>{stopped} · {escape(duration)}{estimated}"
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


# The mock interview
LEVEL_NAMES = {
    "fresher": "Fresher",
    "intermediate": "Intermediate",
    "experienced": "Experienced",
    "advanced": "Advanced",
}
BTN_UNSURE = "🤷 Not sure"


def interview_intro(questions: int, minutes: int, mcq_seconds: int, open_seconds: int) -> str:
    """What the mock interview is, before the level picker."""
    return (
        f"🎤 <b>Mock interview</b>: about {questions} questions, roughly {minutes} minutes.\n"
        "Questions get harder after strong answers and easier after weak ones; at the end I estimate your level.\n"
        f"Each question is timed: {mcq_seconds} s for multiple choice, {open_seconds // 60} min for open ones. "
        "Answers are discussed at the end, not one by one.\n\n"
        "Where do you think you stand?"
    )


def interview_started(label: str) -> str:
    """The intro once a level is picked."""
    return f"🎤 <b>Mock interview</b> · start: {escape(label)}. Good luck!"


def interview_budget(seconds: int) -> str:
    """The time budget under an interview question."""
    budget = f"{seconds // 60} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds} s"
    return f"⏱ <i>{budget} to answer.</i>"


def interview_chosen(letter: str, option_html: str, over_time: bool) -> str:
    """An answered interview MCQ: only the choice, no verdict."""
    late = " <i>(over time)</i>" if over_time else ""
    return f"Your answer: <b>{letter}</b>) {option_html}{late}"


def open_received(over_time: bool) -> str:
    """Acknowledges a typed interview answer."""
    return "✍️ Answer received" + (" (over time)." if over_time else ".")


def timed_out(number: int) -> str:
    """A question closed by its deadline."""
    return f"⏰ Time is up for question {number}: it counts as unanswered."


TIMED_OUT_EDIT = "⏰ <i>Time is up: no answer.</i>"
INTERVIEW_OVER = "🏁 <b>Interview over.</b> Here is how each question went; grade your open answers on their pages."


def debrief_page(
    page: int,
    pages: int,
    level: str,
    topic: str,
    prompt_html: str,
    answer_html: str,
    verdict: str,
    seconds: int,
    over_time: bool,
    explanation_html: str,
) -> str:
    """One debrief page: the question, the answer, the verdict, the time and the explanation."""
    late = " (over time)" if over_time else ""
    return (
        f"<b>Debrief {page}/{pages}</b> · {escape(level)} · {escape(topic)}\n\n{prompt_html}\n\n"
        f"<i>Your answer:</i> {answer_html}\n{verdict}\n⏱ {duration_text(seconds)}{late}\n\n{explanation_html}"
    )


VERDICT_RIGHT = "✅ Right."
VERDICT_WRONG = "❌ Wrong."
VERDICT_TIMED_OUT = "⏰ No answer in time."
VERDICT_UNGRADED = "✍️ Grade yourself against the model answer:"
NO_ANSWER = "—"


def verdict_graded(grade: str) -> str:
    """An open answer's self-grade on its debrief page."""
    return f"Your grade: <b>{escape(GRADE_LABELS.get(grade, grade))}</b>"


def debrief_right_option(letter: str, option_html: str) -> str:
    """The right option on a debrief page."""
    return f"Right answer: <b>{letter}</b>) {option_html}"


def key_points_block(model_html: str, points: list[tuple[str, bool]]) -> str:
    """Model answer and the key points the typed answer covered."""
    lines = ["<b>Model answer</b>", model_html, "", "<b>Key points</b>"]
    lines += [f"{'☑️' if hit else '▫️'} {escape(p)}" for p, hit in points]
    return "\n".join(lines)


BTN_PREV = "◀"
BTN_NEXT = "▶"
BTN_REPORT = "🚩 Report"


def report_text(
    level: str,
    evidence: list[tuple[str, int, int]],
    confidence: str,
    se: float,
    strongest: list[str],
    weakest: list[str],
    total: str,
    timed_out_count: int,
    over_time_count: int,
    change: str | None,
    ungraded: int,
) -> str:
    """The interview report; its second line is `Estimated level: …`."""
    lines = ["📋 <b>Interview report</b>", f"Estimated level: {escape(LEVEL_NAMES.get(level, level))}", ""]
    lines.append("<b>Evidence</b> (asked · right)")
    lines += [f"• {escape(LEVEL_NAMES.get(lv, lv))}: {asked} · {right}" for lv, asked, right in evidence]
    lines.append(f"Confidence: {confidence} (±{se:.1f} of a level)")
    lines.append("")
    lines.append("💪 Strongest: " + (", ".join(escape(t) for t in strongest) or "—"))
    lines.append("🎯 Weakest: " + (", ".join(escape(t) for t in weakest) or "—"))
    extra = []
    if timed_out_count:
        extra.append(f"{timed_out_count} timed out")
    if over_time_count:
        extra.append(f"{over_time_count} over time")
    lines.append(f"⏱ Total time: {escape(total)}" + (f" ({', '.join(extra)})" if extra else ""))
    lines.append(change or "📈 This is your first interview: the next one will show the change.")
    if ungraded:
        lines += ["", f"<i>{ungraded} open answer(s) count by key points until you grade them in the debrief.</i>"]
    if weakest:
        lines += ["", "Tap a weak topic for a quiz on it."]
    return "\n".join(lines)


def estimate_change(previous_level: str, level: str, delta: float) -> str:
    """The change since the previous interview."""
    arrow = "📈" if delta > 0.05 else "📉" if delta < -0.05 else "➡️"
    return (
        f"{arrow} Since your previous interview: {escape(LEVEL_NAMES.get(previous_level, previous_level))} → "
        f"{escape(LEVEL_NAMES.get(level, level))} ({delta:+.1f})"
    )


CONFIDENCE_WORDS = {"high": "high", "medium": "medium", "low": "low — a few more interviews will firm it up"}


def weak_topic_button(topic: str) -> str:
    """A button that starts a quiz on one weak topic."""
    return f"🎯 {topic}"


# /review
REVIEW_NONE = "Nothing to review: you have no review cards yet. Answer some questions in /quiz first."


def review_next_due(when: str) -> str:
    """Nothing is due now."""
    return f"Nothing is due for review right now. Your next card is due {escape(when)}."


def review_more(n: int) -> str:
    """The button offering the due cards."""
    return f"🔁 {n} more due"


def review_due_button(n: int) -> str:
    """The /stats button for due cards."""
    return f"🔁 Review {n} due"


# Reports
REPORT_ASK = "What is wrong with this question?"
REPORT_REASONS = {
    "wrong": "Wrong answer",
    "unclear": "Unclear",
    "typo": "Typo",
    "outdated": "Outdated",
    "other": "Other",
}
REPORT_THANKS = (
    "🙏 Thank you, the editors will look at it. Add a comment in your next message (up to 1000 characters), "
    "or send /cancel to skip."
)
REPORT_COMMENT_SAVED = "🙏 Thanks, your comment is saved with the report."
REPORT_COMMENT_SKIPPED = "Report sent without a comment."
CB_REPORTED = "Reported. Thank you!"
REPORTS_EMPTY = "No open reports."
ENABLE_USAGE = "Send <code>/enable question-id</code>."


def report_notice(question_id: str, reason: str) -> str:
    """The admins' notice on a question's first report of the day."""
    return (
        f"🚩 New report on <code>{escape(question_id)}</code>: {escape(REPORT_REASONS.get(reason, reason))}. "
        "/reports lists the open ones."
    )


def question_heading(question_id: str, level: str, topic: str) -> str:
    """The first line of a question shown to admins: id, level and topic."""
    return f"<code>{escape(question_id)}</code> · {escape(level)} · {escape(topic)}"


def report_group(
    question_id: str,
    count: int,
    reasons: dict[str, int],
    comments: tuple[str, ...],
    disabled: bool,
    changed: bool,
) -> str:
    """One reported question in /reports."""
    reason_text = ", ".join(f"{escape(REPORT_REASONS.get(r, r))} ×{n}" for r, n in sorted(reasons.items()))
    lines = [f"🚩 <code>{escape(question_id)}</code> · {count} report{'s' if count != 1 else ''}: {reason_text}"]
    lines += [f"💬 {escape(c)}" for c in comments]
    if changed:
        lines.append("<i>The question changed since it was reported.</i>")
    if disabled:
        lines.append("<i>Already disabled.</i>")
    return "\n".join(lines)


BTN_DISABLE = "⛔ Disable question"
BTN_DISMISS = "✖️ Dismiss"
BTN_SHOW = "👁 Show question"


def question_disabled(question_id: str) -> str:
    """After Disable."""
    qid = escape(question_id)
    return f"⛔ <code>{qid}</code> is disabled: no new session asks it. /enable {qid} brings it back."


def reports_dismissed(question_id: str, n: int) -> str:
    """After Dismiss."""
    return f"✖️ Dismissed {n} report{'s' if n != 1 else ''} on <code>{escape(question_id)}</code>."


def question_enabled(question_id: str, was_disabled: bool) -> str:
    """After /enable."""
    if was_disabled:
        return f"✅ <code>{escape(question_id)}</code> is enabled again."
    return f"<code>{escape(question_id)}</code> was not disabled."


def unknown_question(question_id: str) -> str:
    """/enable with an id the bank does not have."""
    return f"There is no question <code>{escape(question_id)}</code> in the bank."


# Terminal interview
CLI_BUDGET = "(time budget: {seconds} s)"
CLI_OVER_TIME = "(over time)"
CLI_RECEIVED = "Answer received."
CLI_DEBRIEF = "\n=== Debrief ==="


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


# The offline grader's feedback (plain text: the renderer escapes it). At most two sentences.
GRADE_INJECTION = "This talks to the grader instead of answering the question, so it earns no credit."
GRADE_SALAD = "A list of terms is not an explanation: say what each one does and why it matters here."


def grade_feedback(right: Sequence[str], missing: Sequence[str], wrong: Sequence[str]) -> str:
    """Two sentences on an offline grade: the first false claim or the first point made, then the first one missed."""
    if wrong:
        first = f"Not so: {wrong[0].rstrip('.')}."
    elif right:
        first = f"Right: {right[0].rstrip('.')}."
    else:
        first = "This does not make any of the key points yet."
    second = f"Missing: {missing[0].rstrip('.')}." if missing else "Every key point is there."
    return f"{first} {second}"
