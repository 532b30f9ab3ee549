"""The offline grader: key points found by keywords, checked for negation and the bank's misconceptions."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot import texts
from bot.domain.answer_text import NEGATIONS, STOPWORDS, Phrase, Token, TokenIndex, content_stems, tokenize
from bot.domain.bank import KeyPoint, OpenQuestion
from bot.domain.grader import Grade, PointGrade, Verdict, clip_answer, score_of

__all__ = ["FEATURES", "OfflineGrader", "is_injection", "is_salad"]

# What the grader does beyond plain keyword match; bench/grader_eval.py switches each off to measure it.
FEATURES = frozenset({"negation", "misconceptions", "injection", "salad", "two_hits", "distinctive", "fuzzy"})

# Instructions aimed at a grader rather than an answer to the question: such an answer is graded as empty.
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|rubric|rules|prompt|above|previous|criteria)\b"
    r"|\b(mark|grade|rate|score|treat|count)\b.{0,60}\b(covered|correct|excellent|full marks|perfect)\b"
    r"|\bfull marks\b|\brubric\b|\bgrader\b|\byou are now\b|\bnew instructions\b"
    r"|(^|\n|\s)(system|assistant|human|user)\s*:"
    r"|\bscore\s*(of|=|:|is)?\s*(1(\.0+)?|100\s*%?)\b",
    re.IGNORECASE,
)
# Below this share of function words a text of this many tokens is a list of terms, not an explanation.
_SALAD_FUNCTION_SHARE = 0.12
_SALAD_MIN_TOKENS = 6
# How many tokens before a keyword a negation still reaches, inside one clause.
_NEGATION_REACH = 6
# A lone keyword earns the whole point when its sentence holds this many other words of the point's text.
_CONTEXT_WORDS = 2
# A sentence states a misconception when it holds this share of the misconception's content words...
_MISCONCEPTION_SHARE = 0.5
# ...and at least this many of them...
_MISCONCEPTION_MIN_WORDS = 2
# ...and this share of the words that set it apart from the key point.
_MISCONCEPTION_OWN_SHARE = 0.67


def is_injection(answer: str) -> bool:
    """Whether the answer addresses the grader (asks for marks, claims a role, overrides the rules)."""
    return _INJECTION.search(answer) is not None


def is_salad(tokens: Sequence[Token]) -> bool:
    """Whether the answer is a list of terms with next to no function words."""
    words = [t.text for t in tokens if t.text[0].isalnum()]
    if len(words) < _SALAD_MIN_TOKENS:
        return False
    function_words = sum(1 for w in words if w in STOPWORDS)
    return function_words / len(words) < _SALAD_FUNCTION_SHARE


def _negated(text: str) -> bool:
    return any(t.text in NEGATIONS for t in tokenize(text))


@dataclass(frozen=True)
class _Claim:
    text: str
    stems: frozenset[str]  # its content words
    own: frozenset[str]  # those the key point's own text lacks: what makes it a different claim
    negative: bool


@dataclass(frozen=True)
class _CompiledPoint:
    phrases: tuple[Phrase, ...]
    stems: frozenset[str]  # content words of the point's text and keywords
    text_stems: frozenset[str]  # content words of the point's text alone
    negative: bool  # the point's own text is negative, so a negation near its keyword proves nothing
    misconceptions: tuple[_Claim, ...]


def _compile(point: KeyPoint) -> _CompiledPoint:
    return _compile_texts(point.point, tuple(point.keywords), tuple(point.misconceptions))


@lru_cache(maxsize=4096)
def _compile_texts(point: str, keywords: tuple[str, ...], misconceptions: tuple[str, ...]) -> _CompiledPoint:
    stems = frozenset(content_stems(t.text for t in tokenize(" ".join((point, *keywords)))))
    claims = []
    negative = _negated(point)
    for m in misconceptions:
        m_stems = frozenset(content_stems(t.text for t in tokenize(m)))
        m_negative = _negated(m)
        # "It is not encrypted" against "the cookie is encrypted": when the polarities differ, the words the
        # two share are the very claim, so none of them may be left out.
        own = m_stems - stems if m_negative == negative else m_stems
        claims.append(_Claim(m, m_stems, own, m_negative))
    text_stems = frozenset(content_stems(t.text for t in tokenize(point)))
    return _CompiledPoint(tuple(Phrase.of(k) for k in keywords), stems, text_stems, negative, tuple(claims))


@lru_cache(maxsize=1024)
def _prompt_stems(prompt: str) -> frozenset[str]:
    return frozenset(content_stems(t.text for t in tokenize(prompt)))


@dataclass(frozen=True)
class _Answer:
    """One answer, read once: tokens, their index, clause windows and sentence words."""

    text: str
    tokens: Sequence[Token]
    index: TokenIndex
    spans: list[tuple[set[str], bool]]
    sentence_stems: dict[int, set[str]]
    prompt: frozenset[str]


def _quote(answer: str, tokens: Sequence[Token], clause: int) -> str:
    inside = [t for t in tokens if t.clause == clause]
    return answer[inside[0].start : inside[-1].end]


class OfflineGrader:
    """Grades with no network: a fast, explainable floor under any LLM grader."""

    name = "offline"

    def __init__(self, features: Collection[str] = FEATURES) -> None:
        unknown = set(features) - FEATURES
        if unknown:
            raise ValueError(f"unknown features: {sorted(unknown)}")
        self.features = frozenset(features)

    async def grade(self, question: OpenQuestion, answer: str, user_id: int | None = None) -> Grade:
        """Grade answer against question (the Grader protocol)."""
        return self.grade_now(question, answer)

    async def aclose(self) -> None:
        """Nothing to release: the offline grader holds no connection."""

    def grade_now(self, question: OpenQuestion, answer: str) -> Grade:
        """Grade synchronously: no I/O, a few milliseconds."""
        text = clip_answer(answer)
        tokens = tokenize(text)
        points = question.key_points
        injection = "injection" in self.features and is_injection(text)
        if injection or ("salad" in self.features and is_salad(tokens)):
            empty = tuple(PointGrade(kp.point, Verdict.MISSING) for kp in points)
            feedback = texts.GRADE_INJECTION if injection else texts.GRADE_SALAD
            return Grade(self.name, empty, (), 0.0, feedback, self._follow_up(question, empty))
        sentences: dict[int, list[str]] = {}
        for t in tokens:
            sentences.setdefault(t.sentence, []).append(t.text)
        read = _Answer(
            text,
            tokens,
            TokenIndex(tokens),
            self._spans(tokens),
            {s: content_stems(words) for s, words in sentences.items()},
            # Words of the prompt show up in any answer on the topic, right or wrong: they are no evidence.
            _prompt_stems(question.prompt) if "distinctive" in self.features else frozenset(),
        )
        grades: list[PointGrade] = []
        wrong: list[str] = []
        for kp in points:
            grade, claims = self._grade_point(kp, read)
            grades.append(grade)
            wrong.extend(c for c in claims if c not in wrong)
        verdicts = [g.verdict for g in grades]
        feedback = texts.grade_feedback(
            [g.point for g in grades if g.verdict is Verdict.COVERED],
            [g.point for g in grades if g.verdict is not Verdict.COVERED],
            wrong,
        )
        return Grade(
            self.name,
            tuple(grades),
            tuple(wrong),
            score_of(verdicts, len(wrong)),
            feedback,
            self._follow_up(question, tuple(grades)),
        )

    @staticmethod
    def _spans(tokens: Sequence[Token]) -> list[tuple[set[str], bool]]:
        """Content stems and negation of every clause and pair of neighbouring clauses of one sentence."""
        clauses: dict[int, list[Token]] = {}
        for t in tokens:
            clauses.setdefault(t.clause, []).append(t)
        parts = list(clauses.values())
        windows = [*parts]
        windows += [a + b for a, b in itertools.pairwise(parts) if a[0].sentence == b[0].sentence]
        return [(content_stems(t.text for t in w), any(t.text in NEGATIONS for t in w)) for w in windows]

    def _grade_point(self, kp: KeyPoint, read: _Answer) -> tuple[PointGrade, list[str]]:
        compiled = _compile(kp)
        tokens = read.tokens
        claims: list[str] = []
        if "misconceptions" in self.features:
            for claim in compiled.misconceptions:
                if self._states(claim, read.spans):
                    claims.append(claim.text)
        if claims:
            return PointGrade(kp.point, Verdict.MISSING), claims
        hits: dict[str, tuple[int, int]] = {}  # keyword -> (first affirmative hit, its length in tokens)
        for phrase in compiled.phrases:
            for i in phrase.find(read.index, fuzzy="fuzzy" in self.features):
                if "negation" in self.features and not compiled.negative and self._negated_at(tokens, i):
                    continue
                hits.setdefault(phrase.raw, (i, len(phrase.words)))
                break
        if not hits:
            return PointGrade(kp.point, Verdict.MISSING), claims
        first, length = min(hits.values())
        quote = _quote(read.text, tokens, tokens[first].clause)
        verdict = Verdict.COVERED
        if "two_hits" in self.features and len(hits) < 2 and not self._in_context(compiled, read, first, length):
            verdict = Verdict.PARTLY
        return PointGrade(kp.point, verdict, quote), claims

    @staticmethod
    def _in_context(compiled: _CompiledPoint, read: _Answer, hit: int, length: int) -> bool:
        """Whether the sentence of a lone keyword also uses other, distinctive words of the point's text."""
        keyword = content_stems(t.text for t in read.tokens[hit : hit + length])
        around = read.sentence_stems[read.tokens[hit].sentence]
        return len((around - keyword - read.prompt) & compiled.text_stems) >= _CONTEXT_WORDS

    @staticmethod
    def _states(claim: _Claim, spans: list[tuple[set[str], bool]]) -> bool:
        if not claim.stems:
            return False
        for stems, negative in spans:
            shared = len(claim.stems & stems)
            # The words the claim does not share with the point decide: "workers share one pool" against
            # "each worker has its own pool" differ in "share", not in "worker" or "pool".
            own = len(claim.own & stems) / len(claim.own) if claim.own else 1.0
            # A sentence that negates what the misconception asserts refutes it rather than states it.
            if (
                shared >= _MISCONCEPTION_MIN_WORDS
                and shared / len(claim.stems) >= _MISCONCEPTION_SHARE
                and own >= _MISCONCEPTION_OWN_SHARE
                and negative == claim.negative
            ):
                return True
        return False

    @staticmethod
    def _negated_at(tokens: Sequence[Token], i: int) -> bool:
        # "no need for celery" and "PERMANENT_SESSION_LIFETIME doesn't matter": the cue may sit on either side.
        clause = tokens[i].clause
        for j in range(max(0, i - _NEGATION_REACH), min(len(tokens), i + _NEGATION_REACH + 1)):
            if j != i and tokens[j].clause == clause and tokens[j].text in NEGATIONS:
                return True
        return False

    @staticmethod
    def _follow_up(question: OpenQuestion, grades: tuple[PointGrade, ...]) -> str | None:
        """The authored follow-up that probes the first point the answer missed (or only half made)."""
        for verdict in (Verdict.MISSING, Verdict.PARTLY):
            for follow_up in question.follow_ups:
                if follow_up.probes < len(grades) and grades[follow_up.probes].verdict is verdict:
                    return follow_up.prompt.strip()
        return None
