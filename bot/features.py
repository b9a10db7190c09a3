"""Words as weighted features, and questions as normalised TF-IDF query vectors.

A folded word has three kinds of feature: the word itself, its 5-letter prefix (a cheap
stemmer that suits both Russian and agglutinative Kazakh) and its character 3–5-grams (robust
to typos and endings). The index's words are laid out once in flat arrays; a question's words
are looked up there, so a query vector costs a few numpy calls instead of a Python loop per
feature.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.index import sublinear
from bot.text import char_ngrams

PREFIX = 5
NGRAMS = (3, 4, 5)
# Feature-group weights: whole words and stems carry more meaning than n-grams.
WORD_WEIGHT, PREFIX_WEIGHT, GRAM_WEIGHT = 1.6, 1.3, 0.5
CORRECTABLE = 4  # shorter unknown words are not typo-corrected: too many near neighbours
CACHE_WORDS = 50_000  # query words remembered; beyond that the cache starts afresh


def named_features(word: str) -> list[tuple[str, float]]:
    """Return a folded word's features by name, with their weights."""
    named = [("w:" + word, WORD_WEIGHT)]
    if len(word) > PREFIX:
        named.append(("p:" + word[:PREFIX], PREFIX_WEIGHT))
    named.extend((g, GRAM_WEIGHT) for g in char_ngrams(word, NGRAMS))
    return named


@dataclass(frozen=True, slots=True)
class Word:
    """What the index knows of one query word."""

    ids: np.ndarray  # ids of the word's features the index has
    weights: np.ndarray
    unseen: float  # squared weight of the features the index has never seen
    known: bool  # a word of the index's vocabulary (typo correction leaves it alone)
    correction: str | None  # the nearest vocabulary word, for an unknown word close to one


class FeatureSpace:
    """Feature ids of the index's words, their IDF, and query vectors in the same space."""

    def __init__(self, words: Iterable[str]) -> None:
        self.ids: dict[str, int] = {}
        self.positions: dict[str, int] = {}  # vocabulary word → its row in the flat arrays
        offsets, ids, weights = [0], [], []
        for word in words:
            if word in self.positions:
                continue
            self.positions[word] = len(self.positions)
            for name, weight in named_features(word):
                ids.append(self.ids.setdefault(name, len(self.ids)))
                weights.append(weight)
            offsets.append(len(ids))
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.word_ids = np.asarray(ids, dtype=np.int64)
        self.word_weights = np.asarray(weights, dtype=np.float64)
        self.by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self.positions:
            if len(word) >= CORRECTABLE:
                self.by_initial[word[0]].append(word)
        self.vocabulary = {w for ws in self.by_initial.values() for w in ws}
        self.idf = np.ones(len(self.ids))
        self.idf_unseen = 1.0
        self._cache: dict[str, Word] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def set_idf(self, idf: np.ndarray, unseen: float) -> None:
        """Set the IDF of every feature, and the IDF given to features no topic uses."""
        self.idf, self.idf_unseen = idf, unseen

    def word(self, word: str) -> Word:
        """Look a query word up (cached): its known features and its typo correction."""
        found = self._cache.get(word)
        if found is not None:
            return found
        pos = self.positions.get(word)
        if pos is not None:
            lo, hi = self.offsets[pos], self.offsets[pos + 1]
            ids, weights, unseen = self.word_ids[lo:hi], self.word_weights[lo:hi], 0.0
        else:
            named = named_features(word)
            known = [(self.ids[n], w) for n, w in named if n in self.ids]
            unseen = sum(sublinear(w) ** 2 for n, w in named if n not in self.ids)
            ids = np.asarray([f for f, _ in known], dtype=np.int64)
            weights = np.asarray([w for _, w in known], dtype=np.float64)
        known_word = word in self.vocabulary
        correction = None
        if not known_word and len(word) >= CORRECTABLE:
            choices = self.by_initial.get(word[0], ())
            best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=80)
            correction = best[0] if best else None
        found = Word(ids, weights, unseen, known_word, correction)
        if word.isalpha():  # numbers may be parts of cards or IINs: never kept
            if len(self._cache) >= CACHE_WORDS:
                self._cache.clear()
            self._cache[word] = found
        return found

    def query(self, folded: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Return one folded question's feature ids and weights (see `queries`)."""
        found = self.queries([folded])
        return None if found is None else (found[1], found[2])

    def queries(self, folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Return folded questions as L2-normalised TF-IDF vectors: (question, id, weight).

        The triples are sorted by question, then feature id; None when no question has a
        feature the index knows. An unknown word also brings its nearest vocabulary word
        (typos). The features of words that stay unexplained still count in the norm, with the
        IDF of a feature no topic uses, so "weather in Ekibastuz" is not matched on
        "Ekibastuz" alone.
        """
        parts_ids, parts_weights, sizes = [], [], []
        unseen = np.zeros(len(folded))
        for q, text in enumerate(folded):
            size = 0
            for token in text.split():
                word = self.word(token)
                parts_ids.append(word.ids)
                parts_weights.append(word.weights)
                size += len(word.ids)
                if word.correction is not None:
                    fixed = self.word(word.correction)
                    parts_ids.append(fixed.ids)
                    parts_weights.append(fixed.weights)
                    size += len(fixed.ids)
                elif not word.known:
                    unseen[q] += word.unseen
            sizes.append(size)
        if not sum(sizes):
            return None
        n = len(self)
        # One sort for the whole batch: a question's repeated features are summed, not mixed
        # with another question's.
        keyed = np.repeat(np.arange(len(folded)) * n, sizes) + np.concatenate(parts_ids)
        keys, inverse = np.unique(keyed, return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate(parts_weights))
        tf = np.where(counts >= 1, 1.0 + np.log(np.maximum(counts, 1.0)), counts)
        questions, ids = np.divmod(keys, n)
        values = tf * self.idf[ids]
        squares = np.bincount(questions, weights=values * values, minlength=len(folded))
        norms = np.sqrt(squares + unseen * self.idf_unseen**2)
        norms[norms == 0] = 1.0
        return questions, ids, values / norms[questions]
