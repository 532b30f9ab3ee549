"""Grader benchmark: keyword match (before), the offline grader, and the LLM grader when LLM_BASE_URL is set.

Usage: python bench/grader_eval.py [--split dev|holdout|all] [--without FEATURE ...] [--no-llm] [--fake-llm] [--json]

Scores every labelled answer of bench/grader_set/ and reports, per answer kind and per split: the mean
predicted and labelled score, band accuracy (good >= 0.7, partial, poor < 0.3), false credit (a poor answer
scored >= 0.5), missed credit (a good answer scored < 0.5) and the Spearman rank correlation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.bank import Bank, KeyPoint, OpenQuestion, load_bank  # noqa: E402
from bot.domain.grader import Verdict, score_of  # noqa: E402
from bot.domain.offline_grader import FEATURES, OfflineGrader  # noqa: E402

SET_DIR = ROOT / "bench" / "grader_set"
KINDS = ("correct", "partial", "wrong", "vague", "injection", "salad", "correct+typos")
GOOD, POOR = 0.7, 0.3
_LETTER = {"C": Verdict.COVERED, "P": Verdict.PARTLY, "M": Verdict.MISSING}


@dataclass(frozen=True)
class Labelled:
    """One learner answer with a strict interviewer's labels."""

    split: str
    qid: str
    kind: str
    text: str
    verdicts: tuple[Verdict, ...]
    wrong: tuple[str, ...]

    @property
    def score(self) -> float:
        """The labelled score, by the rule the graders use."""
        return score_of(self.verdicts, len(self.wrong))


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
    keys = [loader.construct_object(k) for k, _ in node.value]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate keys {sorted(map(str, dup))} at line {node.start_mark.line + 1}")
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_set(bank: Bank, folder: Path = SET_DIR) -> list[Labelled]:
    """Every labelled answer; raises ValueError on a label that does not fit its question."""
    found: list[Labelled] = []
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
        split = raw["split"]
        for qid, answers in raw["questions"].items():
            q = bank.get(qid)
            if not isinstance(q, OpenQuestion):
                raise ValueError(f"{path.name}: {qid} is not an open question of the bank")
            for a in answers:
                letters = a["points"]
                if len(letters) != len(q.key_points) or set(letters) - set(_LETTER):
                    raise ValueError(f"{path.name}: {qid}: points {letters!r} do not fit {len(q.key_points)} points")
                if a["kind"] not in KINDS:
                    raise ValueError(f"{path.name}: {qid}: unknown kind {a['kind']!r}")
                verdicts = tuple(_LETTER[c] for c in letters)
                found.append(Labelled(split, qid, a["kind"], a["text"], verdicts, tuple(a.get("wrong", []))))
    held = {x.qid for x in found if x.split == "holdout" and x.kind not in ("injection", "salad")}
    tuned = {x.qid for x in found if x.split == "dev"}
    if held & tuned:
        raise ValueError(f"questions in both parts: {sorted(held & tuned)}")
    return found


# --- The before: keyword match exactly as bot/domain/grading.py had it before issue 23, frozen here. ---


def _old_normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " " + re.sub(r"[^\w@.]+", " ", folded).strip() + " "


def _old_covered_points(points: Sequence[KeyPoint], answer: str) -> list[bool]:
    text = _old_normalise(answer)
    result = []
    for kp in points:
        words = (_old_normalise(w).rstrip() for w in kp.keywords)
        result.append(any(w.strip() and w in text for w in words))
    return result


def keyword_score(question: OpenQuestion, answer: str) -> float:
    """The before: the share of key points with a keyword at a word start."""
    hits = _old_covered_points(question.key_points, answer)
    return sum(hits) / len(hits)


# --- Typos: the correct answers again, with the slips people make when typing fast ---


