"""Tests for render: Markdown to Telegram HTML, topics, hearings and message splitting."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.conversation.render import (
    TELEGRAM_LIMIT,
    format_as_of,
    format_datetime,
    html_to_text,
    markdown_to_html,
    render_body,
    render_topic,
    split_message,
)
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.knowledge.topics import KnowledgeBase, Topic, parse_topic

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # before the bundled hearing
AFTER = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)  # after it
HEARING = "hearing-paz-2026-04-28"
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def tags(text: str) -> set[str]:
    return {m.group(2) for m in TAG.finditer(text)}


def balanced(text: str) -> bool:
    stack: list[str] = []
    for m in TAG.finditer(text):
        if m.group(1):
            if not stack or stack.pop() != m.group(2):
                return False
        else:
            stack.append(m.group(2))
    return not stack


def spaces(text: str) -> str:
    """Babel (CLDR) puts narrow no-break spaces in dates ("2026\u202fг."): make them plain."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def render(topic_id: str, lang: str, kb: KnowledgeBase, now: datetime) -> str:
    topic = kb.get(topic_id, lang)
    assert topic is not None
    with use_locale(lang):
        return spaces(render_topic(topic, kb, now=now))


def translated(lang: str, message: str) -> str:
    with use_locale(lang):
        return _(message)


# --- markdown_to_html -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**важно**", "<b>важно</b>"),
        ("*курсив* и _тоже_", "<i>курсив</i> и <i>тоже</i>"),
        (
            "[УК РК](https://adilet.zan.kz/rus/docs/K1400000226)",
            '<a href="https://adilet.zan.kz/rus/docs/K1400000226">УК РК</a>',
        ),
        ("- один\n* два\n+ три", "• один\n• два\n• три"),
        ("# Заголовок", "<b>Заголовок</b>"),
        ("### Что делать", "<b>Что делать</b>"),
        ("код `102`", "код <code>102</code>"),
        ("**[ссылка](https://a.kz)**", '<b><a href="https://a.kz">ссылка</a></b>'),
        ("первый\n\n\n\nвторой", "первый\n\nвторой"),
        ("  \nтекст  \n  ", "текст"),
    ],
)
def test_markdown_to_html(markdown: str, expected: str) -> None:
    assert str(markdown_to_html(markdown)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "snake_case_name and file_name.txt",
        "2 * 3 * 4 = 24",
        "a_b",
        "[x](javascript:alert(1))",
        "1. первый пункт",
    ],
)
def test_markdown_leaves_plain_text_alone(text: str) -> None:
    assert str(markdown_to_html(text)) == html.escape(text, quote=False)


@pytest.mark.parametrize("code", ["*x*", "**x**", "a_b_ c _d_"])
def test_inline_code_is_literal(code: str) -> None:
    assert str(markdown_to_html(f"`{code}`")) == f"<code>{code}</code>"


def test_user_text_is_escaped() -> None:
    text = '<script>alert("x")</script> & <b>bold</b> 5 > 3'
    result = str(markdown_to_html(text))
    assert "<script>" not in result and "<b>bold</b>" not in result
    assert tags(result) == set()
    assert html.unescape(result) == text


def test_escaping_survives_markup() -> None:
    result = str(markdown_to_html("**a < b & c** [x & y](https://a.kz/?a=1&b=2)"))
    assert result == ('<b>a &lt; b &amp; c</b> <a href="https://a.kz/?a=1&amp;b=2">x &amp; y</a>')


def test_only_telegram_tags_come_out(library: Library) -> None:
    allowed = {"b", "i", "a", "code"}
    for topic in library.kb:
        assert tags(str(render_body(topic))) <= allowed, topic.path


def test_html_to_text() -> None:
    assert html_to_text("<b>Жирный</b> &amp; <i>курсив</i> &lt;3") == "Жирный & курсив <3"
    assert html_to_text('<a href="https://adilet.zan.kz/x">УК РК</a>') == (
        "УК РК (https://adilet.zan.kz/x)"
    )
    # A link whose text is its address is not repeated.
    assert html_to_text('<a href="https://a.kz">https://a.kz</a>') == "https://a.kz"
    assert html_to_text("<code>851 7336 7660</code>") == "851 7336 7660"


def test_format_datetime() -> None:
    moment = datetime(2026, 4, 28, 10, 0)
    assert format_datetime(moment, "ru") == "28 апреля 2026\u202fг., 10:00"
    assert format_datetime(moment, "kk") == "2026\u202fж. 28 сәуір, 10:00"
    with use_locale("kk"):
        assert spaces(format_datetime(moment)) == "2026 ж. 28 сәуір, 10:00"
    with use_locale("ru"):
        assert spaces(format_datetime(moment)) == "28 апреля 2026 г., 10:00"


