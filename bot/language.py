"""Language detection (ru or kk) for questions, in any script.

Kazakh-only letters decide at once. Otherwise a small naive Bayes model over folded words
and character trigrams, trained on the knowledge base's own example questions, weighs the
evidence: so Kazakh typed with Russian look-alike letters or in Latin is still recognised.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from types import ModuleType

import numpy as np

from bot import kernel as _kernel
from bot.text import char_ngrams, fold, kazakh_script_evidence

LANGS = ("ru", "kk")
DEFAULT_LANG = "ru"
CACHE_WORDS = 50_000  # words whose evidence is remembered


def _word_features(word: str) -> list[str]:
    return ["w:" + word, *char_ngrams(word, (3,))]


def _features(text: str) -> list[str]:
    return [f for word in fold(text).split() for f in _word_features(word)]


class LanguageDetector:
    """Tell Russian from Kazakh; ties and texts with no evidence go to the default."""

    def __init__(
        self,
        samples: Mapping[str, Iterable[str]],
        *,
        margin: float = 1.0,
        kernel: ModuleType | None = _kernel.compiled,
    ) -> None:
        """Train on example texts per language; `kernel` (or None) as in bot.ranking."""
        self.margin = margin
        self._counts: dict[str, Counter[str]] = {}
        self._totals: dict[str, int] = {}
        vocab: set[str] = set()
        for lang in LANGS:
            counts: Counter[str] = Counter()
            for text in samples.get(lang, ()):
                counts.update(_features(text))
            self._counts[lang] = counts
            self._totals[lang] = sum(counts.values())
            vocab.update(counts)
        self._vocab = vocab  # every feature either language has seen
        self._vocab_size = max(len(vocab), 1)
        # Each seen feature's add-one smoothed log-likelihood, computed once, not per word.
        self._log: dict[str, dict[str, float]] = {}
        for lang in LANGS:
            counts, total = self._counts[lang], self._totals[lang] + self._vocab_size
            self._log[lang] = {f: math.log((counts.get(f, 0) + 1) / total) for f in vocab}
        # For the kernel: both likelihoods of a feature side by side, and in a table of
        # packed names (bot._kernel.odds), which costs a new word far fewer cache misses.
        self._kernel = kernel
        self._pairs: dict[str, tuple[float, float]] = {}
        self._table = b""
        if kernel is not None:
            self._pairs = {f: (self._log["kk"][f], self._log["ru"][f]) for f in vocab}
            values = np.array(list(self._pairs.values()), dtype=np.float64).tobytes()
            self._table = kernel.name_table(list(self._pairs), values, 2)
        # The samples' own words, weighed once: they are most of what people type.
        seen = (f[2:] for f in vocab if f.startswith("w:"))
        self._seen = {word: self._odds(word) for word in seen if word.isalpha()}
        self._words: dict[str, float] = dict(self._seen)  # and the words met since

    def scores(self, text: str) -> dict[str, float]:
        """Return the log-likelihood of the text under each language."""
        return self._scores(_features(text))

    def _scores(self, features: list[str]) -> dict[str, float]:
        """Return the log-likelihood of features under each language (unseen ones skipped)."""
        feats = [f for f in features if f in self._vocab]
        return {lang: sum(self._log[lang][f] for f in feats) for lang in LANGS}

    def _odds(self, word: str) -> float:
        """Return one folded word's share of the log-odds (naive Bayes sums over words)."""
        if self._kernel is not None:
            return self._kernel.odds(word, self._table, self._pairs)
        log_kk, log_ru = self._log["kk"], self._log["ru"]
        kk = ru = 0.0
        for feature in _word_features(word):
            found = log_kk.get(feature)
            if found is not None:  # a feature neither language has seen tells nothing
                kk += found
                ru += log_ru[feature]
        return kk - ru

    def _word_evidence(self, word: str) -> float:
        """Return `_odds` of a word, remembered."""
        found = self._words.get(word)
        if found is None:
            found = self._odds(word)
            if word.isalpha():  # numbers may be parts of cards or IINs: never kept
                if len(self._words) >= CACHE_WORDS:
                    self._words = dict(self._seen)
                self._words[word] = found
        return found

    def evidence(self, text: str, *, folded: str | None = None) -> float:
        """Return the log-odds that the text is Kazakh rather than Russian (inf: certain).

        `folded` is fold(text), when the caller has it already.
        """
        if kazakh_script_evidence(text):
            return math.inf
        known, total = self._words, 0.0
        for word in (fold(text) if folded is None else folded).split():
            found = known.get(word)
            total += self._word_evidence(word) if found is None else found
        return total

    def decide(self, evidence: float, *, default: str, margin: float | None = None) -> str:
        """Turn log-odds into "kk" or "ru"; within the margin, keep `default`."""
        margin = self.margin if margin is None else margin
        if evidence > margin:
            return "kk"
        if evidence < -margin:
            return "ru"
        return default

    def detect(self, text: str, *, default: str = DEFAULT_LANG, margin: float | None = None) -> str:
        """Return "kk" or "ru"; without enough evidence (log-odds within margin), `default`."""
        return self.decide(self.evidence(text), default=default, margin=margin)
