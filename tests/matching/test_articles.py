"""Tests for bot.matching.articles: article numbers cited in questions, and which exist."""

from __future__ import annotations

import pytest

from bot.matching.articles import ADMINISTRATIVE, CRIMINAL, Article, articles, cited


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
        ("115 1 бабы бойынша жаза қандай", ["115-1"]),  # spaced, as typed on phones
        ("ст 214 2", ["214-2"]),
        ("статья 188 УК кража", ["188"]),
        ("190-бабы", ["190"]),
        ("бап 190 алаяқтық жазасы", ["190"]),
    ],
)
def test_cited_numbers_are_found(text: str, expected: list[str]) -> None:
    assert articles(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("статья 188 УК кража", Article(CRIMINAL, "188")),
        ("statya 188", Article(CRIMINAL, "188")),
        ("ст 106 побои", Article(CRIMINAL, "106")),
        ("190 бабы", Article(CRIMINAL, "190")),
        ("коап 610", Article(ADMINISTRATIVE, "610")),
        ("әкімшілік кодекстің 456 2 бабы", Article(ADMINISTRATIVE, "456-2")),
        ("ст. 0", Article(CRIMINAL, "0")),
        ("999-9 бап", Article(CRIMINAL, "999-9")),
    ],
)
def test_cited_articles_and_their_code(text: str, expected: Article) -> None:
    assert cited(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "взял займ 10-15 тысяч",  # an amount, not an article: no word cites it
        "qylmys statistikasy 2026",
        "статистика за 2025",
        "2026-12-05 17:47",
        "позвони 102",
        "как не попасться мошенникам",
    ],
)
def test_numbers_that_no_word_cites_are_no_citation(text: str) -> None:
    assert cited(text) is None


@pytest.mark.parametrize(
    ("article", "exists"),
    [
        (Article(CRIMINAL, "188"), True),
        (Article(CRIMINAL, "115-1"), True),
        (Article(CRIMINAL, "0"), False),
        (Article(CRIMINAL, "999-9"), False),
        (Article(CRIMINAL, "610"), False),  # beyond the Criminal Code's last article
        (Article(ADMINISTRATIVE, "610"), True),
        (Article(CRIMINAL, "190-0"), False),
    ],
)
def test_impossible_numbers_do_not_exist(article: Article, exists: bool) -> None:
    assert article.exists is exists


def test_the_official_text_is_linked_in_the_user_language() -> None:
    assert Article(CRIMINAL, "188").url("ru") == "https://adilet.zan.kz/rus/docs/K1400000226"
    assert Article(CRIMINAL, "188").url("kk") == "https://adilet.zan.kz/kaz/docs/K1400000226"
    assert Article(ADMINISTRATIVE, "1").url("kk") == "https://adilet.zan.kz/kaz/docs/K1400000235"
