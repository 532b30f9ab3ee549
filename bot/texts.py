"""Every user-facing string, in Telegram HTML or plain text for the terminal, in the language of the update.

How to add a string (bot/locale/README.md has the catalog commands):
- a constant: `NAME = N_("English text")`; reading `texts.NAME` gives it in the current language;
- in a function: `_("Hello, {name}!").format(name=...)` (never an f-string around words: the catalog would miss
  it) and `ngettext("{n} day", "{n} days", n).format(n=n)` for a count;
- a constant used inside this module is read through `_()` (`_(DAILY_PICK)`): only reads from outside go
  through the translating module class (`i18n.translate_constants`, called at the bottom; a per-feature split,
  bot/texts_<feature>.py, ends with the same call).
tests/unit/test_i18n_catalog.py fails on a word outside `_()`/`N_()`/`ngettext()` here, and on a string the
Russian catalog lacks: run `python -m bot i18n update`, translate in bot/locale/ru/LC_MESSAGES/bot.po, then
`python -m bot i18n compile`.
Names tell the tests which Telegram limit applies: `BTN_*` and `*_LABELS` are button labels, `CB_*`
answerCallbackQuery texts (200), `POLL_*` poll texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot import i18n
from bot.domain.groups import PollResult, Score
from bot.i18n import N_, _, ngettext

COMMANDS: tuple[tuple[str, str], ...] = (
    ("quiz", N_("10 multiple-choice questions of one level")),
    ("interview", N_("A timed mock interview that estimates your level")),
    ("cancel", N_("End the current session")),
    ("review", N_("Your due review cards, now")),
    ("stats", N_("Your progress: readiness by topic, streaks")),
    ("history", N_("Your last sessions and answers")),
    ("export", N_("Download your answers as CSV (/export json: everything)")),
    ("reset", N_("Erase your progress, keep your settings")),
    ("deleteme", N_("Delete all your data")),
    ("privacy", N_("What I store about you, and who runs me")),
    ("daily", N_("A question every day at your time")),
    ("timezone", N_("Set your time zone for the daily question")),
    ("language", N_("Interface language: English or Russian")),
    ("goal", N_("An interview date: forecast and daily plan")),
    ("pause", N_("Pause the daily message and streak, 1-14 days")),
    ("news", N_("The bot's announcements: /news on or /news off")),
    ("help", N_("What I can do")),
)

# The bot's profile (setMyDescription ≤ 512 characters, setMyShortDescription ≤ 120), set per language.
BOT_DESCRIPTION = N_(
    "I help you get ready for a Flask interview: multiple-choice quizzes by level, a timed mock interview that "
    "estimates your level, a daily question at your local time, spaced review and progress by topic. "
    "Press Start to begin."
)
BOT_SHORT_DESCRIPTION = N_("Flask interview practice: quizzes, mock interviews, a daily question.")

LEVEL_LABELS = {
    "fresher": N_("🌱 Fresher"),
    "intermediate": N_("🌿 Intermediate"),
    "experienced": N_("🌳 Experienced"),
    "advanced": N_("🚀 Advanced"),
}

MODE_NAMES = {
    "quiz": N_("quiz"),
    "interview": N_("mock interview"),
    "daily": N_("daily question"),
    "review": N_("review"),
    "set": N_("daily set"),
    "changes": N_("Flask 2 → 3 drill"),
}


def greeting(first_name: str) -> str:
    """The /start message."""
    return _(
        "Hi, {name}! I help you get ready for a <b>Flask interview</b>.\n\n"
        "• /quiz — 10 multiple-choice questions of one level, with explanations\n"
        "• /interview — a timed mock interview that adapts to your answers and ends with your estimated level\n"
        "• /daily — one well-chosen question a day at your local time\n"
        "• /stats — where you stand, topic by topic\n"
        "• /language — English or Russian\n\n"
        "Pick a level to start a quiz:"
    ).format(name=escape(first_name))


def help_text() -> str:
    """The /help message."""
    commands = "\n".join(f"/{command} — {_(about)}" for command, about in COMMANDS)
    tail = _(
        "Tap an option to answer, or type your answer to an open question. In a mock interview every question "
        "is timed and the next one gets harder or easier with your answers; they are discussed at the end, where "
        "you grade your open answers against the model answer and get your estimated level."
    )
    changes = _("Upgrading an app or brushing up? The button below drills what changed from Flask 2 to 3.")
    return _("<b>What I can do</b>") + "\n" + commands + "\n\n" + tail + "\n\n" + changes


PICK_LEVEL = {
    "quiz": N_("Choose the level of your quiz:"),
    "interview": N_("Choose the level of your mock interview:"),
}
BTN_CHANGES = N_("🆕 What changed in Flask 2 → 3")


def changes_intro(size: int) -> str:
    """The message before the first question of the Flask 2 → 3 drill."""
    head = _("<b>What changed from Flask 2 to 3</b>")
    body = ngettext(
        "{size} question on behaviour that depends on the release: what was removed, new defaults and "
        "new settings. Each explanation names the version.",
        "{size} questions on behaviour that depends on the release: what was removed, new defaults and "
        "new settings. Each explanation names the version.",
        size,
    ).format(size=size)
    return f"{head}\n{body}"


CHANGES_EMPTY = N_("There are no questions about Flask releases to drill right now.")
CB_CHANGES_USED = N_("That drill has ended. Send /help for a new one.")


RESUME_OR_RESTART = N_("You have an unfinished {mode} (question {pos} of {size}). Resume it or start over?")
BTN_RESUME = N_("▶️ Resume")
BTN_START_OVER = N_("🔄 Start over")
EMPTY_LEVEL = N_("There are no questions for that level yet. Try another level.")
CANCELLED = N_("Session ended. Send /quiz or /interview to start again.")
NOTHING_TO_CANCEL = N_("There is no session to end. Send /quiz to start one.")
NO_QUESTION_WAITING = N_("I am not waiting for an answer right now. Send /quiz or /interview to practise.")
TAP_AN_OPTION = N_("Tap one of the buttons under the question to answer.")
GRADE_FIRST = N_("Please grade your answer with the buttons above, then I will ask the next question.")
UNKNOWN_COMMAND = N_("I don't know that command. /help lists what I can do.")
ERROR = N_("Sorry, something went wrong on my side. Your progress is saved; please try again.")
NOT_ADMIN = N_("This command is for the bot's operators.")
CB_RECORDED_RIGHT = N_("✅ Right!")
CB_RECORDED_WRONG = N_("❌ Not quite.")
CB_ALREADY_ANSWERED = N_("You already answered this question.")
CB_STALE = N_("This question is no longer active.")
CB_NOT_YOURS = N_("These buttons belong to someone else's session.")
CB_INVALID = N_("This button is not valid any more.")
CB_ALREADY_STARTED = N_("Already started: your current question is in the chat.")
CB_GRADED = N_("Saved.")

GRADE_LABELS = {"nailed": N_("💪 Nailed it"), "partly": N_("🤏 Partly"), "missed": N_("🙈 Missed")}
OPTION_LETTERS = "ABCDEF"


def question_header(mode: str, position: int, size: int, level: str, topic: str) -> str:
    """The line above a question."""
    head = _("Question {number}/{size}").format(number=position + 1, size=size)
    return f"<b>{head}</b> · {escape(level)} · {escape(topic)}"


def result_line(correct: bool) -> str:
    """The verdict under an answered MCQ."""
    return _("✅ <b>Right.</b>") if correct else _("❌ <b>Wrong.</b>")


def your_answer(letter: str, option_html: str) -> str:
    """The user's choice, shown under the answered question."""
    return _("Your answer: <b>{letter}</b>) {option}").format(letter=letter, option=option_html)


