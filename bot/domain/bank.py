"""The question bank: strict pydantic models and the YAML loader."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError, model_validator

__all__ = [
    "FOLLOW_UP_SEPARATOR",
    "TOPICS",
    "Bank",
    "BankError",
    "FollowUp",
    "KeyPoint",
    "Level",
    "McqQuestion",
    "OpenQuestion",
    "Option",
    "Question",
    "follow_up_question",
    "follow_ups_of",
    "load_bank",
]


class Level(enum.StrEnum):
    """Interview level, from first job to staff engineer."""

    FRESHER = "fresher"
    INTERMEDIATE = "intermediate"
    EXPERIENCED = "experienced"
    ADVANCED = "advanced"


# The fixed topic list: `bank check` rejects anything else so that stats group cleanly.
TOPICS: tuple[str, ...] = (
    "basics",
    "routing",
    "templates",
    "request-response",
    "sessions-and-security",
    "contexts",
    "blueprints",
    "database",
    "rest-api",
    "errors",
    "testing",
    "configuration",
    "cli",
    "deployment",
    "performance",
    "extensions",
    "async",
    "django-comparison",
    "internals",
    "forms",
    "static-files",
    "versions",
    # Appended, never inserted: progress keeps topic sets as bitmasks over this tuple's order.
    "auth",
    "observability",
    "realtime",
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=48)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# A quiz poll's explanation holds 200 characters (bot.domain.polls checks it as Telegram counts).
PollText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# A pytest node id such as tests/bank/test_routing.py::test_default_methods, or one case of a test
# parametrized by question id, such as tests/bank/test_outputs.py::test_output[routing-x].
CheckId = Annotated[
    str, StringConstraints(pattern=r"^tests/bank/test_[a-z0-9_]+\.py::test_[A-Za-z0-9_]+(\[[a-z0-9]+(-[a-z0-9]+)*\])?$")
]
Url = Annotated[str, StringConstraints(pattern=r"^https://\S+$")]

MIN_OPTIONS = 3
MAX_OPTIONS = 6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One answer of a multiple-choice question."""

    text: OptionText
    correct: StrictBool = False


class KeyPoint(_Strict):
    """A point an open answer should make, with words that show it was made."""

    point: Text
    keywords: Annotated[list[Text], Field(min_length=1)]
    # False claims real candidates make about this point; a grader that finds one withholds the credit.
    misconceptions: list[Text] = []


class FollowUp(_Strict):
    """A probing question asked after an open answer that missed one key point of its parent."""

    prompt: Text
    model_answer: Text
    # Index into the parent's key_points: the point this follow-up probes further.
    probes: Annotated[int, Field(ge=0)]
    key_points: Annotated[list[KeyPoint], Field(min_length=1, max_length=4)]
    # Pytest node ids that assert what the model answer claims, as for a question.
    checks: list[CheckId] = []


class _QuestionBase(_Strict):
    id: Slug
    level: Level
    topic: str
    prompt: Text
    references: Annotated[list[Url], Field(min_length=1)]
    # Which Flask versions the answer holds for, where behaviour changed between versions.
    versions: str | None = None
    # Pytest node ids that assert the behaviour the question claims.
    checks: list[CheckId] = []
    # True when the prompt's ```python blocks are complete programs the test suite runs.
    code_runs: StrictBool = False

    @model_validator(mode="after")
    def _known_topic(self) -> _QuestionBase:
        if self.topic not in TOPICS:
            raise ValueError(f"unknown topic {self.topic!r}; known: {', '.join(TOPICS)}")
        return self


class McqQuestion(_QuestionBase):
    """A multiple-choice question with exactly one right option."""

    kind: Literal["mcq"]
    options: Annotated[list[Option], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)]
    explanation: Text
    # A shorter explanation for a quiz poll, where the full one does not fit.
    poll_explanation: PollText | None = None
    # A code-reading question: its snippet runs in the suite and its output is pinned (tests/bank/outputs).
    shows_output: StrictBool = False

    @model_validator(mode="after")
    def _one_correct(self) -> McqQuestion:
        right = sum(1 for o in self.options if o.correct)
        if right != 1:
            raise ValueError(f"an MCQ needs exactly one correct option, found {right}")
        texts = [o.text.casefold() for o in self.options]
        if len(set(texts)) != len(texts):
            raise ValueError("two options have the same text")
        return self

    @property
    def correct_index(self) -> int:
        """Index of the right option in bank order."""
        return next(i for i, o in enumerate(self.options) if o.correct)


class OpenQuestion(_QuestionBase):
    """An open question answered in the user's own words and self-graded."""

    kind: Literal["open"]
    model_answer: Text
    key_points: Annotated[list[KeyPoint], Field(min_length=2, max_length=6)]
    follow_ups: Annotated[list[FollowUp], Field(max_length=2)] = []

    @model_validator(mode="after")
    def _follow_ups_probe_a_point(self) -> OpenQuestion:
        for i, follow_up in enumerate(self.follow_ups):
            if follow_up.probes >= len(self.key_points):
                raise ValueError(f"follow_ups[{i}] probes key point {follow_up.probes}, which does not exist")
        return self


Question = Annotated[McqQuestion | OpenQuestion, Field(discriminator="kind")]

# Joins a parent's id and a follow-up's number; no slug holds it, so a follow-up's id never clashes with a question's.
FOLLOW_UP_SEPARATOR = "/"


