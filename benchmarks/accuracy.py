"""Accuracy of the matcher next to two plain baselines that learn from the same examples:
the nearest example question by TF-IDF character 2–4-grams (cosine), and by rapidfuzz WRatio.
Each baseline refuses below a similarity threshold, which — like the matcher's — is chosen
by cross-validation over the knowledge base's own questions and out-of-scope examples.

1. The knowledge base's held-out split: every example question (and out-of-scope example) is
   classified by models built without it (5 folds).
2. Any question sets given (`lang<TAB>expected<TAB>text`), as written and with one or two typos
   in each question (seeded, the same for every contender).

    python benchmarks/accuracy.py benchmarks/data/heldout-a.tsv benchmarks/data/heldout-b.tsv
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold

from bot.knowledge.loader import load_knowledge_base
from bot.matching.calibration import FOLDS, cross_validate, misspell, rates
from bot.matching.evaluation import Case, Prediction, evaluate, read_cases
from bot.matching.examples import descriptions, questions
from bot.matching.matcher import Matcher, Thresholds
from bot.matching.model import OUT_OF_SCOPE
from bot.matching.text import clean, fold

Scorer = Callable[[Sequence[str]], tuple[list[str], np.ndarray]]  # texts → best labels, scores


def tfidf_nearest(examples: Sequence[tuple[str, str]]) -> Scorer:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectorizer.fit_transform([clean(text) for _label, text in examples])
    labels = [label for label, _text in examples]

    def score(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        similarity = (vectorizer.transform([clean(t) for t in texts]) @ matrix.T).toarray()
        best = similarity.argmax(axis=1)
        return [labels[i] for i in best], similarity[np.arange(len(texts)), best]

    return score


def wratio_nearest(examples: Sequence[tuple[str, str]]) -> Scorer:
    choices = [clean(text) for _label, text in examples]
    labels = [label for label, _text in examples]

    def score(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        found = [process.extractOne(clean(t), choices, scorer=fuzz.WRatio) for t in texts]
        best = [labels[f[2]] if f else OUT_OF_SCOPE for f in found]
        return best, np.array([f[1] / 100 if f else 0.0 for f in found])

    return score


BASELINES: dict[str, Callable[[Sequence[tuple[str, str]]], Scorer]] = {
    "TF-IDF char 2-4 nearest example": tfidf_nearest,
    "WRatio nearest example": wratio_nearest,
}


def decide(best: list[str], scores: np.ndarray, threshold: float) -> list[str | None]:
    pairs = zip(best, scores, strict=True)
    return [b if s >= threshold and b != OUT_OF_SCOPE else None for b, s in pairs]


def baseline_split(kb, make: Callable[[Sequence[tuple[str, str]]], Scorer]):
    """Cross-validate a baseline; return (threshold, right, refused) at its best threshold."""
    held, always = questions(kb), descriptions(kb)
    labels = [label for label, _lang, _text in held]
    best: list[str] = [""] * len(held)
    scores = np.zeros(len(held))
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        score = make([(held[i][0], held[i][2]) for i in train] + always)
        found, values = score([held[i][2] for i in test])
        for i, label, value in zip(test, found, values, strict=True):
            best[i], scores[i] = label, value
    grid = [(t, *rates(decide(best, scores, t), labels)) for t in np.arange(0.0, 1.0, 0.01)]
    return max(grid, key=lambda row: row[1] + row[2])


def with_typos(cases: list[Case], seed: int = 3) -> list[Case]:
    """The same questions with one or two letters dropped, doubled or swapped."""
    rng = random.Random(seed)
    return [Case(c.lang, c.expected, misspell(c.text, rng), c.line) for c in cases]


def pct(pair: tuple[int, int]) -> str:
    return f"{100 * pair[0] / pair[1]:6.1f}%" if pair[1] else "    n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    kb = load_knowledge_base()
    th = Thresholds()
    print("1. The knowledge base's held-out split (5 folds; thresholds by the same folds)")
    print(f"   {'':34} {'threshold':>9} {'topics right':>12} {'refused':>8}")
    held = cross_validate(kb)
    right, refused = held.rates(th)
    print(f"   {'zanbot matcher':34} {th.answer:>9.2f} {right:>12.1%} {refused:>8.1%}")
    thresholds = {}
    for name, make in BASELINES.items():
        threshold, right, refused = baseline_split(kb, make)
        thresholds[name] = threshold
        print(f"   {name:34} {threshold:>9.2f} {right:>12.1%} {refused:>8.1%}")
    if not args.files:
        return
    matcher = Matcher.from_knowledge_base(kb)
    examples = [(label, text) for label, _lang, text in questions(kb)] + descriptions(kb)
    contenders: dict[str, Callable[[str], Prediction]] = {
        "zanbot matcher": lambda text: (lambda m: Prediction(m.topic, m.lang, m.decision))(
            matcher.match(text)
        ),
    }
    for name, make in BASELINES.items():
        score = make(examples)

        def predict(text: str, score: Scorer = score, name: str = name) -> Prediction:
            (best,), (value,) = score([text])
            chosen = decide([best], np.array([value]), thresholds[name])[0]
            return Prediction(chosen, "", "answer" if chosen else "unknown")

        contenders[name] = predict
    seen = {fold(text) for _label, _lang, text in questions(kb)}
    print("\n2. Question sets (top-1: the right topic, or refused when none is right)")
    print(f"   {'':34} {'top-1':>7} {'ru':>7} {'kk':>7} {'in-scope':>9} {'refused':>8}")
    for path in args.files:
        cases = read_cases(path)
        # Short questions ("214-2 бап") are often written the same way in the content too.
        unseen = [c for c in cases if fold(c.text) not in seen]
        subsets = (
            (path, cases),
            ("  only those not in the content", unseen),
            ("  with 1-2 typos", with_typos(cases)),
        )
        for label, subset in subsets:
            print(f"   {label} ({len(subset)} questions)")
            for name, predict in contenders.items():
                report = evaluate(subset, predict)
                print(
                    f"   {name:34} {pct(report.accuracy())} {pct(report.accuracy(lang='ru'))} "
                    f"{pct(report.accuracy(lang='kk'))} {pct(report.accuracy(in_scope=True)):>9} "
                    f"{pct(report.accuracy(in_scope=False)):>8}"
                )


if __name__ == "__main__":
    main()