def right_answer(letter: str, option_html: str) -> str:
    """The right option, shown under a wrongly answered question."""
    return _("Right answer: ✅ <b>{letter}</b>) {option}").format(letter=letter, option=option_html)


def open_prompt_hint() -> str:
    """Shown under an open question."""
    return _("<i>Type your answer in one message.</i>")


def model_answer_block(model_html: str, points: list[tuple[str, bool]], typed: bool = True) -> str:
    """The model answer and key points, marking those a typed answer covered."""
    lines = [_("<b>Model answer</b>"), model_html, "", _("<b>Key points</b>")]
    if not typed:
        lines += [f"• {escape(p)}" for p, _hit in points]
        lines += ["", _("How well would you have answered? Grade yourself:")]
        return "\n".join(lines)
    lines += [f"{'☑️' if hit else '▫️'} {escape(p)}" for p, hit in points]
    covered = sum(1 for _p, hit in points if hit)
    mentioned = ngettext(
        "Your answer mentioned {covered} of {total} key point. How did you do?",
        "Your answer mentioned {covered} of {total} key points. How did you do?",
        len(points),
    )
    lines += ["", mentioned.format(covered=covered, total=len(points))]
    return "\n".join(lines)


def graded_line(grade: str) -> str:
    """The self-grade, shown once chosen."""
    return _("Your grade: <b>{grade}</b>").format(grade=escape(_(GRADE_LABELS.get(grade, grade))))


def score_line(right: int, total: int) -> str:
    """The final score, its own message."""
    return _("🏁 <b>Score: {right}/{total}</b>").format(right=right, total=total)


def summary_text(
    mode: str, mcq_right: int, mcq_total: int, grades: dict[str, int], by_topic: list[tuple[str, int, int]]
) -> str:
    """The per-topic breakdown after the score."""
    lines = [_("<b>Your {mode} by topic</b>").format(mode=escape(_(MODE_NAMES.get(mode, mode))))]
    lines += [f"• {escape(topic)}: {right}/{total}" for topic, right, total in by_topic]
    if mode == "interview":
        lines += ["", _("Multiple choice: {right}/{total} right").format(right=mcq_right, total=mcq_total)]
        lines += [f"{_(GRADE_LABELS[g])}: {grades.get(g, 0)}" for g in ("nailed", "partly", "missed")]
    lines += ["", _("Send /quiz or /interview to go again.")]
    return "\n".join(lines)


def admin_stats(users: int, sessions: int, answers: int) -> str:
    """The operator's overview."""
    return _("<b>Bot stats</b>\nUsers: {users}\nSessions: {sessions}\nAnswers: {answers}").format(
        users=users, sessions=sessions, answers=answers
    )


def admin_grader(outcomes: Sequence[tuple[str, int, float]]) -> str:
    """LLM grader calls since start by outcome (ok, timeout, …) with their mean seconds."""
    if not outcomes:
        return _("LLM grader: no calls since start")
    calls = ", ".join(f"{escape(o)} {n} (~{s:.1f} s)" for o, n, s in outcomes)
    return _("LLM grader: {calls}").format(calls=calls)


# Terminal practice (it follows LANG: bot/cli/practice.py)
CLI_NO_TOKEN = N_(
    "No TELEGRAM_BOT_TOKEN is set (put it in .env to run the Telegram bot).\n"
    "Starting the terminal practice instead: python -m bot practice"
)
CLI_PICK_LEVEL = N_("Level? 1) fresher 2) intermediate 3) experienced 4) advanced [1]: ")
CLI_MCQ_PROMPT = N_("Your answer (A-{last} or 1-{n}): ")
CLI_BAD_CHOICE = N_("Please answer with a letter A-{last} or a number 1-{n}.")
CLI_OPEN_PROMPT = N_("Your answer (one line): ")
CLI_GRADE_PROMPT = N_("How did you do? 1) Nailed it 2) Partly 3) Missed: ")
CLI_BAD_GRADE = N_("Please answer 1, 2 or 3.")
CLI_RIGHT = N_("✅ Right.")
CLI_WRONG = N_("❌ Wrong. Right answer: {letter}) {text}")
CLI_END_OF_INPUT = N_("(end of input)")
CLI_SCORE = N_("Score: {right}/{total}")
CLI_EMPTY = N_("No questions for level {level}.")
CLI_BANK_ENGLISH = N_("(The questions themselves are in English.)")


def cli_question_header(position: int, size: int, level: str, topic: str) -> str:
    """The line above a question in the terminal (plain text)."""
    return _("Question {number}/{size}").format(number=position + 1, size=size) + f" · {level} · {topic}"


# Progress and personal data: /stats, /history, /reset, /export, /deleteme
STATS_EMPTY = N_(
    "You have not answered any questions yet. Send /quiz to take your first quiz "
    "or /interview for a mock interview; your progress will show up here."
)
STATS_LEGEND = N_("<i>Bar = readiness: the share of a topic's questions you would likely get right today.</i>")
BTN_WEAKEST = N_("🎯 Quiz my weakest topics")
# The /stats chart (plain text: matplotlib draws it; no emoji, its fonts have none)
CHART_NOW = N_("now")
CHART_BAR = N_("readiness bar")
CHART_DAY_FORMAT = "%d %b"
STATS_CHART_CAPTION = N_("📊 Readiness by topic at your level, and your answers per day over the last 30 days.")


