"""Tests for bot.features: words as weighted features, questions as query vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.features import (
    GRAM_WEIGHT,
    PREFIX_WEIGHT,
    WORD_WEIGHT,
    FeatureSpace,
    named_features,
)
from bot.index import sublinear

VOCABULARY = ["kupit", "hleb", "magazine", "pogoda", "zavtra"]


@pytest.fixture
def space() -> FeatureSpace:
    return FeatureSpace(VOCABULARY)


def test_named_features_of_a_word() -> None:
    named = dict(named_features("pogoda"))
    assert named["w:pogoda"] == WORD_WEIGHT
    assert named["p:pogod"] == PREFIX_WEIGHT
    assert named[" po"] == named["oda "] == named[" pogo"] == GRAM_WEIGHT
    assert "p:hleb" not in dict(named_features("hleb"))  # too short for a prefix


def test_vocabulary_words_have_all_their_features(space: FeatureSpace) -> None:
    word = space.word("pogoda")
    assert word.known and word.correction is None and word.unseen == 0.0
    ids = np.frombuffer(word.ids, dtype=np.int64).tolist()
    assert sorted(ids) == sorted(space.ids[n] for n, _ in named_features("pogoda"))


def test_an_unknown_word_is_corrected_to_the_nearest_vocabulary_word(space: FeatureSpace) -> None:
    word = space.word("magazne")
    assert not word.known and word.correction == "magazine"
    assert word.unseen > 0  # "w:magazne" and some n-grams were never seen


def test_an_unknown_word_far_from_the_vocabulary_stays_unexplained(space: FeatureSpace) -> None:
    word = space.word("xromodinamika")
    assert word.correction is None and not word.known
    missing = [w for n, w in named_features("xromodinamika") if n not in space.ids]
    assert word.unseen == pytest.approx(sum(sublinear(w) ** 2 for w in missing))


def test_query_is_normalised_and_merges_repeated_features(space: FeatureSpace) -> None:
    ids, weights = space.query("hleb hleb")
    assert len(set(ids.tolist())) == len(ids)
    assert float(weights @ weights) == pytest.approx(1.0)
    word_feature = space.ids["w:hleb"]
    gram = space.ids[" hl"]
    by_id = dict(zip(ids.tolist(), weights.tolist(), strict=True))
    # Twice the word: 1 + log(2 × 1.6) for the word, 2 × 0.5 = 1 (still linear) for a gram.
    ratio = (1 + math.log(2 * WORD_WEIGHT)) / (2 * GRAM_WEIGHT)
    assert by_id[word_feature] / by_id[gram] == pytest.approx(ratio)


def test_unexplained_words_lengthen_the_query(space: FeatureSpace) -> None:
    _ids, alone = space.query("pogoda")
    _ids, diluted = space.query("pogoda xromodinamika")
    assert float(diluted @ diluted) < 1.0  # part of the norm is the unseen words
    assert diluted.max() < alone.max()


def test_a_typo_brings_the_corrected_word(space: FeatureSpace) -> None:
    ids, _weights = space.query("magazne")
    assert space.ids["w:magazine"] in ids.tolist()


def test_nothing_known_is_no_query(space: FeatureSpace) -> None:
    assert space.query("qqq") is None
    assert space.query("") is None


def test_idf_weighs_the_query(space: FeatureSpace) -> None:
    idf = np.ones(len(space))
    idf[space.ids["w:hleb"]] = 3.0
    space.set_idf(idf, 5.0)
    ids, weights = space.query("hleb")
    by_id = dict(zip(ids.tolist(), weights.tolist(), strict=True))
    ratio = (1 + math.log(WORD_WEIGHT)) * 3.0 / GRAM_WEIGHT
    assert by_id[space.ids["w:hleb"]] / by_id[space.ids[" hl"]] == pytest.approx(ratio)


def test_the_word_cache_is_bounded(space: FeatureSpace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.features.CACHE_WORDS", 3)
    for word in ["aaaa", "bbbb", "cccc", "dddd", "eeee"]:
        space.word(word)
    # Three words besides the vocabulary, which stays (it is looked up when built).
    assert set(space.cache) - set(VOCABULARY) <= {"aaaa", "bbbb", "cccc", "dddd", "eeee"}
    assert len(space.cache) <= len(VOCABULARY) + 3
    assert set(VOCABULARY) <= set(space.cache)
    assert space.word("eeee") is space.word("eeee")


def test_a_batch_of_queries_is_each_question_on_its_own(space: FeatureSpace) -> None:
    texts = ["hleb hleb", "qqq", "pogoda xromodinamika", "", "magazne kupit"]
    questions, ids, weights = space.queries(texts)
    assert (np.diff(questions) >= 0).all()
    for q, text in enumerate(texts):
        alone = space.query(text)
        mine = questions == q
        if alone is None:
            assert not mine.any()  # a question nothing is known of has no features at all
        else:
            assert ids[mine].tolist() == alone[0].tolist()
            assert weights[mine] == pytest.approx(alone[1])


def test_a_batch_with_nothing_known_is_no_query(space: FeatureSpace) -> None:
    assert space.queries(["qqq", ""]) is None
    assert space.queries([]) is None
