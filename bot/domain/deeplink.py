"""Deep-link payloads (`t.me/<bot>?start=<payload>`): what each one starts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.bank import TOPICS, Level

# Telegram's rule for start payloads: at most 64 characters of A-Z a-z 0-9 _ -.
PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class DeepLink:
    """A parsed payload: `quiz` (with a level), `topic` (with a topic), `interview`, `review` or `changes`."""

    kind: str
    level: Level | None = None
    topic: str | None = None


def parse(payload: str) -> DeepLink | None:
    """The action a payload asks for; None for anything malformed or unknown (plain /start then)."""
    if not PAYLOAD.fullmatch(payload):
        return None
    if payload in ("interview", "review", "changes"):
        return DeepLink(payload)
    kind, _, arg = payload.partition("-")
    if kind == "quiz" and arg in {lv.value for lv in Level}:
        return DeepLink("quiz", level=Level(arg))
    if kind == "topic" and arg in TOPICS:
        return DeepLink("topic", topic=arg)
    return None


def payload_for(link: DeepLink) -> str:
    """The payload that starts a link's action."""
    if link.kind == "quiz" and link.level is not None:
        return f"quiz-{link.level.value}"
    if link.kind == "topic" and link.topic is not None:
        return f"topic-{link.topic}"
    return link.kind


def url(bot_username: str, link: DeepLink) -> str:
    """The t.me link that opens the bot and starts a link's action."""
    return f"https://t.me/{bot_username}?start={payload_for(link)}"