def with_typos(text: str, seed: int, rate: float = 0.15) -> str:
    """text with about `rate` of its words of 6+ letters mistyped (a swap, a dropped or a doubled letter)."""
    rng = random.Random(seed)

    def slip(m: re.Match[str]) -> str:
        word = m.group()
        if rng.random() >= rate:
            return word
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("swap", "drop", "double"))
        if kind == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if kind == "drop":
            return word[:i] + word[i + 1 :]
        return word[:i] + word[i] + word[i:]

    return re.sub(r"\b[A-Za-z]{6,}\b", slip, text)


def typo_variant(items: Sequence[Labelled]) -> list[Labelled]:
    """The correct answers with typos, labelled as before: an interviewer reads through a typo."""
    return [
        Labelled(x.split, x.qid, "correct+typos", with_typos(x.text, i), x.verdicts, x.wrong)
        for i, x in enumerate(items)
        if x.kind == "correct"
    ]


# --- Metrics ---


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rho with average ranks for ties (Pearson on the ranks); nan when a side is constant."""
    if len(xs) < 2:
        return math.nan
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else math.nan


def band(score: float) -> str:
    """good (>= 0.7), partial, or poor (< 0.3)."""
    return "good" if score >= GOOD else "poor" if score < POOR else "partial"


@dataclass
class Figures:
    """The benchmark's figures for one group of answers."""

    n: int
    mean_pred: float
    mean_label: float
    band_accuracy: float
    false_credit: float | None  # share of poor answers scored >= 0.5
    missed_credit: float | None  # share of good answers scored < 0.5
    spearman: float
    at_least_half: float  # share scored >= 0.5
    below_poor: float  # share scored < 0.3
    extra: dict[str, float] = field(default_factory=dict)


def figures(items: Sequence[Labelled], preds: Sequence[float]) -> Figures:
    """Compute every figure for answers and their predicted scores."""
    labels = [x.score for x in items]
    n = len(items)
    poor = [p for x, p in zip(items, preds, strict=True) if band(x.score) == "poor"]
    good = [p for x, p in zip(items, preds, strict=True) if band(x.score) == "good"]
    return Figures(
        n=n,
        mean_pred=sum(preds) / n,
        mean_label=sum(labels) / n,
        band_accuracy=sum(band(p) == band(x.score) for x, p in zip(items, preds, strict=True)) / n,
        false_credit=sum(p >= 0.5 for p in poor) / len(poor) if poor else None,
        missed_credit=sum(p < 0.5 for p in good) / len(good) if good else None,
        spearman=spearman(labels, preds),
        at_least_half=sum(p >= 0.5 for p in preds) / n,
        below_poor=sum(p < POOR for p in preds) / n,
    )


@dataclass
class Goal:
    """One goal of issue 23 for the offline grader."""

    name: str
    value: float
    target: str
    met: bool


def goals(items: Sequence[Labelled], preds: Sequence[float]) -> list[Goal]:
    """The issue's goals for the offline grader, measured on these answers."""
    overall = figures(items, preds)
    by_kind = {k: [p for x, p in zip(items, preds, strict=True) if x.kind == k] for k in KINDS}
    wrong = by_kind["wrong"]
    correct = by_kind["correct"]
    attacks = by_kind["injection"] + by_kind["salad"]
    fc = overall.false_credit if overall.false_credit is not None else 0.0
    wrong_credit = sum(p >= 0.5 for p in wrong) / len(wrong) if wrong else 0.0
    correct_credit = sum(p >= 0.5 for p in correct) / len(correct) if correct else 1.0
    attacks_max = max(attacks, default=0.0)
    return [
        Goal("false credit on poor answers", fc, "<= 30%", fc <= 0.30),
        Goal("wrong answers (right vocabulary) scored >= 0.5", wrong_credit, "<= 40%", wrong_credit <= 0.40),
        Goal("correct answers scored >= 0.5", correct_credit, ">= 75%", correct_credit >= 0.75),
        Goal("band accuracy", overall.band_accuracy, ">= 65%", overall.band_accuracy >= 0.65),
        Goal("Spearman with labels", overall.spearman, ">= 0.5", overall.spearman >= 0.5),
        Goal("highest score of salad and injections", attacks_max, "< 0.3", attacks_max < 0.3),
    ]


