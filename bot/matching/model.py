"""The topic classifier: scikit-learn's logistic regression over TF-IDF character and word
n-grams of folded text (bot.matching.text.fold), trained on the knowledge base's example questions,
with the out-of-scope examples as a class of their own (OUT_OF_SCOPE).

Folding first puts Kazakh in Cyrillic, without Kazakh letters and in Latin onto one skeleton;
character n-grams within words carry typos and endings, word uni- and bigrams and word stems
carry the words that tell one topic from another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sklearn
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from bot.matching.text import fold

OUT_OF_SCOPE = "out-of-scope"  # the class of questions no topic answers
# Stored models are keyed by this: change it whenever the features or the training change.
VERSION = "4"
# Inverse regularisation strength, chosen by cross-validation (benchmarks/calibration.py).
C = 20.0
# The model holds a weight per feature and class, and training holds some twenty times that
# (L-BFGS's history): beyond this many weights, a knowledge base of hundreds of topics keeps
# only its most frequent features, so that it trains in bounded time and memory.
MAX_WEIGHTS = 10_000_000
SHARES = {"chars": 0.6, "words": 0.25, "stems": 0.15}  # of the features kept, per kind
WEIGHTS = {"chars": 1.0, "words": 0.5, "stems": 0.8}  # of each kind in the classifier


STEM = 5  # letters of a word kept as its stem
SPELLED = 4  # shorter unknown words are not spelled: too many known words are that close
CLOSE = 80  # rapidfuzz ratio from which a known word is taken for the one typed


def stems(folded: str) -> list[str]:
    """Return the words' first STEM letters: a crude stemmer that suits Russian endings and
    Kazakh suffixes alike ("alaiaktyk", "alaiaktar" → "alaia")."""
    return [word[:STEM] for word in folded.split()]


def pipeline(c: float = C) -> Pipeline:
    """Return an untrained pipeline: folded text in, class probabilities out."""
    features = FeatureUnion(
        [
            ("chars", TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=False,
                dtype=np.float32,
            )),
            ("words", TfidfVectorizer(
                analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=False,
                token_pattern=r"\S+", dtype=np.float32,
            )),
            ("stems", TfidfVectorizer(analyzer=stems, sublinear_tf=True, dtype=np.float32)),
        ]
    )  # fmt: skip
    # Whole words and stems tell topics apart, but a typo breaks them where most character
    # n-grams survive: their weights were chosen by cross-validation on questions as written
    # and with typos (benchmarks/calibration.py).
    features.set_params(transformer_weights=WEIGHTS)
    return Pipeline([("features", features), ("model", LogisticRegression(C=c, max_iter=3000))])


@dataclass(frozen=True)
class TopicModel:
    """A trained classifier: probabilities of every topic and of OUT_OF_SCOPE for texts."""

    pipeline: Pipeline
    vocabulary: tuple[str, ...] = ()  # the whole words it knows, for spelling (`spelled`)

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]], *, c: float = C) -> TopicModel:
        """Train on (label, text) pairs; a label is a topic id or OUT_OF_SCOPE."""
        labels, texts = [], []
        for label, text in examples:
            folded = fold(text)
            if folded:
                labels.append(label)
                texts.append(folded)
        if len(set(labels)) < 2:  # logistic regression needs two classes to tell apart
            labels += [OUT_OF_SCOPE]
            texts += [""]
        model = pipeline(c)
        budget = MAX_WEIGHTS // len(set(labels))
        model.set_params(
            **{f"features__{kind}__max_features": int(budget * share)
               for kind, share in SHARES.items()}
        )  # fmt: skip
        # One BLAS thread: L-BFGS's steps are too small to gain from more, and threads that
        # spin waiting for work take the other core from the bot answering beside a retrain
        # (the fit takes about a third of the CPU time and wall time it does with two).
        with threadpool_limits(limits=1):
            model.fit(texts, labels)
        words = model.named_steps["features"].transformer_list[1][1].vocabulary_
        known = sorted(w for w in words if len(w) >= SPELLED and w.isalpha())  # not bigrams
        return cls(model, tuple(known))

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array (texts × classes) of probabilities; rows sum to 1."""
        # The pipeline was checked when it was trained; checking a short text's every array
        # again costs more than classifying it.
        spelled = [self.spelled(fold(text)) for text in texts]
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            found = self.pipeline.predict_proba(spelled)
        if OUT_OF_SCOPE in self.classes:
            # Text without one word the examples use ("alert(1)", "lorem ipsum") tells the
            # classifier nothing but stray letters and digits: it is out of scope.
            unknown = [not self.knows(text) for text in spelled]
            found[unknown] = 0.0
            found[unknown, self.classes.index(OUT_OF_SCOPE)] = 1.0
        return found

    def knows(self, spelled: str) -> bool:
        """Tell whether a folded, spelled text has a word (not a number) the examples use."""
        words = self._words
        return any(word in words for word in spelled.split() if not word.isdigit())

    def spelled(self, folded: str) -> str:
        """Add to each word it does not know the known word it is most likely a typo of.

        The word itself stays: its character n-grams still count. Kept because it answers
        far more questions with typos right and costs little on questions as written
        (`python benchmarks/calibration.py --typos`).
        """
        known = self._known
        words = []
        for word in folded.split():
            words.append(word)
            if len(word) >= SPELLED and word not in known and word.isalpha():
                found = process.extractOne(
                    word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=CLOSE
                )
                if found is not None:
                    words.append(found[0])
        return " ".join(words)

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.vocabulary)

    @cached_property
    def _words(self) -> frozenset[str]:
        vocabulary = self.pipeline.named_steps["features"].transformer_list[1][1].vocabulary_
        return frozenset(term for term in vocabulary if " " not in term)
