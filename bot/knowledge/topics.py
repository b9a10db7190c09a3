"""The knowledge base: topics written by staff as Markdown files with YAML front matter.

`load_knowledge_base` reads `content/<lang>/*.md`, validates everything and either returns a
`KnowledgeBase` or raises `ContentError` carrying every problem as `file:line: message`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.frontmatter import Document, FrontMatterError, parse_document

CATEGORIES = ("articles", "fraud", "hearings", "info", "smalltalk")
REQUIRED_KEYS = ("id", "title", "category", "questions")
KNOWN_KEYS = frozenset(
    (
        *REQUIRED_KEYS,
        "keywords",
        "related",
        "source",
        "sources",
        "as_of",
        "reviewed",
        "hearing",
        "template",
    )
)
HEARING_KEYS = frozenset(
    (
        "starts", "timezone", "place", "online_url", "conference_id", "access_code",
        "documents_url", "comment_deadline_working_days", "initiator", "contact",
    )
)  # fmt: skip
# A deep link carries the id as its start parameter, which Telegram limits to 64 characters
# (bot/conversation/links.py), and buttons carry it in callback data, at most 64 bytes with
# the longest prefix and suffix ("fb:<id>:1", bot/conversation/callbacks.py): 59 at most.
MAX_ID_LENGTH = 59
_ID = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{MAX_ID_LENGTH - 1}}}$")
# content/<lang>/out-of-scope.md holds questions no topic answers (docs/content-format.md).
OUT_OF_SCOPE = "out-of-scope"
OUT_OF_SCOPE_KEYS = frozenset(("id", "title", "questions"))


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in the content, with where it is."""

    path: Path
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class ContentError(Exception):
    """The content cannot be loaded; `problems` says why, each with file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Source:
    law: str
    article: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Hearing:
    starts: datetime
    place: str = ""
    online_url: str | None = None
    conference_id: str | None = None
    access_code: str | None = None
    documents_url: str | None = None
    comment_deadline_working_days: int | None = None
    initiator: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Topic:
    id: str
    lang: str
    title: str
    category: str
    questions: tuple[str, ...]
    body: str
    path: Path
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    source: Source | None = None
    hearing: Hearing | None = None
    reviewed: bool = True
    template: str | None = None
    sources: tuple[str, ...] = ()  # where the facts come from: the article, the law's text
    as_of: date | None = None  # the day the figures in the answer are true for
    body_line: int = 1
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class OutOfScope:
    """Questions of one language that no topic answers: the bot learns to refuse them."""

    lang: str
    questions: tuple[str, ...]
    path: Path
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class KnowledgeBase:
    """Topics by language and id, in a stable order (category, then title), and the
    out-of-scope questions by language."""

    topics: dict[tuple[str, str], Topic]
    root: Path | None = None
    out_of_scope: dict[str, OutOfScope] = field(default_factory=dict)

    def get(self, topic_id: str, lang: str) -> Topic | None:
        return self.topics.get((lang, topic_id))

    def ids(self) -> list[str]:
        return sorted({topic_id for _, topic_id in self.topics})

    def in_lang(self, lang: str) -> list[Topic]:
        found = [t for (tl, _), t in self.topics.items() if tl == lang]
        return sorted(found, key=lambda t: (CATEGORIES.index(t.category), t.title))

    def in_category(self, category: str, lang: str) -> list[Topic]:
        return [t for t in self.in_lang(lang) if t.category == category]

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics.values())

    def __len__(self) -> int:
        return len(self.topics)


def _str_list(data: dict[str, Any], key: str, path: Path, line: int) -> tuple[str, ...]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ContentError([Problem(path, line, f"'{key}' must be a list of strings")])
    return tuple(str(v).strip() for v in value if str(v).strip())


def _hearing(raw: Any, path: Path, lines: dict[str, int]) -> Hearing:
    line = lines.get("hearing", 1)
    if not isinstance(raw, dict):
        raise ContentError([Problem(path, line, "'hearing' must be a mapping")])
    unknown = set(raw) - HEARING_KEYS
    if unknown:
        key = sorted(unknown)[0]
        problem = Problem(path, lines.get(f"hearing.{key}", line), f"unknown hearing key '{key}'")
        raise ContentError([problem])
    starts_line = lines.get("hearing.starts", line)
    if "starts" not in raw:
        raise ContentError([Problem(path, line, "hearing needs 'starts'")])
    try:
        zone = ZoneInfo(str(raw.get("timezone", "Asia/Almaty")))
    except (ZoneInfoNotFoundError, ValueError):
        tz_line = lines.get("hearing.timezone", line)
        raise ContentError([Problem(path, tz_line, "unknown time zone")]) from None
    try:
        starts = raw["starts"]
        starts = starts if isinstance(starts, datetime) else datetime.fromisoformat(str(starts))
    except ValueError as exc:
        raise ContentError([Problem(path, starts_line, f"bad hearing date: {exc}")]) from None
    starts = starts.replace(tzinfo=zone) if starts.tzinfo is None else starts.astimezone(zone)
    fields = {k: (str(v) if v is not None else None) for k, v in raw.items()}
    days = raw.get("comment_deadline_working_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
        days_line = lines.get("hearing.comment_deadline_working_days", line)
        message = "'comment_deadline_working_days' must be a whole number"
        raise ContentError([Problem(path, days_line, message)])
    return Hearing(
        starts=starts,
        place=fields.get("place") or "",
        online_url=fields.get("online_url"),
        conference_id=fields.get("conference_id"),
        access_code=fields.get("access_code"),
        documents_url=fields.get("documents_url"),
        comment_deadline_working_days=int(days) if days is not None else None,
        initiator=fields.get("initiator") or "",
        contact=fields.get("contact") or "",
    )


def _document(path: Path, text: str | None) -> Document:
    """Read a content file's front matter and body; raise ContentError with file:line."""
    # utf-8-sig: editors on Windows may save a byte-order mark first.
    text = path.read_text(encoding="utf-8-sig") if text is None else text
    try:
        return parse_document(text)
    except FrontMatterError as exc:
        raise ContentError([Problem(path, exc.line, exc.message)]) from None


