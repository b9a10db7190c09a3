"""Tests for bot.cli.chat: the terminal conversation, driven through io.StringIO."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import NOW

from bot.cli.chat import HELP, USER_ID, ChatSession, run_chat
from bot.conversation.assistant import Assistant
from bot.conversation.pages import feedback_thanks
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage


def translated(lang: str, message: str) -> str:
    with use_locale(lang):
        return _(message)


async def chat(assistant: Assistant, lines: list[str], *, lang: str | None = None) -> str:
    stdout = io.StringIO()
    await run_chat(
        assistant, lang=lang, stdin=io.StringIO("".join(f"{x}\n" for x in lines)), stdout=stdout
    )
    return stdout.getvalue()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    async with SQLiteStorage(tmp_path / "chat.sqlite3") as opened:
        yield opened


def title(assistant: Assistant, topic_id: str, lang: str) -> str:
    topic = assistant.library.kb.get(topic_id, lang)
    assert topic is not None
    return topic.title


async def test_start_without_a_language_asks_for_one(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    session = ChatSession(assistant, storage)
    shown = session.start()
    assert shown.splitlines() == [
        "Выберите язык / Тілді таңдаңыз:",
        "  [1] Русский",
        "  [2] Қазақша",
    ]
    assert [b.data for b in session.buttons] == ["lang:ru", "lang:kk"]


@pytest.mark.parametrize(("key", "lang"), [("1", "ru"), ("2", "kk")])
async def test_pressing_a_number_chooses_the_language(
    assistant: Assistant, storage: SQLiteStorage, key: str, lang: str
) -> None:
    session = ChatSession(assistant, storage)
    session.start()
    shown = await session.handle(key)
    assert session.lang == lang
    assert shown is not None and shown.startswith(HELP[lang])
    assert translated(lang, "Choose a topic:") in shown
    assert [b.data for b in session.buttons] == [
        "cat:articles",
        "cat:fraud",
        "cat:hearings",
        "cat:info",
    ]


@pytest.mark.parametrize(
    ("question", "lang", "topic"),
    [
        ("как защититься от мошенников", "ru", "fraud-protect-yourself"),
        ("алаяқтардан қалай қорғануға болады", "kk", "fraud-protect-yourself"),
    ],
)
async def test_a_question_before_choosing_a_language_is_answered_in_its_language(
    assistant: Assistant, storage: SQLiteStorage, question: str, lang: str, topic: str
) -> None:
    session = ChatSession(assistant, storage)
    session.start()
    shown = await session.handle(question)
    assert session.lang == lang
    assert shown is not None and shown.startswith(title(assistant, topic, lang))


async def test_a_command_before_choosing_a_language_asks_for_one(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    session = ChatSession(assistant, storage)
    session.start()
    shown = await session.handle("/menu")
    assert session.lang is None
    assert shown is not None and shown.startswith("Выберите язык")


async def test_ask_and_press_a_numbered_button(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    session = ChatSession(assistant, storage, "ru")
    shown = await session.handle("бывший муж преследует меня и угрожает")
    assert shown is not None
    assert shown.startswith(title(assistant, "uk-115-1-stalking", "ru"))
    labels = [b.data for b in session.buttons]
    assert labels[-4:] == [
        "fb:uk-115-1-stalking:1", "fb:uk-115-1-stalking:0", "sh:uk-115-1-stalking", "menu",
    ]  # fmt: skip
    for i, button in enumerate(session.buttons, start=1):
        assert f"  [{i}] {button.text}" in shown
    # The first button is a related topic: pressing "1" opens it.
    first = session.buttons[0]
    assert first.data.startswith("t:")
    opened = await session.handle("1")
    assert opened is not None
    assert opened.startswith(title(assistant, first.data[2:], "ru"))


async def test_feedback_button_thanks(assistant: Assistant, storage: SQLiteStorage) -> None:
    session = ChatSession(assistant, storage, "kk")
    await session.handle("алаяқтардан қалай сақтануға болады")
    index = [b.data for b in session.buttons].index("fb:fraud-protect-yourself:1") + 1
    assert await session.handle(str(index)) == feedback_thanks("kk")


@pytest.mark.parametrize(("username", "link"), [
    ("zanbot_bot", "https://t.me/zanbot_bot?start=uk-232-1-droppers"), ("", None),
])  # fmt: skip
async def test_share_shows_what_it_would_send(
    assistant: Assistant, storage: SQLiteStorage, username: str, link: str | None
) -> None:
    session = ChatSession(assistant, storage, "kk", bot_username=username)
    await session.handle("232-1")
    index = [b.data for b in session.buttons].index("sh:uk-232-1-droppers") + 1
    shown = await session.handle(str(index))
    assert shown is not None
    intro = "In Telegram this button sends the answer to a chat you choose, like this:"
    assert shown.splitlines()[:3] == [
        translated("kk", intro), "", title(assistant, "uk-232-1-droppers", "kk"),
    ]  # fmt: skip
    assert (link in shown) if link else ("https://t.me/" not in shown)
    assert [b.data for b in session.buttons] == ["menu"]


async def test_category_then_back(assistant: Assistant, storage: SQLiteStorage) -> None:
    session = ChatSession(assistant, storage, "ru")
    await session.handle("/menu")
    shown = await session.handle("2")  # fraud
    assert shown is not None
    fraud = assistant.library.kb.in_category("fraud", "ru")
    assert [b.data for b in session.buttons] == [*(f"t:{t.id}" for t in fraud), "menu"]
    back = await session.handle(str(len(session.buttons)))
    assert back is not None and translated("ru", "Choose a topic:") in back
    assert len(session.buttons) == 4


async def test_a_number_without_such_button_is_a_question(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    session = ChatSession(assistant, storage, "ru")
    await session.handle("/menu")
    shown = await session.handle("102")
    assert shown is not None
    assert shown.startswith(title(assistant, "emergency-contacts", "ru"))


async def test_commands(assistant: Assistant, storage: SQLiteStorage) -> None:
    session = ChatSession(assistant, storage, "kk")
    assert await session.handle("/help") == HELP["kk"]
    menu = await session.handle("/menu")
    assert menu is not None and translated("kk", "Choose a topic:") in menu
    lang = await session.handle("/lang")
    assert lang is not None and lang.startswith("Выберите язык")
    switched = await session.handle("1")
    assert session.lang == "ru"
    assert switched is not None and switched.startswith(HELP["ru"])
    for command in ("/quit", "/exit", "/q", "  /quit  "):
        assert await session.handle(command) is None


@pytest.mark.parametrize("lang", ["ru", "kk"])
async def test_about_names_the_operator_of_the_language(
    library: Library, storage: SQLiteStorage, lang: str
) -> None:
    operator = {"ru": "прокуратура Павлодарской области", "kk": ""}
    session = ChatSession(Assistant(library, clock=lambda: NOW, operator=operator), storage, lang)
    shown = await session.handle("/about")
    assert shown is not None and translated(lang, "About Zanbot") in shown
    # Only Russian has a name: Kazakh users are told of no owner, not the Russian name.
    assert ("прокуратура Павлодарской области" in shown) == (lang == "ru")
    assert [b.data for b in session.buttons] == ["menu"]


async def test_run_chat_full_conversation(assistant: Assistant, storage: SQLiteStorage) -> None:
    out = await chat(
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


async def test_run_chat_with_a_language_starts_with_the_menu(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    out = await chat(assistant, ["привет"], lang="ru")
    first_lines = out.splitlines()[:3]
    assert first_lines[0] == "Zanbot — Русский / Қазақша"
    assert first_lines[1] == HELP["ru"]
    assert title(assistant, "smalltalk-greeting", "ru") in out


async def test_run_chat_ends_on_eof(assistant: Assistant, storage: SQLiteStorage) -> None:
    out = await chat(assistant, [], lang="kk")
    assert out.endswith("> \n")
    out = await chat(assistant, ["сәлем"], lang="kk")
    assert out.endswith("> \n")
    assert out.count("> ") == 2


async def test_run_chat_uses_the_prompt(assistant: Assistant, storage: SQLiteStorage) -> None:
    stdout = io.StringIO()
    await run_chat(
        assistant, lang="ru", stdin=io.StringIO("/help\n"), stdout=stdout, prompt=lambda: "? "
    )
    assert stdout.getvalue().count("? ") == 2
    assert "> " not in stdout.getvalue()


def press(session: ChatSession, data: str) -> str:
    """Return the number to type for the button with this data (it must be shown)."""
    return str([b.data for b in session.buttons].index(data) + 1)


async def test_subscriptions_work_as_on_telegram(library: Library, storage: SQLiteStorage) -> None:
    session = ChatSession(Assistant(library, clock=lambda: NOW, subscriptions=True), storage, "ru")
    await session.handle("/menu")
    await session.handle(press(session, "subs"))
    shown = await session.handle(press(session, "sub:fraud"))
    assert shown is not None and "✅" in shown
    assert await storage.subscriptions(USER_ID) == {"fraud"}
    await session.handle(press(session, "sub:off"))
    assert await storage.subscriptions(USER_ID) == set()


async def test_feedback_is_given_once_and_stored(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    session = ChatSession(assistant, storage, "ru")
    await session.handle("бывший муж преследует меня и угрожает")
    await session.handle(press(session, "fb:uk-115-1-stalking:0"))
    assert not any(b.data.startswith("fb:") for b in session.buttons)
    assert (await storage.export_user(USER_ID))["feedback_count"] == 1


async def test_a_hearing_goes_into_a_calendar_file(
    assistant: Assistant, storage: SQLiteStorage, tmp_path: Path
) -> None:
    session = ChatSession(assistant, storage, "ru", downloads=tmp_path)
    session.show(assistant.topic("hearing-paz-2026-04-28", "ru"))
    shown = await session.handle(press(session, "ics:hearing-paz-2026-04-28"))
    assert shown is not None
    [saved] = tmp_path.glob("*.ics")
    assert str(saved) in shown
    assert saved.read_bytes().startswith(b"BEGIN:VCALENDAR")


async def test_forget_deletes_what_was_stored(assistant: Assistant, storage: SQLiteStorage) -> None:
    session = ChatSession(assistant, storage, "kk")
    await storage.subscribe(USER_ID, "laws")
    await session.handle("/forget")
    shown = await session.handle(press(session, "forget:yes"))
    assert shown is not None
    assert await storage.subscriptions(USER_ID) == set()


async def test_a_pasted_scam_is_checked_as_on_telegram(
    assistant: Assistant, storage: SQLiteStorage
) -> None:
    session = ChatSession(assistant, storage, "ru")
    scam = (
        "Здравствуйте, служба безопасности банка. По вашей карте подозрительная операция. "
        "Для отмены назовите код из SMS: https://kaspi-bank.kz.verify-login.com/otmena"
    )
    shown = await session.handle(scam)
    assert shown is not None and "verify-login.com" in shown
    assert any(b.data.startswith("t:") for b in session.buttons)
    asked = await session.handle("как защититься от мошенников")
    assert asked is not None and "verify-login.com" not in asked  # a question stays a question
