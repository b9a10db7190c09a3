"""Find the topic a question is about: rank the topics (bot.ranking), then decide whether to
answer, to ask "did you mean…", or to say "I don't know". Article numbers are looked up
directly, and verdicts on questions asked before are remembered.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.content import KnowledgeBase
from bot.features import FeatureSpace
from bot.language import LanguageDetector
from bot.privacy import may_hold_private_data
from bot.ranking import Candidate, Ranker
from bot.text import articles, fold, has_letters

__all__ = ["Candidate", "Match", "Matcher", "Thresholds"]

CACHE_MATCHES = 10_000  # questions remembered: people ask the same things in the same words
CACHE_TEXT = 300  # characters; longer questions are not remembered


class Match(NamedTuple):
    """The matcher's verdict on one question (a tuple: one is made for every question)."""

    text: str
    lang: str
    decision: str  # "answer", "clarify", "unknown" or "empty"
    candidates: tuple[Candidate, ...]
    lang_evidence: float = 0.0  # log-odds of Kazakh over Russian (see LanguageDetector)

    @property
    def topic(self) -> str | None:
        """The topic the bot answers with, or None when it does not pick one."""
        return self.candidates[0].topic if self.decision == "answer" else None


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.33  # the top topic must score at least this to be answered
    margin: float = 0.02  # ... and lead the second by this much, else "did you mean"
    suggest: float = 0.25  # below `answer`, topics above this are offered as suggestions


class Matcher:
    """Rank topics for a question and decide whether to answer, ask, or say "I don't know"."""

    def __init__(
        self,
        entries: Iterable[tuple[str, str]],
        *,
        detector: LanguageDetector,
        articles_index: dict[str, str] | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.detector = detector
        self.articles_index = articles_index or {}
        self.thresholds = thresholds or Thresholds()
        self._ranker = Ranker((t, fold(q)) for t, q in entries)
        self._matches: OrderedDict[tuple[str, str | None], Match] = OrderedDict()

    @property
    def topics(self) -> list[str]:
        return self._ranker.topics

    @property
    def space(self) -> FeatureSpace:
        return self._ranker.space

    @classmethod
    def from_knowledge_base(cls, kb: KnowledgeBase, **kwargs: object) -> Matcher:
        """Index every topic's questions, title and keywords, in both languages."""
        entries: list[tuple[str, str]] = []
        samples: dict[str, list[str]] = defaultdict(list)
        index: dict[str, str] = {}
        for topic in kb:
            texts = [*topic.questions, topic.title, *topic.keywords]
            entries.extend((topic.id, text) for text in texts)
            samples[topic.lang].extend([*topic.questions, *topic.keywords])
            if topic.source and topic.source.article:
                for number in articles(topic.source.article):
                    index[number] = topic.id
        detector = LanguageDetector(samples)
        return cls(entries, detector=detector, articles_index=index, **kwargs)  # type: ignore[arg-type]

    def rank(self, text: str, *, limit: int = 3) -> list[Candidate]:
        """Return up to `limit` topics with scores in [0, 1], best first."""
        return self._ranker.rank_many([fold(text)], limit=limit)[0]

    def cached(self, text: str, *, lang: str | None = None) -> Match | None:
        """Return the verdict on a question asked before in the same words, or None."""
        key = (text, lang)
        found = self._matches.get(key)
        if found is not None:
            self._matches.move_to_end(key)  # least recently asked goes first
        return found

    def match(self, text: str, *, lang: str | None = None) -> Match:
        """Detect the language, rank topics and decide what the bot does."""
        return self.match_many([(text, lang)])[0]

    def match_many(self, questions: Sequence[tuple[str, str | None]]) -> list[Match]:
        """Match (text, chosen language) pairs; a batch costs less than its questions alone."""
        found = [self.cached(text, lang=lang) for text, lang in questions]
        new = [i for i, match in enumerate(found) if match is None]
        folded = [fold(questions[i][0]) for i in new]
        for i, text, ranked in zip(new, folded, self._ranker.rank_many(folded), strict=True):
            found[i] = self._decide(*questions[i], text, ranked)
        return found  # type: ignore[return-value]  # every None was replaced

    def _decide(self, text: str, lang: str | None, folded: str, ranked: list[Candidate]) -> Match:
        match = self._verdict(text, lang, folded, ranked)
        # Long texts are seldom asked twice, and private data is never kept.
        if len(text) <= CACHE_TEXT and not may_hold_private_data(text):
            if len(self._matches) >= CACHE_MATCHES:
                self._matches.popitem(last=False)
            self._matches[(text, lang)] = match
        return match

    def _verdict(self, text: str, lang: str | None, folded: str, ranked: list[Candidate]) -> Match:
        evidence = self.detector.evidence(text, folded=folded)
        detected = self.detector.decide(evidence, default=lang or "ru")
        if not has_letters(text):
            return Match(text, detected, "empty", (), evidence)
        for number in articles(text):
            if number in self.articles_index:
                topic = self.articles_index[number]
                rest = [c for c in ranked if c.topic != topic][:2]
                return Match(text, detected, "answer", (Candidate(topic, 1.0), *rest), evidence)
        th = self.thresholds
        top = ranked[0].score if ranked else 0.0
        second = ranked[1].score if len(ranked) > 1 else 0.0
        if top >= th.answer and top - second >= th.margin:
            decision = "answer"
        elif top >= th.suggest:
            decision = "clarify"
        else:
            decision = "unknown"
        kept = tuple(c for c in ranked if c.score >= th.suggest) if decision != "answer" else ()
        chosen = kept if decision != "answer" else tuple(ranked)
        return Match(text, detected, decision, chosen, evidence)
