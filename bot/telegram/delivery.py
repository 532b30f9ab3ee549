"""The one retry policy of the bot: which failed Bot API calls may be tried again, and when.

A call is repeated only if repeating it cannot do a thing twice. Edits, callback answers and settings
(IDEMPOTENT) change nothing the second time, so they are retried after any network failure or 5xx. Every
other call (sendMessage, sendPoll, sendDocument, sendPhoto, the pushed question…) is retried only when
the request surely did not arrive:
- no connection could be made (refused, DNS, connect or pool timeout): not a byte left;
- the Bot API answered 502 Bad Gateway or 503 Service Unavailable in its own JSON: its front end could
  not hand the request to the server, or the server refused to take it.
It is never retried after a 500 or 504 (the server or a proxy in front of a self-hosted server took the
request, then failed or gave up waiting: it may have been carried out), nor any other 5xx, nor an
answer that is not the Bot API's JSON (a proxy's error page says nothing about the server behind it),
nor a timeout or a connection lost after the request went out. Such a send is reported, not repeated:
a missed message beats a duplicate one. Flood waits (429) are handled by the rate limiter, which every
call passes through.
"""

from __future__ import annotations

import datetime as dt
import warnings

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.telegram.aiohttp_request import NOT_SENT

ATTEMPTS = 4
BASE_DELAY = 0.5
# The longest a call waits out flood limits in total before it gives up: replies are delayed, not dropped.
MAX_FLOOD_WAIT = 120.0

# Repeating these has no effect beyond the first success (an answered query refuses a second answer).
IDEMPOTENT = frozenset(
    {
        "answerCallbackQuery",
        "close",
        "deleteMessage",
        "deleteMyCommands",
        "deleteWebhook",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageText",
        "getChat",
        "getMe",
        "getMyCommands",
        "getWebhookInfo",
        "sendChatAction",
        "setMyCommands",
        "setWebhook",
    }
)
# Start-up waits for these in startup.until_up, with its own backoff and one log line per attempt.
BRING_UP = frozenset({"getMe", "setWebhook"})
# Descriptions of the 5xx answers that say the request was not taken: 502 and 503.
_NOT_TAKEN = ("bad gateway", "service unavailable")


def may_have_arrived(exc: TelegramError) -> bool:
    """Whether a failed call may still have been carried out by Telegram."""
    if isinstance(exc.__cause__, NOT_SENT):
        return False
    if isinstance(exc, TimedOut):
        return True
    if not isinstance(exc, NetworkError) or isinstance(exc, BadRequest):
        return False  # Telegram answered and refused the call: 4xx, a flood wait, a migrated chat
    if exc.__cause__ is not None:
        # The connection broke after the request went out, or the answer was not the Bot API's JSON.
        return True
    # An HTTP error answer in the Bot API's JSON. PTB keeps its description, not its status code.
    return not exc.message.lower().startswith(_NOT_TAKEN)


def retry_delay(method: str, exc: TelegramError, attempt: int) -> float | None:
    """Seconds to wait before attempt `attempt + 1` of `method`, or None to give up and raise `exc`."""
    if attempt >= ATTEMPTS or not isinstance(exc, NetworkError) or isinstance(exc, BadRequest):
        return None
    if method in BRING_UP:
        return None
    if may_have_arrived(exc) and method not in IDEMPOTENT:
        return None
    return BASE_DELAY * float(2 ** (attempt - 1))


def flood_wait(exc: RetryAfter) -> float:
    """A RetryAfter's wait in seconds, whichever type this PTB version gives it."""
    with warnings.catch_warnings():
        # PTB 22 warns that `retry_after` becomes a timedelta; both types are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def is_not_modified(exc: BadRequest) -> bool:
    """Telegram's answer to an edit that changes nothing."""
    return "not modified" in exc.message.lower()


def is_gone(exc: BadRequest) -> bool:
    """The message or chat to act on no longer exists."""
    text = exc.message.lower()
    return "not found" in text or "can't be edited" in text
