"""Tests for report over a temporary SQLite database filled through the storage API."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from conftest import Clock

from bot.i18n import use_locale
from bot.knowledge.library import Library
from bot.knowledge.report import (
    FeedbackStats,
    LanguageStats,
    ShareStats,
    TopicStats,
    UsageReport,
    build_report,
    format_report_csv,
    format_report_text,
    period,
)
from bot.storage.sqlite import SQLiteStorage

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
EARLIER = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # outside the reported period
SINCE, UNTIL = date(2026, 3, 1), date(2026, 3, 31)
REFUND = ["как вернуть деньги за билет на самолет", "как вернуть деньги за билет на самолет?"]
STALKER = "сосед-сталкер преследует сестру что ей делать"


async def fill(store: SQLiteStorage, clock: Clock) -> None:
    clock.now = EARLIER
    await store.add_counts({"ru": (1, 0)}, {})
    await store.add_unanswered_many([("старый вопрос вне периода", "ru")])
    await store.add_feedback(1, "emergency-contacts", "ru", helpful=False)
    await store.add_shares({("uk-232-1-droppers", "ru"): 9})
    clock.now = DAY
    await store.add_shares({("uk-232-1-droppers", "ru"): 1, ("uk-115-1-stalking", "kk"): 3})
    await store.add_counts(
        {"ru": (3, 2), "kk": (1, 0)},
        {("uk-115-1-stalking", "ru"): 2, ("fraud-victim-steps", "kk"): 1},
    )
    ru = [*REFUND, REFUND[0], STALKER, "=HYPERLINK(1) карта 4400 4301 2345 6789"]
    await store.add_unanswered_many([(text, "ru") for text in ru])
    await store.add_unanswered_many([("салық туралы сұрақ", "kk")])
    votes = [("uk-115-1-stalking", "ru", False)] * 2 + [("uk-115-1-stalking", "ru", True)]
    votes += [("fraud-victim-steps", "kk", True), ("smalltalk-help", "kk", False)]
    for user, (topic, lang, helpful) in enumerate(votes):
        await store.add_feedback(user, topic, lang, helpful=helpful)


@pytest.fixture
async def report(tmp_path, library: Library) -> AsyncIterator[UsageReport]:
    clock = Clock(DAY)
    async with SQLiteStorage(tmp_path / "report.sqlite3", clock=clock) as store:
        await fill(store, clock)
        yield await build_report(store, library, since=SINCE, until=UNTIL)


def title(library: Library, topic: str, lang: str) -> str:
    found = library.kb.get(topic, lang)
    assert found is not None
    return found.title


async def test_questions_per_language(report: UsageReport) -> None:
    assert report.languages == (LanguageStats("kk", 1, 0), LanguageStats("ru", 3, 2))
    assert (report.total, round(report.total.share, 2)) == (LanguageStats("all", 4, 2), 0.5)


async def test_answers_per_topic_with_titles(report: UsageReport, library: Library) -> None:
    assert report.topics == (
        TopicStats("uk-115-1-stalking", "ru", title(library, "uk-115-1-stalking", "ru"), 2),
        TopicStats("fraud-victim-steps", "kk", title(library, "fraud-victim-steps", "kk"), 1),
    )


async def test_answers_shared_per_topic_most_first(report: UsageReport, library: Library) -> None:
    assert report.shared == (
        ShareStats("uk-115-1-stalking", "kk", title(library, "uk-115-1-stalking", "kk"), 3),
        ShareStats("uk-232-1-droppers", "ru", title(library, "uk-232-1-droppers", "ru"), 1),
    )


async def test_unanswered_grouped_by_similarity(report: UsageReport) -> None:
    groups = [(g.size, g.lang, g.examples) for g in report.groups]
    assert groups[0] == (3, "ru", tuple(REFUND))
    assert sorted(g.size for g in report.groups) == [1, 1, 1, 3]
    assert "старый вопрос вне периода" not in [e for g in report.groups for e in g.examples]


async def test_group_closest_topic(report: UsageReport, library: Library) -> None:
    (group,) = [g for g in report.groups if g.examples == (STALKER,)]
    expected = library.matcher.rank(STALKER)[0]
    assert (group.topic, group.score) == (expected.topic, round(float(expected.score), 2))
    assert (group.topic, group.title) == (
        "uk-115-1-stalking", title(library, "uk-115-1-stalking", "ru"),
    )  # fmt: skip


async def test_unanswered_texts_are_redacted(report: UsageReport) -> None:
    texts = " ".join(e for g in report.groups for e in g.examples)
    assert "4400 4301 2345 6789" not in texts


async def test_feedback_most_not_helpful_first(report: UsageReport, library: Library) -> None:
    assert report.feedback == (
        FeedbackStats("uk-115-1-stalking", "ru", title(library, "uk-115-1-stalking", "ru"), 1, 2),
        FeedbackStats("smalltalk-help", "kk", title(library, "smalltalk-help", "kk"), 0, 1),
    )


async def test_text_format(report: UsageReport, library: Library) -> None:
    with use_locale("en"):  # the message ids; ru/kk are checked below
        text = format_report_text(report)
    stalking = title(library, "uk-115-1-stalking", "ru")
    assert text.splitlines()[0] == "Zanbot report 2026-03-01 — 2026-03-31 (UTC days)"
    for line in [
        "  ru: 3 asked, 2 answered (67%)",
        "  all: 4 asked, 2 answered (50%)",
        f"      2  ru  uk-115-1-stalking  {stalking}",
        "Answers shared in other chats (inline mode):",
        f"      3  kk  uk-115-1-stalking  {title(library, 'uk-115-1-stalking', 'kk')}",
        "Unanswered questions: 6 in 4 group(s)",
        f"       – {REFUND[0]}",
        f"      2 👎     1 👍  ru  uk-115-1-stalking  {stalking}",
    ]:
        assert line in text.splitlines()


async def test_text_format_cuts_long_lists(report: UsageReport) -> None:
    with use_locale("en"):
        lines = format_report_text(report, limit=1).splitlines()
    assert (lines[-1], sum(1 for line in lines if " group(s)" in line)) == (
        "(lists cut at 1 rows; the CSV report has them all)", 1,
    )  # fmt: skip


async def test_csv_format(report: UsageReport) -> None:
    rows = list(csv.DictReader(io.StringIO(format_report_csv(report))))
    sections = [row["section"] for row in rows]
    assert sections == (
        ["questions"] * 3 + ["topics"] * 2 + ["shared"] * 2 + ["unanswered"] * 4 + ["feedback"] * 2
    )
    assert {(row["since"], row["until"]) for row in rows} == {("2026-03-01", "2026-03-31")}
    ru = rows[1]
    assert (ru["lang"], ru["count"], ru["answered"], ru["share"]) == ("ru", "3", "2", "0.67")
    shared = rows[5]
    assert (shared["topic"], shared["lang"], shared["count"]) == ("uk-115-1-stalking", "kk", "3")
    refund = rows[7]
    assert (refund["count"], refund["examples"]) == ("3", " | ".join(REFUND))
    bad = rows[-2]
    assert (bad["topic"], bad["helpful"], bad["not_helpful"], bad["share"]) == (
        "uk-115-1-stalking", "1", "2", "0.67",
    )  # fmt: skip


async def test_csv_neutralises_formulas(report: UsageReport) -> None:
    rows = list(csv.DictReader(io.StringIO(format_report_csv(report))))
    examples = [row["examples"] for row in rows if row["examples"].startswith("'=")]
    assert [e.startswith("'=HYPERLINK(1)") for e in examples] == [True]


async def test_empty_period(tmp_path, library: Library) -> None:
    async with SQLiteStorage(tmp_path / "empty.sqlite3") as store:
        report = await build_report(store, library, since=SINCE, until=UNTIL)
    assert (report.languages, report.topics, report.groups, report.feedback) == ((), (), (), ())
    assert report.shared == ()
    with use_locale("en"):
        lines = format_report_text(report).splitlines()
    assert "  all: 0 asked, 0 answered (0%)" in lines


def test_period_defaults_to_the_last_days() -> None:
    today = date(2026, 3, 31)
    assert period(today=today) == (date(2026, 3, 2), today)
    assert period(today=today, days=1) == (today, today)
    assert period(today=today, until=date(2026, 2, 10), days=10) == (
        date(2026, 2, 1), date(2026, 2, 10),
    )  # fmt: skip
    assert period(today=today, since=date(2026, 3, 20)) == (date(2026, 3, 20), today)


def test_period_rejects_reversed_bounds() -> None:
    with pytest.raises(ValueError, match="starts"):
        period(today=date(2026, 3, 1), since=date(2026, 3, 5))


@pytest.mark.parametrize(
    ("lang", "title", "share"),
    [("ru", "Отчёт Zanbot 2026-03-01", "50 %"), ("kk", "Zanbot есебі 2026-03-01", "50%")],
)
async def test_text_report_in_russian_and_kazakh(
    report: UsageReport, lang: str, title: str, share: str
) -> None:
    with use_locale(lang):
        text = format_report_text(report)
    assert text.splitlines()[0].startswith(title)
    assert "Zanbot report" not in text and "asked" not in text
    # Percentages through Babel in the locale (Russian puts a no-break space before %).
    assert share.replace(" ", "\xa0") in text or share in text
