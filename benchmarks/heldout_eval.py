"""Generalisation of the matcher on questions it has never seen: hold out a share of every
topic's example questions, build the matcher from the rest, and measure top-1 accuracy on the
held-out ones (several random splits). Complements `zanbot eval` on the dev set.

    python benchmarks/heldout_eval.py [--share 0.2] [--splits 3]
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict

from bot.library import Library
from bot.matcher import Matcher


def split_accuracy(library: Library, share: float, seed: int) -> dict[str, tuple[int, int]]:
    rng = random.Random(seed)
    entries, held, samples = [], [], defaultdict(list)
    for topic in library.kb:
        questions = list(topic.questions)
        rng.shuffle(questions)
        cut = max(1, int(len(questions) * share))
        held += [(topic.id, topic.lang, q) for q in questions[:cut]]
        kept = questions[cut:]
        entries += [(topic.id, q) for q in [*kept, topic.title, *topic.keywords]]
        samples[topic.lang] += kept
    base = library.matcher
    matcher = Matcher(entries, detector=type(base.detector)(samples),
                      articles_index=base.articles_index)  # fmt: skip
    result: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for topic_id, lang, question in held:
        good = matcher.match(question).topic == topic_id
        for key in ("all", lang):
            ok, n = result[key]
            result[key] = (ok + good, n + 1)
    return dict(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--splits", type=int, default=3)
    args = parser.parse_args()
    library = Library()
    totals: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for seed in range(args.splits):
        for key, (ok, n) in split_accuracy(library, args.share, seed).items():
            totals[key] = (totals[key][0] + ok, totals[key][1] + n)
    for key in ("all", "ru", "kk"):
        ok, n = totals[key]
        print(f"held-out top-1 {key:>3}: {ok / n:6.1%} ({ok}/{n})")


if __name__ == "__main__":
    main()
