"""Find the topic a question is about.

Each example question (and each title and keyword) is a sparse TF-IDF vector over the
features of bot.features. IDF is computed over topics, not questions: a word that recurs in
one topic's examples is evidence for it, not noise. A topic's score combines its best example
with its centroid (the whole topic as one document), then rapidfuzz re-ranks the leaders
against their closest examples. Article numbers are looked up directly.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.content import KnowledgeBase
from bot.features import FeatureSpace
from bot.index import SparseIndex, aggregate, release_memory, tf_idf
from bot.language import LanguageDetector
from bot.privacy import may_hold_private_data
from bot.text import articles, fold, has_letters

RERANK = 8  # examples per leading topic compared with rapidfuzz
LEADERS = 5  # topics re-ranked
RERANK_SCORER = fuzz.token_set_ratio
CHUNK = 4096  # entries expanded at once while building the index
CACHE_MATCHES = 10_000  # questions remembered: people ask the same things in the same words
CACHE_TEXT = 300  # characters; longer questions are not remembered


@dataclass(frozen=True)
class Candidate:
    topic: str
    score: float


@dataclass(frozen=True)
class Match:
    """The matcher's verdict on one question."""

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
        # Entries sorted by topic, so a topic's rows are contiguous for maximum.reduceat.
        folded = {(t, fold(q)) for t, q in entries}
        entries = sorted((t, q) for t, q in folded if q)
        self.topics = sorted({t for t, _ in entries})
        topic_pos = {t: i for i, t in enumerate(self.topics)}
        self._entry_topic = np.asarray([topic_pos[t] for t, _ in entries], dtype=np.int64)
        self._entry_text = [q for _, q in entries]
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._entry_topic) != 0])
        ends = [*self._starts[1:].tolist(), len(self._entry_text)]
        self._bounds = list(zip(self._starts.tolist(), ends, strict=True))
        self.space = FeatureSpace(w for q in self._entry_text for w in q.split())
        self._build()
        release_memory()
        self._matches: OrderedDict[tuple[str, str | None], Match] = OrderedDict()

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
            starts = np.repeat(word_off[words] - (np.cumsum(lengths) - lengths), lengths)
            positions = starts + np.arange(lengths.sum())
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
        return self._rank(fold(text), limit=limit)

    def _rank(self, folded: str, *, limit: int = 3) -> list[Candidate]:
        query = self.space.query(folded) if folded else None
        if query is None:
            return []
        n_entries = len(self._entry_text)
        all_scores = self._index.dot(*query)
        entry_scores = all_scores[:n_entries]
        best = np.maximum.reduceat(entry_scores, self._starts)
        scores = 0.6 * best + 0.4 * all_scores[n_entries:]
        count = min(max(limit, LEADERS), len(scores))
        leaders = np.argpartition(-scores, count - 1)[:count].tolist()
        # Fuzzy-compare with each leader's closest examples only: the rest cannot win.
        examples, offsets = [], []
        for t in leaders:
            start, end = self._bounds[t]
            offsets.append(len(examples))
            if end - start > RERANK:
                top = np.argpartition(-entry_scores[start:end], RERANK - 1)[:RERANK] + start
                examples.extend(self._entry_text[i] for i in top.tolist())
            else:
                examples.extend(self._entry_text[start:end])
        ratios = process.cdist([folded], examples, scorer=RERANK_SCORER, dtype=np.float64)[0]
        best_ratio = np.maximum.reduceat(ratios, offsets) / 100
        final = 0.8 * scores[leaders] + 0.2 * best_ratio**2
        ranked = [
            Candidate(self.topics[t], round(score, 4))
            for t, score in zip(leaders, final.tolist(), strict=True)
        ]
        ranked.sort(key=lambda c: -c.score)
        return ranked[:limit]

    def cached(self, text: str, *, lang: str | None = None) -> Match | None:
        """Return the verdict on a question asked before in the same words, or None."""
        key = (text, lang)
        found = self._matches.get(key)
        if found is not None:
            self._matches.move_to_end(key)  # least recently asked goes first
        return found

    def match(self, text: str, *, lang: str | None = None) -> Match:
        """Detect the language, rank topics and decide what the bot does."""
        found = self.cached(text, lang=lang)
        if found is not None:
            return found
        key = (text, lang)
        found = self._match(text, lang)
        # Long texts are seldom asked twice, and private data is never kept.
        if len(text) <= CACHE_TEXT and not may_hold_private_data(text):
            if len(self._matches) >= CACHE_MATCHES:
                self._matches.popitem(last=False)
            self._matches[key] = found
        return found

    def _match(self, text: str, lang: str | None) -> Match:
        folded = fold(text)
        evidence = self.detector.evidence(text, folded=folded)
        detected = self.detector.decide(evidence, default=lang or "ru")
        if not has_letters(text):
            return Match(text, detected, "empty", (), evidence)
        for number in articles(text):
            if number in self.articles_index:
                topic = self.articles_index[number]
                rest = [c for c in self._rank(folded) if c.topic != topic][:2]
                return Match(text, detected, "answer", (Candidate(topic, 1.0), *rest), evidence)
        ranked = self._rank(folded)
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
