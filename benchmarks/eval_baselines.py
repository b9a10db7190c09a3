"""Accuracy of the matcher next to two plain baselines built from the same example questions:
the rapidfuzz WRatio nearest example question, and a TF-IDF character 2-4-gram nearest
example question (cosine). Both baselines always pick a topic (they cannot refuse).

    python benchmarks/eval_baselines.py ../shared/eval/dev.tsv
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Callable

from rapidfuzz import fuzz, process

from bot.evaluation import evaluate, read_cases
from bot.library import Library
from bot.text import clean

Predict = Callable[[str], tuple[str | None, str, str]]


def wratio_baseline(examples: list[tuple[str, str]]) -> Predict:
    choices = [clean(q) for _, q in examples]

    def predict(text: str) -> tuple[str | None, str, str]:
        best = process.extractOne(clean(text), choices, scorer=fuzz.WRatio)
        return (examples[best[2]][0] if best else None), "ru", "answer"

    return predict


def ngram_baseline(examples: list[tuple[str, str]]) -> Predict:
    def grams(text: str) -> Counter[str]:
        padded = f" {clean(text)} "
        return Counter(padded[i : i + n] for n in (2, 3, 4) for i in range(len(padded) - n + 1))

    docs = [grams(q) for _, q in examples]
    df = Counter(g for d in docs for g in d)
    idf = {g: math.log((1 + len(docs)) / (1 + c)) + 1 for g, c in df.items()}

    def vector(counts: Counter[str]) -> dict[str, float]:
        vec = {g: c * idf.get(g, 0.0) for g, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    vectors = [vector(d) for d in docs]

    def predict(text: str) -> tuple[str | None, str, str]:
        query = vector(grams(text))
        scores = [sum(w * v.get(g, 0.0) for g, w in query.items()) for v in vectors]
        best = max(range(len(scores)), key=scores.__getitem__)
        return examples[best][0], "ru", "answer"

    return predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file")
    args = parser.parse_args()
    library = Library()
    cases = read_cases(args.file)
    examples = [(t.id, q) for t in library.kb for q in t.questions]

    def zanbot(text: str) -> tuple[str | None, str, str]:
        match = library.matcher.match(text)
        return match.topic, match.lang, match.decision

    rows = [
        ("zanbot matcher", zanbot),
        ("WRatio nearest example", wratio_baseline(examples)),
        ("TF-IDF char 2-4 nearest example", ngram_baseline(examples)),
    ]
    print(f"{len(cases)} questions, {len(examples)} example questions in the knowledge base")
    print(f"{'':34} {'top-1':>7} {'ru':>7} {'kk':>7} {'in-scope':>9} {'refused':>8}")
    for name, predict in rows:
        report = evaluate(cases, predict)

        def pct(pair: tuple[int, int]) -> str:
            return f"{100 * pair[0] / pair[1]:6.1f}%" if pair[1] else "    n/a"

        print(
            f"{name:34} {pct(report.accuracy())} {pct(report.accuracy(lang='ru'))} "
            f"{pct(report.accuracy(lang='kk'))} {pct(report.accuracy(in_scope=True)):>9} "
            f"{pct(report.accuracy(in_scope=False)):>8}"
        )


if __name__ == "__main__":
    main()
