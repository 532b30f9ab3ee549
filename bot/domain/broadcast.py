"""An admin's broadcast text: Telegram's HTML, checked before anything is sent."""

from __future__ import annotations

from html.parser import HTMLParser

from bot.domain.markup import visible_length

# What Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler"}
    | {"span", "tg-emoji"}
)
# Room under the 4096-character limit for nothing: the text is sent as is, under the opt-out button.
MAX_TEXT = 4096
PREVIEW_CHARS = 300


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}> is not a tag Telegram accepts")
        elif tag == "a" and not found.get("href"):
            self.problems.append("<a> needs an href")
        elif tag == "span" and found.get("class") != "tg-spoiler":
            self.problems.append('<span> needs class="tg-spoiler"')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"<{tag}/> is not accepted: close tags with </{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes nothing open" if tag not in self.open else f"</{tag}> out of order")
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]
            return
        self.open.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problems.append(f"&{name}; is not an entity Telegram knows (use &lt; &gt; &amp; &quot;)")

    def handle_data(self, data: str) -> None:
        if "<" in data:
            self.problems.append("a '<' that starts no tag: write &lt;")
        if "&" in data:
            self.problems.append("a '&' that starts no entity: write &amp;")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comments are not accepted")


def check_html(text: str) -> list[str]:
    """What Telegram would refuse in a broadcast text (empty: it may be sent)."""
    if not text.strip():
        return ["the text is empty"]
    checker = _Checker()
    checker.feed(text)
    checker.close()
    problems = checker.problems + [f"<{tag}> is never closed" for tag in checker.open]
    if not problems and visible_length(text) > MAX_TEXT:
        problems.append(f"the text is {visible_length(text)} characters; Telegram takes at most {MAX_TEXT}")
    return problems


def preview(text: str) -> str:
    """The start of the text, for the admin's confirmation (the text itself is shown as it will look)."""
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