def follow_up_question(parent: OpenQuestion, index: int) -> OpenQuestion:
    """Follow-up `index` of parent as an open question of the parent's level and topic, id `<parent>/<n>`."""
    f = parent.follow_ups[index]
    # Built without validation: a follow-up may have a single key point, fewer than a question needs.
    return OpenQuestion.model_construct(
        id=f"{parent.id}{FOLLOW_UP_SEPARATOR}{index + 1}",
        level=parent.level,
        topic=parent.topic,
        kind="open",
        prompt=f.prompt,
        references=parent.references,
        versions=parent.versions,
        checks=f.checks,
        code_runs=False,
        model_answer=f.model_answer,
        key_points=f.key_points,
        follow_ups=[],
    )


def follow_ups_of(questions: Iterable[McqQuestion | OpenQuestion]) -> list[OpenQuestion]:
    """Every follow-up of these questions as an open question (see follow_up_question), in bank order."""
    return [
        follow_up_question(q, i) for q in questions if isinstance(q, OpenQuestion) for i in range(len(q.follow_ups))
    ]


class _QuestionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[Question]


@dataclass(frozen=True)
class BankProblem:
    """One thing wrong with the bank, located by file and question id."""

    file: str
    qid: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.qid}: {self.message}"


class BankError(Exception):
    """The bank cannot be loaded; carries every problem found."""

    def __init__(self, problems: Sequence[BankProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Bank:
    """All questions, indexed by id, level and topic."""

    def __init__(self, questions: Iterable[McqQuestion | OpenQuestion], sources: dict[str, str] | None = None) -> None:
        self._by_id: dict[str, McqQuestion | OpenQuestion] = {}
        for q in questions:
            if q.id in self._by_id:
                raise ValueError(f"duplicate id {q.id}")
            self._by_id[q.id] = q
        self.sources: dict[str, str] = dict(sources or {})
        # A follow-up is asked under its own id `<parent>/<n>` (see follow_up_question); an interview that holds
        # one finds it with get(), while `in`, iteration and levels know only the bank's own questions.
        self._follow_ups: dict[str, OpenQuestion] = {f.id: f for f in follow_ups_of(self._by_id.values())}
        self._of_level: dict[tuple[Level, str | None], tuple[McqQuestion | OpenQuestion, ...]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[McqQuestion | OpenQuestion]:
        return iter(self._by_id.values())

    def __contains__(self, qid: object) -> bool:
        # Only the bank's own questions: a follow-up out of its interview (in /review, a push) lacks its context.
        return qid in self._by_id

    def get(self, qid: str) -> McqQuestion | OpenQuestion | None:
        """The question (or follow-up) with this id, or None if the bank no longer has it."""
        return self._by_id.get(qid) or self._follow_ups.get(qid)

    def __getitem__(self, qid: str) -> McqQuestion | OpenQuestion:
        found = self.get(qid)
        if found is None:
            raise KeyError(qid)
        return found

    def of_level(self, level: Level, kind: str | None = None) -> list[McqQuestion | OpenQuestion]:
        """Questions of one level, optionally of one kind, in bank order."""
        key = (level, kind)
        found = self._of_level.get(key)
        if found is None:  # the bank never changes once built: filter it once per (level, kind), not per call
            found = self._of_level[key] = tuple(
                q for q in self._by_id.values() if q.level == level and (kind is None or q.kind == kind)
            )
        return list(found)


# libyaml's loader is several times faster; fall back to the pure-Python one where it is missing.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _locate(raw: object, index: int) -> str:
    if isinstance(raw, dict):
        items = raw.get("questions")
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            return str(items[index].get("id", f"#{index + 1}"))
    return f"#{index + 1}"


def _parse_file(path: Path, root: Path) -> tuple[list[McqQuestion | OpenQuestion], list[BankProblem]]:
    name = str(path.relative_to(root))
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        return [], [BankProblem(name, "-", f"cannot read YAML: {exc}")]
    try:
        parsed = _QuestionFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            qid = _locate(raw, loc[1]) if len(loc) > 1 and isinstance(loc[1], int) else "-"
            where = ".".join(str(p) for p in loc[3:] if not isinstance(p, str) or p not in ("mcq", "open"))
            problems.append(BankProblem(name, qid, f"{where or 'question'}: {err['msg']}"))
        return [], problems
    return list(parsed.questions), []


def load_bank(folder: Path) -> Bank:
    """Load every `*.yaml` file under folder; raise BankError naming each bad file and id."""
    files = sorted(folder.rglob("*.yaml"))
    problems: list[BankProblem] = []
    questions: list[McqQuestion | OpenQuestion] = []
    sources: dict[str, str] = {}
    if not files:
        problems.append(BankProblem(str(folder), "-", "no question files (*.yaml) found"))
    for path in files:
        parsed, file_problems = _parse_file(path, folder)
        problems.extend(file_problems)
        for q in parsed:
            where = str(path.relative_to(folder))
            if q.id in sources:
                problems.append(BankProblem(where, q.id, f"duplicate id, first defined in {sources[q.id]}"))
                continue
            sources[q.id] = where
            questions.append(q)
    if problems:
        raise BankError(problems)
    return Bank(questions, sources)


_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def code_blocks(text: str, language: str = "python") -> list[str]:
    """The fenced code blocks of one language in a bank text."""
    return [m.group(2) for m in _FENCE.finditer(text) if m.group(1) == language]
