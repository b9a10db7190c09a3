"""Matcher latency: the bundled knowledge base and a generated one of 2,000 topics × 20
questions, next to a plain rapidfuzz `process.extractOne(..., scorer=WRatio)` over the same
questions, measured in the same run.

    python benchmarks/matcher_bench.py [--topics 2000] [--per-topic 20] [--queries 500]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process

from bot.language import LanguageDetector
from bot.library import Library
from bot.matcher import Matcher
from bot.text import fold


def rss_mb() -> float:
    """Return this process's current resident memory in MB (Linux)."""
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
    for q in queries:
        start = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def typo(text: str, rng: random.Random) -> str:
    """Make a question look typed: drop, double or swap a letter, sometimes drop a word."""
    words = text.split()
    if len(words) > 3 and rng.random() < 0.3:
        words.pop(rng.randrange(len(words)))
    text = " ".join(words)
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def generated_entries(
    topics: int, per_topic: int, vocabulary: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    """Topics whose questions mix a few topic-specific words with common ones."""
    entries = []
    for t in range(topics):
        own = [rng.choice(vocabulary) + rng.choice("abcdefghik") for _ in range(6)]
        for _ in range(per_topic):
            words = rng.sample(own, 2) + rng.sample(vocabulary, rng.randint(2, 5))
            rng.shuffle(words)
            entries.append((f"topic-{t}", " ".join(words)))
    return entries


def report(name: str, ours: list[float], base: list[float]) -> None:
    p50, p99 = statistics.median(ours), percentile(ours, 99)
    b50, b99 = statistics.median(base), percentile(base, 99)
    print(f"{name}:")
    print(f"  zanbot matcher     p50 {p50:7.3f} ms   p99 {p99:7.3f} ms")
    print(f"  WRatio extractOne  p50 {b50:7.3f} ms   p99 {b99:7.3f} ms")
    print(f"  speed-up           p50 {b50 / p50:6.1f}×     p99 {b99 / p99:6.1f}×")


BATCH = 32


def batch_rates(matcher: Matcher, texts: list[str]) -> tuple[float, float]:
    """Return µs per question matched one by one, then in batches (the verdicts forgotten)."""
    matcher._matches.clear()
    start = time.perf_counter()
    for text in texts:
        matcher.match(text)
    alone = (time.perf_counter() - start) / len(texts) * 1e6
    matcher._matches.clear()
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        matcher.match_many([(text, None) for text in texts[i : i + BATCH]])
    together = (time.perf_counter() - start) / len(texts) * 1e6
    return alone, together


def bench(
    name: str, matcher: Matcher, entries: list[tuple[str, str]], queries: list[tuple[str, str]]
) -> None:
    choices = [fold(q) for _, q in entries]
    # Each text once: a question asked again would come from the matcher's cache.
    texts = list(dict.fromkeys(q for _, q in queries))
    ours = timed(matcher.match, texts)
    base = timed(lambda q: process.extractOne(fold(q), choices, scorer=fuzz.WRatio), texts)
    report(f"{name} ({len(entries)} questions, {len(queries)} queries)", ours, base)
    # Under load the bot matches the questions of one loop turn together (bot/batching.py).
    # Both runs below find every word's features cached, as the first run left them.
    alone, together = batch_rates(matcher, texts)
    print(f"  per question, alone {alone:6.0f} µs; in batches of {BATCH} {together:6.0f} µs")
    # Sanity, not the accuracy figure: these are typo'd copies of indexed questions.
    good = sum(matcher.rank(q, limit=1)[0].topic == t for t, q in queries)
    base_good = sum(
        entries[process.extractOne(fold(q), choices, scorer=fuzz.WRatio)[2]][0] == t
        for t, q in queries
    )
    n = len(queries)
    print(f"  top-1 on typo'd copies: zanbot {good / n:.1%}, WRatio {base_good / n:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topics", type=int, default=2000)
    parser.add_argument("--per-topic", type=int, default=20)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(7)

    library = Library()
    entries = [(t.id, q) for t in library.kb for q in t.questions]
    queries = [(t, typo(q, rng)) for t, q in rng.sample(entries, min(args.queries, len(entries)))]
    bench("bundled knowledge base", library.matcher, entries, queries)

    vocabulary = sorted({w for _, q in entries for w in fold(q).split() if len(w) > 3})
    big = generated_entries(args.topics, args.per_topic, vocabulary, rng)
    half = len(big) // 2
    samples = {"ru": [q for _, q in big[:half]], "kk": [q for _, q in big[half:]]}
    before = rss_mb()
    start = time.perf_counter()
    matcher = Matcher(big, detector=LanguageDetector(samples))
    build = time.perf_counter() - start
    after = rss_mb()
    big_queries = [(t, typo(q, rng)) for t, q in rng.sample(big, args.queries)]
    bench("generated knowledge base", matcher, big, big_queries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  index build        {build:6.2f} s for {len(big)} questions (with language model)")
    print(
        f"  resident memory    {after:6.0f} MB for the whole process after the build "
        f"(+{after - before:.0f} MB for the index), peak {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
