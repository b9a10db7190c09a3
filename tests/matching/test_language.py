"""Tests for bot.matching.language: telling Kazakh from Russian in any script."""

from __future__ import annotations

import math

import pytest

from bot.knowledge.library import Library
from bot.matching.language import DEFAULT_LANG, LANGS, LanguageDetector


@pytest.fixture(scope="module")
def detector(library: Library) -> LanguageDetector:
    """The detector trained on the bundled content's example questions."""
    return library.matcher.detector


@pytest.fixture(scope="module")
def tiny() -> LanguageDetector:
    """A detector trained on a handful of sentences, for exact margin tests."""
    return LanguageDetector(
        {
            "ru": ["как защититься от мошенников", "куда звонить", "что делать"],
            "kk": ["қалай қорғануға болады", "қайда хабарласу керек", "не істеу керек"],
        }
    )


def test_constants() -> None:
    assert LANGS == ("ru", "kk")
    assert DEFAULT_LANG == "ru"


@pytest.mark.parametrize(
    "text",
    [
        "алаяқтардан қалай қорғануға болады",
        "бұрынғы күйеуім мені аңдып жүр",
        "ҚОҒАМДЫҚ ТЫҢДАУ ҚАШАН",
        "сәлем",
    ],
)
def test_kazakh_with_special_letters(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "kk"
    # Kazakh-only letters decide even against a huge margin and a Russian default.
    assert detector.detect(text, default="ru", margin=1e9) == "kk"


@pytest.mark.parametrize(
    "text",
    [
        "алаяктардан калай коргануга болады",
        "бурынгы куйеуим мени андып журр",
        "картамды сатып жибердим енди не болады",
    ],
)
def test_kazakh_with_russian_look_alike_letters(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "kk"


@pytest.mark.parametrize(
    "text",
    [
        "alayaktardan kalai korganu kerek",
        "meni bireu andyp zhur",
        "kollektorlar qorqytyp jatyr",
    ],
)
def test_kazakh_in_latin(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "kk"


@pytest.mark.parametrize(
    "text",
    [
        "как защититься от мошенников",
        "мне звонят из банка и просят код",
        "КУДА ОБРАЩАТЬСЯ ЕСЛИ ОБМАНУЛИ",
        "kak zashchititsya ot moshennikov",
    ],
)
def test_russian(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "ru"
    assert detector.detect(text, default="kk") == "ru"


@pytest.mark.parametrize("text", ["", "   ", "😀👍", "?!...", "zzzzqqq"])
def test_no_evidence_gives_the_default(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == "ru"
    assert detector.detect(text, default="kk") == "kk"


def test_scores_without_known_features_are_equal(detector: LanguageDetector) -> None:
    assert detector.scores("😀") == {"ru": 0, "kk": 0}


def test_scores_favour_the_language_of_the_text(detector: LanguageDetector) -> None:
    ru = detector.scores("как защититься от мошенников")
    kk = detector.scores("алаяктардан калай коргануга болады")
    assert ru["ru"] > ru["kk"]
    assert kk["kk"] > kk["ru"]


def test_margin_turns_weak_evidence_into_the_default(tiny: LanguageDetector) -> None:
    text = "куда звонить"
    scores = tiny.scores(text)
    lead = scores["ru"] - scores["kk"]
    assert lead > 0
    assert tiny.detect(text, default="kk", margin=lead / 2) == "ru"
    assert tiny.detect(text, default="kk", margin=lead * 2) == "kk"


def test_margin_given_at_construction_is_the_default_margin() -> None:
    samples = {"ru": ["куда звонить"], "kk": ["қайда хабарласу керек"]}
    text = "куда звонить"
    lead = LanguageDetector(samples).scores(text)
    gap = lead["ru"] - lead["kk"]
    assert LanguageDetector(samples, margin=gap / 2).detect(text, default="kk") == "ru"
    assert LanguageDetector(samples, margin=gap * 2).detect(text, default="kk") == "kk"
    # An explicit margin overrides the one given at construction.
    assert LanguageDetector(samples, margin=gap * 2).detect(text, default="kk", margin=0) == "ru"


def test_a_tie_goes_to_the_default() -> None:
    detector = LanguageDetector({"ru": ["слово"], "kk": ["слово"]}, margin=0)
    assert detector.detect("слово", default="kk") == "kk"
    assert detector.detect("слово", default="ru") == "ru"


def test_an_untrained_detector_falls_back_to_the_default() -> None:
    detector = LanguageDetector({})
    assert detector.detect("как дела", default="kk") == "kk"
    assert detector.detect("қалайсың", default="ru") == "kk"


@pytest.mark.parametrize(
    "text", ["как защититься от мошенников", "алаяқтардан қалай қорғануға болады", "xyzw"]
)
def test_evidence_is_the_difference_of_the_scores(detector: LanguageDetector, text: str) -> None:
    # Evidence is summed word by word; it must equal the whole-text model.
    scores = detector.scores(text)
    expected = scores["kk"] - scores["ru"] if "қ" not in text else math.inf
    assert detector.evidence(text) == pytest.approx(expected)
