"""Tests for bot.storage.conversations: conversation steps and user_data as JSON text, on both
databases.

How python-telegram-bot's persistence uses them: tests/telegram/test_persistence.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage.conversations import ConversationStore
from bot.storage.factory import storage_for
from bot.storage.sql import SQLStorage

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_user_data_is_saved_replaced_and_dropped(database: str) -> None:
    now = [T0]
    async with storage_for(database, clock=lambda: now[0]) as storage:
        store = ConversationStore(storage)
        assert (await store.user_data(), await store.has_user_data(900)) == ([], False)
        await store.save_user_data(900, '{"draft": 1}')
        now[0] = T0 + timedelta(minutes=1)
        await store.save_user_data(900, '{"draft": 2}')
        await store.save_user_data(901, "{}")
        assert sorted(await store.user_data()) == [(900, '{"draft": 2}'), (901, "{}")]
        assert await store.has_user_data(900)
        updated = await storage.fetchall("SELECT updated_at FROM user_state WHERE user_id = 900")
        assert updated == [("2026-03-01T09:01:00+00:00",)]
        await store.save_conversation("broadcast", "[900, 900]", 900, "1")
        await store.drop_user(900)
        assert await store.user_data() == [(901, "{}")]
        assert await store.conversations("broadcast") == []


async def test_conversation_steps_by_name(storage: SQLStorage) -> None:
    store = ConversationStore(storage)
    await store.save_conversation("broadcast", "[900, 900]", 900, "1")
    await store.save_conversation("broadcast", "[900, 900]", 900, "2")  # the next step
    await store.save_conversation("broadcast", "[901, 901]", 901, "1")
    await store.save_conversation("other", '["group"]', None, '"x"')
    assert sorted(await store.conversations("broadcast")) == [("[900, 900]", "2"),
                                                              ("[901, 901]", "1")]  # fmt: skip
    await store.end_conversation("broadcast", "[900, 900]")
    assert await store.conversations("broadcast") == [("[901, 901]", "1")]
    assert await store.conversations("other") == [('["group"]', '"x"')]
    assert await store.conversations("none") == []


async def test_forget_deletes_the_users_data_and_steps_only(storage: SQLStorage) -> None:
    store = ConversationStore(storage)
    for user_id in (900, 901):
        await store.save_user_data(user_id, "{}")
        await store.save_conversation("broadcast", f"[{user_id}]", user_id, "1")
    async with storage.transaction() as db:
        await ConversationStore.forget(db, 900)
    assert await store.user_data() == [(901, "{}")]
    assert await store.conversations("broadcast") == [("[901]", "1")]
