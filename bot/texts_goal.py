"""User-facing strings of goals, daily sets, pauses, freezes and streak nudges (Telegram HTML).

Written as bot/texts.py says: constants with `N_()`, words in functions through `_()` or `ngettext()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from bot import i18n
from bot.i18n import N_, _, ngettext

DATE_FORMAT = "%d %b %Y"

GOAL_PICK = N_(
    "🎯 <b>When is your interview?</b>\n"
    "Tap how far away it is, or send <code>/goal YYYY-MM-DD LEVEL</code>, "
    "for example <code>/goal 2026-12-20 experienced</code>."
)
GOAL_USAGE = N_(
    "Send <code>/goal YYYY-MM-DD LEVEL</code>, for example <code>/goal 2026-12-20 experienced</code> "
    "(levels: fresher, intermediate, experienced, advanced), or <code>/goal off</code>."
)
GOAL_PAST = N_("That date is not ahead of today. Pick a date 1 to 180 days from now.")
GOAL_FAR = N_("That is more than 180 days away. Pick a date 1 to 180 days from now.")
GOAL_OFF = N_("🎯 Goal off. The daily message is one question again. Send /goal to set a new one.")
GOAL_NONE = N_("You have no goal. Send /goal to set one.")
GOAL_OUTCOME_SAVED = N_("Thanks, noted. Want a new goal?")
CB_OUTCOME_KNOWN = N_("Already noted.")
BTN_GOAL_OFF = N_("Turn the goal off")
BTN_START_SET = N_("▶ Start today's set")
BTN_PASSED = N_("✅ Passed")
BTN_NOT_YET = N_("🔁 Not yet")
BTN_SKIP = N_("Skip")
SET_NOTHING = N_("Nothing to ask today: every question of your goal's level is learned and nothing is due.")
SET_NO_GOAL = N_("You have no goal any more. Send /goal to set one.")
PAUSE_USAGE = N_("Send <code>/pause N</code> with N from 1 to 14 days, or <code>/pause off</code> to come back early.")
PAUSE_OFF = N_("▶ Welcome back: the pause is over. The daily message and your streak clock run again.")
PAUSE_NONE = N_("No pause is running.")
REMIND_USAGE = N_(
    "Send <code>/daily remind HH:MM</code>, for example <code>/daily remind 20:00</code>, "
    "or <code>/daily remind off</code>."
)
REMIND_OFF = N_("🔕 No streak nudges.")

PICK_DAYS: tuple[tuple[int, str], ...] = (
    (7, N_("1 week")),
    (14, N_("2 weeks")),
    (30, N_("1 month")),
    (60, N_("2 months")),
    (90, N_("3 months")),
    (180, N_("6 months")),
)


def _date(day: dt.date) -> str:
    return day.strftime(DATE_FORMAT)


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def pick_label(label: str) -> str:
    """A picker button's label in the current language."""
    return _(label)


def pick_level(day: dt.date) -> str:
    """The picker's second step."""
    return _("🎯 Interview on <b>{date}</b>. Which level are you aiming for?").format(date=_date(day))


def goal_set(day: dt.date, level: str, subscribed: bool) -> str:
    """Confirmation of a new goal, before its view."""
    text = _("🎯 Goal saved: <b>{level}</b> by <b>{date}</b>.").format(level=escape(level), date=_date(day))
    if not subscribed:
        text += "\n" + _("Turn on the daily set with <code>/daily 09:00</code> (your local time).")
    return text


