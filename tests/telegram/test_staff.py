"""Staff tools end to end: live reload reported to admins, /reload, /report with its chart,
and /link with its QR code."""

from __future__ import annotations

from pathlib import Path

import pytest
from botharness import make_config, running_bot, until_handled
from conftest import NOW
from imaging import png_size, read_qr

from bot.knowledge.chart import DPI, SIZE
from bot.knowledge.library import Library

ADMIN, CITIZEN = 777, 778
TOPIC = "ru/emergency-contacts.md"


@pytest.fixture
async def staffed_bot(api, content_copy: Path, tmp_path: Path):
    library = Library(content_copy)
    config = make_config(
        api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}), reload_interval=0.1,
        flood_burst=50,
    )  # fmt: skip
    api.user(ADMIN)  # the admin has opened the bot, so messages to them can be delivered
    async with running_bot(config, library, clock=lambda: NOW) as app:
        yield app, library, content_copy


def edit_body(path: Path, new_body: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, _sep, _body = text.rpartition("\n---\n")
    path.write_text(f"{head}\n---\n{new_body}\n", encoding="utf-8")


async def test_valid_edit_goes_live_and_admins_are_told(api, staffed_bot) -> None:
    _app, _library, content = staffed_bot
    edit_body(content / TOPIC, "Звоните **102** или **112**. Новая редакция ответа.")
    [notice] = await api.wait_for(ADMIN, timeout=60)
    assert "22" in notice["text"]  # "Content updated: 22 topics are live."
    citizen = api.user(CITIZEN)
    await api.send_text(citizen, "куда звонить в экстренной ситуации номера")
    [answer] = await api.wait_for(citizen.id)
    assert "Новая редакция ответа" in answer["text"]


async def test_broken_edit_is_rejected_and_the_old_version_keeps_serving(api, staffed_bot) -> None:
    _app, library, content = staffed_bot
    old_body = library.kb.get("emergency-contacts", "ru").body
    path = content / TOPIC
    path.write_text(path.read_text(encoding="utf-8").replace("category:", "category: nope\nx:", 1),
                    encoding="utf-8")  # fmt: skip
    [notice] = await api.wait_for(ADMIN, timeout=60)
    assert "emergency-contacts.md:" in notice["text"]  # file:line of the problem
    assert library.kb.get("emergency-contacts", "ru").body == old_body
    citizen = api.user(CITIZEN)
    await api.send_text(citizen, "куда звонить в экстренной ситуации номера")
    [answer] = await api.wait_for(citizen.id)
    assert "102" in answer["text"]
    assert api.errors == []


async def test_reload_and_report_are_for_admins_only(api, staffed_bot) -> None:
    admin, citizen = api.user(ADMIN), api.user(CITIZEN)
    await api.send_command(admin, "/reload")
    [reply] = await api.wait_for(ADMIN, timeout=60)
    assert "22" in reply["text"]
    await api.send_command(admin, "/report")
    report = await api.wait_for(ADMIN, timeout=60)
    assert "Отчёт Zanbot" in report[0]["text"]  # the admin's language (ru by default)
    await api.send_command(citizen, "/reload")
    [unknown] = await api.wait_for(citizen.id)
    assert "/help" in unknown["text"]
    admin_menu = [c["command"] for c in api.commands[("chat", "ru")]]
    assert "reload" in admin_menu and "report" in admin_menu
    public_menu = [c["command"] for c in api.commands[("default", "ru")]]
    assert "reload" not in public_menu
    assert api.errors == []


async def test_report_includes_questions_asked_seconds_ago(api, staffed_bot) -> None:
    admin, citizen = api.user(ADMIN), api.user(CITIZEN)
    await api.send_text(citizen, "как сварить борщ со свёклой")
    await api.wait_for(citizen.id)
    await api.send_command(admin, "/report")  # long before the 5-second flush
    report = "".join(m["text"] for m in await api.wait_for(ADMIN, timeout=60))
    assert "как сварить борщ со свёклой" in report


async def test_report_sends_the_chart_after_the_text(api, staffed_bot) -> None:
    app, _library, _content = staffed_bot
    admin, citizen = api.user(ADMIN), api.user(CITIZEN)
    await api.send_text(citizen, "куда звонить в экстренной ситуации номера")
    await api.wait_for(citizen.id)
    await until_handled(app, await api.send_command(admin, "/report", payload="30"), timeout=60)
    *texts, chart = api.messages(ADMIN)
    assert [m["method"] for m in texts] == ["sendMessage"] * len(texts)
    assert "Отчёт Zanbot" in texts[0]["text"]
    assert chart["method"] == "sendPhoto"
    assert png_size(chart["photo"]["content"]) == (SIZE[0] * DPI, SIZE[1] * DPI)
    assert api.errors == []


async def test_link_sends_a_qr_code_that_opens_the_topic(api, staffed_bot) -> None:
    app, library, _content = staffed_bot
    admin = api.user(ADMIN)
    await until_handled(app, await api.send_command(admin, "/link", payload="uk-115-1-stalking"))
    [sent] = api.messages(ADMIN)
    link = f"https://t.me/{api.bot_username}?start=uk-115-1-stalking"
    assert sent["method"] == "sendDocument"  # lossless, for print: a photo is recompressed
    assert read_qr(sent["document"]["content"]) == [link]
    assert sent["document"]["file_name"] == "uk-115-1-stalking-qr.png"
    title = library.kb.get("uk-115-1-stalking", "ru").title
    assert sent["caption"].startswith(f"{title}\n{link}\n")
    # Someone scans the poster: Telegram opens the bot with /start and the link's parameter.
    reader = api.user(CITIZEN, language_code="kk")
    await api.send_command(reader, "/start", payload=link.rsplit("start=", 1)[1])
    [answer] = await api.wait_for(reader.id)
    assert library.kb.get("uk-115-1-stalking", "kk").title in answer["text"]
    assert api.errors == []


async def test_link_lists_ids_and_helps_with_an_unknown_one(api, staffed_bot) -> None:
    app, library, _content = staffed_bot
    admin = api.user(ADMIN)
    await until_handled(app, await api.send_command(admin, "/link"))
    listing = "".join(m["text"] for m in api.messages(ADMIN))
    for topic in library.kb.in_lang("ru"):
        assert f"{topic.id} — {topic.title}" in listing
    await api.wait_for(ADMIN, count=len(api.messages(ADMIN)))
    await api.send_command(admin, "/link", payload="uk-115-stalking")
    [unknown] = await api.wait_for(ADMIN)
    assert "uk-115-stalking" in unknown["text"] and "uk-115-1-stalking" in unknown["text"]
    assert "/link" in unknown["text"]
    assert [m["method"] for m in api.messages(ADMIN)] == ["sendMessage"] * len(api.messages(ADMIN))
    assert "link" in [c["command"] for c in api.commands[("chat", "kk")]]
    assert api.errors == []


async def test_link_is_not_served_to_citizens(api, staffed_bot) -> None:
    app, _library, _content = staffed_bot
    citizen = api.user(CITIZEN)
    await until_handled(app, await api.send_command(citizen, "/link", payload="uk-115-1-stalking"))
    [reply] = api.messages(CITIZEN)
    assert (reply["method"], reply["document"]) == ("sendMessage", None)
    assert "/help" in reply["text"]  # the unknown-command answer, as for /reload
    assert "t.me/" not in reply["text"]
    assert api.errors == []
