"""Staff tools end to end: live reload reported to admins, /reload and /report."""

from __future__ import annotations

from pathlib import Path

import pytest
from botharness import make_config, running_bot
from conftest import NOW

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
