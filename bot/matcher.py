"""Find the topic a question is about.

Each example question (and each title and keyword) is a sparse TF-IDF vector of folded words,
word prefixes (a cheap stemmer that suits both Russian and agglutinative Kazakh) and
character n-grams (robust to typos and endings). IDF is computed over topics, not questions:
a word that recurs in one topic's examples is evidence for it, not noise. A topic's score
combines its best example with its centroid (the whole topic as one document), then rapidfuzz
re-ranks the leaders and corrects unknown words. Article numbers are looked up directly.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.content import KnowledgeBase
from bot.index import SparseIndex, aggregate, release_memory, sublinear, tf_idf
from bot.language import LanguageDetector
from bot.text import articles, char_ngrams, fold, has_letters

PREFIX = 5
RERANK = 8  # examples per leading topic compared with rapidfuzz
RERANK_SCORER = fuzz.token_set_ratio
CHUNK = 4096  # entries expanded at once while building the index
NGRAMS = (3, 4, 5)
# Feature-group weights: whole words and stems carry more meaning than n-grams.
WORD_WEIGHT, PREFIX_WEIGHT, GRAM_WEIGHT = 1.6, 1.3, 0.5


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
        self._feature_ids: dict[str, int] = {}
        self._word_cache: dict[str, list[tuple[int, float]]] = {}
        self._unknown_cache: dict[str, float] = {}
        self._build()
        release_memory()
        self._vocab_by_initial: dict[str, list[str]] = defaultdict(list)
        for word in {w for q in self._entry_text for w in q.split()}:
            if len(word) >= 4:
                self._vocab_by_initial[word[0]].append(word)
        self._vocab = {w for ws in self._vocab_by_initial.values() for w in ws}

    def _build(self) -> None:
        """Build both indexes with numpy: features once per distinct word, then arrays."""
        word_pos: dict[str, int] = {}
        pair_entry, pair_word = [], []
        for e, text in enumerate(self._entry_text):
            for word in text.split():
                pair_entry.append(e)
                pair_word.append(word_pos.setdefault(word, len(word_pos)))
        offsets, ids, weights = [0], [], []
        for word in word_pos:  # dicts keep insertion order, which matches the positions
            for f, w in self._word_features(word, grow=True):
                ids.append(f)
                weights.append(w)
            offsets.append(len(ids))
        word_off = np.asarray(offsets, dtype=np.int64)
        word_ids, word_w = np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)
        n_feat, n_entries = len(self._feature_ids), len(self._entry_text)
        n_topics = len(self.topics)
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
        self._idf = np.log((n_topics + 1) / (df + 1)) + 1.0
        self._idf_unseen = math.log(n_topics + 1) + 1.0
        values = tf_idf(rows, feats, counts, self._idf, n_entries)
        self._entries = SparseIndex(rows, feats, values, n_entries, n_feat)
        c_rows, c_feats, c_counts = aggregate(topics, feats, counts, n_feat)
        c_values = tf_idf(c_rows, c_feats, c_counts, self._idf, n_topics)
        self._centroids = SparseIndex(c_rows, c_feats, c_values, n_topics, n_feat)

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

    def _word_features(self, word: str, *, grow: bool) -> list[tuple[int, float]]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        named = [("w:" + word, WORD_WEIGHT)]
        if len(word) > PREFIX:
            named.append(("p:" + word[:PREFIX], PREFIX_WEIGHT))
        named.extend((g, GRAM_WEIGHT) for g in char_ngrams(word, NGRAMS))
        result = []
        unknown = 0.0
        for name, weight in named:
            f = self._feature_ids.get(name)
            if f is None and grow:
                f = self._feature_ids[name] = len(self._feature_ids)
            if f is not None:
                result.append((f, weight))
            else:
                unknown += sublinear(weight) ** 2
        if grow or len(self._word_cache) < 100_000:
            self._word_cache[word] = result
            self._unknown_cache[word] = unknown
        return result

    def _unknown_mass(self, words: Iterable[str]) -> float:
        """Return the squared weight of the words' features the index has never seen."""
        total = 0.0
        for word in words:
            if word not in self._unknown_cache:
                self._word_features(word, grow=False)
            total += self._unknown_cache.get(word, 0.0)
        # An unseen feature gets the IDF of a feature no topic uses.
        return total * self._idf_unseen**2

    def _raw_features(self, folded: str, *, grow: bool = False) -> Counter[int]:
        counts: Counter[int] = Counter()
        for word in folded.split():
            for f, weight in self._word_features(word, grow=grow):
                counts[f] += weight
        return counts

    def _weigh(self, counts: Counter[int], *, unseen: float = 0.0) -> dict[int, float]:
        """Weigh a query like the index; `unseen` adds the squared weight of unknown features."""
        vec = {f: sublinear(c) * self._idf[f] for f, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()) + unseen) or 1.0
        return {f: v / norm for f, v in vec.items()}

    def _corrected(self, folded: str) -> tuple[str, list[str]]:
        """Add the nearest known word for each unknown word (typos), when one is close.

        Return the text with the corrections added, and the words left unexplained.
        """
        extra, unexplained = [], []
        for word in folded.split():
            if word in self._vocab:
                continue
            choices = self._vocab_by_initial.get(word[0], ()) if len(word) >= 4 else ()
            best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=80)
            if best:
                extra.append(best[0])
            else:
                unexplained.append(word)
        return " ".join([folded, *extra]), unexplained

    def rank(self, text: str, *, limit: int = 3) -> list[Candidate]:
        """Return up to `limit` topics with scores in [0, 1], best first."""
        folded = fold(text)
        if not folded:
            return []
        corrected, unexplained = self._corrected(folded)
        # What the knowledge base has never seen still counts in the question's length, so
        # "weather in Ekibastuz" is not matched on "Ekibastuz" alone.
        query = self._weigh(self._raw_features(corrected), unseen=self._unknown_mass(unexplained))
        if not query:
            return []
        feats = np.fromiter(query.keys(), dtype=np.int64, count=len(query))
        weights = np.fromiter(query.values(), dtype=np.float64, count=len(query))
        entry_scores = self._entries.dot(feats, weights)
        best = np.maximum.reduceat(entry_scores, self._starts)
        scores = 0.6 * best + 0.4 * self._centroids.dot(feats, weights)
        count = min(max(limit, 5), len(scores))
        leaders = np.argpartition(-scores, count - 1)[:count]
        ranked = []
        for t in leaders:
            start = self._starts[t]
            end = self._starts[t + 1] if t + 1 < len(self._starts) else len(self._entry_text)
            # Fuzzy-compare with the topic's closest examples only: the rest cannot win.
            local = entry_scores[start:end]
            top = (
                np.argpartition(-local, RERANK - 1)[:RERANK]
                if len(local) > RERANK
                else range(len(local))
            )
            examples = [self._entry_text[start + i] for i in top]
            best_example = process.extractOne(folded, examples, scorer=RERANK_SCORER)
            ratio = best_example[1] / 100 if best_example else 0.0
            score = float(0.8 * scores[t] + 0.2 * ratio**2)
            ranked.append(Candidate(self.topics[t], round(score, 4)))
        ranked.sort(key=lambda c: -c.score)
        return ranked[:limit]

    def match(self, text: str, *, lang: str | None = None) -> Match:
        """Detect the language, rank topics and decide what the bot does."""
        evidence = self.detector.evidence(text)
        detected = self.detector.decide(evidence, default=lang or "ru")
        if not has_letters(text):
            return Match(text, detected, "empty", (), evidence)
        for number in articles(text):
            if number in self.articles_index:
                topic = self.articles_index[number]
                rest = [c for c in self.rank(text) if c.topic != topic][:2]
                return Match(text, detected, "answer", (Candidate(topic, 1.0), *rest), evidence)
        ranked = self.rank(text)
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