def chart_readiness_title(level: str) -> str:
    """The title above the readiness bars."""
    return _("Readiness by topic · {level}").format(level=_(LEVEL_NAMES.get(level, level)))


def chart_forecast_label(day: object | None) -> str:
    """The legend of the forecast bars (a date when there is one)."""
    return _("forecast") if day is None else _("forecast on {day}").format(day=format(day, "%d %b"))


def chart_days_title(total: int) -> str:
    """The title above the answers-per-day bars."""
    return _("Answers per day, last 30 days ({total} in all)").format(total=total)


HISTORY_EMPTY = N_("No sessions yet. Send /quiz or /interview to start one; they will be listed here.")
HISTORY_NO_ANSWERS = N_("No answers were recorded in that session.")
HISTORY_GONE = N_("That session is no longer stored.")
EXPORT_EMPTY = N_("There is nothing to export yet: you have not answered any questions. Send /quiz to start.")
EXPORT_CAPTION = N_("Your answers, one row each (times in UTC).")
EXPORT_FILENAME = "flask-interview-answers.csv"
EXPORT_JSON_CAPTION = N_(
    "Everything I store about you, as JSON: settings, sessions, answers, review cards, reports and group votes "
    "(times in Unix milliseconds, UTC)."
)
EXPORT_JSON_FILENAME = "flask-interview-data.json"
EXPORT_USAGE = N_("Send /export for your answers as CSV, or /export json for everything I store about you.")


def privacy(contact: str, llm_host: str | None, voice: bool = False) -> str:
    """The /privacy message: what is stored, for how long, where answers may go, and who runs the bot."""
    llm = ""
    if llm_host:
        llm = "\n" + _(
            "• To grade them, your typed answers to open questions (with the question) are sent to "
            "<code>{host}</code>, the language model this bot is set up with."
        ).format(host=escape(llm_host))
        if voice:
            llm += " " + _(
                "The audio of a voice answer goes there too, to be turned into text; the bot keeps only the text, "
                "never the audio."
            )
    if contact.strip():
        who = _("This bot is run by {contact}. Ask them about your data.").format(contact=escape(contact))
    else:
        who = _("The person running this bot has not published a contact.")
    return _(
        "<b>What I store about you</b>\n"
        "• Your Telegram user id, chat id and first name; the level, time zone, daily-question time and interface "
        "language you chose, and the language your Telegram app reports.\n"
        "• Every quiz, mock interview, review and daily question you take: the questions, your answers "
        "(what you type for open questions too), their grades and times.\n"
        "• Your review schedule (when each question comes back), and the reports and comments you send "
        "about questions.\n"
        "• In groups: your answers to my quiz polls, and your first name for the leaderboard.\n"
        "• Whether each daily question reached you, so it is never sent twice."
        "{llm}\n\n"
        "<b>For how long</b>\n"
        "Until you erase it: /reset erases your progress (answers, sessions, review cards) and keeps your "
        "settings; /deleteme erases everything. Nothing expires on its own, and backups the operator keeps "
        "may hold a copy until they are replaced.\n\n"
        "<b>Your copy</b>\n"
        "/export sends your answers as CSV; /export json sends every row I store about you.\n\n"
        "<b>Who runs this bot</b>\n{who}"
    ).format(llm=llm, who=who)


RESET_CONFIRM = N_(
    "Reset your progress? This erases every answer, session and review card. "
    "Your settings (time zone, daily question time) stay."
)
DELETE_CONFIRM = N_(
    "Delete all your data? This erases everything I store about you: answers, sessions, "
    "review cards and settings, and stops the daily question. It cannot be undone."
)
BTN_CONFIRM_RESET = N_("🗑 Yes, reset")
BTN_CONFIRM_DELETE = N_("🗑 Yes, delete everything")
BTN_KEEP = N_("↩️ No, keep it")
DELETE_DONE = N_("Done: everything I stored about you is deleted. Send /start if you ever want to begin again.")
ERASE_KEPT = N_("Nothing was erased.")
CB_WEAK_EMPTY = N_("There are no quiz questions for those topics any more.")


def reset_done(answers: int) -> str:
    """After /reset: how many answers were erased."""
    return ngettext(
        "Done: your progress is reset ({answers} answer erased). Your settings are kept. Send /quiz to start afresh.",
        "Done: your progress is reset ({answers} answers erased). Your settings are kept. Send /quiz to start afresh.",
        answers,
    ).format(answers=answers)


def percent_text(share: float | None) -> str:
    """A share as `75%`, or a dash when there is nothing to measure."""
    return "—" if share is None else f"{round(share * 100)}%"


def stats_header(current: int, best: int, due: int) -> str:
    """Streaks and due reviews, on top of /stats."""
    streak = ngettext("🔥 Streak: <b>{current}</b> day", "🔥 Streak: <b>{current}</b> days", current)
    return "\n".join(
        [
            _("📊 <b>Your progress</b>"),
            streak.format(current=current) + " · " + _("best {best}").format(best=best),
            _("🔁 Reviews due: <b>{due}</b>").format(due=due),
        ]
    )


def stats_level(level: str, answered: int, accuracy: float | None, topic_lines: list[str], untried: int) -> str:
    """One level's block of /stats."""
    head = _("<b>{level}</b> · {answered} answered · {percent} right").format(
        level=escape(_(LEVEL_LABELS.get(level, level))), answered=answered, percent=percent_text(accuracy)
    )
    more = ngettext("{n} more topic not tried yet", "{n} more topics not tried yet", untried)
    tail = [f"<i>{more.format(n=untried)}</i>"] if untried else []
    return "\n".join([head, *topic_lines, *tail])


def stats_topic(bar: str, readiness: float, topic: str, answered: int, accuracy: float | None) -> str:
    """One topic line: readiness bar, topic, answers and accuracy."""
    return f"<code>{bar}</code> {percent_text(readiness)} {escape(topic)} · {answered} · {percent_text(accuracy)}✓"


def stats_weakest(level: str, topics: list[str]) -> str:
    """The weakest topics, above the button that drills them."""
    names = ", ".join(escape(t) for t in topics)
    return _("<b>Work on next</b> ({level}): {topics}").format(
        level=escape(_(LEVEL_LABELS.get(level, level))), topics=names
    )


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
    stopped = "" if finished else " " + _("(stopped at {answered}/{size})").format(answered=answered, size=size)
    estimated = ""
    if estimate:
        name = escape(_(LEVEL_NAMES.get(estimate, estimate)))
        estimated = " · " + _("estimated level: <b>{level}</b>").format(level=name)
    return (
        f"<b>{number}.</b> {escape(when)} · {escape(_(MODE_NAMES.get(mode, mode)))} · {escape(level)} · "
        f"<b>{right}/{answered}</b>{stopped} · {escape(duration)}{estimated}"
    )


