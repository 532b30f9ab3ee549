"""User-facing strings of goals, daily sets, pauses, freezes and streak nudges (Telegram HTML)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

DATE_FORMAT = "%d %b %Y"

GOAL_PICK = (
    "🎯 <b>When is your interview?</b>\n"
    "Tap how far away it is, or send <code>/goal YYYY-MM-DD LEVEL</code>, "
    "for example <code>/goal 2026-12-20 experienced</code>."
)
GOAL_USAGE = (
    "Send <code>/goal YYYY-MM-DD LEVEL</code>, for example <code>/goal 2026-12-20 experienced</code> "
    "(levels: fresher, intermediate, experienced, advanced), or <code>/goal off</code>."
)
GOAL_PAST = "That date is not ahead of today. Pick a date 1 to 180 days from now."
GOAL_FAR = "That is more than 180 days away. Pick a date 1 to 180 days from now."
GOAL_OFF = "🎯 Goal off. The daily message is one question again. Send /goal to set a new one."
GOAL_NONE = "You have no goal. Send /goal to set one."
GOAL_OUTCOME_SAVED = "Thanks, noted. Want a new goal?"
CB_OUTCOME_KNOWN = "Already noted."
BTN_GOAL_OFF = "Turn the goal off"
BTN_START_SET = "▶ Start today's set"
BTN_PASSED = "✅ Passed"
BTN_NOT_YET = "🔁 Not yet"
BTN_SKIP = "Skip"
SET_NOTHING = "Nothing to ask today: every question of your goal's level is learned and nothing is due."
SET_NO_GOAL = "You have no goal any more. Send /goal to set one."
PAUSE_USAGE = "Send <code>/pause N</code> with N from 1 to 14 days, or <code>/pause off</code> to come back early."
PAUSE_OFF = "▶ Welcome back: the pause is over. The daily message and your streak clock run again."
PAUSE_NONE = "No pause is running."
REMIND_USAGE = (
    "Send <code>/daily remind HH:MM</code>, for example <code>/daily remind 20:00</code>, "
    "or <code>/daily remind off</code>."
)
REMIND_OFF = "🔕 No streak nudges."

PICK_DAYS: tuple[tuple[int, str], ...] = (
    (7, "1 week"),
    (14, "2 weeks"),
    (30, "1 month"),
    (60, "2 months"),
    (90, "3 months"),
    (180, "6 months"),
)


def _date(day: dt.date) -> str:
    return day.strftime(DATE_FORMAT)


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def pick_level(day: dt.date) -> str:
    """The picker's second step."""
    return f"🎯 Interview on <b>{_date(day)}</b>. Which level are you aiming for?"


def goal_set(day: dt.date, level: str, subscribed: bool) -> str:
    """Confirmation of a new goal, before its view."""
    tail = "" if subscribed else "\nTurn on the daily set with <code>/daily 09:00</code> (your local time)."
    return f"🎯 Goal saved: <b>{escape(level)}</b> by <b>{_date(day)}</b>.{tail}"


def status_line(behind: int | None, reachable: bool, forecast: float, bar: float) -> str:
    """On track, behind by N, or out of reach."""
    if behind == 0:
        return f"✅ On track for {_pct(bar)}"
    if behind is None or not reachable:
        return f"⛔ The {_pct(bar)} bar is out of reach by then even at 10 a day; aim for the best forecast you can"
    return f"⚠️ Behind by {behind} question{'s' if behind != 1 else ''}"


def goal_view(
    day: dt.date,
    level: str,
    days_left: int,
    now: float,
    at_date: float,
    bar: float,
    target: int,
    done: int,
    new_per_day: int,
    status: str,
    top: Sequence[tuple[str, float]],
    paused_until: dt.date | None,
    streak: int,
    freezes: int,
) -> str:
    """What /goal shows."""
    lines = [
        f"🎯 <b>{escape(level.capitalize())} by {_date(day)}</b> · {days_left} day{'s' if days_left != 1 else ''} left",
        f"Forecast now: <b>{_pct(now)}</b> · on the date at your pace: <b>{_pct(at_date)}</b> (bar {_pct(bar)})",
    ]
    if paused_until is not None:
        lines.append(f"⏸ Paused until {_date(paused_until)}")
    else:
        lines.append(f"Today: <b>{done} of {target}</b> done")
    lines.append(status)
    lines.append(f"🔥 Streak: {streak} day{'s' if streak != 1 else ''} · 🧊 freezes: {freezes} of 2")
    lines.append(f"Plan: {new_per_day} new question{'s' if new_per_day != 1 else ''} a day plus the reviews due.")
    if top:
        lines.append("\nTopics that would move the forecast most:")
        lines += [f"• {escape(topic)} +{_pct(gain)}" for topic, gain in top]
    return "\n".join(lines)


def drill_button(topic: str) -> str:
    """The button that drills one topic."""
    return f"🏋 Drill {topic}"


def set_message(
    size: int, reviews: int, days_left: int, level: str, status: str, forecast: float, frozen_yesterday: bool
) -> str:
    """The daily message of a user with a goal."""
    new = size - reviews
    parts = []
    if reviews:
        parts.append(f"{reviews} review{'s' if reviews != 1 else ''}")
    if new:
        parts.append(f"{new} new")
    lines = [
        f"🎯 <b>Today's set: {size} question{'s' if size != 1 else ''}</b> ({', '.join(parts)})",
        f"{days_left} day{'s' if days_left != 1 else ''} to your {escape(level)} interview · {status} "
        f"(forecast {_pct(forecast)})",
    ]
    if frozen_yesterday:
        lines.append("🧊 A freeze kept your streak alive yesterday.")
    return "\n".join(lines)


def start_set_button(size: int) -> str:
    """The one tap that starts the set."""
    return f"▶ Start ({size})"


def after_message(day: dt.date, level: str) -> str:
    """The question after the goal date."""
    return f"🎯 Your {escape(level)} interview was on <b>{_date(day)}</b>. How did it go?"


def paused(until: dt.date, study_days: int) -> str:
    """Confirmation of /pause N."""
    return (
        f"⏸ Paused until <b>{_date(until)}</b>: no daily message, and your streak waits. "
        f"Your plan now spreads over {study_days} study day{'s' if study_days != 1 else ''}. "
        "Send <code>/pause off</code> to come back early."
    )


def paused_no_goal(until: dt.date) -> str:
    """Confirmation of /pause N without a goal."""
    return (
        f"⏸ Paused until <b>{_date(until)}</b>: no daily message, and your streak waits. "
        "Send <code>/pause off</code> to come back early."
    )


def remind_on(at: str, zone: str) -> str:
    """Confirmation of /daily remind HH:MM."""
    return (
        f"🔔 On a day your streak is at risk I will nudge you at <b>{escape(at)}</b> ({escape(zone)}), "
        "at most once, and never once today's set is done."
    )


def nudge(streak: int, left: int | None) -> str:
    """The nudge on a day the streak is at risk."""
    what = f"{left} question{'s' if left != 1 else ''} of today's set" if left else "one answer"
    return f"🔥 Your {streak}-day streak ends at midnight. {what.capitalize()} keeps it going."


def freezes_line(held: int) -> str:
    """Freezes held, for /stats and /goal."""
    return f"🧊 Freezes held: {held} of 2 (one per 7 days of streak, used on a missed day)"
