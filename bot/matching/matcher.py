"""Find the topic a question is about and decide whether to answer, to ask "did you mean…",
or to say "I don't know".

Article numbers the knowledge base covers are answered directly; another article the user
cites gets the official code's link (decision "article"). Everything else goes to the topic
classifier (bot.matching.model), whose probabilities the thresholds turn into a decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np

from bot.knowledge.topics import KnowledgeBase
from bot.matching.articles import Article, articles, cited
from bot.matching.examples import training_examples
from bot.matching.language import LanguageDetector
from bot.matching.model import OUT_OF_SCOPE, TopicModel
from bot.matching.store import ModelStore
from bot.matching.text import fold, has_letters

__all__ = ["Candidate", "Match", "Matcher", "Thresholds"]

SHOWN = 3  # candidates a verdict carries (buttons of "did you mean")
T = TypeVar("T", float, np.ndarray)


class Candidate(NamedTuple):
    """A topic and the classifier's probability for it."""

    topic: str
    score: float


class Match(NamedTuple):
    """The matcher's verdict on one question."""

    text: str
    lang: str
    decision: str  # "answer", "clarify", "unknown", "article" or "empty"
    candidates: tuple[Candidate, ...]
    lang_evidence: float = 0.0  # log-odds of Kazakh over Russian (see LanguageDetector)
    article: Article | None = None  # decision "article": the article no topic explains

    @property
    def topic(self) -> str | None:
        """The topic the bot answers with, or None when it does not pick one."""
        return self.candidates[0].topic if self.decision == "answer" else None


@dataclass(frozen=True)
class Thresholds:
    """Probabilities that turn the classifier's output into a decision.

    Chosen by cross-validation over the knowledge base's own questions and out-of-scope
    examples (benchmarks/calibration.py), never on an evaluation set.
    """

    answer: float = 0.225  # the top topic must have at least this probability to be answered
    # ... and lead the second by this much, else "did you mean" between them
    margin: float = 0.05
    # ... and be this many times as probable as "out of scope". A question whose probability
    # is spread over a few topics is still about them; one that the out-of-scope examples
    # explain about as well is not.
    ratio: float = 1.5
    suggest: float = 0.15  # topics at least this probable are offered when not answered

    def sure(self, top: T, second: T, outside: T) -> T:
        """Tell whether the best topic is answered, given the second's and out of scope's
        probabilities: for numbers, or elementwise for arrays."""
        return (top >= self.answer) & (top - second >= self.margin) & (top >= self.ratio * outside)


class Matcher:
    """Classify questions into topics and decide whether to answer, ask, or say "I don't know"."""

    def __init__(
        self,
        model: TopicModel,
        *,
        detector: LanguageDetector,
        articles_index: dict[str, str] | None = None,
        numbers: dict[str, str] | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.model = model
        self.detector = detector
        self.articles_index = articles_index or {}
        self.numbers = numbers or {}  # folded example questions without letters → topic
        self.thresholds = thresholds or Thresholds()
        classes = model.classes
        self._topics = [i for i, c in enumerate(classes) if c != OUT_OF_SCOPE]
        self._names = [classes[i] for i in self._topics]
        self._outside = classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in classes else None

    @property
    def topics(self) -> list[str]:
        return sorted(self._names)

    @classmethod
    def from_knowledge_base(
        cls, kb: KnowledgeBase, *, store: ModelStore | None = None, **kwargs: object
    ) -> Matcher:
        """Train (or load) the classifier on the knowledge base, in both languages."""
        samples: dict[str, list[str]] = defaultdict(list)
        index: dict[str, str] = {}
        numbers: dict[str, str] = {}
        for topic in kb:
            samples[topic.lang].extend([*topic.questions, *topic.keywords])
            numbers.update((fold(q), topic.id) for q in topic.questions if not has_letters(q))
            if topic.source and topic.source.article:
                for number in articles(topic.source.article):
                    index[number] = topic.id
        for lang, refused in kb.out_of_scope.items():
            samples[lang].extend(refused.questions)
        model = (store or ModelStore(None)).model(training_examples(kb))
        detector = LanguageDetector(samples)
        return cls(model, detector=detector, articles_index=index, numbers=numbers, **kwargs)  # type: ignore[arg-type]

    def rank_many(self, texts: Sequence[str], *, limit: int = SHOWN) -> list[list[Candidate]]:
        """Return, for each text, up to `limit` topics by probability, best first."""
        return [ranked for ranked, _outside in self._classify(texts, limit)]

    def _classify(self, texts: Sequence[str], limit: int) -> list[tuple[list[Candidate], float]]:
        """Return, for each text, its best topics and the probability that it is out of scope."""
        if not texts:
            return []
        probabilities = self.model.probabilities(texts)
        outside = probabilities[:, self._outside] if self._outside is not None else None
        found = []
        for n, row in enumerate(probabilities[:, self._topics]):
            best = np.argsort(-row, kind="stable")[:limit]
            ranked = [Candidate(self._names[i], round(float(row[i]), 4)) for i in best]
            found.append((ranked, float(outside[n]) if outside is not None else 0.0))
        return found

    def rank(self, text: str, *, limit: int = SHOWN) -> list[Candidate]:
        """Return up to `limit` topics with their probabilities, best first."""
        return self.rank_many([text], limit=limit)[0]

    def match(self, text: str, *, lang: str | None = None) -> Match:
        """Detect the language, classify the question and decide what the bot does."""
        return self.match_many([(text, lang)])[0]

    def match_many(self, questions: Sequence[tuple[str, str | None]]) -> list[Match]:
        """Match (text, chosen language) pairs, classified together."""
        classified = self._classify([text for text, _lang in questions], SHOWN)
        return [
            self._verdict(text, lang, ranked, outside)
            for (text, lang), (ranked, outside) in zip(questions, classified, strict=True)
        ]

    def _verdict(
        self, text: str, lang: str | None, ranked: list[Candidate], outside: float
    ) -> Match:
        evidence = self.detector.evidence(text)
        detected = self.detector.decide(evidence, default=lang or "ru")

        def direct(topic: str) -> Match:
            """Answer a topic looked up, not classified; the classifier's others follow it."""
            rest = [c for c in ranked if c.topic != topic][: SHOWN - 1]
            return Match(text, detected, "answer", (Candidate(topic, 1.0), *rest), evidence)

        for number in articles(text):
            if number in self.articles_index:
                return direct(self.articles_index[number])
        th = self.thresholds
        top = ranked[0].score if ranked else 0.0
        second = ranked[1].score if len(ranked) > 1 else 0.0
        sure = th.sure(top, second, outside)
        article = cited(text)
        if article is not None:
            # A cited article no topic explains: say so honestly and never answer another
            # topic; one the classifier is sure of is only offered as a button.
            decision = "article" if article.exists else "unknown"
            return Match(text, detected, decision, tuple(ranked[:1]) if sure else (), evidence,
                         article)  # fmt: skip
        if not has_letters(text):
            # Digits alone ("12345", a date) ask nothing, unless staff made them an example
            # of a topic: "102" asks for the police.
            topic = self.numbers.get(fold(text))
            if topic is None:
                return Match(text, detected, "empty", (), evidence)
            return direct(topic)
        if sure:
            return Match(text, detected, "answer", tuple(ranked), evidence)
        suggested = tuple(c for c in ranked if c.score >= th.suggest)
        return Match(text, detected, "clarify" if suggested else "unknown", suggested, evidence)
