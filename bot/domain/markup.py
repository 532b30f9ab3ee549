"""Bank markup (inline `code` and fenced blocks) rendered to Telegram HTML or plain text."""

from __future__ import annotations

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


def to_html(text: str) -> str:
    """Render bank markup as Telegram HTML; everything outside tags is escaped."""
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
