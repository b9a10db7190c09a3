"""The fraud check ("Is this a scam?") on the message sets, next to a plain keyword baseline.

`benchmarks/data/fraud-scams.jsonl` and `fraud-legit.jsonl` were written before the signs of
`content/fraud-signs.yaml` were tuned, in a `tune` half and a `heldout` half; the signs have
since been tuned on both. `fraud-scams-c.jsonl` and `fraud-legit-c.jsonl` were written blind
(by someone who never saw the signs) and the signs were never adjusted on them: they are the
held-out set now. For each set: the share of scams flagged and of legitimate messages flagged
(targets on messages not tuned to: ≥ 90%, ≤ 5%).

    python benchmarks/fraud_check.py [--content DIR] [--misses]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from bot.conversation.fraud import check, find_links
from bot.knowledge.fraudsigns import FraudSigns, load_fraud_signs
from bot.knowledge.loader import default_content_dir
from bot.matching.text import fold

DATA = Path(__file__).parent / "data"
BASELINE_WORDS = ("kod", "kart", "sms", "srochn", "shugyl", "perevod", "aудар", "audar")


def read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def baseline(signs: FraudSigns) -> Callable[[str], bool]:
    """Flag a message with a link or any of a few money words: what a hurried filter does."""
    return lambda text: (
        bool(find_links(text, signs)) or any(w in fold(text) for w in BASELINE_WORDS)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--content", type=Path, default=default_content_dir())
    parser.add_argument("--misses", action="store_true", help="list the tune half's misses")
    args = parser.parse_args()
    signs, problems = load_fraud_signs(args.content)
    if signs is None:
        raise SystemExit(f"no valid fraud-signs.yaml: {problems}")
    scams, legit = read("fraud-scams.jsonl"), read("fraud-legit.jsonl")
    sets = {
        f"first, {half}": (
            [r for r in scams if r["split"] == half],
            [r for r in legit if r["split"] == half],
        )
        for half in ("tune", "heldout")
    }
    sets["c (blind)"] = (read("fraud-scams-c.jsonl"), read("fraud-legit-c.jsonl"))
    contenders = {
        "fraud check": lambda text: check(text, "ru", signs).fraud,
        "baseline": baseline(signs),
    }
    print(f"{'':12} {'set':16} {'scams flagged':>16} {'legit flagged':>16}")
    for name, flag in contenders.items():
        for half, (s, g) in sets.items():
            hit = sum(flag(row["text"]) for row in s)
            false = sum(flag(row["text"]) for row in g)
            print(f"{name:12} {half:16} {hit:>4}/{len(s):<3} {hit / len(s):6.1%}"
                  f" {false:>4}/{len(g):<3} {false / len(g):6.1%}")  # fmt: skip
    if args.misses:
        for row in scams + legit:
            if row["split"] != "tune":
                continue
            findings = check(row["text"], row["lang"], signs)
            if findings.fraud != (row in scams):
                print(f"{'MISS' if row in scams else 'FALSE'} {findings.ids} {row['text']}")


if __name__ == "__main__":
    main()
