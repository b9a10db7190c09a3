"""Tests for buttons: what each citizen's button does, the same for every channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import NOW

from bot.conversation.assistant import Assistant
from bot.conversation.buttons import Buttons
from bot.conversation.callbacks import (
    AddToCalendar,
    ChooseLanguage,
    Feedback,
    Forget,
    ShowCategory,
    ShowTopic,
    ToggleSubscription,
    decode,
)
from bot.storage.sqlite import SQLiteStorage

USER = 42


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    async with SQLiteStorage(tmp_path / "bot.sqlite3") as opened:
        await opened.touch_user(USER)
        yield opened


@pytest.fixture
def buttons(assistant: Assistant, storage: SQLiteStorage) -> Buttons:
    return Buttons(assistant, storage, clock=lambda: NOW)


async def votes(storage: SQLiteStorage) -> list[tuple]:
    return await storage.fetchall("SELECT user_id, topic_id, helpful FROM feedback")


async def test_choosing_a_language_stores_it_and_shows_the_menu(
    buttons: Buttons, storage: SQLiteStorage
) -> None:
    outcome = await buttons.press(USER, "ru", ChooseLanguage("kk"))
    assert (outcome.lang, outcome.edit, outcome.reply and outcome.reply.lang) == ("kk", False, "kk")
    assert await storage.language(USER) == "kk"


async def test_topics_come_as_new_messages_and_menus_edit_in_place(buttons: Buttons) -> None:
    topic = await buttons.press(USER, "ru", ShowTopic("uk-115-1-stalking", "kk"))
    assert (topic.edit, topic.reply and topic.reply.topic, topic.reply and topic.reply.lang) == (
        False, "uk-115-1-stalking", "kk",
    )  # fmt: skip
    category = await buttons.press(USER, "ru", ShowCategory("fraud"))
    assert category.edit and category.reply is not None


async def test_feedback_counts_once_per_user_and_topic(
    buttons: Buttons, storage: SQLiteStorage
) -> None:
    first = await buttons.press(USER, "ru", Feedback("fraud-victim-steps", helpful=False))
    again = await buttons.press(USER, "ru", Feedback("fraud-victim-steps", helpful=True))
    assert first.drop_feedback and first.notice and again.notice
    assert await votes(storage) == [(USER, "fraud-victim-steps", 1)]


async def test_feedback_on_a_topic_that_does_not_exist_is_ignored(
    buttons: Buttons, storage: SQLiteStorage
) -> None:
    outcome = await buttons.press(USER, "ru", Feedback("no-such-topic", helpful=False))
    assert (outcome.notice, outcome.drop_feedback) == (None, True)
    forged = await buttons.press(USER, "ru", decode("fb:<b>x:0"))
    assert forged.reply is not None and forged.reply.kind == "menu"  # the menu, nothing stored
    assert await votes(storage) == []


async def test_subscriptions_toggle_and_all_off(buttons: Buttons, storage: SQLiteStorage) -> None:
    await buttons.press(USER, "ru", ToggleSubscription("fraud"))
    await buttons.press(USER, "ru", ToggleSubscription("laws"))
    await buttons.press(USER, "ru", ToggleSubscription("fraud"))
    assert await storage.subscriptions(USER) == {"laws"}
    page = await buttons.press(USER, "ru", ToggleSubscription("off"))
    assert page.edit and await storage.subscriptions(USER) == set()


async def test_a_calendar_file_for_an_upcoming_hearing_only(buttons: Buttons) -> None:
    outcome = await buttons.press(USER, "kk", AddToCalendar("hearing-paz-2026-04-28"))
    assert outcome.document is not None and outcome.document.name.endswith(".ics")
    gone = await buttons.press(USER, "kk", AddToCalendar("uk-115-1-stalking"))
    assert (gone.document, bool(gone.notice)) == (None, True)


async def test_forget_deletes_only_when_confirmed(buttons: Buttons, storage: SQLiteStorage) -> None:
    await storage.subscribe(USER, "laws")
    kept = await buttons.press(USER, "ru", Forget(confirmed=False))
    assert not kept.forgotten and await storage.subscriptions(USER) == {"laws"}
    gone = await buttons.press(USER, "ru", Forget(confirmed=True))
    assert gone.forgotten and await storage.export_user(USER) == {}
