"""Tests for bot.telegram.persistence: conversation steps and drafts kept in the database as
JSON, on both databases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.conversation.pages import privacy_page
from bot.storage.factory import storage_for
from bot.storage.sql import SQLStorage
from bot.telegram.handlers.composer import Draft
from bot.telegram.persistence import DatabasePersistence

SEND_AT = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


@dataclass
class Secret:
    value: str


async def test_a_draft_reads_back_after_reopening(database: str) -> None:
    draft = Draft(text_ru="<b>Внимание</b>", text_kk="Назар", topic="fraud", send_at=SEND_AT)
    storage = storage_for(database)
    persistence = DatabasePersistence(storage, types=(Draft,))
    assert await persistence.get_user_data() == {}  # opens the database itself
    await persistence.update_user_data(900, {"draft": draft})
    await persistence.update_conversation("broadcast", (900, 900), 1)
    await storage.close()

    again = DatabasePersistence(storage_for(database), types=(Draft,))
    assert await again.get_user_data() == {900: {"draft": draft}}
    assert await again.get_conversations("broadcast") == {(900, 900): 1}
    assert await again.get_conversations("other") == {}
    await again.database.close()


async def test_empty_user_data_leaves_no_row_and_emptying_deletes_it(
    storage: SQLStorage,
) -> None:
    persistence = DatabasePersistence(storage, types=(Draft,))
    await persistence.get_user_data()
    await persistence.update_user_data(7, {})  # a citizen: nothing to keep
    assert await storage.fetchall("SELECT user_id FROM user_state") == []
    await persistence.update_user_data(900, {"draft": Draft(text_ru="x")})
    await persistence.update_user_data(900, {})  # the flow ended
    assert await storage.fetchall("SELECT user_id FROM user_state") == []


async def test_an_ended_conversation_is_deleted(storage: SQLStorage) -> None:
    persistence = DatabasePersistence(storage)
    await persistence.update_conversation("broadcast", (900, 900), 2)
    await persistence.update_conversation("broadcast", (900, 900), 3)
    assert await persistence.get_conversations("broadcast") == {(900, 900): 3}
    await persistence.update_conversation("broadcast", (900, 900), None)
    assert await persistence.get_conversations("broadcast") == {}


async def test_drop_and_forget_delete_draft_and_step(storage: SQLStorage) -> None:
    persistence = DatabasePersistence(storage, types=(Draft,))
    for user in (900, 901):
        await persistence.update_user_data(user, {"draft": Draft(text_ru="x")})
        await persistence.update_conversation("broadcast", (user, user), 1)
    await persistence.drop_user_data(900)  # what Application.drop_user_data leads to
    await storage.forget_user(901)  # what /forget does at once
    counts = await storage.fetchall(
        "SELECT (SELECT COUNT(*) FROM user_state), (SELECT COUNT(*) FROM conversations)"
    )
    assert counts == [(0, 0)]


async def test_only_named_types_are_stored_and_decoded(storage: SQLStorage) -> None:
    persistence = DatabasePersistence(storage, types=(Draft,))
    with pytest.raises(TypeError, match="Secret"):
        await persistence.update_user_data(900, {"x": Secret("s")})
    # A tag naming another type comes back as the plain mapping it is, never as an object.
    assert persistence.loads('{"$Secret": {"value": "s"}}') == {"$Secret": {"value": "s"}}
    assert persistence.loads(persistence.dumps({"at": SEND_AT})) == {"at": SEND_AT}


async def test_privacy_shows_an_unsent_draft(storage: SQLStorage) -> None:
    persistence = DatabasePersistence(storage, types=(Draft,))
    await storage.touch_user(900, hint_lang="ru")
    assert (await storage.export_user(900))["draft"] is False
    await persistence.update_user_data(900, {"draft": Draft(text_ru="x")})
    data = await storage.export_user(900)
    assert data["draft"] is True
    assert "не отправленное объявление" in privacy_page("ru", data).html
    assert "жіберілмеген хабарландыру" in privacy_page("kk", data).html
