"""Tests for bot.cli.chat: the terminal conversation, driven through io.StringIO."""

from __future__ import annotations

import io

import pytest

from bot.cli.chat import HELP, ChatSession, run_chat
from bot.conversation.assistant import Assistant
from bot.conversation.pages import feedback_thanks
from bot.i18n import _, use_locale


def translated(lang: str, message: str) -> str:
    with use_locale(lang):
        return _(message)


def chat(assistant: Assistant, lines: list[str], *, lang: str | None = None) -> str:
    stdout = io.StringIO()
    run_chat(
        assistant, lang=lang, stdin=io.StringIO("".join(f"{x}\n" for x in lines)), stdout=stdout
    )
    return stdout.getvalue()


def title(assistant: Assistant, topic_id: str, lang: str) -> str:
    topic = assistant.library.kb.get(topic_id, lang)
    assert topic is not None
    return topic.title


def test_start_without_a_language_asks_for_one(assistant: Assistant) -> None:
    session = ChatSession(assistant)
    shown = session.start()
    assert shown.splitlines() == [
        "Выберите язык / Тілді таңдаңыз:",
        "  [1] Русский",
        "  [2] Қазақша",
    ]
    assert [b.data for b in session.buttons] == ["lang:ru", "lang:kk"]


@pytest.mark.parametrize(("key", "lang"), [("1", "ru"), ("2", "kk")])
def test_pressing_a_number_chooses_the_language(assistant: Assistant, key: str, lang: str) -> None:
    session = ChatSession(assistant)
    session.start()
    shown = session.handle(key)
    assert session.lang == lang
    assert shown is not None and shown.startswith(HELP[lang])
    assert translated(lang, "Choose a topic:") in shown
    assert [b.data for b in session.buttons] == [
        "cat:articles",
        "cat:fraud",
        "cat:hearings",
        "cat:info",
    ]


def test_text_before_choosing_a_language_asks_again(assistant: Assistant) -> None:
    session = ChatSession(assistant)
    session.start()
    shown = session.handle("как защититься от мошенников")
    assert session.lang is None
    assert shown is not None and shown.startswith("Выберите язык")


def test_ask_and_press_a_numbered_button(assistant: Assistant) -> None:
    session = ChatSession(assistant, "ru")
    shown = session.handle("бывший муж преследует меня и угрожает")
    assert shown is not None
    assert shown.startswith(title(assistant, "uk-115-1-stalking", "ru"))
    labels = [b.data for b in session.buttons]
    assert labels[-3:] == ["fb:uk-115-1-stalking:1", "fb:uk-115-1-stalking:0", "menu"]
    for i, button in enumerate(session.buttons, start=1):
        assert f"  [{i}] {button.text}" in shown
    # The first button is a related topic: pressing "1" opens it.
    first = session.buttons[0]
    assert first.data.startswith("t:")
    opened = session.handle("1")
    assert opened is not None
    assert opened.startswith(title(assistant, first.data[2:], "ru"))


def test_feedback_button_thanks(assistant: Assistant) -> None:
    session = ChatSession(assistant, "kk")
    session.handle("алаяқтардан қалай сақтануға болады")
    index = [b.data for b in session.buttons].index("fb:fraud-protect-yourself:1") + 1
    assert session.handle(str(index)) == feedback_thanks("kk")


def test_category_then_back(assistant: Assistant) -> None:
    session = ChatSession(assistant, "ru")
    session.handle("/menu")
    shown = session.handle("2")  # fraud
    assert shown is not None
    fraud = assistant.library.kb.in_category("fraud", "ru")
    assert [b.data for b in session.buttons] == [*(f"t:{t.id}" for t in fraud), "menu"]
    back = session.handle(str(len(session.buttons)))
    assert back is not None and translated("ru", "Choose a topic:") in back
    assert len(session.buttons) == 4


def test_a_number_without_such_button_is_a_question(assistant: Assistant) -> None:
    session = ChatSession(assistant, "ru")
    session.handle("/menu")
    shown = session.handle("102")
    assert shown is not None
    assert shown.startswith(title(assistant, "emergency-contacts", "ru"))


def test_commands(assistant: Assistant) -> None:
    session = ChatSession(assistant, "kk")
    assert session.handle("/help") == HELP["kk"]
    menu = session.handle("/menu")
    assert menu is not None and translated("kk", "Choose a topic:") in menu
    lang = session.handle("/lang")
    assert lang is not None and lang.startswith("Выберите язык")
    switched = session.handle("1")
    assert session.lang == "ru"
    assert switched is not None and switched.startswith(HELP["ru"])
    for command in ("/quit", "/exit", "/q", "  /quit  "):
        assert session.handle(command) is None


def test_run_chat_full_conversation(assistant: Assistant) -> None:
    out = chat(
        assistant,
        ["2", "алаяқтардан қалай сақтануға болады", "/menu", "/lang", "1", "/quit", "привет"],
    )
    assert out.startswith("Zanbot — Русский / Қазақша\nВыберите язык / Тілді таңдаңыз:\n")
    assert HELP["kk"] in out
    assert title(assistant, "fraud-protect-yourself", "kk") in out
    assert HELP["ru"] in out
    # /quit ends the chat: the line after it is never answered.
    assert title(assistant, "smalltalk-greeting", "ru") not in out
    assert out.endswith("> ")


def test_run_chat_with_a_language_starts_with_the_menu(assistant: Assistant) -> None:
    out = chat(assistant, ["привет"], lang="ru")
    first_lines = out.splitlines()[:3]
    assert first_lines[0] == "Zanbot — Русский / Қазақша"
    assert first_lines[1] == HELP["ru"]
    assert title(assistant, "smalltalk-greeting", "ru") in out


def test_run_chat_ends_on_eof(assistant: Assistant) -> None:
    out = chat(assistant, [], lang="kk")
    assert out.endswith("> \n")
    out = chat(assistant, ["сәлем"], lang="kk")
    assert out.endswith("> \n")
    assert out.count("> ") == 2


def test_run_chat_uses_the_prompt(assistant: Assistant) -> None:
    stdout = io.StringIO()
    run_chat(assistant, lang="ru", stdin=io.StringIO("/help\n"), stdout=stdout, prompt=lambda: "? ")
    assert stdout.getvalue().count("? ") == 2
    assert "> " not in stdout.getvalue()
