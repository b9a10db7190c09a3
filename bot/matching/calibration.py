"""Choose the matcher's thresholds honestly: by cross-validation over the knowledge base's own
example questions and out-of-scope examples, never on an evaluation set.

Every example question is classified by a model trained without it (k folds, stratified by
topic); the thresholds that best balance answering the held-out questions of the topics
and refusing the held-out out-of-scope ones are chosen on a grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

import numpy as np
from sklearn.model_selection import StratifiedKFold

from bot.content import KnowledgeBase
from bot.matching.examples import descriptions, questions
from bot.matching.model import OUT_OF_SCOPE, C, TopicModel

FOLDS = 5
GRID_ANSWER = tuple(np.round(np.arange(0.20, 0.81, 0.05), 2))
GRID_MARGIN = (0.0, 0.05, 0.10, 0.15, 0.20)


@dataclass(frozen=True)
class HeldOut:
    """Cross-validated probabilities: one row per held-out example question."""

    labels: list[str]  # the true label of each row (a topic id or OUT_OF_SCOPE)
    langs: list[str]
    texts: list[str]
    classes: list[str]  # the columns
    probabilities: np.ndarray

    def decide(self, answer: float, margin: float) -> list[str | None]:
        """Return the topic answered for each row under these thresholds (None: refused)."""
        topics = [i for i, c in enumerate(self.classes) if c != OUT_OF_SCOPE]
        scores = self.probabilities[:, topics]
        order = np.argsort(-scores, axis=1, kind="stable")
        rows = np.arange(len(scores))
        top, second = scores[rows, order[:, 0]], scores[rows, order[:, 1]]
        answered = (top >= answer) & (top - second >= margin)
        return [
            self.classes[topics[o]] if a else None
            for o, a in zip(order[:, 0], answered, strict=True)
        ]

    def rates(self, answer: float, margin: float) -> tuple[float, float]:
        """Return (share of topic questions answered right, share of out-of-scope refused)."""
        chosen = self.decide(answer, margin)
        right = [
            c == label
            for c, label in zip(chosen, self.labels, strict=True)
            if label != OUT_OF_SCOPE
        ]
        refused = [
            c is None for c, label in zip(chosen, self.labels, strict=True) if label == OUT_OF_SCOPE
        ]
        return float(np.mean(right)) if right else 0.0, float(np.mean(refused)) if refused else 0.0


def cross_validate(
    kb: KnowledgeBase, *, folds: int = FOLDS, seed: int = 0, c: float = C
) -> HeldOut:
    """Classify every example question with a model trained on the other folds."""
    held, always = questions(kb), descriptions(kb)
    labels = [label for label, _lang, _text in held]
    classes = sorted(set(labels) | {label for label, _text in always})
    probabilities = np.zeros((len(held), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        kept = [(held[i][0], held[i][2]) for i in train]
        model = TopicModel.train([*kept, *always], c=c)
        columns = [classes.index(c) for c in model.classes]
        probabilities[np.ix_(test, columns)] = model.probabilities([held[i][2] for i in test])
    langs = [lang for _label, lang, _text in held]
    texts = [text for _label, _lang, text in held]
    return HeldOut(labels, langs, texts, classes, probabilities)


def choose(
    held: HeldOut,
    *,
    answers: Iterable[float] = GRID_ANSWER,
    margins: Iterable[float] = GRID_MARGIN,
) -> tuple[float, float, float, float]:
    """Return (answer, margin, answered right, refused) with the best mean of the two rates.

    Ties go to the stricter thresholds: refusing is the safer mistake for a prosecutor's bot.
    """
    best: tuple[float, float, float, float] | None = None
    for answer, margin in product(answers, margins):
        right, refused = held.rates(answer, margin)
        if best is None or (right + refused) / 2 >= (best[2] + best[3]) / 2 - 1e-9:
            best = (float(answer), float(margin), right, refused)
    assert best is not None
    return best
