"""Tests for bot.conversation.assistant.Assistant: questions in, replies with buttons out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.conversation.assistant import LANG_NAMES, MAX_QUESTION, Assistant, Button, Reply
from bot.conversation.render import TELEGRAM_LIMIT
from bot.i18n import _, use_locale
from bot.knowledge.library import Library

CARD = "4400 4301 2345 6789"


def datas(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


def translated(lang: str, message: str) -> str:
    with use_locale(lang):
        return _(message)


def check_buttons(reply: Reply) -> None:
    for row in reply.buttons:
        assert row, reply
        for button in row:
            assert isinstance(button, Button)
            assert button.text.strip()
            assert 1 <= len(button.data.encode("utf-8")) <= 64, button.data


@pytest.mark.parametrize(
    ("question", "lang", "topic"),
    [
        ("бывший муж преследует меня и угрожает", "ru", "uk-115-1-stalking"),
        ("звонят из банка и просят код из смс", "ru", "fraud-codes-and-cards"),
        ("алаяқтардан қалай сақтануға болады", "kk", "fraud-protect-yourself"),
        ("коллекторлар туыстарыма қоңырау шалып қорқытады", "kk", "uk-214-2-illegal-collection"),
    ],
)
def test_ask_answers_with_the_topic(assistant: Assistant, question: str, lang: str, topic: str):
    reply, match = assistant.ask(question, lang)
    assert (reply.kind, reply.topic, reply.lang) == ("answer", topic, lang)
    assert match.topic == topic
    expected = assistant.library.kb.get(topic, lang)
    assert expected is not None
    assert reply.text.startswith(expected.title)
    data = datas(reply)
    assert [f"t:{r}" for r in expected.related] == data[: len(expected.related)]
    assert data[-4:] == [f"fb:{topic}:1", f"fb:{topic}:0", f"sh:{topic}", "menu"]
    # The share button puts the title after the bot's name in a chat the user picks.
    assert reply.buttons[-1][0].inline_query == expected.title
    assert not any(d.startswith("lang:") for d in data)
    check_buttons(reply)


def test_smalltalk_has_no_feedback_buttons(assistant: Assistant) -> None:
    reply, _match = assistant.ask("привет", "ru")
    assert reply.topic == "smalltalk-greeting"
    assert not any(d.startswith("fb:") for d in datas(reply))
    assert datas(reply)[-1] == "menu"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_topic_has_valid_buttons_and_parts(assistant: Assistant, lang: str) -> None:
    kb = assistant.library.kb
    for topic_id in kb.ids():
        reply = assistant.topic(topic_id, lang)
        assert (reply.kind, reply.topic, reply.lang) == ("answer", topic_id, lang)
        check_buttons(reply)
        parts = reply.parts
        assert parts and all(0 < len(p) <= TELEGRAM_LIMIT for p in parts)
        for data in datas(reply):
            kind, _sep, arg = data.partition(":")
            if kind == "t":
                assert kb.get(arg, lang) is not None


@pytest.mark.parametrize(
    "question",
    [
        "алаяқтардан қалай сақтануға болады",
        "алаяктардан калай коргануга болады",
        "бурынгы куйеуим мени андып журр не истеймин",
    ],
)
def test_clearly_kazakh_question_in_russian_mode_is_answered_in_kazakh(
    assistant: Assistant, question: str
) -> None:
    reply, _match = assistant.ask(question, "ru")
    assert reply.lang == "kk"
    assert reply.kind == "answer"
    topic = assistant.library.kb.get(reply.topic or "", "kk")
    assert topic is not None and reply.text.startswith(topic.title)
    assert datas(reply)[-1] == "lang:kk"
    switch = reply.buttons[-1][0]
    expected = translated("kk", "Switch to {language}").format(language=LANG_NAMES["kk"])
    assert switch.text == expected


def test_ambiguous_text_stays_in_the_users_language(assistant: Assistant) -> None:
    reply, _match = assistant.ask("сталкинг", "kk")
    assert reply.lang == "kk"
    assert "lang:ru" not in datas(reply)


@pytest.mark.parametrize(
    ("question", "lang"), [("рецепт плова с бараниной", "ru"), ("палау рецепті", "kk")]
)
def test_unknown_question(assistant: Assistant, question: str, lang: str) -> None:
    reply, match = assistant.ask(question, lang)
    assert match.decision == "unknown"
    assert (reply.kind, reply.topic) == ("unknown", None)
    assert datas(reply) == ["menu"]
    assert reply.buttons[-1][0].text == translated(lang, "☰ Menu")


def test_clarify_offers_the_candidates(assistant: Assistant) -> None:
    # "A code and data" fits SMS codes and personal data about as well: the bot asks which.
    reply, match = assistant.ask("код и данные", "ru")
    assert match.decision == "clarify"
    assert reply.kind == "clarify"
    assert datas(reply) == [*(f"t:{c.topic}" for c in match.candidates), "menu"]
    check_buttons(reply)


@pytest.mark.parametrize("text", ["😀😀😀", "???", "   ", ""])
def test_empty(assistant: Assistant, text: str) -> None:
    reply, match = assistant.ask(text, "kk")
    assert match.decision == "empty"
    assert (reply.kind, reply.lang) == ("empty", "kk")
    assert datas(reply) == ["menu"]


@pytest.mark.parametrize(
    "question",
    [
        f"мне звонят из банка и просят номер карты {CARD} и cvv, что делать",
        f"моя карта {CARD} сталкинг",
        f"{CARD}",
        f"рецепт плова {CARD}",
        "сказал мошеннику код из смс 482913, что теперь делать",
    ],
)
def test_sensitive_data_gets_a_warning_and_is_never_echoed(
    assistant: Assistant, question: str
) -> None:
    reply, _match = assistant.ask(question, "ru")
    assert reply.kind in {"answer", "unknown", "clarify", "empty"}
    warning = translated(
        "ru",
        "Never send anyone card numbers, CVV, codes from SMS or your IIN — not even "
        "to this bot. We have not saved what you typed.",
    )
    assert reply.text.startswith(f"⚠️ {warning}")
    assert "CVV" in reply.text
    digits = re.sub(r"\D", "", reply.html)
    for secret in ("4400430123456789", "482913"):
        assert secret not in digits
    assert "4400 4301" not in reply.html and "2345 6789" not in reply.html


def test_card_question_answers_with_a_warning(assistant: Assistant) -> None:
    reply, _match = assistant.ask(
        f"мне звонят из банка и просят номер карты {CARD} и cvv, что делать", "ru"
    )
    assert (reply.kind, reply.topic) == ("answer", "fraud-codes-and-cards")


def test_no_warning_without_sensitive_data(assistant: Assistant) -> None:
    reply, _match = assistant.ask("звонят из банка и просят код из смс", "ru")
    assert "⚠️" not in reply.text


def test_menu_lists_categories(assistant: Assistant) -> None:
    for lang in ("ru", "kk"):
        reply = assistant.menu(lang)
        assert reply.kind == "menu"
        assert datas(reply) == ["cat:articles", "cat:fraud", "cat:hearings", "cat:info"]
        check_buttons(reply)


@pytest.mark.parametrize("category", ["articles", "fraud", "hearings", "info"])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_category_lists_its_topics(assistant: Assistant, category: str, lang: str) -> None:
    reply = assistant.category(category, lang)
    topics = assistant.library.kb.in_category(category, lang)
    assert reply.kind == "menu"
    assert datas(reply) == [*(f"t:{t.id}" for t in topics), "menu"]
    assert [b.text for row in reply.buttons[:-1] for b in row] == [t.title for t in topics]
    assert reply.buttons[-1][0].text == translated(lang, "⬅️ Back")
    check_buttons(reply)


@pytest.mark.parametrize("category", ["smalltalk", "nope", ""])
def test_unknown_or_hidden_category_shows_the_menu(assistant: Assistant, category: str):
    reply = assistant.category(category, "ru")
    assert reply == assistant.menu("ru")


@pytest.mark.parametrize("topic_id", ["nope", "", "t:x", "hearing-paz-2026-04-29"])
def test_unknown_topic_id_does_not_raise(assistant: Assistant, topic_id: str) -> None:
    reply = assistant.topic(topic_id, "kk")
    assert (reply.kind, reply.topic, reply.lang) == ("unknown", None, "kk")
    assert datas(reply) == ["menu"]


def test_topic_in_an_unknown_language_does_not_raise(assistant: Assistant) -> None:
    reply = assistant.topic("uk-115-1-stalking", "en")
    assert reply.kind == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "мошенники " * 500,
        "я" * 5000,
        ("меня обманули мошенники что делать " * 200)[:5000],
        "алаяқтар " * 600,
    ],
)
def test_a_very_long_text_gets_a_reply(assistant: Assistant, text: str) -> None:
    assert len(text) >= 5000
    reply, match = assistant.ask(text, "ru")
    assert reply.kind in {"answer", "clarify", "unknown"}
    assert len(match.text) == MAX_QUESTION
    assert all(len(p) <= TELEGRAM_LIMIT for p in reply.parts)


def test_hearing_uses_the_assistants_clock(assistant: Assistant) -> None:
    # The fixture's clock is 1 March 2026: the hearing of 28 April is upcoming.
    reply = assistant.topic("hearings-upcoming", "ru")
    assert "28 апреля 2026" in reply.text.replace("\u202f", " ")


def test_choose_language(assistant: Assistant) -> None:
    reply = assistant.choose_language()
    assert reply.kind == "menu"
    assert reply.buttons == ((Button("Русский", "lang:ru"), Button("Қазақша", "lang:kk")),)
    assert "Выберите язык" in reply.html and "Тілді таңдаңыз" in reply.html


def test_reply_text_is_plain() -> None:
    reply = Reply("<b>a</b> &amp; b", "ru")
    assert reply.text == "a & b"
    assert reply.parts == ["<b>a</b> &amp; b"]


def test_clearly_russian_question_in_kazakh_mode_is_answered_in_russian(
    assistant: Assistant,
) -> None:
    reply, _match = assistant.ask("как защититься от мошенников в интернете", "kk")
    assert (reply.lang, reply.topic) == ("ru", "fraud-protect-yourself")
    assert datas(reply)[-1] == "lang:ru"


def test_a_hearing_answer_turns_past_when_the_day_comes(library: Library) -> None:
    now = [datetime(2026, 4, 27, 12, tzinfo=UTC)]
    assistant = Assistant(library, clock=lambda: now[0])
    before = assistant.topic("hearing-paz-2026-04-28", "ru")
    assert "уже прошли" not in before.html
    assert assistant.topic("hearing-paz-2026-04-28", "ru") == before
    now[0] = datetime(2026, 4, 29, 12, tzinfo=UTC)
    after = assistant.topic("hearing-paz-2026-04-28", "ru")
    assert "уже прошли" in after.html
    assert "ics:" not in str(after.buttons) and "ics:" in str(before.buttons)


@pytest.mark.parametrize(
    ("question", "lang", "link", "words"),
    [
        ("статья 188 УК кража", "ru", "https://adilet.zan.kz/rus/docs/K1400000226", "УК РК"),
        ("ст 610 коап", "ru", "https://adilet.zan.kz/rus/docs/K1400000235", "КоАП РК"),
        (
            "190 бап алаяқтық жазасы",
            "kk",
            "https://adilet.zan.kz/kaz/docs/K1400000226",
            "Қылмыстық кодексінің 190-бабы",
        ),
    ],
)
def test_an_article_no_topic_explains_gets_the_official_text(
    assistant: Assistant, question: str, lang: str, link: str, words: str
) -> None:
    reply, match = assistant.ask(question, lang)
    verdict = (match.decision, match.topic, reply.kind, reply.lang)
    assert verdict == ("article", None, "article", lang)
    assert f'<a href="{link}">adilet.zan.kz</a>' in reply.html
    assert words in reply.text
    assert datas(reply)[-1] == "menu"
    check_buttons(reply)


def test_an_impossible_article_is_not_known(assistant: Assistant) -> None:
    reply, match = assistant.ask("999-9 бап", "kk")
    assert (match.decision, reply.kind) == ("unknown", "unknown")
    assert "adilet" not in reply.html
