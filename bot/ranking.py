"""Rank the topics for many questions at once.

Each example question (and each title and keyword) is a sparse TF-IDF vector over the
features of bot.features. IDF is computed over topics, not questions: a word that recurs in
one topic's examples is evidence for it, not noise. A topic's score combines its best example
with its centroid (the whole topic as one document), then rapidfuzz re-ranks the leaders
against their closest examples.

The inner loop is in C (bot/_kernel.c), compiled at install when a compiler is there; without
it the same ranking runs on numpy, in batches: numpy's cost is mostly per call, so one call
over a batch's questions costs little more than a call over one (benchmarks/matcher_bench.py).
Ties are broken by topic and example order in both, so both give the same ranking.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from bot import kernel as _kernel
from bot.features import FeatureSpace
from bot.index import (
    SparseIndex,
    aggregate,
    keep_freed_memory,
    release_memory,
    spans,
    tf_idf,
)

RERANK = 8  # examples per leading topic compared with rapidfuzz
LEADERS = 5  # topics re-ranked
RERANK_SCORER = fuzz.token_set_ratio
RERANK_WEIGHT = 0.2  # of the squared fuzzy ratio in the final score, against 0.8 of TF-IDF
CHUNK = 4096  # entries expanded at once while building the index
BATCH = 32  # questions scored at once: bounds the temporaries of a long burst


class Candidate(NamedTuple):
    """A topic and its score (a tuple: a few are made for every question)."""

    topic: str
    score: float


class Ranker:
    """The TF-IDF index of (topic, example) entries and the ranking of topics against it."""

    def __init__(
        self, entries: Iterable[tuple[str, str]], *, kernel: ModuleType | None = _kernel.compiled
    ) -> None:
        """Index (topic, folded example) pairs; empty examples are skipped.

        `kernel` is the compiled bot._kernel, or None to rank with numpy alone.
        """
        # Entries sorted by topic, so a topic's rows are contiguous for maximum.reduceat.
        entries = sorted({(t, q) for t, q in entries if q})
        self.topics = sorted({t for t, _ in entries})
        topic_pos = {t: i for i, t in enumerate(self.topics)}
        self._entry_topic = np.asarray([topic_pos[t] for t, _ in entries], dtype=np.int64)
        self._entry_text = [q for _, q in entries]
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._entry_topic) != 0])
        starts = self._starts.tolist()
        bounds = list(zip(starts, [*starts[1:], len(entries)], strict=True))
        # Each topic's entries as a row, padded with a pseudo-entry that always scores -inf.
        width = max((e - s for s, e in bounds), default=1)
        self._members = np.full((len(self.topics), width), len(entries), dtype=np.int64)
        for t, (s, e) in enumerate(bounds):
            self._members[t, : e - s] = np.arange(s, e)
        words = (w for q in self._entry_text for w in q.split())
        self.space = FeatureSpace(words, kernel=kernel)
        self._build()
        self._kernel = kernel
        self._kernel_index = self._tokenised() if kernel is not None else ()
        release_memory()
        keep_freed_memory()

    def _build(self) -> None:
        """Index the entries and the topic centroids as the rows of one sparse index."""
        space = self.space
        pair_entry, pair_word = [], []
        for e, text in enumerate(self._entry_text):
            for word in text.split():
                pair_entry.append(e)
                pair_word.append(space.positions[word])
        word_off, word_ids, word_w = space.offsets, space.word_ids, space.word_weights
        n_feat, n_entries, n_topics = len(space), len(self._entry_text), len(self.topics)
        all_entries = np.asarray(pair_entry, dtype=np.int64)
        all_words = np.asarray(pair_word, dtype=np.int64)
        # Expand (entry, word) pairs into features a chunk of entries at a time: the
        # temporaries of 40,000 questions at once would need several hundred megabytes.
        parts = []
        bounds = np.searchsorted(all_entries, np.arange(0, n_entries + CHUNK, CHUNK))
        for lo, hi in itertools.pairwise(bounds):
            words = all_words[lo:hi]
            lengths = word_off[words + 1] - word_off[words]
            positions = spans(word_off[words], lengths)
            parts.append(
                aggregate(
                    np.repeat(all_entries[lo:hi], lengths),
                    word_ids[positions],
                    word_w[positions],
                    n_feat,
                )
            )
        rows, feats, counts = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        del parts
        topics = self._entry_topic[rows]
        # IDF over topics: how many topics use a feature, not how many questions.
        topic_keys = np.sort(topics * n_feat + feats)
        topic_keys = topic_keys[np.r_[True, np.diff(topic_keys) != 0]]
        df = np.bincount(topic_keys % n_feat, minlength=n_feat)
        idf = np.log((n_topics + 1) / (df + 1)) + 1.0
        space.set_idf(idf, math.log(n_topics + 1) + 1.0)
        c_rows, c_feats, c_counts = aggregate(topics, feats, counts, n_feat)
        del topics
        # Centroids are rows n_entries.. of the same index: one dot product scores both.
        values = np.concatenate(
            [tf_idf(rows, feats, counts, idf, n_entries),
             tf_idf(c_rows, c_feats, c_counts, idf, n_topics)]
        )  # fmt: skip
        del counts, c_counts
        rows = np.concatenate([rows, c_rows + n_entries])
        feats = np.concatenate([feats, c_feats])
        del c_rows, c_feats
        self._index = SparseIndex(rows, feats, values, n_entries + n_topics, n_feat)

    def _tokenised(self) -> tuple[object, ...]:
        """Lay out the index and the examples' tokens as the C kernel reads them."""
        # Vocabulary ids in string order: sorted token lists are then sorted id lists.
        vocabulary = sorted({w for text in self._entry_text for w in text.split()})
        ids = {w: i for i, w in enumerate(vocabulary)}
        tokens = [sorted(ids[w] for w in set(text.split())) for text in self._entry_text]
        lengths = np.asarray([len(w) for w in vocabulary], dtype=np.int64)
        index, space = self._index, self.space
        return (
            index.indptr, index.rows, index.values, np.asarray(space.idf, dtype=np.float64),
            self._entry_topic, np.r_[self._starts, len(self._entry_text)].astype(np.int64),
            np.r_[0, np.cumsum([len(t) for t in tokens])].astype(np.int32),
            np.asarray([i for t in tokens for i in t], dtype=np.int32),
            np.r_[0, np.cumsum(lengths)].astype(np.int64),
            np.frombuffer("".join(vocabulary).encode("utf-32-le"), dtype=np.uint32),
            ids, len(self._entry_text), len(self.topics),
            max((len(text) for text in self._entry_text), default=0), float(space.idf_unseen),
        )  # fmt: skip

    def rank_many(self, folded: Sequence[str], *, limit: int = 3) -> list[list[Candidate]]:
        """Return up to `limit` topics per folded question, with scores in [0, 1], best first."""
        ranked: list[list[Candidate]] = []
        for start in range(0, len(folded), BATCH):
            ranked.extend(self._rank_batch(list(folded[start : start + BATCH]), limit))
        return ranked

    def _rank_batch(self, folded: Sequence[str], limit: int) -> list[list[Candidate]]:
        count = min(max(limit, LEADERS), len(self.topics))
        if self._kernel is not None:
            space, kernel = self.space, self._kernel
            sizes, ids, weights, unseen, tokens = kernel.collect(folded, space.word, space.cache)
            leaders = kernel.rank(
                self._kernel_index,
                np.frombuffer(sizes, dtype=np.int64),
                np.frombuffer(ids, dtype=np.int64),
                np.frombuffer(weights, dtype=np.float64),
                np.frombuffer(unseen, dtype=np.float64),
                tokens, count, RERANK, RERANK_WEIGHT, limit,
            )  # fmt: skip
        else:
            leaders = self._leaders(folded, count, limit)
        topics = self.topics
        return [[Candidate(topics[t], score) for t, score in pairs] for pairs in leaders]

    def _leaders(
        self, folded: Sequence[str], count: int, limit: int
    ) -> list[list[tuple[int, float]]]:
        """Return each question's best `limit` leaders with their final scores, as the C
        kernel does: rounded to 4 places, best first, equal ones in leader order."""
        n = len(folded)
        n_entries = len(self._entry_text)
        query = self.space.queries(folded)
        if query is None:  # not one feature the index knows
            return [[] for _ in folded]
        questions, feats, weights = query
        known = np.bincount(questions, minlength=n) > 0
        all_scores = self._index.dot_many(questions, feats, weights, n)
        entry_scores = all_scores[:, :n_entries]
        best = np.maximum.reduceat(entry_scores, self._starts, axis=1)
        scores = 0.6 * best + 0.4 * all_scores[:, n_entries:]
        # Stable sorts: equal scores go by topic and example order, as in the kernel.
        leaders = np.argsort(-scores, axis=1, kind="stable")[:, :count]
        lead_scores = np.take_along_axis(scores, leaders, axis=1)
        # The fuzzy re-rank compares with each leader's closest examples only: the rest
        # cannot win. The padding scores -inf, so a small topic brings all its examples.
        padded = np.concatenate([entry_scores, np.full((n, 1), -np.inf)], axis=1)
        members = self._members[leaders]
        member_scores = padded[np.arange(n)[:, None, None], members]
        k = min(RERANK, members.shape[2])
        closest = np.argsort(-member_scores, axis=2, kind="stable")[..., :k]
        examples = np.take_along_axis(members, closest, axis=2).tolist()
        out: list[list[tuple[int, float]]] = []
        for q, text in enumerate(folded):
            final = self._rerank(text, examples[q], lead_scores[q].tolist()) if known[q] else []
            pairs = zip(leaders[q].tolist(), final, strict=False)  # final is [] if unknown
            rounded = [(t, round(score, 4)) for t, score in pairs]
            out.append(sorted(rounded, key=lambda pair: -pair[1])[:limit])
        return out

    def _rerank(self, folded: str, examples: list[list[int]], scores: list[float]) -> list[float]:
        """Return the leaders' final scores: TF-IDF, plus the best fuzzy ratio of their examples."""
        pad = len(self._entry_text)
        rows = [[self._entry_text[e] for e in row if e != pad] for row in examples]
        flat = [text for row in rows for text in row]
        ratios = process.cdist([folded], flat, scorer=RERANK_SCORER, dtype=np.float64)[0].tolist()
        final, pos = [], 0
        for score, row in zip(scores, rows, strict=True):
            best = max(ratios[pos : pos + len(row)]) / 100
            pos += len(row)
            final.append((1 - RERANK_WEIGHT) * score + RERANK_WEIGHT * best**2)
        return final
