"""The staff report as a picture prosecutors can look at: questions per day by language, the
share answered each day, and the ten most asked topics, titled in the current locale.

matplotlib is imported only when a chart is drawn, so that the bot and the matcher start
without it. The chart is drawn on a `Figure` of its own (never pyplot's global figures), so
two reports may be drawn at the same time in worker threads.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from babel import Locale
from babel.numbers import format_percent

from bot.i18n import DEFAULT_LANG, _, current_locale
from bot.knowledge.report import UsageReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TOP_TOPICS = 10
MAX_LABEL = 45  # characters of a topic title beside its bar
FONT = "DejaVu Sans"  # bundled with matplotlib; it has every Kazakh letter (ә ғ қ ң ө ұ ү һ і)
SIZE = (10, 12)  # inches, at DPI: 1000 × 1200 pixels, a phone screen's proportions
DPI = 100
COLOURS = {"ru": "#3b6ea5", "kk": "#e0a526"}
OTHER_COLOUR = "#8c8c8c"


@dataclass(frozen=True)
class ChartData:
    """What the chart shows, taken from the report; tested apart from the drawing."""

    days: tuple[date, ...]  # every day of the period, first to last
    asked: dict[str, tuple[int, ...]]  # questions per day, per language (ru and kk first)
    share: tuple[float, ...]  # answered / asked per day; NaN on a day without questions
    topics: tuple[tuple[str, dict[str, int]], ...]  # (label, answers per language), most first


def _languages(langs: set[str]) -> list[str]:
    """Order languages: the bot's own first, in a fixed order, then any other."""
    return [lang for lang in COLOURS if lang in langs] + sorted(langs - COLOURS.keys())


def _label(titles: dict[str, str], topic: str, locale: str) -> str:
    """Name a topic in the reader's language when the report has that title, else in any."""
    title = titles.get(locale) or titles.get(DEFAULT_LANG) or next(iter(titles.values()), "")
    label = title or topic
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def chart_data(report: UsageReport, *, locale: str) -> ChartData:
    """Lay out the report's daily counts over the whole period and pick the top topics."""
    count = (report.until - report.since).days + 1
    days = tuple(report.since + timedelta(days=n) for n in range(count))
    index = {day: n for n, day in enumerate(days)}
    langs = _languages({d.lang for d in report.days} | {s.lang for s in report.languages})
    asked = {lang: [0] * count for lang in langs}
    answered = [0] * count
    for d in report.days:
        asked[d.lang][index[d.day]] += d.asked
        answered[index[d.day]] += d.answered
    totals = [sum(asked[lang][n] for lang in langs) for n in range(count)]
    share = tuple(a / t if t else math.nan for a, t in zip(answered, totals, strict=True))
    answers: dict[str, dict[str, int]] = {}
    titles: dict[str, dict[str, str]] = {}
    for t in report.topics:
        by_lang = answers.setdefault(t.topic, {})
        by_lang[t.lang] = by_lang.get(t.lang, 0) + t.answers
        if t.title:
            titles.setdefault(t.topic, {})[t.lang] = t.title
    ranked = sorted(answers.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    topics = tuple(
        (_label(titles.get(topic, {}), topic, locale), by_lang)
        for topic, by_lang in ranked[:TOP_TOPICS]
    )
    return ChartData(days, {lang: tuple(v) for lang, v in asked.items()}, share, topics)


def _language_name(lang: str, locale: str) -> str:
    try:
        return Locale.parse(lang).get_language_name(locale) or lang
    except (ValueError, LookupError):  # a code Babel does not know
        return lang


def draw_chart(report: UsageReport) -> bytes:
    """Draw the report as a PNG in the current locale."""
    import matplotlib
    from matplotlib.figure import Figure

    locale = current_locale()
    data = chart_data(report, locale=locale)
    names = {lang: _language_name(lang, locale) for lang in data.asked}
    # rc_context only makes the font explicit (it is matplotlib's default): a user's
    # matplotlibrc could choose one without the Kazakh letters.
    with matplotlib.rc_context({"font.family": FONT}):
        figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        # Two subfigures: the topics' long titles take room on the left that the daily
        # panels above need not leave empty.
        days, ranking = figure.subfigures(2, 1, height_ratios=(1.7, 1.3))
        per_day, answered = days.subplots(2, 1, height_ratios=(1.0, 0.7))
        topics = ranking.subplots()
        title = _("Zanbot report {since} — {until} (UTC days)")
        figure.suptitle(title.format(since=report.since, until=report.until), fontsize=15)
        _per_day(per_day, data, names)
        share = format_percent(report.total.share, locale=locale)
        _answered(answered, data, share)
        _topics(topics, data)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def _days_axis(axes: Axes, days: tuple[date, ...]) -> None:
    """Show the whole period, each day a bar's width, as numeric day.month (the same in
    every language: matplotlib's month names would be English)."""
    from matplotlib.dates import DateFormatter

    half = timedelta(hours=12)  # a day's bar is centred on its midnight
    first, last = (datetime.combine(day, time()) for day in (days[0], days[-1]))
    axes.set_xlim(first - half, last + half)
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m"))


def _nothing(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="#555")


def _per_day(axes: Axes, data: ChartData, names: dict[str, str]) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_title(_("Questions per day, by language"))
    bottom = [0] * len(data.days)
    for lang, counts in data.asked.items():
        colour = COLOURS.get(lang, OTHER_COLOUR)
        axes.bar(data.days, counts, bottom=bottom, color=colour, label=names[lang])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _days_axis(axes, data.days)
    if any(bottom):
        axes.legend(loc="upper left")
    else:
        axes.set_ylim(0, 1)
        _nothing(axes, _("No questions in this period."))


def _answered(axes: Axes, data: ChartData, share: str) -> None:
    from matplotlib.ticker import PercentFormatter

    title = _("Share of questions answered ({share} over the period)")
    axes.set_title(title.format(share=share))
    axes.plot(data.days, [s * 100 for s in data.share], marker="o", markersize=3,
              color="#2f8f5b")  # fmt: skip
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter(100))
    _days_axis(axes, data.days)


def _topics(axes: Axes, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_title(_("The ten most asked topics (answers given)"))
    ranked = list(reversed(data.topics))  # barh counts from the bottom: the most asked on top
    rows = range(len(ranked))
    left = [0] * len(ranked)
    for lang in data.asked:
        counts = [by_lang.get(lang, 0) for _label, by_lang in ranked]
        axes.barh(rows, counts, left=left, color=COLOURS.get(lang, OTHER_COLOUR))
        left = [a + c for a, c in zip(left, counts, strict=True)]
    # Positions, not the labels themselves, as categories: two titles may be cut alike.
    axes.set_yticks(rows, [label for label, _counts in ranked])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not ranked:
        _nothing(axes, _("No answers in this period."))
