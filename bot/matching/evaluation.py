"""Measure the matcher on a TSV of questions: `lang<TAB>expected ids|…<TAB>text`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

NONE = "none"
BINS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # edges of the confidence table


class Prediction(NamedTuple):
    """What a matcher did with one question, and its best topic whether answered or not."""

    topic: str | None  # the topic answered, None when none was picked
    lang: str
    decision: str
    best: str | None = None  # the most probable topic
    confidence: float = 0.0  # its probability


@dataclass(frozen=True)
class Case:
    lang: str
    expected: frozenset[str]  # {"none"}: no topic may be chosen
    text: str
    line: int

    @property
    def in_scope(self) -> bool:
        return NONE not in self.expected


@dataclass(frozen=True)
class Outcome:
    case: Case
    topic: str | None
    lang: str
    decision: str
    best: str | None = None
    confidence: float = 0.0

    @property
    def correct(self) -> bool:
        if self.case.in_scope:
            return self.topic in self.case.expected
        return self.topic is None


@dataclass
class Evaluation:
    outcomes: list[Outcome] = field(default_factory=list)

    @staticmethod
    def _share(items: list[Outcome], good: Callable[[Outcome], bool]) -> tuple[int, int]:
        return sum(1 for o in items if good(o)), len(items)

    def accuracy(self, *, lang: str | None = None, in_scope: bool | None = None) -> tuple[int, int]:
        items = [
            o
            for o in self.outcomes
            if (lang is None or o.case.lang == lang)
            and (in_scope is None or o.case.in_scope == in_scope)
        ]
        return self._share(items, lambda o: o.correct)

    def language_accuracy(self) -> tuple[int, int]:
        return self._share(self.outcomes, lambda o: o.lang == o.case.lang)

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]

    def format(self, *, show_misses: bool = True) -> str:
        def pct(pair: tuple[int, int]) -> str:
            good, total = pair
            return f"{100 * good / total:5.1f}% ({good}/{total})" if total else "   n/a"

        langs = sorted({o.case.lang for o in self.outcomes})
        lines = [f"top-1 accuracy overall:     {pct(self.accuracy())}"]
        lines += [
            f"top-1 accuracy {lang}:          {pct(self.accuracy(lang=lang))}" for lang in langs
        ]
        lines += [
            f"in-scope top-1 accuracy:    {pct(self.accuracy(in_scope=True))}",
            f"out-of-scope refused:       {pct(self.accuracy(in_scope=False))}",
            f"language detection:         {pct(self.language_accuracy())}",
        ]
        lines += self.confidence_table()
        if show_misses and self.misses:
            lines.append(f"misses ({len(self.misses)}):")
            for o in self.misses:
                expected = "|".join(sorted(o.case.expected))
                lines.append(
                    f"  line {o.case.line} [{o.case.lang}→{o.lang}] {o.case.text!r}: "
                    f"expected {expected}, got {o.topic or NONE} ({o.decision})"
                )
        return "\n".join(lines)

    def confidence_table(self) -> list[str]:
        """Lines of a table: by the best topic's probability, how often it is right."""
        lines = [
            "confidence of the best topic, and how often it is right (the threshold answers "
            "from its row on):",
            f"  {'probability':<12} {'questions':>9} {'in scope':>9} {'best right':>11} "
            f"{'out of scope':>13}",
        ]
        for low, high in pairwise(BINS):
            inside = [
                o for o in self.outcomes
                if low <= o.confidence < high or (high == BINS[-1] and o.confidence == high)
            ]  # fmt: skip
            scoped = [o for o in inside if o.case.in_scope]
            right = sum(1 for o in scoped if o.best in o.case.expected)
            share = f"{100 * right / len(scoped):5.1f}%" if scoped else "    -"
            lines.append(
                f"  {low:.1f}–{high:.1f}      {len(inside):>9} {len(scoped):>9} {share:>11} "
                f"{len(inside) - len(scoped):>13}"
            )
        return lines


def read_cases(path: Path | str) -> list[Case]:
    """Read an evaluation TSV; lines starting with # are comments."""
    cases = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected 3 tab-separated columns")
        lang, expected, text = parts
        cases.append(Case(lang.strip(), frozenset(expected.strip().split("|")), text, number))
    return cases


def evaluate(cases: Iterable[Case], predict: Callable[[str], Prediction]) -> Evaluation:
    """Run `predict` over every case."""
    report = Evaluation()
    for case in cases:
        report.outcomes.append(Outcome(case, *predict(case.text)))
    return report