def parse_out_of_scope(path: Path, lang: str, text: str | None = None) -> OutOfScope:
    """Parse content/<lang>/out-of-scope.md; raise ContentError with file:line on a problem."""
    document = _document(path, text)
    data, lines = document.data, document.lines
    problems = [
        Problem(
            path,
            lines.get(str(key), 1),
            f"unknown key '{key}' (out-of-scope questions take only id, title and questions)",
        )
        for key in data
        if key not in OUT_OF_SCOPE_KEYS
    ]
    if str(data.get("id", OUT_OF_SCOPE)).strip() != OUT_OF_SCOPE:
        problems.append(Problem(path, lines.get("id", 1), f"the id must be '{OUT_OF_SCOPE}'"))
    if "questions" not in data:
        problems.append(Problem(path, 1, "missing required key 'questions'"))
    if problems:
        raise ContentError(problems)
    questions = _str_list(data, "questions", path, lines["questions"])
    return OutOfScope(lang, questions, path, lines)


def parse_topic(path: Path, lang: str, text: str | None = None) -> Topic:
    """Parse one topic file; raise ContentError with file:line on any problem."""
    document = _document(path, text)
    data, body, body_line, lines = (
        document.data, document.body, document.body_line, document.lines
    )  # fmt: skip
    problems = [
        Problem(path, 1, f"missing required key '{key}'")
        for key in REQUIRED_KEYS
        if key not in data
    ]
    problems += [
        Problem(path, lines.get(str(key), 1), f"unknown key '{key}'")
        for key in data
        if key not in KNOWN_KEYS
    ]
    if problems:
        raise ContentError(problems)
    topic_id = str(data["id"]).strip()
    if not _ID.match(topic_id):
        message = f"bad id '{topic_id}': use a-z, 0-9, - ({MAX_ID_LENGTH} characters at most)"
        raise ContentError([Problem(path, lines["id"], message)])
    category = str(data["category"]).strip()
    if category not in CATEGORIES:
        allowed = ", ".join(CATEGORIES)
        message = f"unknown category '{category}' (one of: {allowed})"
        raise ContentError([Problem(path, lines["category"], message)])
    title = data["title"]
    if not isinstance(title, str | int) or not str(title).strip():
        raise ContentError([Problem(path, lines["title"], "'title' must be a non-empty text")])
    reviewed = data.get("reviewed", True)
    if not isinstance(reviewed, bool):
        message = "'reviewed' must be true or false"
        raise ContentError([Problem(path, lines.get("reviewed", 1), message)])
    questions = _str_list(data, "questions", path, lines["questions"])
    if not questions:
        raise ContentError([Problem(path, lines["questions"], "'questions' must not be empty")])
    if not body:
        raise ContentError([Problem(path, body_line, "the answer (body) is empty")])
    source = None
    if data.get("source"):
        raw = data["source"]
        if not isinstance(raw, dict) or "law" not in raw:
            raise ContentError([Problem(path, lines["source"], "'source' needs at least 'law'")])
        article = raw.get("article")
        source = Source(str(raw["law"]), str(article) if article else None, raw.get("url"))
    hearing = _hearing(data["hearing"], path, lines) if data.get("hearing") else None
    as_of = data.get("as_of")
    if as_of is not None and (not isinstance(as_of, date) or isinstance(as_of, datetime)):
        message = f"'as_of' must be a date as YYYY-MM-DD, not {as_of!r}"
        raise ContentError([Problem(path, lines.get("as_of", 1), message)])
    return Topic(
        id=topic_id,
        lang=lang,
        title=str(title).strip(),
        category=category,
        questions=questions,
        body=body,
        path=path,
        keywords=_str_list(data, "keywords", path, lines.get("keywords", 1)),
        related=_str_list(data, "related", path, lines.get("related", 1)),
        source=source,
        hearing=hearing,
        reviewed=reviewed,
        template=data.get("template"),
        sources=_str_list(data, "sources", path, lines.get("sources", 1)),
        as_of=as_of,
        body_line=body_line,
        lines=lines,
    )