# --- render_topic -----------------------------------------------------------------------


def test_article_topic(library: Library) -> None:
    text = render("uk-232-1-droppers", "ru", library.kb, NOW)
    topic = library.kb.get("uk-232-1-droppers", "ru")
    assert topic is not None
    assert text.startswith(f"<b>{html.escape(topic.title)}</b>\n\n")
    assert '📖 <a href="https://adilet.zan.kz/rus/docs/K1400000226">УК РК' in text
    assert "232-1</a>" in text
    assert balanced(text)
    assert tags(text) <= {"b", "i", "a", "code"}


def test_kazakh_article_topic_links_the_kazakh_text(library: Library) -> None:
    text = render("uk-115-1-stalking", "kk", library.kb, NOW)
    assert '<a href="https://adilet.zan.kz/kaz/docs/K1400000226">' in text
    # The Kazakh texts are not reviewed yet: the notice says so.
    assert translated("kk", "This text has not yet been checked by an editor.") in text


def test_reviewed_topic_has_no_notice(library: Library) -> None:
    text = render("uk-115-1-stalking", "ru", library.kb, NOW)
    assert translated("ru", "This text has not yet been checked by an editor.") not in text


def test_hearing_in_russian(library: Library) -> None:
    text = render(HEARING, "ru", library.kb, NOW)
    assert "28 апреля 2026 г., 10:00" in text
    assert "<code>851 7336 7660</code>" in text
    assert "<code>849644</code>" in text
    assert "ул. Ломова, 162" in text
    assert translated("ru", "This hearing has already taken place.") not in text
    assert balanced(text)


def test_hearing_in_kazakh(library: Library) -> None:
    text = render(HEARING, "kk", library.kb, NOW)
    assert "2026 ж. 28 сәуір, 10:00" in text
    assert "<code>851 7336 7660</code>" in text
    assert "<code>849644</code>" in text
    assert balanced(text)


def test_every_hearing_field_is_on_its_own_line(library: Library) -> None:
    lines = render(HEARING, "ru", library.kb, NOW).splitlines()
    for mark in ("🗓", "📍", "💻", "📄", "✍️", "☎️", "🏭"):
        assert next(line for line in lines if mark in line).startswith(mark), mark


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_past_hearing_is_marked_past(library: Library, lang: str) -> None:
    text = render(HEARING, lang, library.kb, AFTER)
    past = translated(lang, "This hearing has already taken place.")
    assert f"<b>{html.escape(past)}</b>" in text
    assert text.index(past) < text.index("🗓")


def test_a_hearing_is_past_from_its_start(library: Library) -> None:
    topic = library.kb.get(HEARING, "ru")
    assert topic is not None and topic.hearing is not None
    starts = topic.hearing.starts
    past = translated("ru", "This hearing has already taken place.")
    assert past in render(HEARING, "ru", library.kb, starts)
    assert past not in render(HEARING, "ru", library.kb, starts - timedelta(minutes=1))


def old_hearing(lang: str) -> Topic:
    text = (
        "---\nid: hearing-old\ntitle: Старые слушания по котельной\ncategory: hearings\n"
        "questions: [котельная]\nhearing:\n  starts: '2026-02-10T15:00'\n  place: Павлодар\n"
        "---\nСлушания по котельной.\n"
    )
    return parse_topic(Path(f"{lang}/hearing-old.md"), lang, text)


@pytest.fixture(scope="module")
def two_hearings(library: Library) -> KnowledgeBase:
    """The bundled content plus a hearing held on 10 February 2026 (past at NOW)."""
    topics = dict(library.kb.topics)
    for lang in ("ru", "kk"):
        topics[(lang, "hearing-old")] = old_hearing(lang)
    return KnowledgeBase(topics)


@pytest.mark.parametrize(
    ("lang", "date"), [("ru", "28 апреля 2026 г., 10:00"), ("kk", "2026 ж. 28 сәуір, 10:00")]
)
def test_upcoming_lists_future_hearings_only(
    two_hearings: KnowledgeBase, lang: str, date: str
) -> None:
    text = render("hearings-upcoming", lang, two_hearings, NOW)
    future = two_hearings.get(HEARING, lang)
    assert future is not None
    assert f"🗓 <b>{date}</b> — {html.escape(future.title)}" in text
    assert "котельной" not in text
    assert "10 февраля" not in text and "10 ақпан" not in text


