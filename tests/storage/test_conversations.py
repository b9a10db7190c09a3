"""Tests for bot.storage.conversations: each user's flow state as JSON text, on both databases.

How the composer's flow uses it: tests/telegram/test_flow.py.
"""

from __future__ import annotations

from bot.storage.conversations import ConversationStore
from bot.storage.sql import SQLStorage


async def test_a_flow_is_saved_replaced_and_ended_per_user_and_name(storage: SQLStorage) -> None:
    store = ConversationStore(storage)
    assert (await store.load("broadcast", 900), await store.has_any(900)) == (None, False)
    await store.save("broadcast", 900, '{"step": 1}')
    await store.save("broadcast", 900, '{"step": 2}')  # the next step
    await store.save("broadcast", 901, '{"step": 1}')
    await store.save("other", 900, '"x"')
    assert await store.load("broadcast", 900) == '{"step": 2}'
    assert await store.load("other", 900) == '"x"'
    assert await store.has_any(900)
    await store.end("broadcast", 900)
    assert await store.load("broadcast", 900) is None
    assert await store.load("broadcast", 901) == '{"step": 1}'
    await store.end("broadcast", 900)  # twice: nothing to end


async def test_forget_deletes_the_users_flows_only(storage: SQLStorage) -> None:
    store = ConversationStore(storage)
    for user_id in (900, 901):
        await store.save("broadcast", user_id, "{}")
        await store.save("other", user_id, "{}")
    async with storage.transaction() as db:
        await ConversationStore.forget(db, 900)
    assert await store.has_any(900) is False
    assert (await store.load("broadcast", 901), await store.load("other", 901)) == ("{}", "{}")


async def test_a_telegram_user_id_beyond_32_bits_is_kept(storage: SQLStorage) -> None:
    store = ConversationStore(storage)
    await store.save("broadcast", 2**40, "{}")
    assert await store.has_any(2**40)
    assert await storage.fetchall("SELECT user_id FROM conversations") == [(2**40,)]