# --- Running graders ---

Scorer = Callable[[OpenQuestion, str], Awaitable[float]]


async def run(bank: Bank, items: Sequence[Labelled], scorer: Scorer) -> list[float]:
    """Score every answer with one grader."""
    out = []
    for x in items:
        q = bank[x.qid]
        assert isinstance(q, OpenQuestion)
        out.append(await scorer(q, x.text))
    return out


def keyword_scorer() -> Scorer:
    """The before."""

    async def score(q: OpenQuestion, text: str) -> float:
        return keyword_score(q, text)

    return score


def offline_scorer(features: frozenset[str] = FEATURES) -> Scorer:
    """The offline grader with these features."""
    grader = OfflineGrader(features)

    async def score(q: OpenQuestion, text: str) -> float:
        return grader.grade_now(q, text).score

    return score


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def report(name: str, items: Sequence[Labelled], preds: Sequence[float]) -> str:
    """A markdown table: one row per kind, then all answers."""
    rows = []
    for kind in (*KINDS, "all"):
        idx = [i for i, x in enumerate(items) if kind == "all" or x.kind == kind]
        if not idx:
            continue
        f = figures([items[i] for i in idx], [preds[i] for i in idx])
        rows.append(
            f"| {kind} | {f.n} | {f.mean_pred:.2f} | {f.mean_label:.2f} | {_pct(f.band_accuracy)} | "
            f"{_pct(f.false_credit)} | {_pct(f.missed_credit)} | {_pct(f.at_least_half)} | "
            f"{'–' if math.isnan(f.spearman) else f'{f.spearman:.2f}'} |"
        )
    head = (
        f"**{name}**\n\n| kind | n | mean predicted | mean labelled | band accuracy | false credit | "
        "missed credit | scored ≥ 0.5 | Spearman |\n|---|---|---|---|---|---|---|---|---|"
    )
    return head + "\n" + "\n".join(rows)


