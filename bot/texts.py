"""Every user-facing string, in Telegram HTML or plain text for the terminal."""

from __future__ import annotations

from html import escape

BOT_DESCRIPTION = "Flask interview practice"

COMMANDS: tuple[tuple[str, str], ...] = (
    ("quiz", "10 multiple-choice questions of one level"),
    ("interview", "A mock interview: open questions and MCQs"),
    ("cancel", "End the current session"),
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
        "• /interview — a mock interview: type answers to open questions, compare them with a model answer\n\n"
        "Pick a level to start a quiz:"
    )


HELP = (
    "<b>What I can do</b>\n"
    "/quiz — 10 multiple-choice questions of one level\n"
    "/interview — a mock interview mixing open questions and MCQs\n"
    "/cancel — end the current session\n"
    "/help — this list\n\n"
    "Tap an option to answer. In an interview, type your answer to open questions, "
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
PRIVATE_ONLY = "I run interviews in a private chat. Message me directly to practise."
ERROR = "Sorry, something went wrong on my side. Your progress is saved; please try again."
NOT_ADMIN = "This command is for the bot's operators."
TEXT_TOO_LONG = "That answer is very long; I kept the first {limit} characters."

CB_RECORDED_RIGHT = "✅ Right!"
CB_RECORDED_WRONG = "❌ Not quite."
CB_ALREADY_ANSWERED = "You already answered this question."
CB_STALE = "This question is no longer active."
CB_NOT_YOURS = "These buttons belong to someone else's session."
CB_INVALID = "This button is not valid any more."
CB_ALREADY_STARTED = "Already started: here is your current question."
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


def model_answer_block(model_html: str, points: list[tuple[str, bool]]) -> str:
    """The model answer and key points, marking those the typed answer covered."""
    lines = ["<b>Model answer</b>", model_html, "", "<b>Key points</b>"]
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


def summary_text(mode: str, mcq_right: int, mcq_total: int, grades: dict[str, int],
                 by_topic: list[tuple[str, int, int]]) -> str:
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
CLI_NO_TOKEN = ("No TELEGRAM_BOT_TOKEN is set (put it in .env to run the Telegram bot).\n"
                "Starting the terminal practice instead: python -m bot practice")
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