def test_upcoming_lists_hearings_soonest_first(two_hearings: KnowledgeBase) -> None:
    text = render("hearings-upcoming", "ru", two_hearings, datetime(2026, 1, 1, tzinfo=UTC))
    assert text.index("10 февраля 2026 г., 15:00") < text.index("28 апреля 2026 г., 10:00")


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_upcoming_without_hearings(library: Library, lang: str) -> None:
    text = render("hearings-upcoming", lang, library.kb, AFTER)
    assert translated(lang, "No public hearings are scheduled at the moment.") in text
    assert "🗓" not in text


def test_warning_is_escaped_and_shown_first(library: Library) -> None:
    topic = library.kb.get("fraud-codes-and-cards", "ru")
    assert topic is not None
    text = render_topic(topic, library.kb, now=NOW, warning="<i>не</i> & CVV")
    assert text.startswith("<b>⚠️ &lt;i&gt;не&lt;/i&gt; &amp; CVV</b>\n\n")


def test_titles_are_escaped(tmp_path: Path) -> None:
    text = "---\nid: x\ntitle: A & <B>\ncategory: info\nquestions: [q]\n---\nтекст\n"
    topic = parse_topic(tmp_path / "x.md", "ru", text)
    rendered = render_topic(topic, KnowledgeBase({("ru", "x"): topic}), now=NOW)
    assert rendered.startswith("<b>A &amp; &lt;B&gt;</b>")


def hearing_topic(tmp_path: Path, place: str, body: str) -> Topic:
    """A Russian hearing topic held at `place` (YAML), on 1 May 2026 at 10:00, with `body`."""
    text = (
        "---\nid: x\ntitle: T\ncategory: hearings\nquestions: [q]\nhearing:\n"
        f"  starts: '2026-05-01T10:00'\n  place: {place}\n---\n{body}\n"
    )
    return parse_topic(tmp_path / "x.md", "ru", text)


def test_template_values_in_a_body_are_escaped_once(tmp_path: Path) -> None:
    topic = hearing_topic(tmp_path, "'ДК \"Мир\" & зал'", "Место: {{ hearing.place }}")
    assert html_to_text(str(render_body(topic))) == 'Место: ДК "Мир" & зал'


def test_template_values_in_a_body_are_rendered(tmp_path: Path) -> None:
    body = "**Где:** {{ hearing.place }}, {{ hearing.starts | datetime('ru') }}"
    topic = hearing_topic(tmp_path, "Павлодар", body)
    assert spaces(render_body(topic)) == "<b>Где:</b> Павлодар, 1 мая 2026 г., 10:00"


# --- as_of: the day the figures are true for ------------------------------------------


def dated_topic(tmp_path: Path, lang: str, as_of: str | None) -> Topic:
    """A topic with a source link and, when given, `as_of` in its front matter."""
    front = (
        "---\nid: x\ntitle: T\ncategory: info\nquestions: [q]\n"
        "source: {law: УК РК, article: '190', url: 'https://adilet.zan.kz/rus/docs/K1400000226'}\n"
        + (f"as_of: {as_of}\n" if as_of else "")
        + "---\n"
    )
    return parse_topic(tmp_path / lang / "x.md", lang, front + "Текст ответа.\n")


def render_dated(tmp_path: Path, lang: str, as_of: str | None) -> str:
    topic = dated_topic(tmp_path, lang, as_of)
    with use_locale(lang):
        return render_topic(topic, KnowledgeBase({(lang, "x"): topic}), now=NOW)


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ru", "<i>Данные на 1 апреля 2026 г.</i>"),
        ("kk", "<i>2026 жылғы 1 сәуірдегі жағдай бойынша</i>"),
    ],
)
def test_as_of_is_shown_in_the_users_language(tmp_path: Path, lang: str, line: str) -> None:
    text = render_dated(tmp_path, lang, "2026-04-01")
    assert line in spaces(text).splitlines()
    # After the answer, before the link to the law, as a paragraph of its own.
    lines = spaces(text).split("\n\n")
    assert lines.index(line) == lines.index("Текст ответа.") + 1
    assert lines[lines.index(line) + 1].startswith("📖 <a href=")
    assert balanced(text)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_no_as_of_no_date_line(tmp_path: Path, lang: str) -> None:
    text = render_dated(tmp_path, lang, None)
    phrase = translated(lang, "Figures as of {date}").replace("{date}", "").strip()
    assert phrase not in text and "<i>" not in text
    # The date line is the only difference.
    dated = render_dated(tmp_path, lang, "2026-04-01").split("\n\n")
    assert text.split("\n\n") == [part for part in dated if phrase not in part]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 15), "2026 жылғы 15 қаңтардағы"),
        (date(2026, 2, 1), "2026 жылғы 1 ақпандағы"),
        (date(2026, 3, 1), "2026 жылғы 1 наурыздағы"),
        (date(2026, 4, 1), "2026 жылғы 1 сәуірдегі"),
        (date(2026, 5, 1), "2026 жылғы 1 мамырдағы"),
        (date(2026, 6, 1), "2026 жылғы 1 маусымдағы"),
        (date(2026, 7, 1), "2026 жылғы 1 шілдедегі"),
        (date(2026, 8, 1), "2026 жылғы 1 тамыздағы"),
        (date(2026, 9, 1), "2026 жылғы 1 қыркүйектегі"),
        (date(2026, 10, 1), "2026 жылғы 1 қазандағы"),
        (date(2026, 11, 1), "2026 жылғы 1 қарашадағы"),
        (date(2025, 12, 31), "2025 жылғы 31 желтоқсандағы"),
    ],
)
def test_kazakh_as_of_dates_agree_with_every_month(day: date, expected: str) -> None:
    assert spaces(format_as_of(day, "kk")) == expected