def goals_table(rows: dict[str, list[Goal]]) -> str:
    """Goals per grader/part, as markdown."""
    names = list(rows)
    out = ["| goal | target | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    first = rows[names[0]]
    for i, g in enumerate(first):
        cells = []
        for n in names:
            goal = rows[n][i]
            value = f"{goal.value:.2f}" if "Spearman" in goal.name or "highest" in goal.name else _pct(goal.value)
            cells.append(f"{value} {'✓' if goal.met else '✗'}")
        out.append(f"| {g.name} | {g.target} | " + " | ".join(cells) + " |")
    return "\n".join(out)


async def evaluate(
    bank: Bank, items: Sequence[Labelled], llm: Scorer | None = None, features: frozenset[str] = FEATURES
) -> dict[str, list[float]]:
    """Predicted scores per grader name."""
    preds = {"keyword (before)": await run(bank, items, keyword_scorer())}
    preds["offline"] = await run(bank, items, offline_scorer(features))
    if llm is not None:
        preds["llm"] = await run(bank, items, llm)
    return preds


@dataclass
class PromptSize:
    """What the LLM grader sent per answer, measured on the prompts a fake endpoint recorded."""

    requests: int
    mean_chars: float
    max_chars: int

    @property
    def mean_tokens(self) -> float:
        """Tokens per request, estimated at 4 characters a token (English text with code)."""
        return self.mean_chars / 4


async def with_fake_llm(bank: Bank, items: Sequence[Labelled]) -> tuple[list[float], PromptSize]:
    """Run the LLM grader on every answer against the loopback fake of tests/fake_llm.py (plumbing only)."""
    from bot.config import Settings
    from bot.services.llm_grader import build_grader
    from tests.fake_llm import FakeLlm

    fake = FakeLlm()
    await fake.start()
    grader = build_grader(Settings(_env_file=None, llm_base_url=fake.base_url, llm_model="fake"))
    try:

        async def score(q: OpenQuestion, text: str) -> float:
            grade = await grader.grade(q, text)
            if grade.grader != "llm":
                raise RuntimeError(f"the fake LLM did not grade {q.id}")
            return grade.score

        preds = await run(bank, items, score)
    finally:
        await grader.aclose()
        await fake.stop()
    sizes = [sum(len(m["content"]) for m in r["messages"]) for r in fake.requests]
    return preds, PromptSize(len(sizes), sum(sizes) / len(sizes), max(sizes))


def _llm_scorer_from_env() -> tuple[Scorer, Callable[[], Awaitable[None]]] | None:
    from bot.config import load_settings
    from bot.services.llm_grader import build_grader

    settings = load_settings()
    if settings.llm_base_url is None:
        return None
    grader = build_grader(settings)

    async def score(q: OpenQuestion, text: str) -> float:
        return (await grader.grade(q, text)).score

    return score, grader.aclose


async def _typo_rows(bank: Bank, part: Sequence[Labelled], features: frozenset[str]) -> list[str]:
    typos = typo_variant(part)
    rows = []
    for name, scorer in (
        ("keyword (before)", keyword_scorer()),
        ("offline", offline_scorer(features)),
        ("offline without fuzzy", offline_scorer(features - {"fuzzy"})),
    ):
        clean = await run(bank, [x for x in part if x.kind == "correct"], scorer)
        slipped = await run(bank, typos, scorer)
        rows.append(
            f"| {name} | {_pct(sum(p >= 0.5 for p in clean) / len(clean))} | "
            f"{_pct(sum(p >= 0.5 for p in slipped) / len(slipped))} | "
            f"{sum(clean) / len(clean):.2f} → {sum(slipped) / len(slipped):.2f} |"
        )
    return rows


async def _main(args: argparse.Namespace) -> int:
    bank = load_bank(ROOT / "questions")
    items = load_set(bank)
    features = FEATURES - set(args.without)
    llm = None if args.no_llm else _llm_scorer_from_env()
    out: dict[str, object] = {}
    sections = []
    goal_rows: dict[str, list[Goal]] = {}
    typo_rows = []
    notes = []
    try:
        for split in ("dev", "holdout") if args.split == "all" else (args.split,):
            part = [x for x in items if x.split == split]
            preds = await evaluate(bank, part, llm[0] if llm else None, features)
            if args.fake_llm:
                preds["llm (fake endpoint: plumbing only)"], size = await with_fake_llm(bank, part)
                notes.append(
                    f"LLM prompts recorded by the fake, {split}: {size.requests} requests, "
                    f"{size.mean_chars:.0f} characters on average (max {size.max_chars}), "
                    f"about {size.mean_tokens:.0f} tokens at 4 characters a token"
                )
            for name, p in preds.items():
                sections.append(report(f"{name}, {split} ({len(part)} answers)", part, p))
                goal_rows[f"{name}, {split}"] = goals(part, p)
            out[split] = {name: figures(part, p).__dict__ for name, p in preds.items()}
            typo_rows += [f"| {split} " + row for row in await _typo_rows(bank, part, features)]
    finally:
        if llm is not None:
            await llm[1]()
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return 0
    typo_table = (
        "**Correct answers with typos** (15% of words of 6+ letters mistyped, seeded): scored ≥ 0.5\n\n"
        "| part | grader | as written | with typos | mean score |\n|---|---|---|---|---|\n" + "\n".join(typo_rows)
    )
    print("\n\n".join([goals_table(goal_rows), typo_table, *sections, *notes]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "holdout", "all"), default="all")
    parser.add_argument("--without", nargs="*", default=[], choices=sorted(FEATURES), help="features to switch off")
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM grader even when LLM_BASE_URL is set")
    parser.add_argument(
        "--fake-llm",
        action="store_true",
        help="also run the LLM grader against tests/fake_llm.py (plumbing, prompt size)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
