"""Render answers as Telegram HTML (and plain text for the terminal) through one Jinja2
environment with autoescape on.

Topic bodies are Markdown (a small subset) and Jinja templates written by staff; everything
else, including anything a user typed, is escaped.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from babel.dates import format_date, format_time
from markupsafe import Markup, escape

from bot.i18n import current_locale, gettext, ngettext
from bot.knowledge import hearings
from bot.knowledge.topics import KnowledgeBase, Topic

TELEGRAM_LIMIT = 4096
TEMPLATES = Path(__file__).resolve().parent / "templates"

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])[*_](?![\s*_])(.+?)(?<![\s*_])[*_](?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_TAG = re.compile(r"<(/?)([a-z-]+)[^>]*>")
_ANCHOR = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def format_datetime(value: datetime, lang: str | None = None) -> str:
    """Format a date and time in the user's language: "28 апреля 2026 г., 10:00"."""
    locale = lang or current_locale()
    return (
        f"{format_date(value, 'long', locale=locale)}, {format_time(value, 'HH:mm', locale=locale)}"
    )


_KK_FRONT_VOWELS = frozenset("әеіөүиэ")
_KK_BACK_VOWELS = frozenset("аоұыуяёю")
_KK_VOICELESS = frozenset("кқпстфхцчшщ")


def _kk_locative_attributive(word: str) -> str:
    """Add the Kazakh -дағы/-дегі/-тағы/-тегі ("of, as on") to a word by vowel harmony:
    сәуір → сәуірдегі, қаңтар → қаңтардағы, қыркүйек → қыркүйектегі, шілде → шілдедегі."""
    last = next((c for c in reversed(word.lower()) if c in _KK_FRONT_VOWELS | _KK_BACK_VOWELS), "а")
    consonant = "т" if word[-1].lower() in _KK_VOICELESS else "д"
    return word + consonant + ("егі" if last in _KK_FRONT_VOWELS else "ағы")


def format_as_of(day: date, lang: str | None = None) -> str:
    """Format the day a topic's figures are true for, as the phrase "Figures as of {date}"
    needs it in the user's language: "1 апреля 2026 г." (ru), "2026 жылғы 1 сәуірдегі" (kk).

    Babel's Kazakh long date ("2026 ж. 1 сәуір") is a heading, not a phrase: before
    "жағдай бойынша" the year takes -ғы and the month -дағы/-дегі.
    """
    locale = lang or current_locale()
    if locale != "kk":
        return format_date(day, "long", locale=locale)
    month = format_date(day, "MMMM", locale=locale)
    return format_date(day, "y 'жылғы' d ", locale=locale) + _kk_locative_attributive(month)


@cache
def environment() -> jinja2.Environment:
    """Return the one Jinja2 environment, built once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.filters["datetime"] = format_datetime
    env.filters["as_of"] = format_as_of
    env.filters["host"] = lambda url: urlsplit(str(url)).netloc or str(url)
    return env


def _inline(text: str) -> str:
    """Convert one escaped line's inline Markdown to Telegram HTML."""
    kept: list[str] = []

    def keep(html: str) -> str:
        # Set code and links aside so that no emphasis is applied inside them.
        kept.append(html)
        return f"\x00{len(kept) - 1}\x00"

    text = _CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), text)
    text = _LINK.sub(lambda m: keep(f'<a href="{m.group(2)}">{m.group(1)}</a>'), text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def markdown_to_html(markdown: str) -> Markup:
    """Convert the body Markdown subset to Telegram HTML; all text is escaped first."""
    out: list[str] = []
    for line in markdown.strip().splitlines():
        line = str(escape(line.rstrip()))
        heading = _HEADING.match(line)
        if heading:
            out.append(f"<b>{_inline(heading.group(1))}</b>")
        elif _BULLET.match(line):
            out.append("• " + _inline(_BULLET.sub("", line)))
        else:
            out.append(_inline(line))
    text = "\n".join(out)
    return Markup(re.sub(r"\n{3,}", "\n\n", text))


def html_to_text(text: str) -> str:
    """Turn Telegram HTML into plain text for the terminal: links keep their address."""
    text = _ANCHOR.sub(
        lambda m: m.group(2) if m.group(1) in m.group(2) else f"{m.group(2)} ({m.group(1)})", text
    )
    return html.unescape(_TAG.sub("", text))


@lru_cache(maxsize=1024)
def body_template(body: str) -> jinja2.Template:
    """Compile a topic body once (compiling costs more than rendering).

    A body is Markdown source that `markdown_to_html` escapes afterwards, so values inside
    it must not be escaped twice; the wrapper stays on the first line to keep line numbers.
    """
    return environment().from_string("{% autoescape false %}" + body + "{% endautoescape %}")


def render_body(topic: Topic, **context: object) -> Markup:
    """Render a topic's body: Jinja first (staff may use {{ hearing... }}), then Markdown."""
    template = body_template(topic.body)
    return markdown_to_html(template.render(topic=topic, hearing=topic.hearing, **context))


def render_topic(
    topic: Topic, kb: KnowledgeBase, *, now: datetime, warning: str | None = None
) -> str:
    """Render a topic as Telegram HTML (may exceed one message: see `split_message`)."""
    upcoming = None
    if topic.id == hearings.UPCOMING_ID:
        upcoming = hearings.upcoming(kb, topic.lang, now=now)
    past = topic.hearing is not None and hearings.is_past(topic.hearing, now=now)
    result = (
        environment()
        .get_template("answer.html.j2")
        .render(
            topic=topic,
            body=render_body(topic),
            hearing=topic.hearing,
            hearing_past=past,
            upcoming=upcoming,
            warning=warning,
        )
    )
    return re.sub(r"\n{3,}", "\n\n", result).strip()


def render(name: str, **context: object) -> str:
    """Render one of the shared templates (for UI messages that need more than a string)."""
    return environment().get_template(name).render(**context).strip()


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML into messages under Telegram's limit, at paragraph, then line breaks.

    Tags never span a paragraph in rendered answers, so cutting between lines keeps every
    part valid HTML; a single line longer than the limit is cut at spaces with tags dropped.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joiner = "\n\n" if current else ""
        if len(current) + len(joiner) + len(piece) <= limit:
            current += joiner + piece
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _pieces(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        for line in paragraph.split("\n"):
            if len(line) <= limit:
                pieces.append(line)
                continue
            plain = str(escape(html_to_text(line)))
            while plain:
                cut = plain.rfind(" ", 0, limit) if len(plain) > limit else len(plain)
                cut = cut if cut > 0 else limit
                # Never cut inside an entity such as &amp;.
                amp = plain.rfind("&", 0, cut)
                if amp != -1 and ";" not in plain[amp:cut]:
                    cut = amp
                pieces.append(plain[:cut])
                plain = plain[cut:].lstrip()
    return pieces
