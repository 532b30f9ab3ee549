"""The transcript page and the share row, as plain functions."""

from __future__ import annotations

from bot.domain import deeplink
from bot.domain.transcript import Mark, Transcript, TranscriptItem, document, mark, marks_row, reflow


def test_marks_follow_the_reports_half_score_rule() -> None:
    assert mark("mcq", True, None, (), False) is Mark.RIGHT
    assert mark("mcq", False, None, (), False) is Mark.WRONG
    assert mark("mcq", None, None, (), True) is Mark.TIMED_OUT
    assert mark("open", None, "nailed", (), False) is Mark.RIGHT
    assert mark("open", None, "missed", (True, True), False) is Mark.WRONG  # the self-grade wins once given
    assert mark("open", None, None, (True, False), False) is Mark.RIGHT  # ungraded: half the key points
    assert mark("open", None, None, (True, False, False), False) is Mark.WRONG
    assert marks_row([Mark.RIGHT, Mark.WRONG, Mark.TIMED_OUT]) == "✅❌⏰"


def test_reflow_joins_the_banks_hard_wraps_but_keeps_lists_and_code() -> None:
    text = (
        "Gunicorn takes it. The part may be\na call.\n<b>A</b>) one\n<b>B</b>) two\n\n"
        "<pre><code>x = 1\ny = 2</code></pre>\n\nafter"
    )
    out = reflow(text)
    assert "may be a call." in out
    assert "\n<b>A</b>) one\n<b>B</b>) two" in out
    assert "<pre><code>x = 1\ny = 2</code></pre>after" in out


def test_document_escapes_every_plain_field_and_links_only_to_the_bot() -> None:
    item = TranscriptItem("<h1>head", "prompt", "<b>A</b>) x", "✅ Right.", "⏱ <5 s>", "why")
    page = document(
        Transcript("<script>t</script>", ("Estimated level: <x>",), "✅", (item,), "https://t.me/bot?start=a&b")
    )
    assert "<script>" not in page and "&lt;script&gt;t&lt;/script&gt;" in page
    assert "&lt;h1&gt;head" in page and "Estimated level: &lt;x&gt;" in page and "⏱ &lt;5 s&gt;" in page
    assert '<a href="https://t.me/bot?start=a&amp;b">' in page
    assert page.count("<section>") == 1 and "<b>A</b>) x" in page


def test_deep_link_url_starts_an_interview() -> None:
    link = deeplink.url("flask_bot", deeplink.DeepLink("interview"))
    assert link == "https://t.me/flask_bot?start=interview"
    parsed = deeplink.parse(link.rsplit("=", 1)[1])
    assert parsed is not None and parsed.kind == "interview"
