"""Tests for bot.text: folding every script and spelling of ru/kk, article numbers, evidence."""

from __future__ import annotations

import random
import unicodedata

import pytest

from bot import text
from bot.kernel import compiled
from bot.library import Library
from bot.text import articles, char_ngrams, clean, fold, has_letters, kazakh_script_evidence, words


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
        ("115-1", ["115-1"]),
        ("что такое статья 115-1?", ["115-1"]),
        ("ст.232-1 УК", ["232-1"]),
        ("ст. 232-1 УК РК", ["232-1"]),
        ("214 - 2 бап", ["214-2"]),
        ("ҚК 125–1-бабы", ["125-1"]),  # en dash, Kazakh case ending
        ("456.2", ["456-2"]),
        ("статья 125-1, 214-1 и 214-2", ["125-1", "214-1", "214-2"]),
    ],
)
def test_articles_are_found(text: str, expected: list[str]) -> None:
    assert articles(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025 год",
        "в 2025-2026 годах",
        "1234-5",
        "сколько дел за 2025",
        "10:00",
        "3.5 процента",
        "17,7 процента",
        "456.2.1",
        "позвони 102",
    ],
)
def test_years_and_numbers_are_not_articles(text: str) -> None:
    assert articles(text) == []


@pytest.mark.parametrize("text", ["28.04.2026", "слушания 28.04.2026 в 10:00", "01.02.2025"])
def test_full_dates_are_not_articles(text: str) -> None:
    assert articles(text) == []


def test_iso_dates_are_not_articles() -> None:
    assert articles("с 2025-01-15") == []


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
        ("7", True),
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


@pytest.mark.skipif(compiled is None, reason="the C kernel was not built")
def test_the_kernel_folds_as_python_does(library: Library) -> None:
    assert compiled is not None
    rng = random.Random(4)
    # Letters the table maps, and what it does not: accents, emoji, other scripts' letters.
    mapped = (
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" "әғқңөұүһі" "АЁҚҰӘ" "abcdefghijklmnopqrstuvwxyz"
        "äğñöşūüıç" "ÄŞ" "0123456789" "  \t\n.,!?-()" "khtsyayuyozzh"
    )  # fmt: skip
    other = "—«»🙂👍é\u0301ﬁ²ўİ"

    def sample(alphabet: str) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))

    texts = [sample(mapped) for _ in range(5000)] + [sample(mapped + other) for _ in range(500)]
    texts += [t for topic in library.kb for t in [topic.title, *topic.questions, topic.body]]
    texts += ["", "ссс", "kkh", "zzzh", "tss", "yya", "a-a", "aa11aa", "ъь", "ЯЮЁ"]
    in_c = 0
    for given in texts:
        normalised = unicodedata.normalize("NFC", given).casefold()
        mine = compiled.fold(normalised, text._KERNEL_TABLE, text._DIGRAPHS)
        in_c += mine is not None
        assert mine in (None, text._fold(normalised)), given
        assert fold(given) == text._fold(normalised), given
    assert in_c > 5000  # the C path, not the fallback, is what was compared


@pytest.mark.skipif(compiled is None, reason="the C kernel was not built")
def test_the_kernel_refuses_a_table_it_cannot_hold() -> None:
    assert compiled is not None
    with pytest.raises(TypeError, match="ASCII"):
        compiled.fold("a", ("x" * 5,) * 128, ())
    with pytest.raises(TypeError, match="ASCII"):
        compiled.fold("a", ("ж",) * 128, ())
    assert compiled.fold("b", ("x" * 5,) * 10, ()) == "b"  # items past the text's letters: unread
