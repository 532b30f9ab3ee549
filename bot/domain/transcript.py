"""A finished mock interview as one self-contained HTML page, and the spoiler-free line to share it."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from bot import texts
from bot.domain.grading import PASS_SCORE
from bot.domain.mock_interview import interview_score

# Inline only: the page is opened from a chat on a phone, often offline, and must fetch nothing. Long code
# and long words wrap (pre-wrap, overflow-wrap) so a 390 px screen never scrolls sideways.
STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0 auto;max-width:46rem;padding:16px;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1d1d1f;background:#fff;overflow-wrap:anywhere;word-break:break-word}
h1{font-size:1.35rem;line-height:1.3;margin:0 0 12px}
h2{font-size:1.05rem;line-height:1.35;margin:0 0 8px}
section{border-top:1px solid #ddd;padding:14px 0}
.tg{white-space:pre-line}
.estimate{background:#f4f6fa;border-radius:10px;padding:10px 12px;margin:0 0 12px}
.estimate p{margin:0}
.label{font-weight:600;margin:10px 0 2px}
.verdict{margin:6px 0 2px}
.time{color:#666;font-size:.9rem}
.marks{font-size:1.2rem;letter-spacing:2px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal;background:#f6f8fa;border-radius:8px;
padding:8px 10px;margin:6px 0;font-size:.85rem;line-height:1.4}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
p code,.tg>code{background:#f1f1f1;border-radius:4px;padding:0 3px}
footer{color:#666;font-size:.85rem;border-top:1px solid #ddd;padding-top:12px}
@media (prefers-color-scheme:dark){body{color:#e8e8ea;background:#141416}.estimate{background:#1f2430}
pre{background:#1d2026}p code,.tg>code{background:#262a31}section,footer{border-color:#333}}
"""
# Defence in depth: even if a fragment were not escaped, the browser would refuse to load anything.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


_PRE = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL)
# The bank wraps its prose at ~100 columns; Telegram keeps those breaks, a page on a phone should not. A break
# before a lowercase word or a parenthesis continues a sentence; other breaks (option lists, key points) stay.
_SOFT_BREAK = re.compile(r"(?<=[^\n])\n(?=[a-z(])")
_AROUND_PRE = re.compile(r"\n+(?=<pre\b)|(?<=</pre>)\n+")


def reflow(fragment: str) -> str:
    """An HTML fragment with the bank's hard wraps joined and the blank lines around code blocks dropped."""
    parts = _PRE.split(_AROUND_PRE.sub("", fragment))
    return "".join(p if p.startswith("<pre") else _SOFT_BREAK.sub(" ", p) for p in parts)


class Mark(enum.StrEnum):
    """How one interview question went, as the share row shows it."""

    RIGHT = "✅"
    WRONG = "❌"
    TIMED_OUT = "⏰"


def mark(kind: str, correct: bool | None, self_grade: str | None, covered: Sequence[bool], timed_out: bool) -> Mark:
    """A question's mark: a score of PASS_SCORE or more counts as right, as in the report's evidence."""
    if timed_out:
        return Mark.TIMED_OUT
    score, _ = interview_score(kind, correct, self_grade, covered, timed_out)
    return Mark.RIGHT if score >= PASS_SCORE else Mark.WRONG


def marks_row(marks: Iterable[Mark]) -> str:
    """The ✅❌⏰ row, one mark per question in the order asked."""
    return "".join(m.value for m in marks)


@dataclass(frozen=True)
class TranscriptItem:
    """One question of the transcript; *_html fields are escaped HTML fragments, the rest plain text."""

    heading: str
    prompt_html: str
    answer_html: str
    verdict_html: str
    time_text: str
    explanation_html: str


@dataclass(frozen=True)
class Transcript:
    """Everything the transcript page shows (plain text unless a field says html)."""

    title: str
    estimate_lines: tuple[str, ...]
    marks: str
    items: tuple[TranscriptItem, ...]
    link: str | None = None


def _item(item: TranscriptItem) -> str:
    return (
        "<section>"
        f"<h2>{escape(item.heading)}</h2>"
        f'<div class="tg">{reflow(item.prompt_html)}</div>'
        f'<p class="label">{escape(texts.TRANSCRIPT_ANSWER)}</p>'
        f'<div class="tg">{item.answer_html}</div>'
        f'<p class="verdict tg">{item.verdict_html}</p>'
        f'<p class="time">{escape(item.time_text)}</p>'
        f'<p class="label">{escape(texts.TRANSCRIPT_EXPLANATION)}</p>'
        f'<div class="tg">{reflow(item.explanation_html)}</div>'
        "</section>"
    )


def document(transcript: Transcript) -> str:
    """The transcript as a standalone HTML page: inline CSS, no scripts, nothing fetched."""
    estimate = "".join(f"<p>{escape(line)}</p>" for line in transcript.estimate_lines)
    footer = ""
    if transcript.link is not None:
        link = escape(transcript.link)
        footer = f'<footer>{escape(texts.TRANSCRIPT_FOOTER)}<a href="{link}">{link}</a></footer>'
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(texts.TRANSCRIPT_LANG)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(transcript.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(transcript.title)}</h1>"
        f'<div class="estimate"><h2>{escape(texts.TRANSCRIPT_ESTIMATE)}</h2>{estimate}'
        f'<p class="marks">{escape(transcript.marks)}</p></div>'
        + "".join(_item(i) for i in transcript.items)
        + footer
        + "</body></html>\n"
    )
