"""Choose the matcher's thresholds honestly: by cross-validation over the knowledge base's own
example questions and out-of-scope examples, never on an evaluation set.

Every example question is classified by a model trained without it (k folds, stratified by
topic); on a grid, the thresholds are chosen that answer the most held-out topic questions
right less those answered wrong, while refusing at least REFUSE of the held-out
out-of-scope ones.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

import numpy as np
from sklearn.model_selection import StratifiedKFold

from bot.knowledge.topics import KnowledgeBase
from bot.matching.examples import descriptions, questions
from bot.matching.matcher import Thresholds
from bot.matching.model import OUT_OF_SCOPE, C, TopicModel

FOLDS = 5
GRID_ANSWER = tuple(np.round(np.arange(0.20, 0.801, 0.025), 3))
# A near tie between two topics always asks "did you mean": no margin below 0.05 is tried.
GRID_MARGIN = (0.05, 0.10, 0.15, 0.20)
GRID_RATIO = (0.0, 1.0, 1.5, 2.0, 3.0)
# A wrong article is the worst answer a prosecutor's bot can give: refuse at least this share
# of the out-of-scope questions, and answer as many others right as that allows, each topic
# question answered with another topic taking one off ("did you mean" still shows the right
# topic; a wrong answer misinforms).
REFUSE = 0.95
WRONG_COST = 1.0


@dataclass(frozen=True)
class HeldOut:
    """Cross-validated probabilities: one row per held-out example question."""

    labels: list[str]  # the true label of each row (a topic id or OUT_OF_SCOPE)
    langs: list[str]
    texts: list[str]
    classes: list[str]  # the columns
    probabilities: np.ndarray

    def decide(self, thresholds: Thresholds) -> list[str | None]:
        """Return the topic answered for each row under these thresholds (None: refused)."""
        topics = [i for i, c in enumerate(self.classes) if c != OUT_OF_SCOPE]
        scores = self.probabilities[:, topics]
        order = np.argsort(-scores, axis=1, kind="stable")
        rows = np.arange(len(scores))
        top, second = scores[rows, order[:, 0]], scores[rows, order[:, 1]]
        outside = (
            self.probabilities[:, self.classes.index(OUT_OF_SCOPE)]
            if OUT_OF_SCOPE in self.classes
            else np.zeros(len(scores))
        )
        answered = thresholds.sure(top, second, outside)
        return [
            self.classes[topics[o]] if a else None
            for o, a in zip(order[:, 0], answered, strict=True)
        ]

    def rates(self, thresholds: Thresholds) -> tuple[float, float]:
        """Return (share of topic questions answered right, share of out-of-scope refused)."""
        return rates(self.decide(thresholds), self.labels)

    def subset(self, lang: str) -> HeldOut:
        """Return the rows of one language."""
        rows = [i for i, x in enumerate(self.langs) if x == lang]
        return HeldOut(
            [self.labels[i] for i in rows], [lang] * len(rows), [self.texts[i] for i in rows],
            self.classes, self.probabilities[rows],
        )  # fmt: skip


def wrong(chosen: list[str | None], labels: list[str]) -> float:
    """Return the share of topic questions answered with another topic."""
    pairs = [(c, label) for c, label in zip(chosen, labels, strict=True) if label != OUT_OF_SCOPE]
    return float(np.mean([c is not None and c != label for c, label in pairs])) if pairs else 0.0


def rates(chosen: list[str | None], labels: list[str]) -> tuple[float, float]:
    """Return (share of topic questions answered with their topic, share of out-of-scope
    questions refused), for the topics `chosen` (None: refused) of questions of `labels`."""
    pairs = list(zip(chosen, labels, strict=True))
    right = [c == label for c, label in pairs if label != OUT_OF_SCOPE]
    refused = [c is None for c, label in pairs if label == OUT_OF_SCOPE]
    return float(np.mean(right)) if right else 0.0, float(np.mean(refused)) if refused else 0.0


def misspell(text: str, rng: random.Random) -> str:
    """Drop, double or swap a letter inside a word, once or twice, as people do on phones."""
    for _ in range(rng.choice((1, 2))):
        letters = [i for i, ch in enumerate(text) if ch.isalpha()]
        if len(letters) < 4:
            break
        i = rng.choice(letters[1:-1])
        kind = rng.choice(("drop", "double", "swap"))
        if kind == "drop":
            text = text[:i] + text[i + 1 :]
        elif kind == "double":
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    return text


def cross_validate(
    kb: KnowledgeBase, *, folds: int = FOLDS, seed: int = 0, c: float = C, typos: bool = False
) -> HeldOut:
    """Classify every example question with a model trained on the other folds (`typos`:
    the held-out questions with one or two typos each)."""
    held, always = questions(kb), descriptions(kb)
    labels = [label for label, _lang, _text in held]
    rng = random.Random(seed)
    texts = [misspell(text, rng) if typos else text for _label, _lang, text in held]
    classes = sorted(set(labels) | {label for label, _text in always})
    probabilities = np.zeros((len(held), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        kept = [(held[i][0], held[i][2]) for i in train]
        model = TopicModel.train([*kept, *always], c=c)
        columns = [classes.index(c) for c in model.classes]
        probabilities[np.ix_(test, columns)] = model.probabilities([texts[i] for i in test])
    langs = [lang for _label, lang, _text in held]
    return HeldOut(labels, langs, texts, classes, probabilities)


def choose(
    held: HeldOut,
    *,
    answers: Iterable[float] = GRID_ANSWER,
    margins: Iterable[float] = GRID_MARGIN,
    ratios: Iterable[float] = GRID_RATIO,
    refuse: float = REFUSE,
    wrong_cost: float = WRONG_COST,
) -> tuple[Thresholds, float, float]:
    """Return (thresholds, answered right, refused): the thresholds that score best, answered
    right minus `wrong_cost` × answered wrong, while refusing at least `refuse` of the
    out-of-scope questions (if none does, the best mean of right and refused). Ties go to
    the stricter thresholds."""
    rows = []
    for a, m, r in product(answers, margins, ratios):
        thresholds = Thresholds(float(a), float(m), float(r))
        chosen = held.decide(thresholds)
        right, refused = rates(chosen, held.labels)
        rows.append((thresholds, right, refused, right - wrong_cost * wrong(chosen, held.labels)))
    safe = [row for row in rows if row[2] >= refuse]
    if safe:
        best = max(reversed(safe), key=lambda row: row[3])
    else:
        best = max(reversed(rows), key=lambda row: row[1] + row[2])
    return best[0], best[1], best[2]
