"""Matcher speed and size: the bundled knowledge base and generated ones of 300 topics × 2
languages × 30 questions and 1,000 × 2 × 20, each next to a plain rapidfuzz
`process.extractOne(..., scorer=WRatio)` over the same example questions, in the same run.

Each knowledge base is measured in a process of its own, so that its resident memory is its
own: build (training) time, resident memory once built, and the time of one question (p50
and p99; Telegram lets a bot send about 30 messages a second, so a few milliseconds is
plenty: these are ceilings, not a race).

    python benchmarks/matcher_bench.py [--queries 500] [--only bundled|300|1000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

SIZES = {"bundled": None, "300": (300, 30), "1000": (1000, 20)}


def rss_mb() -> float:
    """Return this process's resident memory in MB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[str], object], queries: Sequence[str]) -> list[float]:
    """Return the latency of each call in milliseconds."""
    out = []
    for query in queries:
        start = time.perf_counter()
        fn(query)
        out.append((time.perf_counter() - start) * 1000)
    return out


def typo(text: str, rng: random.Random) -> str:
    """Drop, double or swap a letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def generated_kb(topics: int, per_topic: int, rng: random.Random):
    """A knowledge base whose topics mix a few words of their own with the bundled words."""
    from bot.knowledge.loader import load_knowledge_base
    from bot.knowledge.topics import KnowledgeBase, Topic

    bundled = load_knowledge_base()
    vocabulary = {"ru": set(), "kk": set()}
    for topic in bundled:
        for question in topic.questions:
            vocabulary[topic.lang].update(w for w in question.lower().split() if w.isalpha())
    words = {lang: sorted(found) for lang, found in vocabulary.items()}
    found = {}
    for t in range(topics):
        for lang in ("ru", "kk"):
            own = [rng.choice(words[lang]) + rng.choice("абвгдежзик") for _ in range(6)]
            questions = []
            for _ in range(per_topic):
                picked = rng.sample(own, 2) + rng.sample(words[lang], rng.randint(2, 5))
                rng.shuffle(picked)
                questions.append(" ".join(picked))
            found[(lang, f"topic-{t}")] = Topic(
                id=f"topic-{t}", lang=lang, title=f"Тема {t}", category="info",
                questions=tuple(questions), body="Ответ.", path=bundled.root or None,  # type: ignore[arg-type]
            )  # fmt: skip
    return KnowledgeBase(found, out_of_scope=bundled.out_of_scope)


def measure(size: str, queries: int) -> dict[str, float]:
    """Build the matcher for one knowledge base and time it; runs in its own process."""
    from rapidfuzz import fuzz, process

    from bot.knowledge.loader import load_knowledge_base
    from bot.matching.matcher import Matcher
    from bot.matching.text import clean

    rng = random.Random(7)
    before = rss_mb()
    spec = SIZES[size]
    kb = load_knowledge_base() if spec is None else generated_kb(*spec, rng)
    loaded = rss_mb()
    start = time.perf_counter()
    matcher = Matcher.from_knowledge_base(kb)
    build = time.perf_counter() - start
    built = rss_mb()
    examples = [q for topic in kb for q in topic.questions]
    asked = [typo(q, rng) for q in rng.sample(examples, min(queries, len(examples)))]
    ours = timed(lambda q: matcher.match(q), asked)
    choices = [clean(q) for q in examples]
    base = timed(lambda q: process.extractOne(clean(q), choices, scorer=fuzz.WRatio), asked)
    return {
        "topics": len(kb.ids()), "examples": len(examples), "build_s": build,
        "rss_before_mb": before, "rss_kb_mb": loaded, "rss_built_mb": built,
        "p50": statistics.median(ours), "p99": percentile(ours, 99),
        "base_p50": statistics.median(base), "base_p99": percentile(base, 99),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--only", choices=list(SIZES))
    parser.add_argument("--child", choices=list(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.queries)))
        return
    print(f"{'knowledge base':>15} {'topics':>6} {'examples':>8} {'build':>7} {'memory':>8} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'WRatio p50':>10} {'p99':>7} {'faster':>6}")  # fmt: skip
    for size in [args.only] if args.only else list(SIZES):
        child = subprocess.run(
            [sys.executable, __file__, "--child", size, "--queries", str(args.queries)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(child.stdout.splitlines()[-1])
        print(
            f"{size:>15} {r['topics']:>6} {r['examples']:>8} {r['build_s']:>6.1f}s "
            f"{r['rss_built_mb']:>6.0f}MB {r['p50']:>7.2f} {r['p99']:>7.2f} "
            f"{r['base_p50']:>10.2f} {r['base_p99']:>7.2f} {r['base_p50'] / r['p50']:>5.1f}×",
            flush=True,
        )


if __name__ == "__main__":
    main()
