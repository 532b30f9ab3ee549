"""Near-duplicate questions: how much two questions' prompts and right answers share their words."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.bank import McqQuestion, OpenQuestion

__all__ = ["DUPLICATE_THRESHOLD", "SimilarPair", "prompt_words", "right_answer", "similar_pairs", "similarity", "words"]

# Score at or above which two questions count as teaching the same fact. Chosen on the v2 bank (265
# questions, 34,980 pairs) by reading the ranking: every pair scoring 0.30 or more asked the same
# thing with the same right answer (nested blueprints twice, dict-to-JSON twice, stream_with_context
# twice, ProxyFix on wsgi_app twice, the @app.post shortcut twice, test_request_context twice, the
# functools.wraps endpoint clash twice), except one cross-level pair that contrasts two facts on
# purpose (a registration url_prefix replaces the constructor's; nested prefixes are joined). The
# nearest pairs below 0.30 share a snippet or a topic but ask different things (url_for endpoint vs
# url_prefix, int vs float converter), so a lower bar would flag distinct questions.
DUPLICATE_THRESHOLD = 0.30

# Words that say nothing about which fact a question is about.
_STOPWORD_TEXT = """
a an and are as at be by can do does for from how in into is it its no not of on or than that the then this to
use used uses what when which with you your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+")


def words(text: str) -> frozenset[str]:
    """The distinct words of a text, case-folded, without stopwords and one-letter tokens."""
    return frozenset(w for w in _WORD.findall(text.casefold()) if len(w) > 1 and w not in _STOPWORDS)


# A code-reading question (shows_output) is mostly a snippet, and every snippet shares the scaffolding of a
# small Flask program; its right option is a raw output (`None`, `200 404`) that many unrelated snippets print.
# Compared as written, 22 of the first 32 such questions "duplicated" one another. So for them the prompt
# is compared without the scaffolding's words and the answer is the explanation's prose: the fact taught.
_SCAFFOLD = """
What does this program print?
from flask import Flask, request, render_template_string
app = Flask(__name__)
@app.get("/")
def index():
    return ""
c = app.test_client()
r = c.get("/")
print(r.status_code, r.text)
with app.app_context():
    print(render_template_string(""))
"""
_SCAFFOLD_WORDS = words(_SCAFFOLD)
_FENCE = re.compile(r"```\w*\n.*?```", re.DOTALL)


def _code_reading(question: McqQuestion | OpenQuestion) -> bool:
    return isinstance(question, McqQuestion) and question.shows_output


def right_answer(question: McqQuestion | OpenQuestion) -> str:
    """The right option of an MCQ (a code-reading one's explanation prose), the model answer of an open question."""
    if isinstance(question, McqQuestion):
        if question.shows_output:
            return _FENCE.sub(" ", question.explanation)
        return question.options[question.correct_index].text
    return question.model_answer


def prompt_words(question: McqQuestion | OpenQuestion) -> frozenset[str]:
    """The words of a prompt that can tell it apart (a code-reading prompt loses its scaffolding)."""
    found = words(question.prompt)
    return found - _SCAFFOLD_WORDS if _code_reading(question) else found


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass(frozen=True)
class SimilarPair:
    """Two questions whose prompts and right answers overlap, with the overlaps."""

    first: McqQuestion | OpenQuestion
    second: McqQuestion | OpenQuestion
    prompt: float
    answer: float

    @property
    def score(self) -> float:
        """Geometric mean of the two overlaps: both the question and its answer must match."""
        return math.sqrt(self.prompt * self.answer)

    @property
    def same_level(self) -> bool:
        """Whether both can land in one quiz."""
        return self.first.level == self.second.level


def similarity(a: McqQuestion | OpenQuestion, b: McqQuestion | OpenQuestion) -> SimilarPair:
    """Word overlap (Jaccard) of the prompts and of the right answers of two questions."""
    return SimilarPair(
        a, b, _jaccard(prompt_words(a), prompt_words(b)), _jaccard(words(right_answer(a)), words(right_answer(b)))
    )


def similar_pairs(
    questions: Iterable[McqQuestion | OpenQuestion], threshold: float = DUPLICATE_THRESHOLD
) -> list[SimilarPair]:
    """Every pair scoring at least threshold, most alike first."""
    keyed = [(q, prompt_words(q), words(right_answer(q))) for q in questions]
    found = []
    for (a, pa, aa), (b, pb, ab) in itertools.combinations(keyed, 2):
        # A geometric mean reaches threshold only if both overlaps do: skip the answer when the prompt cannot.
        prompt = _jaccard(pa, pb)
        if prompt < threshold * threshold:
            continue
        pair = SimilarPair(a, b, prompt, _jaccard(aa, ab))
        if pair.score >= threshold:
            found.append(pair)
    return sorted(found, key=lambda p: -p.score)
