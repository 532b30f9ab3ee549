"""A finished interview's questions as the debrief, the transcript page and the share line show them."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from bot import texts
from bot.domain import deeplink, transcript
from bot.domain.bank import McqQuestion, OpenQuestion
from bot.domain.layout import options_fit_buttons
from bot.domain.markup import markup_html, to_html
from bot.services.mock_interview import DebriefPage, InterviewResults
from bot.telegram import render

INTERVIEW_LINK = deeplink.DeepLink("interview")


@dataclass(frozen=True)
class DebriefParts:
    """One closed question as escaped HTML fragments: the prompt, the answer, the verdict, the explanation."""

    prompt_html: str
    answer_html: str
    verdict_html: str
    explanation_html: str


def verdict(page: DebriefPage) -> str:
    """The verdict line of a closed question."""
    a = page.answer
    if a.timed_out:
        return texts.VERDICT_TIMED_OUT
    if a.kind == "mcq":
        return texts.VERDICT_RIGHT if a.correct else texts.VERDICT_WRONG
    return texts.verdict_graded(a.self_grade) if a.self_grade else texts.VERDICT_UNGRADED


def debrief_parts(page: DebriefPage) -> DebriefParts:
    """The parts of a debrief page; the chat and the transcript render the same ones."""
    view, a, q = page.view, page.answer, page.view.question
    if isinstance(q, McqQuestion):
        shown = {bank_i: i for i, bank_i in enumerate(view.order)}
        answer = (
            texts.NO_ANSWER
            if a.chosen is None
            else f"<b>{texts.OPTION_LETTERS[shown[a.chosen]]}</b>) {to_html(q.options[a.chosen].text)}"
        )
        right = q.correct_index
        explanation = to_html(q.explanation)
        if a.chosen != right:
            right_line = texts.debrief_right_option(texts.OPTION_LETTERS[shown[right]], to_html(q.options[right].text))
            explanation = f"{right_line}\n\n{explanation}"
    else:
        assert isinstance(q, OpenQuestion)
        answer = markup_html(a.answer_text) if a.answer_text else texts.NO_ANSWER
        hits = list(page.covered) + [False] * (len(q.key_points) - len(page.covered))
        explanation = texts.key_points_block(
            to_html(q.model_answer), [(kp.point, hit) for kp, hit in zip(q.key_points, hits, strict=False)]
        )
    prompt = render.question_body(view).split("\n\n", 1)[-1]
    return DebriefParts(prompt, answer, verdict(page), explanation)


def marks(results: InterviewResults) -> str:
    """The ✅❌⏰ row of an interview."""
    return transcript.marks_row(
        transcript.mark(p.answer.kind, p.answer.correct, p.answer.self_grade, p.covered, p.answer.timed_out)
        for p in results.pages
    )


def transcript_of(results: InterviewResults, bot_username: str | None) -> transcript.Transcript:
    """The transcript of a finished interview, with a link back to the bot when its username is known."""
    est = results.report.estimate
    items = []
    for n, page in enumerate(results.pages, start=1):
        parts = debrief_parts(page)
        q, a = page.view.question, page.answer
        prompt = parts.prompt_html
        if isinstance(q, McqQuestion) and options_fit_buttons(q):
            # In the chat the options were buttons; on the page they are listed, as the reader needs them.
            prompt += "\n\n" + "\n".join(
                f"<b>{texts.OPTION_LETTERS[i]}</b>) {to_html(q.options[bank_i].text)}"
                for i, bank_i in enumerate(page.view.order)
            )
        items.append(
            transcript.TranscriptItem(
                texts.transcript_question(n, len(results.pages), q.level.value, q.topic),
                prompt,
                parts.answer_html,
                parts.verdict_html,
                texts.transcript_time(round(a.time_taken_ms / 1000), a.over_time),
                parts.explanation_html,
            )
        )
    return transcript.Transcript(
        texts.transcript_title(results.started.date().isoformat()),
        tuple(
            texts.transcript_estimate(
                est.level.value,
                texts.CONFIDENCE_WORDS[est.confidence],
                est.se,
                [(e.level.value, e.asked, e.right) for e in results.report.evidence],
            )
        ),
        marks(results),
        tuple(items),
        None if not bot_username else deeplink.url(bot_username, INTERVIEW_LINK),
    )


def transcript_file(results: InterviewResults, bot_username: str | None) -> tuple[str, bytes]:
    """The transcript document's file name and UTF-8 bytes."""
    page = transcript.document(transcript_of(results, bot_username))
    return f"flask-interview-{results.started.date().isoformat()}.html", page.encode("utf-8")


def share_head(results: InterviewResults) -> str:
    """The spoiler-free result: the level and the ✅❌⏰ row."""
    return texts.share_head(results.report.estimate.level.value, marks(results))


def share_line(results: InterviewResults, bot_username: str) -> str:
    """The line to forward: the result and a link that starts an interview."""
    return texts.share_line(share_head(results), deeplink.url(bot_username, INTERVIEW_LINK))


def share_picker_url(results: InterviewResults, bot_username: str) -> str:
    """Telegram's share link: opens the chat picker with the result and the link ready to send."""
    query = {"url": deeplink.url(bot_username, INTERVIEW_LINK), "text": share_head(results)}
    return "https://t.me/share/url?" + urllib.parse.urlencode(query)
