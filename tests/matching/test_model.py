"""Tests for bot.matching.model: the classifier's spelling of words it does not know."""

from __future__ import annotations

import random

import pytest

from bot.matching.calibration import misspell
from bot.matching.model import TopicModel


@pytest.fixture(scope="module")
def model() -> TopicModel:
    return TopicModel.train(
        [("bread", "купить свежий хлеб"), ("bread", "булочная"), ("rain", "погода дождь зонтик")]
    )


def test_the_vocabulary_holds_whole_words_of_four_letters_or_more(model: TopicModel) -> None:
    assert model.vocabulary == ("bulochnaia", "dozhd", "hleb", "kupit", "pogoda", "svezhi",
                                "zontik")  # fmt: skip


def test_a_misspelt_word_is_followed_by_the_known_word(model: TopicModel) -> None:
    assert model.spelled("bulocnaia ryadom") == "bulocnaia bulochnaia ryadom"
    assert model.spelled("kupit svezhi") == "kupit svezhi"  # known words stay as they are
    assert model.spelled("hlb") == "hlb"  # too short to tell a typo from another word
    assert model.spelled("kvantovaia") == "kvantovaia"  # nothing close enough


def test_misspelt_questions_still_find_their_topic(model: TopicModel) -> None:
    probabilities = model.probabilities(["булчоная", "пгода"])
    assert [model.classes[row.argmax()] for row in probabilities] == ["bread", "rain"]


def test_misspell_changes_one_or_two_letters_the_same_way_for_a_seed() -> None:
    text = "коллекторы угрожают маме"
    first = [misspell(text, random.Random(5)) for _ in range(3)]
    assert len(set(first)) == 1 and first[0] != text
    assert abs(len(first[0]) - len(text)) <= 2
    assert misspell("ok", random.Random(5)) == "ok"  # too short to misspell
