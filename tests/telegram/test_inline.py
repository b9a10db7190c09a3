"""End to end: inline mode, "@bot сталкинг" in any chat, over real HTTP against the fake Bot
API server: topic cards through answerInlineQuery, their deep links, the share button under
answers, and the cards sent counted without user ids."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from botharness import make_config, running_bot, until_handled
from conftest import NOW
from fakebotapi import FakeBotAPI
from telegram.ext import Application

from bot.conversation.sharing import CACHE_SECONDS
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage

EVER = (date(2000, 1, 1), date(2100, 1, 1))


def links(result: dict[str, Any]) -> list[str]:
    """The URLs of a result's buttons (the message it sends carries them)."""
    return [b["url"] for row in result["reply_markup"]["inline_keyboard"] for b in row]


@pytest.fixture
def config(api: FakeBotAPI, tmp_path: Path):
    return make_config(api, tmp_path / "bot.sqlite3", flood_burst=50)


@pytest.fixture
async def bot(api: FakeBotAPI, config, library: Library):
    api.set_inline("Закон, статья, мошенники…", feedback=True)  # BotFather: inline mode on
    async with running_bot(config, library, clock=lambda: NOW) as app:
        yield app


async def ask_inline(api: FakeBotAPI, user, query: str) -> dict[str, Any]:
    return await api.wait_for_inline_answer(await api.send_inline_query(user, query))


@pytest.mark.parametrize(
    ("query", "language_code", "topic", "lang"),
    [
        ("сталкинг", "ru", "uk-115-1-stalking", "ru"),
        ("қудалау", "kk", "uk-115-1-stalking", "kk"),  # Kazakh in Cyrillic
        ("qudalau", None, "uk-115-1-stalking", "kk"),  # in Latin, no hint: the query's
        ("232-1", "ru", "uk-232-1-droppers", "ru"),  # an article number
    ],
)
async def test_an_inline_query_gets_topic_cards_that_open_the_topic(
    api: FakeBotAPI, bot: Application, library: Library,
    query: str, language_code: str | None, topic: str, lang: str,
) -> None:  # fmt: skip
    user = api.user(3001, language_code=language_code)
    answer = await ask_inline(api, user, query)
    assert (answer["cache_time"], answer["is_personal"], answer["button"]) == (
        CACHE_SECONDS, False, None,
    )  # fmt: skip
    first = answer["results"][0]
    expected = library.kb.get(topic, lang)
    assert expected is not None
    assert (first["type"], first["id"], first["title"]) == ("article", f"{topic}:{lang}",
                                                            expected.title)  # fmt: skip
    assert first["input_message_content"]["parse_mode"] == "HTML"
    assert first["text"].startswith(expected.title)  # valid HTML: the fake parsed it
    link = f"https://t.me/{api.bot_username}?start={topic}"
    assert links(first) == [link]
    assert 1 <= len(answer["results"]) <= 5
    assert all(r["id"].endswith(f":{lang}") for r in answer["results"])
    # The link sends /start <topic id> from the user's private chat: the whole topic.
    await api.send_command(user, "/start", payload=link.split("start=")[1])
    [opened] = await api.wait_for(user.id)
    assert opened["text"].startswith(library.kb.get(topic, "kk" if language_code == "kk"
                                                    else "ru").title)  # fmt: skip
    assert api.errors == []


async def test_the_stored_language_beats_the_hint_and_strangers_are_not_stored(
    api: FakeBotAPI, bot: Application, config
) -> None:
    aigul = api.user(3002, language_code="ru")
    await api.send_command(aigul, "/start")
    [chooser] = await api.wait_for(aigul.id)
    await api.press(aigul, chooser, "lang:kk")
    await api.wait_for(aigul.id)
    answer = await ask_inline(api, aigul, "сталкинг")
    assert answer["results"][0]["id"] == "uk-115-1-stalking:kk"

    stranger = api.user(3003, language_code="ru")  # never opened the bot's chat
    await ask_inline(api, stranger, "сталкинг")
    async with SQLiteStorage(config.database) as storage:
        assert await storage.get_user(stranger.id) is None
        assert await storage.get_user(aigul.id) is not None


async def test_an_empty_query_shows_the_most_asked_topics(
    api: FakeBotAPI, config, library: Library
) -> None:
    async with SQLiteStorage(config.database, clock=lambda: NOW) as storage:
        await storage.add_counts({}, {("fraud-victim-steps", "kk"): 5,
                                      ("uk-214-1-illegal-lending", "ru"): 3})  # fmt: skip
    api.set_inline()
    async with running_bot(config, library, clock=lambda: NOW):
        answer = await ask_inline(api, api.user(3004, language_code="ru"), "")
    shown = [r["id"] for r in answer["results"]]
    assert shown[:2] == ["fraud-victim-steps:ru", "uk-214-1-illegal-lending:ru"]
    assert len(shown) == 5
    assert api.errors == []


async def test_nothing_found_gives_no_card_and_a_button_to_the_bot(
    api: FakeBotAPI, bot: Application
) -> None:
    user = api.user(3005, language_code="kk")
    answer = await ask_inline(api, user, "как испечь торт")
    assert answer["results"] == []
    with use_locale("kk"):
        label = _("Ask Zanbot in a private chat")
    assert answer["button"] == {"text": label, "start_parameter": "inline"}
    await api.send_command(user, "/start", payload="inline")  # the button: the greeting
    [greeting] = await api.wait_for(user.id)
    assert [b["callback_data"] for b in greeting["reply_markup"]["inline_keyboard"][0]] == [
        "lang:ru", "lang:kk",
    ]  # fmt: skip


async def test_a_card_sent_is_counted_without_the_user(
    api: FakeBotAPI, config, library: Library
) -> None:
    api.set_inline(feedback=True)
    user = api.user(3006, language_code="kk")
    async with running_bot(config, library, clock=lambda: NOW) as app:
        answer = await ask_inline(api, user, "qudalau")
        chosen = await api.choose_inline_result(user, answer, "uk-115-1-stalking:kk")
        await until_handled(app, chosen)
    async with SQLiteStorage(config.database) as storage:  # flushed at shutdown
        assert await storage.share_counts(*EVER) == [("uk-115-1-stalking", "kk", 1)]
        assert await storage.get_user(user.id) is None
    assert api.errors == []


async def test_every_topic_answer_has_a_share_button(
    api: FakeBotAPI, bot: Application, library: Library
) -> None:
    user = api.user(3007, language_code="ru")
    await api.send_text(user, "бывший муж преследует меня и угрожает")
    [answer] = await api.wait_for(user.id)
    rows = answer["reply_markup"]["inline_keyboard"]
    title = library.kb.get("uk-115-1-stalking", "ru").title
    share = [b for row in rows for b in row if "switch_inline_query" in b]
    with use_locale("ru"):
        assert share == [{"text": _("📤 Share"), "switch_inline_query": title}]
    # Sharing it types "@bot <title>" in the chat the user picks: the same topic comes first.
    inline = await ask_inline(api, user, title)
    assert inline["results"][0]["id"] == "uk-115-1-stalking:ru"
    assert api.errors == []
