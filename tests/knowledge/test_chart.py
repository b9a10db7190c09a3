"""Tests for bot.knowledge.chart: what the chart shows, that it draws a sensible PNG in each
language, that its font has the Kazakh letters, and that the bot starts without matplotlib."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import date

import pytest
from imaging import png_size
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from bot.i18n import use_locale
from bot.knowledge.chart import DPI, FONT, MAX_LABEL, SIZE, TOP_TOPICS, chart_data, draw_chart
from bot.knowledge.report import DayStats, LanguageStats, TopicStats, UsageReport

SINCE, UNTIL = date(2026, 3, 1), date(2026, 3, 4)
KAZAKH_LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"


def usage(*, topics: int = 3) -> UsageReport:
    """Four days: questions on the 1st (ru, kk) and the 3rd (ru); none on the 2nd and 4th."""
    days = (
        DayStats(date(2026, 3, 1), "kk", 2, 1),
        DayStats(date(2026, 3, 1), "ru", 3, 3),
        DayStats(date(2026, 3, 3), "ru", 5, 1),
    )
    languages = (LanguageStats("kk", 2, 1), LanguageStats("ru", 8, 4))
    answers = [
        TopicStats(f"topic-{n:02}", lang, f"Тақырып {n} {lang}", n + (lang == "ru"))
        for n in range(1, topics + 1)
        for lang in ("ru", "kk")
    ]
    return UsageReport(SINCE, UNTIL, languages, tuple(answers), (), (), days)


def test_chart_data_fills_every_day_of_the_period() -> None:
    data = chart_data(usage(), locale="kk")
    assert data.days == tuple(date(2026, 3, d) for d in (1, 2, 3, 4))
    assert data.asked == {"ru": (3, 0, 5, 0), "kk": (2, 0, 0, 0)}  # ru first, then kk
    assert data.share[0] == pytest.approx(0.8) and data.share[2] == pytest.approx(0.2)
    assert math.isnan(data.share[1]) and math.isnan(data.share[3])  # no questions: no point


def test_chart_data_ranks_topics_over_both_languages_in_the_reader_s_language() -> None:
    data = chart_data(usage(), locale="kk")
    assert data.topics == (
        ("Тақырып 3 kk", {"ru": 4, "kk": 3}),
        ("Тақырып 2 kk", {"ru": 3, "kk": 2}),
        ("Тақырып 1 kk", {"ru": 2, "kk": 1}),
    )
    # English readers get the Russian titles (the report has no English ones).
    assert chart_data(usage(), locale="en").topics[0][0] == "Тақырып 3 ru"


def test_chart_data_keeps_the_top_ten_with_short_labels() -> None:
    data = chart_data(usage(topics=15), locale="ru")
    ranked = [f"Тақырып {n} ru" for n in range(15, 15 - TOP_TOPICS, -1)]  # the most first
    assert [label for label, _counts in data.topics] == ranked
    title = "Очень длинное название темы " * 4
    long = UsageReport(SINCE, UNTIL, (), (TopicStats("topic-99", "ru", title, 1),), (), ())
    [(label, _counts)] = chart_data(long, locale="ru").topics
    assert (len(label), label) == (MAX_LABEL, title[: MAX_LABEL - 1] + "…")


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_draw_chart_makes_a_png_of_the_planned_size(lang: str) -> None:
    with use_locale(lang):  # warnings are errors: a missing glyph would fail here
        png = draw_chart(usage())
    assert png_size(png) == (SIZE[0] * DPI, SIZE[1] * DPI)


def test_draw_chart_of_an_empty_period() -> None:
    with use_locale("kk"):
        png = draw_chart(UsageReport(SINCE, SINCE, (), (), (), ()))
    assert png_size(png) == (SIZE[0] * DPI, SIZE[1] * DPI)


def test_the_chart_font_has_every_kazakh_letter() -> None:
    path = font_manager.findfont(FONT, fallback_to_default=False)
    font = FT2Font(path)
    assert font.family_name == FONT
    missing = [letter for letter in KAZAKH_LETTERS if font.get_char_index(ord(letter)) == 0]
    assert missing == []


def test_the_bot_and_the_matcher_start_without_matplotlib() -> None:
    code = (
        "import sys, bot.telegram.app, bot.cli.main, bot.matching.matcher, bot.knowledge.chart;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"
