"""Check the content as staff edit it: `zanbot content check`.

Loading (bot.knowledge.loader) finds what makes the content unusable. This adds what loads but is
still wrong (errors: ru and kk disagree, Markdown that breaks Telegram HTML, links that are
not https, templates that fail to render) or worth a look (warnings: example questions the
matcher misroutes, topics it confuses, long answers, files not yet reviewed).
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from bot.conversation.markup import validate_html
from bot.conversation.render import (
    body_template,
    html_to_text,
    markdown_to_html,
    render_topic,
    split_message,
)
from bot.i18n import LANGS, use_locale
from bot.knowledge.confusion import matcher_problems
from bot.knowledge.facts import parity_problems, wording_problems
from bot.knowledge.fraudsigns import load_fraud_signs
from bot.knowledge.loader import default_content_dir, group_by_id, load_knowledge_base
from bot.knowledge.topics import (
    OUT_OF_SCOPE,
    ContentError,
    KnowledgeBase,
    Problem,
    Topic,
    display_path,
)
from bot.matching.matcher import Matcher
from bot.matching.store import ModelStore

SCREEN_CHARS = 1000  # plain-text characters that fit a phone screen
UNREVIEWED = "marked reviewed: false (not yet checked by a native speaker)"
_STRAY_LINK = re.compile(r"\[[^\]\n]*\]\(")
_RAW_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_MD_URL = re.compile(r"\]\(\s*([^)\s]+)")
_BARE_URL = re.compile(r"(?<![\w(/\[])[a-z][a-z0-9+.-]*://[^\s)\]]+", re.I)


@dataclass
class CheckResult:
    problems: list[Problem]
    files: int
    topics: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def is_https(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme == "https" and bool(parts.netloc)


def _body_start(topic: Topic) -> int:
    """Return the file line of the body's first line (the loader strips blank lines)."""
    lines = topic.path.read_text(encoding="utf-8").splitlines()
    line = topic.body_line
    while line <= len(lines) and not lines[line - 1].strip():
        line += 1
    return line


def _template_line(exc: BaseException) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else None


def _body_problems(topic: Topic, first: int) -> list[Problem]:
    """Check the body line by line (rendering is line-based, so lines map back to the file)."""
    problems: list[Problem] = []
    source = topic.body.splitlines()
    try:
        rendered = body_template(topic.body).render(topic=topic, hearing=topic.hearing)
    except Exception as exc:  # any failure in staff's template is a content error
        line = first + (_template_line(exc) or 1) - 1
        return [Problem(topic.path, line, f"template does not render: {exc}")]
    lines = rendered.strip("\n").splitlines()
    for i, text in enumerate(lines):
        # Template tags can change the line count; then find the line by its text.
        found = (j for j, s in enumerate(source) if text.strip() and text.strip() in s)
        at = first + (i if len(lines) == len(source) else next(found, 0))
        html = str(markdown_to_html(text))
        plain = html_to_text(html)
        messages = [f"broken Markdown: {error}" for error in validate_html(html)]
        if "**" in plain:
            messages.append("broken Markdown: unbalanced ** (bold is not closed)")
        if _STRAY_LINK.search(plain):
            messages.append("broken Markdown: link syntax [text](...) left in the text")
        if _RAW_HTML.search(text):
            messages.append("raw HTML is shown to users as is: use **bold** and [text](url)")
        urls = {*_MD_URL.findall(text), *_BARE_URL.findall(text)}
        messages += [f"link is not https: {url}" for url in sorted(urls) if not is_https(url)]
        problems += [Problem(topic.path, at, message) for message in messages]
    return problems


def _topic_problems(topic: Topic, kb: KnowledgeBase, now: datetime, first: int) -> list[Problem]:
    problems = _body_problems(topic, first)
    urls = {"source.url": topic.source.url if topic.source else None}
    for key in ("online_url", "documents_url"):
        urls[f"hearing.{key}"] = getattr(topic.hearing, key) if topic.hearing else None
    for key, url in urls.items():
        if url and not is_https(url):
            problems.append(
                Problem(topic.path, topic.lines.get(key, 1), f"{key} is not https: {url}")
            )
    try:
        with use_locale(topic.lang):
            html = render_topic(topic, kb, now=now)
    except Exception as exc:  # reported above when the body is at fault
        if not any(p.message.startswith("template") for p in problems):
            problems.append(Problem(topic.path, first, f"answer does not render: {exc}"))
        html = ""
    if html and not problems:  # the body is valid, so what is left comes from the front matter
        errors = {e: None for part in split_message(html) for e in validate_html(part)}
        problems += [Problem(topic.path, first, f"answer is not valid HTML: {e}") for e in errors]
    if len(plain := html_to_text(html)) > SCREEN_CHARS:
        message = f"answer is {len(plain)} characters, longer than a phone screen (~{SCREEN_CHARS})"
        problems.append(Problem(topic.path, first, message, "warning"))
    if not topic.reviewed:
        problems.append(Problem(topic.path, topic.lines.get("reviewed", 1), UNREVIEWED, "warning"))
    return problems


