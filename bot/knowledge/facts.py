"""The facts an answer states, so that the Russian and Kazakh versions can be compared.

A fact is a number, a percentage, a date, a time, a link, a domain, an e-mail address or an
article number, written the same way whatever the language: "64 %", "64%" and "64 пайыз" are
all `64%`; "28 апреля 2026" and "2026 жылғы 28 сәуір" are both `2026-04-28`. The checks here
are `zanbot content check`'s: facts that one language states and the other does not (errors),
relative time words that go stale (warnings), answers on a law without a link to its official
text (errors), and statistics without the day they are true for (warnings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.i18n import LANGS
from bot.knowledge.topics import KnowledgeBase, Problem, Topic, display_path

OFFICIAL_TEXT = "adilet.zan.kz"
MONTHS = {
    "ru": ("январ", "феврал", "март", "апрел", "ма[йя]", "июн", "июл", "август", "сентябр",
           "октябр", "ноябр", "декабр"),
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
           "қыркүйек", "қазан", "қараша", "желтоқсан"),
}  # fmt: skip
_MONTH = {
    lang: re.compile("|".join(f"(?P<m{i}>{stem})" for i, stem in enumerate(stems, 1)), re.I)
    for lang, stems in MONTHS.items()
}
_ANY_MONTH = "|".join(stem for stems in MONTHS.values() for stem in stems)
_WORD_END = r"[^\W\d_]*"  # a case ending: "апреля", "сәуірде", "наурыздағы"
# Kazakh: "2026 жылғы 28 сәуір", "2026 ж. 28 сәуірде"; Russian: "28 апреля 2026 года".
_DATE_YMD = re.compile(
    rf"(?P<y>\d{{4}})\s*(?:жылғы|жылы|ж\.)\s*(?P<d>\d{{1,2}})[\s-]*(?P<mon>{_ANY_MONTH}){_WORD_END}",
    re.I,
)
_DATE_DMY = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})[\s-]*(?P<mon>{_ANY_MONTH}){_WORD_END}(?:\s+(?P<y>\d{{4}}))?", re.I
)
_URL = re.compile(r"https?://[^\s)\]>\"']+", re.I)
_LANG_SEGMENT = re.compile(r"/(?:rus|kaz|eng|ru|kk|kz|en)(?=/)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:kz|ru|com|org|net|gov|info)\b", re.I)
_TIME = re.compile(r"\b(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)\b(?![.,]\d)")
_PERCENT = re.compile(r"(?P<n>\d+(?:[.,]\d+)?)\s*(?:%|процент\w*|пайыз\w*)", re.I)
_ARTICLE = re.compile(r"\b\d{1,4}-\d{1,2}\b")  # 115-1, 232-1: the new articles' numbers
_NUMBER = re.compile(r"\d+(?:[  ]\d{3})*(?:[.,]\d+)?")
RELATIVE_TIME = re.compile(
    r"\b(?:в этом году|в прошлом году|в текущем году|в этом месяце|в прошлом месяце|недавно"
    r"|сегодня|вчера|завтра|на днях|нынешн\w*|биыл\w*|былтыр\w*|жуырда|бүгін\w*|кеше"
    r"|ертең|осы жылы|өткен жылы|таяуда)\b",
    re.I,
)
# An answer with statistics: a percentage, or a count of cases, crimes, people or kilograms.
_STATISTIC = re.compile(
    r"\d\s*(?:%|процент|пайыз)|\d+\s+(?:случа|преступлен|уголовн|дел[оа]?\b|фактов|кг|человек"
    r"|жағдай|қылмыс|іс\b|адам)",
    re.I,
)


def _month(name: str) -> int:
    for pattern in _MONTH.values():
        match = pattern.match(name)
        if match:
            return int(next(k for k, v in match.groupdict().items() if v)[1:])
    raise ValueError(name)


def _date(match: re.Match[str]) -> str:
    day, month, year = int(match["d"]), _month(match["mon"]), match["y"]
    return f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _url(text: str) -> str:
    """Write a link the same way in both languages: adilet.zan.kz/rus/… and /kaz/… are one text."""
    url = text.rstrip(".,;:!?").rstrip("/").lower()
    return _LANG_SEGMENT.sub("", url)


def _number(text: str) -> str:
    value = re.sub(r"[  ]", "", text).replace(",", ".")
    return value.rstrip("0").rstrip(".") if "." in value else value


def facts_in(text: str) -> Iterator[str]:
    """Yield the facts of one line, each written the same way in every language."""
    found: list[str] = []

    def take(pattern: re.Pattern[str], fact: Callable[[re.Match[str]], str]) -> None:
        nonlocal text

        def keep(match: re.Match[str]) -> str:
            found.append(fact(match))
            return " "

        text = pattern.sub(keep, text)

    take(_URL, lambda m: _url(m[0]))
    found += [host[0] for url in list(found) if (host := _DOMAIN.search(url))]
    take(_EMAIL, lambda m: m[0].lower())
    take(_DOMAIN, lambda m: m[0].lower())
    take(_DATE_YMD, _date)
    take(_DATE_DMY, _date)
    take(_TIME, lambda m: f"{int(m['h']):02d}:{m['m']}")
    take(_PERCENT, lambda m: _number(m["n"]) + "%")
    take(_ARTICLE, lambda m: m[0])
    take(_NUMBER, lambda m: _number(m[0]))
    yield from found


def _lines(topic: Topic, first_body_line: int) -> Iterator[tuple[int, str]]:
    """Yield (file line, text) of what a topic states: the answer and the front matter's
    values shown to users (not the example questions or keywords, which are wording)."""
    yield topic.lines.get("title", 1), topic.title
    if topic.source:
        where = topic.lines.get("source", 1)
        yield where, " ".join(filter(None, (topic.source.article, topic.source.url)))
    for source in topic.sources:
        yield topic.lines.get("sources", 1), source
    for offset, text in enumerate(topic.body.splitlines()):
        yield first_body_line + offset, text


def topic_facts(topic: Topic, first_body_line: int) -> dict[str, int]:
    """Return each fact of a topic with the file line where it first appears."""
    facts: dict[str, int] = {}
    for line, text in _lines(topic, first_body_line):
        for fact in facts_in(text):
            facts.setdefault(fact, line)
    return facts


def parity_problems(kb: KnowledgeBase, body_start: dict[Path, int]) -> list[Problem]:
    """Report each fact one language of a topic states and another does not, at both places."""
    problems: list[Problem] = []
    for topic_id in kb.ids():
        versions = [t for lang in LANGS if (t := kb.get(topic_id, lang)) is not None]
        facts = {t.lang: topic_facts(t, body_start[t.path]) for t in versions}
        for has in versions:
            for lacks in (t for t in versions if t is not has):
                for fact, line in facts[has.lang].items():
                    if fact not in facts[lacks.lang]:
                        message = (
                            f"{has.lang} states {fact} ({display_path(has.path)}:{line}) and "
                            f"{lacks.lang} "
                            f"does not: the languages must state the same facts"
                        )
                        problems.append(Problem(lacks.path, body_start[lacks.path], message))
    return problems


def wording_problems(topic: Topic, first_body_line: int) -> list[Problem]:
    """Warn about relative dates; require the official text's link and the date of figures."""
    problems: list[Problem] = []
    for offset, text in enumerate(topic.body.splitlines()):
        for match in RELATIVE_TIME.finditer(text):
            message = (
                f"'{match[0]}' goes stale: give the year or the date (e.g. 'по итогам 2025 "
                f"года', '2026 жылғы 17 наурыз')"
            )
            problems.append(Problem(topic.path, first_body_line + offset, message, "warning"))
    links = [topic.body, *topic.sources, topic.source.url if topic.source else None]
    if topic.category == "articles" and not any(OFFICIAL_TEXT in (x or "") for x in links):
        message = f"an answer on a law links its official text ({OFFICIAL_TEXT}): none found"
        problems.append(Problem(topic.path, topic.lines.get("sources", first_body_line), message))
    if topic.as_of is None and _STATISTIC.search(topic.body):
        message = "the answer gives figures: add 'as_of: YYYY-MM-DD', the day they are true for"
        problems.append(Problem(topic.path, topic.lines.get("id", 1), message, "warning"))
    return problems