def history_text(lines: list[str]) -> str:
    """The /history list."""
    return "\n".join(
        [_("🗂 <b>Your last sessions</b>"), *lines, "", _("Tap a number to see its questions and answers.")]
    )


def duration_text(seconds: int) -> str:
    """A session's length, short: `45 s`, `7 min`, `1 h 05 min`."""
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=f"{minutes % 60:02d}")


def review_header(mode: str, level: str, when: str) -> str:
    """The title of a past session's questions."""
    return f"<b>{escape(_(MODE_NAMES.get(mode, mode))).capitalize()} · {escape(level)} · {escape(when)}</b>"


def review_item(number: int, prompt: str, answer: str, result: bool | None) -> str:
    """One past question with the user's answer (both plain text, escaped here)."""
    mark = "⏳" if result is None else ("✅" if result else "❌")
    your = _("<i>Your answer:</i> {answer}").format(answer=escape(answer) or "—")
    return f"{mark} <b>{number}.</b> {escape(prompt)}\n{your}"


# Daily question: /daily, /timezone and the pushed question
DAILY_HEADER = N_("📅 <b>Daily question</b>")
DAILY_PICK = N_("Tap a time, or send <code>/daily HH:MM</code> (your local time):")
DAILY_OFF = N_("The daily question is off. Send <code>/daily HH:MM</code> to turn it on again.")
DAILY_BAD_TIME = N_("Send the time as HH:MM, for example <code>/daily 09:00</code>, or <code>/daily off</code>.")
BTN_DAILY_OFF = N_("🔕 Turn off")
BTN_SHOW_ANSWER = N_("👀 Show answer")
TZ_PICK = N_(
    "Tap your zone, or send <code>/timezone Area/City</code>, for example <code>/timezone Europe/Berlin</code>:"
)
CB_SAVED = N_("Saved.")


def daily_status(daily_time: str | None, zone: str) -> str:
    """The /daily message: the current setting."""
    if daily_time is None:
        status = _("The daily question is <b>off</b>. Your time zone: {zone}.").format(zone=escape(zone))
    else:
        status = _("The daily question comes every day at <b>{time}</b> ({zone}).").format(
            time=escape(daily_time), zone=escape(zone)
        )
    return f"{status}\n\n{_(DAILY_PICK)}"


def daily_on(daily_time: str, zone: str) -> str:
    """Confirmation of a subscription."""
    return _(
        "📅 Done: a question every day at <b>{time}</b>, {zone} time. "
        "If that time has already passed today, today's question comes within a minute.\n"
        "Wrong zone? Send /timezone."
    ).format(time=escape(daily_time), zone=escape(zone))


def timezone_status(zone: str) -> str:
    """The /timezone message: the current zone."""
    return _("Your time zone: <b>{zone}</b>.").format(zone=escape(zone)) + f"\n\n{_(TZ_PICK)}"


def timezone_set(zone: str, local_now: str) -> str:
    """Confirmation of a zone change, with the local time there."""
    return _("Time zone set to <b>{zone}</b> (it is {now} there now).").format(zone=escape(zone), now=escape(local_now))


def timezone_unknown(text: str, suggestion: str | None) -> str:
    """An unknown zone, with the closest match if there is one."""
    base = _("I don't know the time zone “{zone}”.").format(zone=escape(text))
    if suggestion:
        hint = _("Did you mean <code>/timezone {zone}</code>?").format(zone=escape(suggestion))
        return f"{base} {hint}"
    return f"{base} {_(TZ_PICK)}"


def reveal_text(model_html: str, points: list[str]) -> str:
    """The model answer of a pushed open question, before the self-grade."""
    lines = [_("<b>Model answer</b>"), model_html, "", _("<b>Key points</b>")]
    lines += [f"▫️ {escape(p)}" for p in points]
    lines += ["", _("How well did you know it?")]
    return "\n".join(lines)


# The mock interview
LEVEL_NAMES = {
    "fresher": N_("Fresher"),
    "intermediate": N_("Intermediate"),
    "experienced": N_("Experienced"),
    "advanced": N_("Advanced"),
}
BTN_UNSURE = N_("🤷 Not sure")


