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
from types import ModuleType
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from bot import kernel as _kernel
from bot.index import sublinear
from bot.text import char_ngrams

PREFIX = 5
NGRAMS = (3, 4, 5)
# Feature-group weights: whole words and stems carry more meaning than n-grams.
WORD_WEIGHT, PREFIX_WEIGHT, GRAM_WEIGHT = 1.6, 1.3, 0.5
WEIGHTS = (WORD_WEIGHT, PREFIX_WEIGHT, GRAM_WEIGHT)
CORRECTABLE = 4  # shorter unknown words are not typo-corrected: too many near neighbours
CLOSE = 80  # rapidfuzz ratio at which a vocabulary word corrects an unknown one
CACHE_WORDS = 50_000  # query words remembered besides the vocabulary; then it starts afresh


def named_features(word: str) -> list[tuple[str, float]]:
    """Return a folded word's features by name, with their weights."""
    named = [("w:" + word, WORD_WEIGHT)]
    if len(word) > PREFIX:
        named.append(("p:" + word[:PREFIX], PREFIX_WEIGHT))
    named.extend((g, GRAM_WEIGHT) for g in char_ngrams(word, NGRAMS))
    return named


def pack_words(words: list[str]) -> bytes | None:
    """Lay words end to end, each after a byte of its length, as bot._kernel.nearest reads
    them in one pass; None unless every word is short and of one-byte characters."""
    try:
        return b"".join(len(w).to_bytes(1, "little") + w.encode("latin-1") for w in words)
    except (OverflowError, UnicodeEncodeError):
        return None


class Word(NamedTuple):
    """What the index knows of one query word (a tuple: thousands are made per second)."""

    # The ids of the word's features the index has, and their weights, as the bytes of
    # int64 and float64 arrays: bot._kernel reads bytes directly (numpy: np.frombuffer).
    ids: bytes
    weights: bytes
    unseen: float  # squared weight of the features the index has never seen
    known: bool  # a word of the index's vocabulary (typo correction leaves it alone)
    correction: str | None  # the nearest vocabulary word, for an unknown word close to one