def _facts(topic: Topic) -> dict[str, object]:
    """Return what must be the same in every language of a topic."""
    facts: dict[str, object] = {
        "category": topic.category,
        "related": ", ".join(sorted(set(topic.related))) or "none",
        "source": "present" if topic.source else "missing",
        "hearing": "present" if topic.hearing else "missing",
    }
    if topic.source:
        facts["source.article"] = topic.source.article or "none"
    if topic.hearing:
        for key in ("starts", "conference_id", "access_code", "online_url"):
            facts[f"hearing.{key}"] = getattr(topic.hearing, key)
    return facts


def _structure_problems(kb: KnowledgeBase) -> list[Problem]:
    """Compare each translation with the Russian original: facts must not differ."""
    problems: list[Problem] = []
    for versions in group_by_id(kb).values():
        base = versions[LANGS[0]]
        ours = _facts(base)
        for other in (versions[lang] for lang in LANGS[1:]):
            theirs = _facts(other)
            for key in (k for k in ours if k in theirs):
                if ours[key] == theirs[key]:
                    continue
                top = key.split(".")[0]
                where = f"{display_path(base.path)}:{base.lines.get(key, base.lines.get(top, 1))}"
                message = (
                    f"{other.lang} and {base.lang} disagree on {key}: {other.lang} has "
                    f"{_show(theirs[key])}, {base.lang} has {_show(ours[key])} ({where})"
                )
                line = other.lines.get(key, other.lines.get(top, 1))
                problems.append(Problem(other.path, line, message))
    return problems


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def count_files(root: Path) -> tuple[int, int]:
    """Return (topic files, distinct topic ids) under root/<lang>/."""
    files = [p for lang in LANGS for p in sorted((root / lang).glob("*.md"))]
    return len(files), len({p.stem for p in files if p.stem != OUT_OF_SCOPE})


def run_checks(
    root: Path | str | None = None,
    *,
    now: datetime | None = None,
    store: ModelStore | None = None,
) -> CheckResult:
    """Load the content and check it; never raise for a content problem. The model trained
    for the matcher's warnings is kept in `store`, where the bot will find it."""
    root = Path(root) if root is not None else default_content_dir()
    files, topics = count_files(root) if root.is_dir() else (0, 0)
    try:
        kb = load_knowledge_base(root)
    except ContentError as exc:
        return CheckResult(exc.problems, files, topics)
    now = now or datetime.now(UTC)
    starts = {topic.path: _body_start(topic) for topic in kb}
    problems = _structure_problems(kb) + parity_problems(kb, starts)
    for topic in sorted(kb, key=lambda t: (t.lang, t.id)):
        first = starts[topic.path]
        problems += _topic_problems(topic, kb, now, first) + wording_problems(topic, first)
    problems += load_fraud_signs(root, kb)[1]  # content/fraud-signs.yaml, when there is one
    # What the trained matcher makes of the examples is worth a look once nothing is broken.
    if not any(p.severity == "error" for p in problems):
        problems += matcher_problems(kb, Matcher.from_knowledge_base(kb, store=store))
    return CheckResult(problems, files, len(kb.ids()))


def format_text(result: CheckResult) -> str:
    """Return one `path:line: severity: message` line per problem and a summary line."""
    lines = [
        f"{display_path(p.path)}:{p.line}: {p.severity}: {p.message}"
        for p in [*result.errors, *result.warnings]
        if p.message != UNREVIEWED
    ]
    unreviewed = [p for p in result.warnings if p.message == UNREVIEWED]
    # One line per language: a whole untranslated-but-unchecked language is one fact.
    for folder in sorted({p.path.parent for p in unreviewed}):
        names = [p.path.stem for p in unreviewed if p.path.parent == folder]
        lines.append(f"{display_path(folder)}:0: warning: {len(names)} file(s) {UNREVIEWED}")
    lines.append(
        f"content check: {len(result.errors)} errors, {len(result.warnings)} warnings "
        f"({result.files} files, {result.topics} topics)"
    )
    return "\n".join(lines)


def format_json(result: CheckResult) -> str:
    """Return the result as one JSON document."""

    def item(p: Problem) -> dict[str, object]:
        return {"path": display_path(p.path), "line": p.line, "severity": p.severity,
                "message": p.message}  # fmt: skip

    document = {
        "ok": not result.errors,
        "errors": [item(p) for p in result.errors],
        "warnings": [item(p) for p in result.warnings],
        "files": result.files,
        "topics": result.topics,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def check_content(
    root: Path | str | None,
    *,
    output: str = "text",
    stream: TextIO | None = None,
    store: ModelStore | None = None,
) -> int:
    """Check the content, print the findings, and return the exit code (1 on errors)."""
    result = run_checks(root, store=store)
    text = format_json(result) if output == "json" else format_text(result)
    print(text, file=stream or sys.stdout)
    return 1 if result.errors else 0
