"""Choose the matcher's knobs by cross-validation over the knowledge base's own questions and
out-of-scope examples (bot.matching.calibration), never on an evaluation set.

For each regularisation strength C, every example question is classified by a model trained
without it; the script prints, for the best thresholds of each C, the share of topic
questions answered right and of out-of-scope examples refused, and the grid around them.

    python benchmarks/calibration.py [--c 5 10 20 50] [--folds 5]
"""

from __future__ import annotations

import argparse
import time

from bot.knowledge.loader import load_knowledge_base
from bot.matching.calibration import FOLDS, GRID_ANSWER, GRID_MARGIN, choose, cross_validate
from bot.matching.matcher import Thresholds
from bot.matching.model import C


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, nargs="+", default=[C])
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--content", default=None)
    parser.add_argument("--grid", action="store_true", help="print every threshold pair")
    parser.add_argument(
        "--typos", action="store_true", help="hold out the questions with one or two typos each"
    )
    args = parser.parse_args()
    kb = load_knowledge_base(args.content)
    current = Thresholds()
    for c in args.c:
        started = time.perf_counter()
        held = cross_validate(kb, folds=args.folds, c=c, typos=args.typos)
        elapsed = time.perf_counter() - started
        best, right, refused = choose(held)
        now_right, now_refused = held.rates(current)
        count = len(held.labels)
        print(f"C={c:g}: {count} held-out questions, {args.folds} folds, {elapsed:.0f} s")
        print(
            f"  best: answer ≥ {best.answer:.3f}, margin ≥ {best.margin:.2f}, "
            f"ratio to out of scope ≥ {best.ratio:g}: "
            f"topic questions right {right:.1%}, out of scope refused {refused:.1%}"
        )
        print(
            f"  bot.matching.matcher.Thresholds ({current.answer:.3f}, {current.margin:.2f}, "
            f"{current.ratio:g}): right {now_right:.1%}, refused {now_refused:.1%}"
        )
        for lang in ("ru", "kk"):
            r, f = held.subset(lang).rates(best)
            print(f"    {lang}: right {r:.1%}, refused {f:.1%}")
        if args.grid:
            print(f"  right/refused by answer (rows) and margin (columns), ratio {best.ratio:g}")
            print("  answer  " + "  ".join(f"m={m:.2f}      " for m in GRID_MARGIN))
            for a in GRID_ANSWER:
                cells = [held.rates(Thresholds(a, m, best.ratio)) for m in GRID_MARGIN]
                print(f"  {a:.3f}   " + "  ".join(f"{r:.1%}/{f:.1%}" for r, f in cells))


if __name__ == "__main__":
    main()