def test_russian_as_of_date_is_babels_long_date() -> None:
    assert spaces(format_as_of(date(2025, 12, 31), "ru")) == "31 декабря 2025 г."
    with use_locale("kk"):
        assert spaces(format_as_of(date(2026, 4, 1))) == "2026 жылғы 1 сәуірдегі"


# --- split_message ----------------------------------------------------------------------


def long_answer(size: int, *, sep: str = "\n\n") -> str:
    paragraphs: list[str] = []
    i = 0
    while len(sep.join(paragraphs)) < size:
        paragraphs.append(
            f"<b>Раздел {i}</b> текст &amp; <i>курсив {i}</i> и "
            f'<a href="https://adilet.zan.kz/rus/docs/K{i}">ссылка {i}</a> ' + "слово " * 30
        )
        i += 1
    return sep.join(paragraphs)


def check_parts(original: str, parts: list[str], limit: int = TELEGRAM_LIMIT) -> None:
    assert len(parts) >= 2
    assert all(0 < len(p) <= limit for p in parts)
    assert all(balanced(p) for p in parts)
    assert squeeze(html_to_text("".join(parts))) == squeeze(html_to_text(original))


def test_short_text_is_one_part() -> None:
    assert split_message("<b>коротко</b>") == ["<b>коротко</b>"]
    text = "я" * TELEGRAM_LIMIT
    assert split_message(text) == [text]


@pytest.mark.parametrize("sep", ["\n\n", "\n"])
def test_long_answer_is_split_at_breaks(sep: str) -> None:
    text = long_answer(10_000, sep=sep)
    assert len(text) >= 10_000
    parts = split_message(text)
    check_parts(text, parts)
    # Cut at breaks, not inside a paragraph: every part starts a paragraph.
    assert all(p.startswith("<b>Раздел ") for p in parts)


def test_a_single_huge_line_without_spaces_is_split() -> None:
    text = "<b>начало</b>" + "я" * 10_000
    parts = split_message(text)
    check_parts(text, parts)


def test_a_single_huge_line_with_tags_and_spaces_is_split() -> None:
    text = " ".join(f'<b>w{i}</b> &amp; <a href="https://x.kz/{i}">l{i}</a>' for i in range(500))
    assert "\n" not in text and len(text) > 2 * TELEGRAM_LIMIT
    parts = split_message(text)
    check_parts(text, parts)


@pytest.mark.parametrize(
    "text",
    [
        "x" + "&amp;" * 3000,
        "ab" + "&lt;&gt;" * 2000,
        "a&lt;b " * 2000,
        'it\'s "quoted" ' * 1000,
    ],
)
def test_entities_are_never_cut(text: str) -> None:
    parts = split_message(text)
    check_parts(text, parts)
    for part in parts:
        assert "&" not in re.sub(r"&(?:amp|lt|gt|quot|#\d+);", "", part), part[-10:]


def test_custom_limit() -> None:
    text = long_answer(3000)
    parts = split_message(text, limit=500)
    check_parts(text, parts, limit=500)


def test_every_bundled_topic_renders_within_limits(library: Library) -> None:
    for topic in library.kb:
        text = render(topic.id, topic.lang, library.kb, NOW)
        assert balanced(text), topic.path
        assert all(len(p) <= TELEGRAM_LIMIT for p in split_message(text))
