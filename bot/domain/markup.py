"""Bank markup (inline `code` and fenced blocks) rendered to Telegram HTML or plain text."""

from __future__ import annotations

import functools
import html
import re

_FENCE = re.compile(r"```(\w*)[ \t]*\n(.*?)\n?```", re.DOTALL)
_INLINE = re.compile(r"`([^`\n]+)`")


def _inline_html(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[last : m.start()], quote=False))
        out.append(f"<code>{html.escape(m.group(1), quote=False)}</code>")
        last = m.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


# Bank texts are few and fixed, and every question and result renders them again: ~2% of an answer's CPU. Only
# they go through the cache: a user's text (markup_html) would fill it with entries nobody asks for again.
@functools.lru_cache(maxsize=4096)
def to_html(text: str) -> str:
    """Render bank markup as Telegram HTML, cached; everything outside tags is escaped."""
    return markup_html(text)


def markup_html(text: str) -> str:
    """Render markup as Telegram HTML, for any text (a user's answer too); everything outside tags is escaped."""
    out: list[str] = []
    last = 0
    for m in _FENCE.finditer(text):
        out.append(_inline_html(text[last : m.start()]))
        lang = m.group(1) or "text"
        code = html.escape(m.group(2).rstrip("\n"), quote=False)
        out.append(f'<pre><code class="language-{lang}">{code}</code></pre>')
        last = m.end()
    out.append(_inline_html(text[last:]))
    return "".join(out).strip()


def to_plain(text: str) -> str:
    """Render bank markup for a terminal: fences become indented blocks, backticks stay."""

    def block(m: re.Match[str]) -> str:
        body = m.group(2).rstrip("\n")
        return "\n" + "\n".join("    " + line for line in body.splitlines()) + "\n"

    return _FENCE.sub(block, text).strip("\n").rstrip()


def to_label(text: str) -> str:
    """Render bank markup as a plain button label (buttons cannot format)."""
    return _INLINE.sub(r"\1", text).strip()


_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|[^<&]+|[<&]")
ELLIPSIS = "…"


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_length(html_text: str) -> int:
    """The length of what a Telegram HTML message shows: tags count nothing, an entity one character."""
    return sum(
        0 if m.group(0).startswith("<") and m.group(2) else 1 if m.group(0).startswith("&") else _units(m.group(0))
        for m in _TOKEN.finditer(html_text)
    )


def clip_html(html_text: str, limit: int) -> str:
    """Telegram HTML cut to at most `limit` visible characters, "…" added, every open tag closed.

    The cut falls in the text, never inside a tag or an entity, so Telegram can still parse the result.
    """
    # Tags show nothing and an entity shows one character, so no text shows more than its own length.
    if _units(html_text) <= limit or visible_length(html_text) <= limit:
        return html_text
    budget = limit - _units(ELLIPSIS)
    out: list[str] = []
    open_tags: list[str] = []
    for m in _TOKEN.finditer(html_text):
        token = m.group(0)
        if token.startswith("<") and m.group(2):
            name = m.group(2).lower()
            if m.group(1):
                if open_tags and open_tags[-1] == name:
                    open_tags.pop()
            else:
                open_tags.append(name)
            out.append(token)
            continue
        size = 1 if token.startswith("&") else _units(token)
        if size <= budget:
            out.append(token)
            budget -= size
            continue
        if not token.startswith("&"):
            part = ""
            for char in token:
                if _units(part + char) > budget:
                    break
                part += char
            out.append(part)
        break
    return "".join(out) + ELLIPSIS + "".join(f"</{name}>" for name in reversed(open_tags))
