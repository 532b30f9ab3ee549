"""A bare python-telegram-bot bot: the quiz's Bot API calls with no logic and no database (the baseline).

Run as `python bench/bare_bot.py` with TELEGRAM_BOT_TOKEN and TELEGRAM_BASE_URL set. It makes the calls
the real bot makes for a quiz, in the same order and with texts of similar length:
- /quiz: send the level picker (four buttons);
- a level tap: answer the callback, edit the picker, send question 1 with four buttons;
- an answer tap: answer the callback, send the next question with four buttons (after the tenth: the
  score and the breakdown, two messages), then edit the answered question into its result.
Same PTB defaults as the bot (HTML parse mode, link previews off, updates processed one at a time).
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes, Defaults

SIZE = 10
LEVELS = ("🌱 Fresher", "🌿 Intermediate", "🌳 Experienced", "🚀 Advanced")
OPTIONS = ('url_for(".login")', 'url_for("login")', 'url_for("auth.login")', 'url_for("/auth/login")')
PROMPT = (
    '<pre><code class="language-python">auth = Blueprint("auth", __name__)\n\n'
    '@auth.route("/login")\ndef login():\n    return "login page"\n\n'
    'app.register_blueprint(auth, url_prefix="/auth")</code></pre>\n\n'
    "From a view in a different blueprint, how do you build the URL of <code>login</code>? The blueprint is "
    "registered once, under the prefix shown, and the view you call from lives in another blueprint that "
    "knows nothing about auth."
)
EXPLANATION = (
    "Blueprint endpoints are named <code>&lt;blueprint name&gt;.&lt;function name&gt;</code>, so the "
    "endpoint is <code>auth.login</code> and <code>url_for</code> returns <code>/auth/login</code>. "
    "A leading dot is relative to the current blueprint, which only works from inside auth. "
) * 3


def _question(position: int) -> tuple[str, InlineKeyboardMarkup]:
    text = f"<b>Question {position}/{SIZE}</b> · fresher · blueprints\n\n{PROMPT}"
    rows = [[InlineKeyboardButton(label, callback_data=f"a:{position}:{i}")] for i, label in enumerate(OPTIONS)]
    return text, InlineKeyboardMarkup(rows)


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends the level picker."""
    assert update.effective_chat is not None
    buttons = [InlineKeyboardButton(label, callback_data=f"l:{i}") for i, label in enumerate(LEVELS)]
    rows = [buttons[:2], buttons[2:]]
    await context.bot.send_message(
        update.effective_chat.id, "Choose the level of your quiz:", reply_markup=InlineKeyboardMarkup(rows)
    )


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the tap, sends what follows and edits the tapped message."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    await query.answer("✅ Recorded." if query.data.startswith("a:") else None)
    chat_id = query.message.chat.id
    kind, *fields = query.data.split(":")
    if kind == "l":
        await context.bot.edit_message_text(
            f"Choose the level of your quiz: {LEVELS[int(fields[0])]}",
            chat_id=chat_id,
            message_id=query.message.message_id,
        )
        text, markup = _question(1)
        await context.bot.send_message(chat_id, text, reply_markup=markup)
        return
    position, chosen = int(fields[0]), int(fields[1])
    if position < SIZE:
        text, markup = _question(position + 1)
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    else:
        await context.bot.send_message(chat_id, "🏁 <b>Score: 7/10</b>")
        await context.bot.send_message(chat_id, "<b>Your quiz by topic</b>\n• blueprints: 7/10")
    result = (
        f"{_question(position)[0]}\n\nYour answer: <b>{'ABCD'[chosen]}</b>) {OPTIONS[chosen]}\n"
        f"❌ <b>Wrong.</b>\nRight answer: ✅ <b>C</b>) {OPTIONS[2]}\n\n{EXPLANATION}"
    )
    await context.bot.edit_message_text(result, chat_id=chat_id, message_id=query.message.message_id)


def build(token: str, base_url: str) -> Application:  # type: ignore[type-arg]
    """The bare application."""
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .build()
    )
    app.add_handler(CommandHandler("quiz", quiz))
    app.add_handler(CallbackQueryHandler(on_callback))
    return app


def main() -> None:
    """Long-poll until SIGTERM."""
    app = build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_BASE_URL"])
    app.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY], drop_pending_updates=False)


if __name__ == "__main__":
    main()
