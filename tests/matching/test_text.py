"""Tests for text: folding every script and spelling of ru/kk, article numbers, evidence."""

from __future__ import annotations

import pytest

from bot.matching.text import char_ngrams, clean, fold, has_letters, kazakh_script_evidence, words


@pytest.mark.parametrize(
    "spellings",
    [
        # Kazakh Cyrillic, Russian look-alike letters, official 2021 Latin, informal Latin.
        ("алаяқтық", "алаяктык", "alaiaqtyq", "alayaktyk", "АЛАЯҚТЫҚ", "AlaYakTyk"),
        ("қоғамдық тыңдау", "когамдык тындау", "qoğamdyq tyñdau", "kogamdyk tyndau"),
        ("жалған ақпарат", "жалган акпарат", "jalğan aqparat", "zhalgan akparat"),
        ("шағым", "шагым", "şağym", "shagym"),
        ("ұрлық", "урлык", "ūrlyq", "urlyk"),
        ("әке", "аке", "äke"),
        ("хабарлау", "habarlau", "khabarlau"),
        ("юрист", "yurist", "iurist"),
        ("цифр", "tsifr"),
    ],
)
def test_scripts_and_spellings_fold_equal(spellings: tuple[str, ...]) -> None:
    folded = {fold(s) for s in spellings}
    assert len(folded) == 1, folded


def test_fold_result_is_a_latin_skeleton() -> None:
    assert fold("алаяқтық") == "alaiaktyk"
    assert fold("Жеке деректер") == "zheke derekter"


def test_yo_folds_to_ye() -> None:
    assert fold("ёлка") == fold("елка") == "elka"
    assert clean("Счёт") == "счет"


def test_doubled_letters_collapse() -> None:
    assert fold("касса") == fold("каса") == "kasa"
    assert fold("журр") == "zhur"
    assert fold("мошеннники") == fold("мошенники")


def test_emoji_and_punctuation_vanish() -> None:
    assert fold("Привет!!! 👋😀") == "privet"
    assert fold("«как?» — (спросил)...") == "kak sprosil"
    assert fold("🙂🙂") == ""
    assert fold("?!.,;:") == ""


def test_case_and_white_space_are_normalised() -> None:
    assert fold("  КАК\tзащититься \n ОТ   мошенников ") == fold("как защититься от мошенников")
    assert fold("КАК  ЗАЩИТИТЬСЯ") == fold("как защититься")


def test_accents_of_foreign_words_are_stripped() -> None:
    assert fold("café") == "cafe"


def test_digits_are_kept() -> None:
    assert fold("позвони 102") == "pozvoni 102"


def test_repeated_digits_are_not_collapsed() -> None:
    # Only doubled letters collapse: 112 and 12, 1100 and 10 stay apart.
    assert fold("102 или 112") == "102 ili 112"
    assert fold("1100 тенге") == "1100 tenge"


@pytest.mark.parametrize(
    ("cyrillic", "latin"), [("менің", "menıñ"), ("өтініш", "ötınış"), ("бір кісі", "bır kısı")]
)
def test_official_latin_dotless_i_meets_cyrillic_i(cyrillic: str, latin: str) -> None:
    assert fold(latin) == fold(cyrillic)


def test_words_splits_the_folded_text() -> None:
    assert words("Алаяқтар, ақша!") == ["alaiaktar", "aksha"]
    assert words("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("   ", False),
        ("😀😀👍", False),
        ("!!!???...", False),
        ("«—»", False),
        ("а", True),
        ("q", True),
        ("7", False),  # digits alone are no words: "please write your question in words"
        ("7a", True),
        ("👍 ok", True),
        ("ә", True),
    ],
)
def test_has_letters(text: str, expected: bool) -> None:
    assert has_letters(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("қоғамдық", True),
        ("ӘКЕ", True),
        ("сұрақ", True),
        ("іс", True),
        ("qoğamdyq", True),
        ("tyñdau", True),
        ("ötınış", True),
        # Look-alike letters and informal Latin carry no script evidence.
        ("когамдык", False),
        ("kogamdyk tyndau", False),
        ("как защититься от мошенников", False),
        ("", False),
        ("😀", False),
    ],
)
def test_kazakh_script_evidence(text: str, expected: bool) -> None:
    assert kazakh_script_evidence(text) is expected


def test_char_ngrams_are_padded() -> None:
    assert char_ngrams("ab", (3,)) == [" ab", "ab "]
    assert char_ngrams("ab", (5,)) == []
    assert char_ngrams("abc", (3, 4)) == [" ab", "abc", "bc ", " abc", "abc "]