class FeatureSpace:
    """Feature ids of the index's words, their IDF, and query vectors in the same space."""

    def __init__(
        self, words: Iterable[str], *, kernel: ModuleType | None = _kernel.compiled
    ) -> None:
        """Lay out the features of the index's words; `kernel` (or None) as in bot.ranking."""
        self._kernel = kernel
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
        self._near = self._near_words()
        # The kernel looks most feature names up in a table of packed names, not in the dict.
        self._table = (
            kernel.name_table(list(self.ids), np.fromiter(self.ids.values(), np.int64).tobytes(), 1)
            if kernel is not None
            else b""
        )
        # The index's own words are most of what people type: looked up once, kept for good.
        self._vocabulary_words = {word: self._lookup(word) for word in self.positions}
        # Query words met before, the vocabulary's first (bot._kernel reads it).
        self.cache: dict[str, Word] = dict(self._vocabulary_words)

    def __len__(self) -> int:
        return len(self.ids)

    def set_idf(self, idf: np.ndarray, unseen: float) -> None:
        """Set the IDF of every feature, and the IDF given to features no topic uses."""
        self.idf, self.idf_unseen = idf, unseen

    def word(self, word: str) -> Word:
        """Look a query word up (cached): its known features and its typo correction."""
        found = self.cache.get(word)
        if found is not None:
            return found
        found = self._lookup(word)
        if word.isalpha():  # numbers may be parts of cards or IINs: never kept
            if len(self.cache) >= len(self._vocabulary_words) + CACHE_WORDS:
                self.cache.clear()
                self.cache.update(self._vocabulary_words)
            self.cache[word] = found
        return found

    def _lookup(self, word: str) -> Word:
        """Compute what `word` returns, without the cache."""
        pos = self.positions.get(word)
        if pos is not None:
            lo, hi = self.offsets[pos], self.offsets[pos + 1]
            ids, weights = self.word_ids[lo:hi].tobytes(), self.word_weights[lo:hi].tobytes()
            unseen = 0.0
        elif self._kernel is not None:
            ids, weights, unseen = self._kernel.word_features(
                word, self.ids, self._table, PREFIX, NGRAMS, WEIGHTS
            )
        else:
            found_ids, found_weights, unseen, get = [], [], 0.0, self.ids.get
            for name, weight in named_features(word):
                feature = get(name)
                if feature is None:
                    unseen += sublinear(weight) ** 2
                else:
                    found_ids.append(feature)
                    found_weights.append(weight)
            ids = np.array(found_ids, dtype=np.int64).tobytes()
            weights = np.array(found_weights, dtype=np.float64).tobytes()
        known_word = word in self.vocabulary
        correction = None
        if not known_word and len(word) >= CORRECTABLE:
            choices, packed = self._near.get((word[0], len(word)), ([], None))
            if self._kernel is not None:
                correction = self._kernel.nearest(word, choices, CLOSE, packed)
            else:
                best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=CLOSE)
                correction = best[0] if best else None
        return Word(ids, weights, unseen, known_word, correction)

    def _near_words(self) -> dict[tuple[str, int], tuple[list[str], bytes | None]]:
        """Group the vocabulary by initial and by the lengths of words each could correct.

        A ratio of CLOSE needs the lengths within CLOSE's share of their sum (each extra
        letter is an edit), so the rest are left out before rapidfuzz sees them; the order
        stays, and with it which of equally close words wins. Each group also comes packed
        for the kernel (see `pack_words`).
        """
        near: dict[tuple[str, int], tuple[list[str], bytes | None]] = {}
        slack = 100 - CLOSE
        for initial, words in self.by_initial.items():
            longest = max(len(w) for w in words)
            # A word of length n may correct words up to n * (100 + slack) / CLOSE long.
            for length in range(CORRECTABLE, longest * (100 + slack) // CLOSE + 1):
                group = [
                    w for w in words if 100 * abs(len(w) - length) <= slack * (len(w) + length)
                ]
                near[initial, length] = (group, pack_words(group))
        return near

    def query(self, folded: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Return one folded question's feature ids and weights (see `queries`)."""
        found = self.queries([folded])
        return None if found is None else (found[1], found[2])

    def features(
        self, folded: Sequence[str]
    ) -> tuple[list[int], list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Return each question's feature count, its words' feature ids and weights, and the
        squared weight of the features that stay unexplained (see `queries`)."""
        parts_ids, parts_weights, sizes = [], [], []
        unseen = np.zeros(len(folded))
        for q, text in enumerate(folded):
            size = 0
            for token in text.split():
                word = self.word(token)
                found = [word] if word.correction is None else [word, self.word(word.correction)]
                for each in found:
                    parts_ids.append(np.frombuffer(each.ids, dtype=np.int64))
                    parts_weights.append(np.frombuffer(each.weights, dtype=np.float64))
                    size += len(parts_ids[-1])
                if word.correction is None and not word.known:
                    unseen[q] += word.unseen
            sizes.append(size)
        return sizes, parts_ids, parts_weights, unseen

    def queries(self, folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Return folded questions as L2-normalised TF-IDF vectors: (question, id, weight).

        The triples are grouped by question, each question's features in order of first
        occurrence (the C kernel adds them up in the same order); None when no question has
        a feature the index knows. An unknown word also brings its nearest vocabulary word
        (typos). The features of words that stay unexplained still count in the norm, with the
        IDF of a feature no topic uses, so "weather in Ekibastuz" is not matched on
        "Ekibastuz" alone.
        """
        sizes, parts_ids, parts_weights, unseen = self.features(folded)
        if not sum(sizes):
            return None
        n = len(self)
        # One sort for the whole batch: a question's repeated features are summed, not mixed
        # with another question's.
        keyed = np.repeat(np.arange(len(folded)) * n, sizes) + np.concatenate(parts_ids)
        keys, first, inverse = np.unique(keyed, return_index=True, return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate(parts_weights))
        order = np.argsort(first)
        keys, counts = keys[order], counts[order]
        tf = np.where(counts >= 1, 1.0 + np.log(np.maximum(counts, 1.0)), counts)
        questions, ids = np.divmod(keys, n)
        values = tf * self.idf[ids]
        squares = np.bincount(questions, weights=values * values, minlength=len(folded))
        norms = np.sqrt(squares + unseen * self.idf_unseen**2)
        norms[norms == 0] = 1.0
        return questions, ids, values / norms[questions]