def interview_intro(questions: int, minutes: int, mcq_seconds: int, open_seconds: int) -> str:
    """What the mock interview is, before the level picker."""
    return _(
        "🎤 <b>Mock interview</b>: about {questions} questions, roughly {minutes} minutes.\n"
        "Questions get harder after strong answers and easier after weak ones; at the end I estimate your level.\n"
        "Each question is timed: {mcq_seconds} s for multiple choice, {open_minutes} min for open ones. "
        "Answers are discussed at the end, not one by one.\n\n"
        "Where do you think you stand?"
    ).format(questions=questions, minutes=minutes, mcq_seconds=mcq_seconds, open_minutes=open_seconds // 60)


def interview_started(label: str) -> str:
    """The intro once a level is picked."""
    return _("🎤 <b>Mock interview</b> · start: {level}. Good luck!").format(level=escape(label))


def interview_budget(seconds: int) -> str:
    """The time budget under an interview question."""
    if seconds >= 60 and seconds % 60 == 0:
        return _("⏱ <i>{minutes} min to answer.</i>").format(minutes=seconds // 60)
    return _("⏱ <i>{seconds} s to answer.</i>").format(seconds=seconds)


def interview_chosen(letter: str, option_html: str, over_time: bool) -> str:
    """An answered interview MCQ: only the choice, no verdict."""
    late = " " + _("<i>(over time)</i>") if over_time else ""
    return your_answer(letter, option_html) + late


def open_received(over_time: bool) -> str:
    """Acknowledges a typed interview answer."""
    return _("✍️ Answer received (over time).") if over_time else _("✍️ Answer received.")


def timed_out(number: int) -> str:
    """A question closed by its deadline."""
    return _("⏰ Time is up for question {number}: it counts as unanswered.").format(number=number)


TIMED_OUT_EDIT = N_("⏰ <i>Time is up: no answer.</i>")
INTERVIEW_OVER = N_("🏁 <b>Interview over.</b> Here is how each question went; grade your open answers on their pages.")


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
    late = " " + _("(over time)") if over_time else ""
    head = _("<b>Debrief {page}/{pages}</b>").format(page=page, pages=pages)
    your = _("<i>Your answer:</i> {answer}").format(answer=answer_html)
    return (
        f"{head} · {escape(level)} · {escape(topic)}\n\n{prompt_html}\n\n"
        f"{your}\n{verdict}\n⏱ {duration_text(seconds)}{late}\n\n{explanation_html}"
    )


VERDICT_RIGHT = N_("✅ Right.")
VERDICT_WRONG = N_("❌ Wrong.")
VERDICT_TIMED_OUT = N_("⏰ No answer in time.")
VERDICT_UNGRADED = N_("✍️ Grade yourself against the model answer:")
NO_ANSWER = "—"


def verdict_graded(grade: str) -> str:
    """An open answer's self-grade on its debrief page."""
    return graded_line(grade)


def debrief_right_option(letter: str, option_html: str) -> str:
    """The right option on a debrief page."""
    return _("Right answer: <b>{letter}</b>) {option}").format(letter=letter, option=option_html)


def key_points_block(model_html: str, points: list[tuple[str, bool]]) -> str:
    """Model answer and the key points the typed answer covered."""
    lines = [_("<b>Model answer</b>"), model_html, "", _("<b>Key points</b>")]
    lines += [f"{'☑️' if hit else '▫️'} {escape(p)}" for p, hit in points]
    return "\n".join(lines)


BTN_PREV = "◀"
BTN_NEXT = "▶"
BTN_REPORT = N_("🚩 Report")


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
    name = escape(_(LEVEL_NAMES.get(level, level)))
    lines = [_("📋 <b>Interview report</b>"), _("Estimated level: {level}").format(level=name), ""]
    lines.append(_("<b>Evidence</b> (asked · right)"))
    lines += [f"• {escape(_(LEVEL_NAMES.get(lv, lv)))}: {asked} · {right}" for lv, asked, right in evidence]
    lines.append(_("Confidence: {confidence} (±{se} of a level)").format(confidence=confidence, se=f"{se:.1f}"))
    lines.append("")
    lines.append(_("💪 Strongest: {topics}").format(topics=", ".join(escape(t) for t in strongest) or "—"))
    lines.append(_("🎯 Weakest: {topics}").format(topics=", ".join(escape(t) for t in weakest) or "—"))
    extra = []
    if timed_out_count:
        extra.append(ngettext("{n} timed out", "{n} timed out", timed_out_count).format(n=timed_out_count))
    if over_time_count:
        extra.append(ngettext("{n} over time", "{n} over time", over_time_count).format(n=over_time_count))
    total_line = _("⏱ Total time: {total}").format(total=escape(total))
    lines.append(total_line + (f" ({', '.join(extra)})" if extra else ""))
    lines.append(change or _("📈 This is your first interview: the next one will show the change."))
    if ungraded:
        pending = ngettext(
            "{n} open answer counts with the grader's score until you grade it in the debrief.",
            "{n} open answers count with the grader's score until you grade them in the debrief.",
            ungraded,
        )
        lines += ["", f"<i>{pending.format(n=ungraded)}</i>"]
    if weakest:
        lines += ["", _("Tap a weak topic for a quiz on it.")]
    return "\n".join(lines)


def estimate_change(previous_level: str, level: str, delta: float) -> str:
    """The change since the previous interview."""
    arrow = "📈" if delta > 0.05 else "📉" if delta < -0.05 else "➡️"
    since = _("Since your previous interview: {before} → {after}").format(
        before=escape(_(LEVEL_NAMES.get(previous_level, previous_level))),
        after=escape(_(LEVEL_NAMES.get(level, level))),
    )
    return f"{arrow} {since} ({delta:+.1f})"


CONFIDENCE_WORDS = {
    "high": N_("high"),
    "medium": N_("medium"),
    "low": N_("low — a few more interviews will firm it up"),
}


def weak_topic_button(topic: str) -> str:
    """A button that starts a quiz on one weak topic."""
    return f"🎯 {topic}"


# The interview's transcript (an HTML document) and its share line
BTN_TRANSCRIPT = N_("📄 Transcript")
BTN_SHARE = N_("📣 Share")
BTN_SHARE_PICK_CHAT = N_("↗️ Send to a chat")
TRANSCRIPT_CAPTION = N_("📄 Your interview: every question, your answer, the verdict and the explanation.")
TRANSCRIPT_LANG = N_("en")
TRANSCRIPT_ANSWER = N_("Your answer")
TRANSCRIPT_EXPLANATION = N_("Explanation")
TRANSCRIPT_ESTIMATE = N_("Estimate")
TRANSCRIPT_FOOTER = N_("Made by the Flask interview bot. Practise again: ")


def transcript_title(day: str) -> str:
    """The transcript's title (plain text: the renderer escapes it)."""
    return _("Flask mock interview · {day}").format(day=day)


def transcript_question(number: int, total: int, level: str, topic: str) -> str:
    """A question's heading in the transcript (plain text)."""
    return _("Question {number}/{total} · {level} · {topic}").format(
        number=number, total=total, level=_(LEVEL_NAMES.get(level, level)), topic=topic
    )


def transcript_time(seconds: int, over_time: bool) -> str:
    """The time an answer took (plain text)."""
    late = _(" (over time)") if over_time else ""
    return "⏱ " + duration_text(seconds) + late


def transcript_estimate(level: str, confidence: str, se: float, evidence: list[tuple[str, int, int]]) -> list[str]:
    """The estimate's lines in the transcript (plain text)."""
    lines = [
        _("Estimated level: {level}").format(level=_(LEVEL_NAMES.get(level, level))),
        _("Confidence: {confidence} (±{se} of a level)").format(confidence=confidence, se=f"{se:.1f}"),
    ]
    lines += [
        _("{level}: {asked} asked · {right} right").format(level=_(LEVEL_NAMES.get(lv, lv)), asked=asked, right=right)
        for lv, asked, right in evidence
    ]
    return lines


def share_head(level: str, marks: str) -> str:
    """The spoiler-free result: the estimate and one mark per question (plain text)."""
    return _("🎤 Flask mock interview: {level} level").format(level=_(LEVEL_NAMES.get(level, level))) + "\n" + marks


def share_line(head: str, link: str) -> str:
    """The result to forward, with a link that starts an interview (plain text)."""
    return head + "\n" + _("Try it: {link}").format(link=link)


def share_message(line: str) -> str:
    """The message that carries the share line (HTML)."""
    return escape(line) + "\n\n" + _("<i>Forward this message, or tap below to pick a chat.</i>")


# /review
REVIEW_NONE = N_("Nothing to review: you have no review cards yet. Answer some questions in /quiz first.")


def review_next_due(when: str) -> str:
    """Nothing is due now."""
    return _("Nothing is due for review right now. Your next card is due {when}.").format(when=escape(when))


def review_more(n: int) -> str:
    """The button offering the due cards."""
    return ngettext("🔁 {n} more due", "🔁 {n} more due", n).format(n=n)


def review_due_button(n: int) -> str:
    """The /stats button for due cards."""
    return ngettext("🔁 Review {n} due", "🔁 Review {n} due", n).format(n=n)


# Reports
REPORT_ASK = N_("What is wrong with this question?")
REPORT_REASONS = {
    "wrong": N_("Wrong answer"),
    "unclear": N_("Unclear"),
    "typo": N_("Typo"),
    "outdated": N_("Outdated"),
    "other": N_("Other"),
}
REPORT_THANKS = N_(
    "🙏 Thank you, the editors will look at it. Add a comment in your next message (up to 1000 characters), "
    "or send /cancel to skip."
)
REPORT_COMMENT_SAVED = N_("🙏 Thanks, your comment is saved with the report.")
REPORT_COMMENT_SKIPPED = N_("Report sent without a comment.")
CB_REPORTED = N_("Reported. Thank you!")
REPORTS_EMPTY = N_("No open reports.")
ENABLE_USAGE = N_("Send <code>/enable question-id</code>.")


def report_notice(question_id: str, reason: str) -> str:
    """The admins' notice on a question's first report of the day."""
    return _("🚩 New report on <code>{question}</code>: {reason}. /reports lists the open ones.").format(
        question=escape(question_id), reason=escape(_(REPORT_REASONS.get(reason, reason)))
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
    reason_text = ", ".join(f"{escape(_(REPORT_REASONS.get(r, r)))} ×{n}" for r, n in sorted(reasons.items()))
    reports = ngettext("{n} report", "{n} reports", count).format(n=count)
    lines = [f"🚩 <code>{escape(question_id)}</code> · {reports}: {reason_text}"]
    lines += [f"💬 {escape(c)}" for c in comments]
    if changed:
        lines.append(_("<i>The question changed since it was reported.</i>"))
    if disabled:
        lines.append(_("<i>Already disabled.</i>"))
    return "\n".join(lines)


BTN_DISABLE = N_("⛔ Disable question")
BTN_DISMISS = N_("✖️ Dismiss")
BTN_SHOW = N_("👁 Show question")


def question_disabled(question_id: str) -> str:
    """After Disable."""
    return _(
        "⛔ <code>{question}</code> is disabled: no new session asks it. /enable {question} brings it back."
    ).format(question=escape(question_id))


def reports_dismissed(question_id: str, n: int) -> str:
    """After Dismiss."""
    return ngettext(
        "✖️ Dismissed {n} report on <code>{question}</code>.", "✖️ Dismissed {n} reports on <code>{question}</code>.", n
    ).format(n=n, question=escape(question_id))


def question_enabled(question_id: str, was_disabled: bool) -> str:
    """After /enable."""
    if was_disabled:
        return _("✅ <code>{question}</code> is enabled again.").format(question=escape(question_id))
    return _("<code>{question}</code> was not disabled.").format(question=escape(question_id))


def unknown_question(question_id: str) -> str:
    """/enable with an id the bank does not have."""
    return _("There is no question <code>{question}</code> in the bank.").format(question=escape(question_id))


# Terminal interview
CLI_BUDGET = N_("(time budget: {seconds} s)")
CLI_OVER_TIME = N_("(over time)")
CLI_RECEIVED = N_("Answer received.")
CLI_DEBRIEF = N_("\n=== Debrief ===")


# Language: /language in a private chat or (admins) in a group
LANGUAGE_PICK = N_(
    "Choose the interface language, or send <code>/language en</code> or <code>/language ru</code>.\n"
    "The questions themselves (prompts, options, model answers) stay in English for now."
)
LANGUAGE_SET = N_(
    "🌐 Done: I speak English with you now. The questions themselves stay in English.\n"
    "Change it any time with /language."
)
GROUP_LANGUAGE_SET = N_(
    "🌐 Done: this group's language is English. The questions themselves stay in English.\n"
    "Members who picked a language of their own with /language in a private chat keep it in their replies."
)
LANGUAGE_UNKNOWN = N_("I speak English (<code>en</code>) and Russian (<code>ru</code>). Send /language to choose.")


def language_status(current: str) -> str:
    """/language with no argument: the language now, then the choices."""
    return _("🌐 Interface language: <b>{language}</b>.").format(language=current) + "\n\n" + _(LANGUAGE_PICK)


# Group play: welcome, admin settings, the daily group poll, /groupquiz, /top
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("groupquiz", N_("A quiz for the whole group: /groupquiz [level] [n]")),
    ("top", N_("This group's leaderboard")),
    ("daily", N_("Admins: the daily question poll, /daily HH:MM or off")),
    ("timezone", N_("Admins: the group's time zone")),
    ("level", N_("Admins: the group's level, or mixed")),
    ("language", N_("Admins: the group's language, en or ru")),
    ("help", N_("What I can do in a group")),
)
LEVEL_MIXED = N_("🎲 Mixed")
POLL_SEE_ABOVE = N_("Your answer to the question above?")
POLL_MORE = N_("Full explanation:")
GROUP_HELP = N_(
    "<b>Flask practice for this group</b>\n"
    "• /groupquiz [level] [n] — a quiz of n polls (default 5, up to 10) for everyone here\n"
    "• /top — this week's and all-time leaderboard\n"
    "• A daily question as a quiz poll, if an admin turns it on\n\n"
    "<b>Admins</b> set it up: <code>/daily 09:00</code> or <code>/daily off</code>, "
    "<code>/timezone Europe/Berlin</code>, <code>/level intermediate</code> (or <code>mixed</code>), "
    "<code>/groupquiz admins</code> or <code>/groupquiz everyone</code> for who may start quizzes, "
    "<code>/language ru</code> or <code>/language en</code> for the group's language.\n\n"
    "For a mock interview, your stats and spaced repetition, message me privately."
)


def group_welcome() -> str:
    """Posted when the bot joins a group."""
    return _("👋 Hello! I bring Flask interview practice to this group.") + "\n\n" + _(GROUP_HELP)


GROUP_PRIVATE_ONLY = N_("That command works in a private chat with me. Here, try /groupquiz or /top (/help lists all).")
GROUP_ADMINS_ONLY = N_("Only this group's admins can do that.")
GROUP_DAILY_OFF = N_("The daily question poll is off. An admin can turn it on with <code>/daily HH:MM</code>.")
GROUP_DAILY_BAD_TIME = DAILY_BAD_TIME  # the same command takes the same argument in a group
GROUP_LEVEL_BAD = N_(
    "Send one of <code>/level fresher</code>, <code>intermediate</code>, <code>experienced</code>, "
    "<code>advanced</code> or <code>mixed</code>."
)
GROUP_TZ_USAGE = N_("Send <code>/timezone Area/City</code>, for example <code>/timezone Europe/Berlin</code>.")
GROUPQUIZ_USAGE = N_(
    "Send <code>/groupquiz [level] [n]</code>: a level (fresher, intermediate, experienced, advanced or mixed) "
    "and from 1 to 10 questions, for example <code>/groupquiz intermediate 3</code>."
)
GROUPQUIZ_RUNNING = N_("A group quiz is already running here. Answer its polls; a new one can start when it ends.")
GROUPQUIZ_EMPTY = N_("There are no poll questions for that level yet. Try another level.")
GROUPQUIZ_ADMINS = N_("From now on only admins can start a group quiz here.")
GROUPQUIZ_EVERYONE = N_("From now on anyone here can start a group quiz.")
DEEP_LINK_GONE = N_("That question is no longer in the bank. Send /quiz to practise.")


def level_label(level: str | None) -> str:
    """A level's label, or Mixed."""
    return _(LEVEL_MIXED) if level in (None, "mixed") else _(LEVEL_LABELS.get(str(level), str(level)))


def group_daily_status(daily_time: str | None, zone: str) -> str:
    """/daily with no argument in a group."""
    if daily_time is None:
        return _(GROUP_DAILY_OFF) + " " + _("Group time zone: {zone}.").format(zone=escape(zone))
    return _("📅 The daily question poll comes at <b>{time}</b> ({zone}).").format(
        time=escape(daily_time), zone=escape(zone)
    )


def group_daily_on(daily_time: str, zone: str) -> str:
    """Confirmation of /daily HH:MM in a group."""
    return _(
        "📅 Done: a question poll every day at <b>{time}</b>, {zone} time. "
        "Wrong zone? An admin can send /timezone Area/City."
    ).format(time=escape(daily_time), zone=escape(zone))


def group_timezone_set(zone: str, local_now: str) -> str:
    """Confirmation of a group's zone."""
    return _("Group time zone set to <b>{zone}</b> (it is {now} there now).").format(
        zone=escape(zone), now=escape(local_now)
    )


def group_timezone_status(zone: str) -> str:
    """/timezone with no argument in a group."""
    return _("Group time zone: <b>{zone}</b>.").format(zone=escape(zone)) + " " + _(GROUP_TZ_USAGE)


def group_level(level: str | None, changed: bool) -> str:
    """The group's level, shown or just set."""
    label = escape(level_label(level))
    if changed:
        return _("Level set to <b>{level}</b>.").format(level=label)
    return _("Group level: <b>{level}</b>.").format(level=label)


def groupquiz_intro(size: int, level: str, seconds: int) -> str:
    """The message before a group quiz's first poll."""
    return ngettext(
        "🧠 <b>Group quiz</b>: {size} question, {level}, {seconds} s each. "
        "Answer in the polls; the ranking comes at the end.",
        "🧠 <b>Group quiz</b>: {size} questions, {level}, {seconds} s each. "
        "Answer in the polls; the ranking comes at the end.",
        size,
    ).format(size=size, level=escape(level_label(level)), seconds=seconds)


def poll_result(result: PollResult) -> str:
    """The one line under a closed daily poll: answered, percent right, first right answer."""
    if not result.answered:
        return _("📊 Last question: nobody answered.")
    line = ngettext(
        "📊 Last question: {n} answered, {percent} right.",
        "📊 Last question: {n} answered, {percent} right.",
        result.answered,
    ).format(n=result.answered, percent=f"{result.percent_right}%")
    if result.first_right:
        line += " " + _("First right answer: <b>{name}</b>.").format(name=escape(result.first_right))
    return line


def _score_line(place: int, name: str, points: int, answered: int) -> str:
    medal = {1: "🥇", 2: "🥈", 3: "🥉"}.get(place, f"{place}.")
    tally = ngettext("{n} answered", "{n} answered", answered).format(n=answered)
    return f"{medal} {escape(name or '—')} — <b>{points}</b> ({tally})"


def quiz_ranking(table: Sequence[Score], interrupted: bool) -> str:
    """The ranking at the end of a group quiz (points, ties by total answer time)."""
    rows = list(table)
    head = _("🏁 <b>Group quiz over</b> (stopped early)") if interrupted else _("🏁 <b>Group quiz over</b>")
    if not rows:
        return head + "\n" + _("Nobody answered this time.")
    lines = [_score_line(i, s.first_name, s.points, s.answered) for i, s in enumerate(rows, start=1)]
    return "\n".join([head, *lines, "", _("<i>Ties go to the faster total answer time.</i>")])


def top_text(week: list[tuple[int, str, int, int]], every: list[tuple[int, str, int, int]], mine: str) -> str:
    """/top: this week's and the all-time top 10, then the caller's place."""

    def block(title: str, rows: list[tuple[int, str, int, int]]) -> list[str]:
        if not rows:
            return [title, _("No answers yet.")]
        return [title, *(_score_line(*r) for r in rows)]

    return "\n".join([*block(_("🏆 <b>This week</b>"), week), "", *block(_("🏛 <b>All time</b>"), every), "", mine])


def top_mine(name: str, week: tuple[int, int] | None, every: tuple[int, int] | None) -> str:
    """The caller's place in both tables: (place, points) or None."""
    if every is None:
        return _("{name}, you have not answered here yet: vote in the next poll!").format(name=escape(name))
    if week:
        week_part = _("#{place} this week with {points}").format(place=week[0], points=week[1])
    else:
        week_part = _("not on this week's board yet")
    return _("{name}: {week}; #{place} all time with {points}.").format(
        name=escape(name), week=week_part, place=every[0], points=every[1]
    )


def full_explanation(prompt_html: str, right_html: str, explanation_html: str) -> str:
    """A poll question's full explanation, opened from its deep link."""
    right = _("Right answer: ✅ {option}").format(option=right_html)
    why = _("<b>Why</b>")
    return f"{prompt_html}\n\n{right}\n\n{why}\n{explanation_html}"


# The offline grader's feedback (plain text: the renderer escapes it). At most two sentences.
GRADE_INJECTION = N_("This talks to the grader instead of answering the question, so it earns no credit.")
GRADE_SALAD = N_("A list of terms is not an explanation: say what each one does and why it matters here.")


def grade_feedback(right: Sequence[str], missing: Sequence[str], wrong: Sequence[str]) -> str:
    """Two sentences on an offline grade: the first false claim or the first point made, then the first one missed."""
    if wrong:
        first = _("Not so: {claim}.").format(claim=wrong[0].rstrip("."))
    elif right:
        first = _("Right: {point}.").format(point=right[0].rstrip("."))
    else:
        first = _("This does not make any of the key points yet.")
    second = _("Missing: {point}.").format(point=missing[0].rstrip(".")) if missing else _("Every key point is there.")
    return f"{first} {second}"


# Admin broadcasts (/broadcast, `python -m bot broadcast`) and the users' /news setting
BTN_NEWS_OFF = N_("🔕 No more announcements")
BTN_BROADCAST_SEND = N_("📣 Send it")
BTN_BROADCAST_CANCEL = N_("✖️ Cancel")
NEWS_ON = N_("🔔 You will get the bot's announcements. Turn them off any time with /news off.")
NEWS_OFF = N_("🔕 No more announcements. Turn them back on with /news on.")
NEWS_OFF_TAPPED = N_("No more announcements. /news on brings them back.")
BROADCAST_USAGE = N_(
    "Send <code>/broadcast</code> followed by the text, in Telegram's HTML (<code>&lt;b&gt;</code>, "
    "<code>&lt;i&gt;</code>, <code>&lt;a href=…&gt;</code>, <code>&lt;code&gt;</code>…). You see a preview "
    "and confirm before anything is sent. <code>/broadcast stop</code> stops a broadcast being sent."
)
BROADCAST_NONE_RUNNING = N_("No broadcast is being sent.")
BROADCAST_STOPPED = N_("⏹ Broadcast stopped. What was not sent stays unsent; nobody gets it twice.")
BROADCAST_CANCELLED = N_("Broadcast cancelled: nothing was sent.")
BROADCAST_GONE = N_("That broadcast was already sent, started or cancelled.")


def news_usage(on: bool) -> str:
    """/news without an argument: the current setting."""
    return _("Announcements are {state}. Send /news on or /news off.").format(state=_("on") if on else _("off"))


def broadcast_problems(problems: Sequence[str]) -> str:
    """Why a broadcast text cannot be sent."""
    return _("The text cannot be sent as it is:") + "\n" + "\n".join(f"• {escape(p)}" for p in problems)


def broadcast_confirm(recipients: int) -> str:
    """Under the preview: who it goes to, and the question."""
    users = ngettext("{n} user", "{n} users", recipients).format(n=recipients)
    return _("☝️ This is the broadcast as users will see it. Send it to <b>{users}</b>?").format(users=users)


def broadcast_started(recipients: int) -> str:
    """The admin confirmed."""
    return _("📣 Sending to {n} users, at the push's pace. <code>/broadcast stop</code> stops it.").format(n=recipients)


def broadcast_finished(sent: int, blocked: int, failed: int, stopped: bool) -> str:
    """The admin's summary when a broadcast ends or stops."""
    head = _("⏹ Broadcast stopped") if stopped else _("✅ Broadcast sent")
    return _("{head}: {sent} delivered, {blocked} had blocked the bot, {failed} failed.").format(
        head=head, sent=sent, blocked=blocked, failed=failed
    )


# Graded open answers: what the grader found, its suggestion, and the self-grade buttons under it.
VERDICT_MARKS = {"covered": "✅", "partly": "🌓", "missing": "▫️"}
GRADING_PENDING = N_("⏳ <i>Grading your answer…</i>")


def graded_points_block(
    model_html: str,
    points: Sequence[tuple[str, str]],
    wrong: Sequence[str],
    feedback: str | None,
    suggested: str | None,
    by_llm: bool,
    follow_up: str | None = None,
) -> str:
    """The model answer, each key point made, half made or missing, the false claims, feedback, the suggestion."""
    lines = [_("<b>Model answer</b>"), model_html, "", _("<b>Key points</b> <i>(✅ made · 🌓 partly · ▫️ missing)</i>")]
    lines += [f"{VERDICT_MARKS.get(v, '▫️')} {escape(p)}" for p, v in points]
    if wrong:
        lines += ["", _("<b>Not right</b>"), *(f"❌ {escape(w)}" for w in wrong)]
    if feedback:
        lines += ["", f"💬 {escape(feedback)}"]
    if follow_up:
        lines += [_("🔎 <i>A follow-up to think about:</i> {question}").format(question=escape(follow_up))]
    if suggested is not None:
        label = escape(_(GRADE_LABELS.get(suggested, suggested)))
        if by_llm:
            line = _("Suggested: <b>{grade}</b> (the AI grader). Your tap decides.").format(grade=label)
        else:
            line = _("Suggested: <b>{grade}</b> (the grader). Your tap decides.").format(grade=label)
        lines += ["", line]
    return "\n".join(lines)


def pending_points_block(model_html: str, points: Sequence[str]) -> str:
    """The model answer and key points while the grade is still being worked out."""
    lines = [_("<b>Model answer</b>"), model_html, "", _("<b>Key points</b>"), *(f"• {escape(p)}" for p in points)]
    return "\n".join([*lines, "", _(GRADING_PENDING)])


def grade_button(grade: str, suggested: bool) -> str:
    """A self-grade button; the grader's suggestion is marked."""
    label = _(GRADE_LABELS.get(grade, grade))
    return f"👉 {label}" if suggested else label


# Voice answers.
VOICE_NEEDS_TEXT = N_("I can't listen to voice messages here: please type your answer.")
VOICE_TOO_LONG = N_(
    "That voice message is too long for me (at most 2 minutes and 2 MB). Please send a shorter one or type it."
)
VOICE_NOT_HEARD = N_("I could not make out that voice message. Please try again or type your answer.")
VOICE_OVER_QUOTA = N_("You have sent a lot of voice answers this hour. Please type this one.")


def voice_heard(transcript: str) -> str:
    """The transcript of a voice answer, shown before it is graded like typed text."""
    return _("🎙 I heard: <i>{transcript}</i>").format(transcript=escape(transcript))


i18n.translate_constants(__name__)
