"""The staff report: what people asked, what the bot answered, what it could not, what they
disliked. Built once as a `UsageReport`, shown by `zanbot report` and the Telegram /report command.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from babel.numbers import format_percent
from rapidfuzz import fuzz, process

from bot.i18n import _, current_locale
from bot.knowledge.library import Library
from bot.knowledge.topics import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.matching.text import fold
from bot.storage.interface import Storage, Unanswered

SIMILAR = 70  # token_set_ratio of folded texts at which two questions are the same request
RANKED_TEXTS = 10  # texts of a group ranked to find its closest topic (enough to agree)
SHOWN = 3  # examples per group in the text report
CSV_COLUMNS = (
    "section", "since", "until", "lang", "topic", "title", "count", "answered", "helpful",
    "not_helpful", "share", "score", "examples",
)  # fmt: skip


@dataclass(frozen=True)
class LanguageStats:
    lang: str
    asked: int
    answered: int

    @property
    def share(self) -> float:
        return self.answered / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class DayStats:
    day: date
    lang: str
    asked: int
    answered: int


@dataclass(frozen=True)
class TopicStats:
    topic: str
    lang: str
    title: str
    answers: int


@dataclass(frozen=True)
class ShareStats:
    """A topic's cards sent to other chats through inline mode, in one language."""

    topic: str
    lang: str
    title: str
    shares: int


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions: add them as examples, or write the missing topic."""

    size: int
    lang: str
    examples: tuple[str, ...]  # distinct texts, most frequent first
    topic: str | None  # the closest topic and its mean matcher score over the texts
    title: str
    score: float


@dataclass(frozen=True)
class FeedbackStats:
    topic: str
    lang: str
    title: str
    helpful: int
    not_helpful: int

    @property
    def share(self) -> float:
        """Return the share of 👎 among the votes."""
        total = self.helpful + self.not_helpful
        return self.not_helpful / total if total else 0.0


@dataclass(frozen=True)
class UsageReport:
    since: date
    until: date
    languages: tuple[LanguageStats, ...]
    topics: tuple[TopicStats, ...]
    groups: tuple[QuestionGroup, ...]
    feedback: tuple[FeedbackStats, ...]  # topics with 👎, most 👎 first
    days: tuple[DayStats, ...] = ()  # questions per day and language, for the chart
    shared: tuple[ShareStats, ...] = ()  # answers sent to other chats, most sent first

    @property
    def total(self) -> LanguageStats:
        return LanguageStats(
            "all", sum(s.asked for s in self.languages), sum(s.answered for s in self.languages)
        )


def period(
    *, today: date, since: date | None = None, until: date | None = None, days: int = 30
) -> tuple[date, date]:
    """Return the (since, until) days of a report, both inclusive; default: the last `days`."""
    until = until or today
    since = since or until - timedelta(days=max(days, 1) - 1)
    if since > until:
        raise ValueError(f"the period starts ({since}) after it ends ({until})")
    return since, until


def _title(kb: KnowledgeBase, topic: str | None, lang: str) -> str:
    found = kb.get(topic, lang) if topic else None
    return found.title if found else ""


def group_questions(
    items: list[Unanswered], matcher: Matcher, kb: KnowledgeBase
) -> list[QuestionGroup]:
    """Group similar questions greedily (each joins the first group it is close to)."""
    members: list[list[Unanswered]] = []
    keys: list[str] = []  # the folded first question of each group
    for item in items:
        key = fold(item.text) or item.text.strip()
        found = process.extractOne(key, keys, scorer=fuzz.token_set_ratio, score_cutoff=SIMILAR)
        if found is None:
            keys.append(key)
            members.append([item])
        else:
            members[found[2]].append(item)
    groups = []
    for group in members:
        texts = [text for text, _ in Counter(i.text for i in group).most_common()]
        lang = Counter(i.lang for i in group).most_common(1)[0][0]
        scores: defaultdict[str, float] = defaultdict(float)
        ranked = texts[:RANKED_TEXTS]
        for text in ranked:
            for candidate in matcher.rank(text):
                scores[candidate.topic] += float(candidate.score) / len(ranked)
        topic, score = max(scores.items(), key=lambda item: item[1], default=(None, 0.0))
        title = _title(kb, topic, lang)
        groups.append(QuestionGroup(len(group), lang, tuple(texts), topic, title, round(score, 2)))
    return sorted(groups, key=lambda g: -g.size)  # stable: equal sizes keep first-seen order


async def build_report(
    storage: Storage, library: Library, *, since: date, until: date
) -> UsageReport:
    """Collect the report for the UTC days since..until, both inclusive."""
    snapshot = library.snapshot  # one knowledge base and matcher for the whole report
    kb = snapshot.kb
    languages = [LanguageStats(*row) for row in await storage.question_counts(since, until)]
    topics = [
        TopicStats(topic, lang, _title(kb, topic, lang), n)
        for topic, lang, n in await storage.topic_counts(since, until)
    ]
    unanswered = await storage.unanswered(since, until)
    # Ranking every question takes a while on a busy month: keep the event loop free.
    groups = await asyncio.to_thread(group_questions, unanswered, snapshot.matcher, kb)
    feedback = [
        FeedbackStats(topic, lang, _title(kb, topic, lang), good, bad)
        for topic, lang, good, bad in await storage.feedback_summary(since, until)
        if bad
    ]
    feedback.sort(key=lambda f: (-f.not_helpful, -f.share, f.topic, f.lang))
    days = [DayStats(*row) for row in await storage.daily_question_counts(since, until)]
    found = (tuple(languages), tuple(topics), tuple(groups), tuple(feedback), tuple(days))
    shared = tuple(
        ShareStats(topic, lang, _title(kb, topic, lang), n)
        for topic, lang, n in await storage.share_counts(since, until)
    )
    return UsageReport(since, until, *found, shared=shared)


def format_report_text(report: UsageReport, *, limit: int = 20) -> str:
    """Return the report as plain text in the current locale, at most `limit` rows per list."""
    locale = current_locale()
    title = _("Zanbot report {since} — {until} (UTC days)")
    lines = [title.format(since=report.since, until=report.until), "", _("Questions:")]
    for s in (*report.languages, report.total):
        share = format_percent(s.share, locale=locale)
        row = _("{lang}: {asked} asked, {answered} answered ({share})")
        lines.append(
            "  " + row.format(lang=s.lang, asked=s.asked, answered=s.answered, share=share)
        )
    lines += ["", _("Answers by topic:")]
    lines += [f"  {t.answers:5}  {t.lang}  {t.topic}  {t.title}" for t in report.topics[:limit]]
    lines += ["", _("Answers shared in other chats (inline mode):")]
    lines += [f"  {s.shares:5}  {s.lang}  {s.topic}  {s.title}" for s in report.shared[:limit]]
    count = sum(g.size for g in report.groups)
    heading = _("Unanswered questions: {count} in {groups} group(s)")
    lines += ["", heading.format(count=count, groups=len(report.groups))]
    for n, g in enumerate(report.groups[:limit], start=1):
        closest = f"{g.topic} «{g.title}» ({g.score:.2f})" if g.topic else _("none")
        row = _("closest topic: {topic}").format(topic=closest)
        lines.append(f"  {n}. ×{g.size} [{g.lang}] {row}")
        lines += [f"       – {text}" for text in g.examples[:SHOWN]]
    lines += ["", _("Most 👎 feedback:")]
    lines += [
        f"  {f.not_helpful:5} 👎 {f.helpful:5} 👍  {f.lang}  {f.topic}  {f.title}"
        for f in report.feedback[:limit]
    ]
    longest = (report.topics, report.shared, report.groups, report.feedback)
    hidden = max(len(rows) for rows in longest) - limit
    if hidden > 0:
        note = _("(lists cut at {limit} rows; the CSV report has them all)")
        lines += ["", note.format(limit=limit)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Keep a spreadsheet from running user text as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def format_report_csv(report: UsageReport) -> str:
    """Return the report as one CSV table, one row per line of any section.

    Columns: section, since, until, lang, topic, title, count, answered, helpful,
    not_helpful, share, score, examples. Filter on `section` in a spreadsheet:
    - questions: per language (and "all"): count = asked, answered, share = answered share;
    - topics: answers per topic and language: count;
    - shared: answers sent to other chats through inline mode, per topic and language: count;
    - unanswered: one group of similar questions: count = its size, topic/title/score = the
      closest topic and its mean matcher score, examples = its texts joined with " | ";
    - feedback: topics with 👎: helpful, not_helpful, count = votes, share = 👎 share.
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    period = {"since": report.since.isoformat(), "until": report.until.isoformat()}

    def row(section: str, **values: object) -> None:
        writer.writerow({"section": section, **period, **values})

    for s in (*report.languages, report.total):
        row("questions", lang=s.lang, count=s.asked, answered=s.answered, share=f"{s.share:.2f}")
    for t in report.topics:
        row("topics", lang=t.lang, topic=t.topic, title=_cell(t.title), count=t.answers)
    for s in report.shared:
        row("shared", lang=s.lang, topic=s.topic, title=_cell(s.title), count=s.shares)
    for g in report.groups:
        examples = _cell(" | ".join(g.examples))
        row("unanswered", lang=g.lang, topic=g.topic or "", title=_cell(g.title), count=g.size,
            score=f"{g.score:.2f}", examples=examples)  # fmt: skip
    for f in report.feedback:
        row("feedback", lang=f.lang, topic=f.topic, title=_cell(f.title),
            count=f.helpful + f.not_helpful, helpful=f.helpful, not_helpful=f.not_helpful,
            share=f"{f.share:.2f}")  # fmt: skip
    return out.getvalue()
