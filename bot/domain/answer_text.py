"""Answer text as tokens with positions: the tokenisation every keyword and phrase match shares."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

__all__ = [
    "NEGATIONS",
    "STOPWORDS",
    "Phrase",
    "Token",
    "TokenIndex",
    "content_stems",
    "stem",
    "tokenize",
]

# A word (apostrophes inside it kept, as in "doesn't") or one punctuation character. Splitting "." and "@"
# off words is what lets "functools.wraps" and "@app.errorhandler(404)" match their parts.
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
# Punctuation that carries no meaning in an answer: hyphens join words ("io-bound" == "io bound").
_DROPPED = frozenset("-‐‑–—'’\"`“”«»")
_SENTENCE_END = frozenset(".!?;")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that start a new clause: a negation before them does not reach past them.
_CLAUSE_WORDS = _words(
    "but so because while whereas although though however instead unless since then therefore otherwise"
)
NEGATIONS = _words(
    "not no never nothing none neither nor without cannot cant dont doesnt didnt isnt arent wasnt werent wont "
    "wouldnt shouldnt mustnt neednt hasnt havent hadnt couldnt nobody"
)
STOPWORDS = _words(
    """a an the and or of to in on at by for with from as is are was were be been being it its this that these
    those there here then than so if but not no do does did done can could should would will shall may might must
    i you we they he she me us them my your our their what which who whom whose when where why how all any both
    each few more most other some such only own same too very just also about into over under again once up down
    out off one get gets got make makes made use uses used using like need needs have has had let lets via per
    because while whereas although though however instead unless since therefore otherwise e g eg ie etc yes
    thing things way really actually basically just dont doesnt isnt arent cant wont"""
)


@dataclass(frozen=True)
class Token:
    """One token of an answer: its normalised text, where it sits in the original, and its sentence and clause."""

    text: str
    start: int
    end: int
    sentence: int
    clause: int


def _norm(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).casefold()
    return text.replace("'", "").replace("’", "")


def tokenize(text: str) -> list[Token]:
    """Split text into normalised tokens, numbering sentences and clauses as it goes."""
    tokens: list[Token] = []
    sentence = clause = 0
    for m in _TOKEN.finditer(text):
        raw = m.group()
        if raw in _DROPPED:
            continue
        after = text[m.end() : m.end() + 1]
        if raw in _SENTENCE_END and (not after or after.isspace()):
            sentence += 1
            clause += 1
            continue
        if raw == "," or (raw == ":" and (not after or after.isspace())):
            clause += 1
            continue
        norm = _norm(raw)
        if norm in _CLAUSE_WORDS:
            clause += 1
        if "\n" in text[tokens[-1].end if tokens else 0 : m.start()]:
            sentence += 1
            clause += 1
        tokens.append(Token(norm, m.start(), m.end(), sentence, clause))
    return tokens


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A crude stem: enough to equate "caches", "cached" and "caching"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(words: Iterable[str]) -> set[str]:
    """The stems of the words that carry meaning (not stopwords, not punctuation)."""
    return {stem(w) for w in words if w not in STOPWORDS and (w[0].isalnum() or w[0] == "_")}


@dataclass(frozen=True)
class Phrase:
    """A keyword as tokens: every token must match in order; the last may start a longer word."""

    words: tuple[str, ...]
    raw: str = ""

    @classmethod
    def of(cls, keyword: str) -> Phrase:
        """Tokenise a keyword the way answers are tokenised; a leading "@" is optional in the answer."""
        words = tuple(t.text for t in tokenize(keyword))
        if len(words) > 1 and words[0] == "@":
            words = words[1:]
        return cls(words, keyword)

    @property
    def _prefix(self) -> bool:
        # "endpoint" finds "endpoints"; a short or punctuation token must match whole ("g." is not "get").
        last = self.words[-1]
        return len(last) >= 3 and last[0].isalnum()

    def find(self, tokens: Sequence[Token] | TokenIndex, fuzzy: bool = False) -> list[int]:
        """Indexes of tokens where this phrase starts; fuzzy also forgives one typo in each long word."""
        index = tokens if isinstance(tokens, TokenIndex) else TokenIndex(tokens)
        n = len(self.words)
        if not n:
            return []
        toks = index.tokens
        found = []
        for i in index.positions(self.words[0], prefix=n == 1 and self._prefix, fuzzy=fuzzy):
            if i + n > len(toks):
                continue
            if all(_same(toks[i + j].text, self.words[j], False, fuzzy) for j in range(1, n - 1)) and (
                n == 1 or _same(toks[i + n - 1].text, self.words[-1], self._prefix, fuzzy)
            ):
                found.append(i)
        return found


class TokenIndex:
    """An answer's tokens indexed by text, so each keyword looks at distinct words rather than every token."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self._at: dict[str, list[int]] = {}
        for i, t in enumerate(tokens):
            self._at.setdefault(t.text, []).append(i)
        self._memo: dict[tuple[str, bool, bool], list[int]] = {}

    def positions(self, word: str, prefix: bool, fuzzy: bool) -> list[int]:
        """Where a token matching word sits (as a prefix, forgiving a typo, when asked)."""
        key = (word, prefix, fuzzy)
        found = self._memo.get(key)
        if found is None:
            found = sorted(i for text, at in self._at.items() if _same(text, word, prefix, fuzzy) for i in at)
            self._memo[key] = found
        return found


def _same(token: str, word: str, prefix: bool, fuzzy: bool) -> bool:
    if token == word or (prefix and token.startswith(word)):
        return True
    # A typo inside the keyword's part of a longer word ("endpionts") counts as well.
    return fuzzy and (_typo(token, word) or (prefix and _typo(token[: len(word)], word)))


# Words this long may carry one typo (two from twelve letters) and still match: shorter ones collide.
_FUZZY_MIN = 6


def _typo(token: str, word: str) -> bool:
    if len(word) < _FUZZY_MIN or abs(len(token) - len(word)) > 1 or token[:1] != word[:1] or not word.isalpha():
        return False
    allowed = 2 if len(word) >= 12 else 1
    return Levenshtein.distance(token, word, score_cutoff=allowed) <= allowed
