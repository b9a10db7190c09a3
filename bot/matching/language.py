"""Language detection (ru or kk) for questions, in any script.

Kazakh-only letters decide at once. Otherwise a small naive Bayes model over folded words
and character trigrams, trained on the knowledge base's own example questions, weighs the
evidence: so Kazakh typed with Russian look-alike letters or in Latin is still recognised.
A word's features carry its script: "карта" typed in Cyrillic is Russian as often as not,
while "karta" in Latin letters is mostly Kazakh, and folding alone would make them one word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from bot.i18n import DEFAULT_LANG, LANGS
from bot.matching.text import char_ngrams, fold, kazakh_script_evidence

__all__ = ["DEFAULT_LANG", "LANGS", "LanguageDetector"]


_TOKEN = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _word_features(word: str, script: str = "") -> list[str]:
    """Return the features of one folded word typed in `script` ("c" Cyrillic, "l" other)."""
    return [f"{script}w:{word}", *(script + gram for gram in char_ngrams(word, (3,)))]


def _words(text: str) -> list[tuple[str, str]]:
    """Return (folded word, script) for every word of a text."""
    return [
        (word, "c" if _CYRILLIC.search(token) else "l")
        for token in _TOKEN.findall(text)
        for word in fold(token).split()
    ]


def _features(text: str) -> list[str]:
    return [f for word, script in _words(text) for f in _word_features(word, script)]


class LanguageDetector:
    """Tell Russian from Kazakh; ties and texts with no evidence go to the default."""

    def __init__(
        self,
        samples: Mapping[str, Iterable[str]],
        *,
        margin: float = 1.0,
    ) -> None:
        """Train on example texts per language."""
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

    def scores(self, text: str) -> dict[str, float]:
        """Return the log-likelihood of the text under each language."""
        return self._scores(_features(text))

    def _scores(self, features: list[str]) -> dict[str, float]:
        """Return the log-likelihood of features under each language (unseen ones skipped)."""
        feats = [f for f in features if f in self._vocab]
        return {lang: sum(self._log[lang][f] for f in feats) for lang in LANGS}

    def _odds(self, word: str, script: str) -> float:
        """Return one folded word's share of the log-odds (naive Bayes sums over words)."""
        log_kk, log_ru = self._log["kk"], self._log["ru"]
        kk = ru = 0.0
        for feature in _word_features(word, script):
            found = log_kk.get(feature)
            if found is not None:  # a feature neither language has seen tells nothing
                kk += found
                ru += log_ru[feature]
        return kk - ru

    def evidence(self, text: str) -> float:
        """Return the log-odds that the text is Kazakh rather than Russian (inf: certain)."""
        if kazakh_script_evidence(text):
            return math.inf
        return sum(self._odds(word, script) for word, script in _words(text))

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