def status_line(behind: int | None, reachable: bool, forecast: float, bar: float) -> str:
    """On track, behind by N, or out of reach."""
    if behind == 0:
        return _("✅ On track for {bar}").format(bar=_pct(bar))
    if behind is None or not reachable:
        return _("⛔ The {bar} bar is out of reach by then even at 10 a day; aim for the best forecast you can").format(
            bar=_pct(bar)
        )
    return ngettext("⚠️ Behind by {n} question", "⚠️ Behind by {n} questions", behind).format(n=behind)


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
        ngettext(
            "🎯 <b>{level} by {date}</b> · {n} day left", "🎯 <b>{level} by {date}</b> · {n} days left", days_left
        ).format(level=escape(level.capitalize()), date=_date(day), n=days_left),
        _("Forecast now: <b>{now}</b> · on the date at your pace: <b>{at_date}</b> (bar {bar})").format(
            now=_pct(now), at_date=_pct(at_date), bar=_pct(bar)
        ),
    ]
    if paused_until is not None:
        lines.append(_("⏸ Paused until {date}").format(date=_date(paused_until)))
    else:
        lines.append(_("Today: <b>{done} of {target}</b> done").format(done=done, target=target))
    lines.append(status)
    lines.append(
        ngettext(
            "🔥 Streak: {n} day · 🧊 freezes: {held} of 2", "🔥 Streak: {n} days · 🧊 freezes: {held} of 2", streak
        ).format(n=streak, held=freezes)
    )
    lines.append(
        ngettext(
            "Plan: {n} new question a day plus the reviews due.",
            "Plan: {n} new questions a day plus the reviews due.",
            new_per_day,
        ).format(n=new_per_day)
    )
    if top:
        lines.append("\n" + _("Topics that would move the forecast most:"))
        lines += [f"• {escape(topic)} +{_pct(gain)}" for topic, gain in top]
    return "\n".join(lines)


def drill_button(topic: str) -> str:
    """The button that drills one topic."""
    return _("🏋 Drill {topic}").format(topic=topic)


def set_message(
    size: int, reviews: int, days_left: int, level: str, status: str, forecast: float, frozen_yesterday: bool
) -> str:
    """The daily message of a user with a goal."""
    new = size - reviews
    parts = []
    if reviews:
        parts.append(ngettext("{n} review", "{n} reviews", reviews).format(n=reviews))
    if new:
        parts.append(_("{n} new").format(n=new))
    lines = [
        ngettext(
            "🎯 <b>Today's set: {n} question</b> ({parts})", "🎯 <b>Today's set: {n} questions</b> ({parts})", size
        ).format(n=size, parts=", ".join(parts)),
        ngettext(
            "{n} day to your {level} interview · {status} (forecast {forecast})",
            "{n} days to your {level} interview · {status} (forecast {forecast})",
            days_left,
        ).format(n=days_left, level=escape(level), status=status, forecast=_pct(forecast)),
    ]
    if frozen_yesterday:
        lines.append(_("🧊 A freeze kept your streak alive yesterday."))
    return "\n".join(lines)


def start_set_button(size: int) -> str:
    """The one tap that starts the set."""
    return _("▶ Start ({n})").format(n=size)


def after_message(day: dt.date, level: str) -> str:
    """The question after the goal date."""
    return _("🎯 Your {level} interview was on <b>{date}</b>. How did it go?").format(
        level=escape(level), date=_date(day)
    )


def paused(until: dt.date, study_days: int) -> str:
    """Confirmation of /pause N."""
    return ngettext(
        "⏸ Paused until <b>{date}</b>: no daily message, and your streak waits. "
        "Your plan now spreads over {n} study day. Send <code>/pause off</code> to come back early.",
        "⏸ Paused until <b>{date}</b>: no daily message, and your streak waits. "
        "Your plan now spreads over {n} study days. Send <code>/pause off</code> to come back early.",
        study_days,
    ).format(date=_date(until), n=study_days)


def paused_no_goal(until: dt.date) -> str:
    """Confirmation of /pause N without a goal."""
    return _(
        "⏸ Paused until <b>{date}</b>: no daily message, and your streak waits. "
        "Send <code>/pause off</code> to come back early."
    ).format(date=_date(until))


def remind_on(at: str, zone: str) -> str:
    """Confirmation of /daily remind HH:MM."""
    return _(
        "🔔 On a day your streak is at risk I will nudge you at <b>{at}</b> ({zone}), "
        "at most once, and never once today's set is done."
    ).format(at=escape(at), zone=escape(zone))


def nudge(streak: int, left: int | None) -> str:
    """The nudge on a day the streak is at risk."""
    head = _("🔥 Your {n}-day streak ends at midnight.").format(n=streak)
    if left:
        tail = ngettext(
            "{n} question of today's set keeps it going.", "{n} questions of today's set keep it going.", left
        ).format(n=left)
    else:
        tail = _("One answer keeps it going.")
    return f"{head} {tail}"


i18n.translate_constants(__name__)
