"""End to end: the unmodified bot over real HTTP against the fake Bot API server."""

from __future__ import annotations

from pathlib import Path

import pytest
from botharness import make_config, press_for_edit, running_bot, until_handled
from conftest import NOW
from fakebotapi import FakeBotAPI
from telegram.ext import Application

from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage


def buttons(message: dict) -> list[tuple[str, str]]:
    """Return (text, callback data) of every inline button of a sent message."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
            for b in row]  # fmt: skip


async def start_in(api: FakeBotAPI, user, lang: str) -> None:
    """/start and choose the language, as a new user does; the menu arrives."""
    await api.send_command(user, "/start")
    [chooser] = await api.wait_for(user.id)  # the greeting, with the language buttons
    await api.press(user, chooser, f"lang:{lang}")
    await api.wait_for(user.id)


@pytest.fixture
def config(api: FakeBotAPI, tmp_path: Path):
    # Tests type faster than people: a generous burst, except in the flood test below.
    return make_config(api, tmp_path / "bot.sqlite3", flood_burst=50)


@pytest.fixture
async def bot(api, config, library: Library):
    async with running_bot(config, library, clock=lambda: NOW) as app:
        yield app


async def test_citizen_journey_in_kazakh_then_russian(api, bot, library, config):
    kk = library.kb.get("fraud-codes-and-cards", "kk")
    ru = library.kb.get("fraud-codes-and-cards", "ru")
    aigul = api.user(1001, first_name="Айгүл", language_code="ru")

    await api.send_command(aigul, "/start")
    [chooser] = await api.wait_for(aigul.id)  # one message: two would wait a second apart
    assert "Айгүл" in chooser["text"]
    assert [data for _, data in buttons(chooser)] == ["lang:ru", "lang:kk"]

    await api.press(aigul, chooser, "lang:kk")
    [menu] = await api.wait_for(aigul.id)
    assert any(data.startswith("cat:") for _, data in buttons(menu))

    await api.send_text(aigul, "біреу телефон соғып смс кодты сұрап жатыр")
    [answer] = await api.wait_for(aigul.id)
    assert kk.title in answer["text"]
    assert answer["parse_mode"] == "HTML"

    # A related-topic button opens that topic as a new message.
    related = next(data for _, data in buttons(answer) if data.startswith("t:"))
    await api.press(aigul, answer, related)
    [opened] = await api.wait_for(aigul.id)
    assert library.kb.get(related[2:], "kk").title in opened["text"]

    # Switch to Russian: the same question, asked in Russian, is answered in Russian.
    await api.send_command(aigul, "/lang")
    [chooser] = await api.wait_for(aigul.id)
    await api.press(aigul, chooser, "lang:ru")
    await api.wait_for(aigul.id)
    await api.send_text(aigul, "звонят из банка и просят код из смс")
    [answer] = await api.wait_for(aigul.id)
    assert ru.title in answer["text"]

    async with SQLiteStorage(config.database) as storage:
        user = await storage.get_user(aigul.id)
    assert user is not None and user.lang == "ru"
    assert api.errors == []


async def test_feedback_is_stored_once_and_buttons_removed(api, bot, config):
    user = api.user(1002)
    await api.send_text(user, "что такое дропперство")
    [answer] = await api.wait_for(user.id)
    edited = await press_for_edit(api, user, answer, "fb:uk-232-1-droppers:1")
    assert not any(data.startswith("fb:") for _, data in buttons(edited))
    async with SQLiteStorage(config.database) as storage:
        summary = await storage.feedback_summary(
            NOW.date().replace(year=2000), NOW.date().replace(year=2100)
        )
    assert [(t, up, down) for t, _lang, up, down in summary] == [("uk-232-1-droppers", 1, 0)]


async def test_odd_input_gets_sensible_replies(api, bot, library):
    user = api.user(1003, language_code="kk")
    await api.send_sticker(user)
    [reply] = await api.wait_for(user.id)
    assert "мәтін" in reply["text"].lower() or "text" in reply["text"].lower()

    await api.send_text(user, "x" * 5000)
    replies = await api.wait_for(user.id)
    assert replies and all(len(r["text"]) <= 4096 for r in replies)

    await api.send_text(user, "🙂🙂🙂 ?!")
    [reply] = await api.wait_for(user.id)
    assert buttons(reply) and buttons(reply)[-1][1] == "menu"

    for send in (api.send_photo, api.send_voice, api.send_location):
        await send(user)
        await api.wait_for(user.id)
    assert api.errors == []


async def test_group_chats_and_edits_are_ignored(api, bot, library):
    user = api.user(1004)
    group = api.group(-100500)
    in_group = await api.send_group_text(group, user, "что такое сталкинг")
    await until_handled(bot, in_group)  # no reply in the group could show that it was
    assert api.messages(group) == []
    await api.send_text(user, "привет")
    [reply] = await api.wait_for(user.id)
    await api.edit_text(user, reply["message_id"] - 1, "что такое сталкинг")
    # A chat's updates are handled in order: the next message is the answer to the next text.
    await api.send_text(user, "что такое дропперство")
    [answer] = await api.wait_for(user.id)
    assert library.kb.get("uk-232-1-droppers", "ru").title in answer["text"]


async def test_sensitive_data_is_warned_about_and_never_stored(api, library, config):
    user = api.user(1005)
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_text(user, "мне пишут дай номер карты 4400 4301 2345 6789 и смс код 4821")
        [reply] = await api.wait_for(user.id)
        assert "CVV" in reply["text"] or "карт" in reply["text"]
        await api.send_text(user, "4400430123456789 забыл пароль от погоды")
        await api.wait_for(user.id)
    # Stopped: the statistics buffer (question counts, unanswered questions) was flushed to
    # the database at shutdown, so whatever the bot kept of these questions is in the files.
    raw = b"".join(p.read_bytes() for p in Path(config.database).parent.glob("bot.sqlite3*"))
    assert b"4400" not in raw and b"6789" not in raw and b"4821" not in raw
    async with SQLiteStorage(config.database) as storage:
        counts = await storage.question_counts(
            NOW.date().replace(year=2000), NOW.date().replace(year=2100)
        )
    assert sum(asked for _lang, asked, _answered in counts) == 2  # the flush did write


async def test_forget_deletes_everything_after_confirmation(api, bot, config):
    user = api.user(1006)
    await start_in(api, user, "kk")
    await api.send_command(user, "/forget")
    [confirm] = await api.wait_for(user.id)
    assert [data for _, data in buttons(confirm)] == ["forget:yes", "forget:no"]
    await press_for_edit(api, user, confirm, "forget:yes")
    async with SQLiteStorage(config.database) as storage:
        assert await storage.get_user(user.id) is None
        assert await storage.export_user(user.id) == {}


async def test_deep_link_opens_topic(api, bot, library):
    user = api.user(1007)
    await api.send_command(user, "/start", payload="uk-115-1-stalking")
    [answer] = await api.wait_for(user.id)
    assert library.kb.get("uk-115-1-stalking", "ru").title in answer["text"]


async def test_menu_navigation_edits_one_message(api, bot, library):
    user = api.user(1008)
    await api.send_command(user, "/menu")
    [menu] = await api.wait_for(user.id)
    edited = await press_for_edit(api, user, menu, "cat:articles")
    topics = [data for _, data in buttons(edited) if data.startswith("t:")]
    assert topics and buttons(edited)[-1][1] == "menu"
    back = await press_for_edit(api, user, edited, "menu")
    assert any(data == "cat:articles" for _, data in buttons(back))
    assert api.errors == []


async def test_commands_registered_per_language(api, bot):
    langs = {lang for (_scope, lang) in api.commands}
    assert {"ru", "kk"} <= langs
    assert any(lang in (None, "") for lang in langs)
    kk_names = [c["command"] for c in api.commands[("default", "kk")]]
    assert "start" in kk_names and "forget" in kk_names


async def test_flood_gets_one_warning_and_does_not_starve_others(api, library, tmp_path):
    # A token back every 1000 s: however slowly this machine handles the flood, no message of
    # it earns a new token (with one a second, a slow run would see a second flood and warning).
    config = make_config(api, tmp_path / "flood.sqlite3", flood_burst=5, flood_rate=0.001)
    async with running_bot(config, library, clock=lambda: NOW) as app:
        await flood_and_check(api, app)


async def flood_and_check(api: FakeBotAPI, app: Application) -> None:
    flooder, other = api.user(1009), api.user(1010)
    flood = [await api.send_text(flooder, f"вопрос {i}") for i in range(40)]
    await api.send_text(other, "что такое сталкинг")
    [answer] = await api.wait_for(other.id)
    assert "115-1" in answer["text"]
    await until_handled(app, *flood)  # each one answered, warned about or dropped
    texts = [m["text"] for m in api.messages(flooder.id)]
    slow_downs = [t for t in texts if "слишком" in t.lower() or "too fast" in t.lower()]
    assert slow_downs == texts[5:6]  # the burst of five answered, one warning, nothing more
    assert len(texts) == 6


async def test_handler_error_is_logged_and_user_gets_apology(api, bot):
    user = api.user(1011)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat is busy")
    await api.send_text(user, "что такое сталкинг")
    [apology] = await api.wait_for(user.id)
    assert apology["text"]  # the apology arrived, and the bot keeps serving:
    await api.send_text(user, "что такое сталкинг")
    [answer] = await api.wait_for(user.id)
    assert "115-1" in answer["text"]


async def test_several_users_at_once_in_both_languages(api, bot, library):
    users = [api.user(2000 + i) for i in range(6)]
    questions = ["что такое сталкинг", "115-1 бап деген не"] * 3
    for user, question in zip(users, questions, strict=True):
        await api.send_text(user, question)
    for i, user in enumerate(users):
        [answer] = await api.wait_for(user.id)
        lang = "ru" if i % 2 == 0 else "kk"
        assert library.kb.get("uk-115-1-stalking", lang).title in answer["text"]


async def test_question_in_the_other_language_is_answered_in_it(api, bot, library):
    user = api.user(1012, language_code="ru")
    await start_in(api, user, "ru")

    await api.send_text(user, "алаяқтар менен смс кодты сұрап жатыр не істеймін")
    [answer] = await api.wait_for(user.id)
    assert library.kb.get("fraud-codes-and-cards", "kk").title in answer["text"]
    datas = [data for _, data in buttons(answer)]
    assert "lang:kk" in datas  # the offer to switch
    related = next(d for d in datas if d.startswith("t:"))
    assert related.endswith(":kk")
    await api.press(user, answer, related)
    [opened] = await api.wait_for(user.id)
    topic_id = related.split(":")[1]
    assert library.kb.get(topic_id, "kk").title in opened["text"]
    assert api.errors == []
