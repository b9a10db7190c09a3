"""Tests for bot.storage.broadcasts: broadcasts, their recipients and hearing notices, on both
databases."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.storage.broadcasts import BroadcastStore, HearingNotice
from bot.storage.sql import SQLStorage

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
APRIL = "2026-04-28T05:00:00+00:00"


@pytest.fixture
async def store(storage: SQLStorage) -> BroadcastStore:
    for user_id, topic, lang in [(1, "fraud", "ru"), (2, "fraud", "ru"), (3, "all", "kk"),
                                 (4, "laws", "kk")]:  # fmt: skip
        await storage.subscribe(user_id, topic)
        await storage.set_language(user_id, lang)
    return BroadcastStore(storage, now=lambda: T0)


async def outbox(storage: SQLStorage, broadcast_id: int) -> list[tuple[int, str, str]]:
    rows = await storage.fetchall(
        "SELECT user_id, lang, state FROM outbox WHERE broadcast_id = ? ORDER BY user_id",
        (broadcast_id,),
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def test_create_snapshots_the_recipients_with_their_language(
    store: BroadcastStore, storage: SQLStorage
) -> None:
    fraud, count = await store.create(
        created_by=9, text_ru="ru", text_kk="kk", audience_topic="fraud"
    )
    assert (count, await outbox(storage, fraud)) == (
        3, [(1, "ru", "pending"), (2, "ru", "pending"), (3, "kk", "pending")]
    )  # fmt: skip
    kazakh, count = await store.create(created_by=9, text_ru="ru", text_kk="kk", audience_lang="kk")
    assert (count, [row[0] for row in await outbox(storage, kazakh)]) == (2, [3, 4])
    later = T0 + timedelta(hours=2)
    single, count = await store.create(
        created_by=9, text_ru="ru", text_kk="", single_lang="ru", send_at=later
    )
    assert {lang for _user, lang, _state in await outbox(storage, single)} == {"ru"}
    created = await store.get(single)
    assert created is not None
    assert (created.state, created.send_at, created.created_at) == ("scheduled", later, T0)
    assert (created.text("kk"), created.started_at, created.finished_at) == ("ru", None, None)


async def test_the_text_follows_the_recipients_language_unless_there_is_one(
    store: BroadcastStore,
) -> None:
    both, _ = await store.create(created_by=None, text_ru="<b>ru</b>", text_kk="kk")
    created = await store.get(both)
    assert created is not None
    assert (created.text("ru"), created.text("kk"), created.created_by) == ("<b>ru</b>", "kk", None)


async def test_get_recent_and_counts(store: BroadcastStore, storage: SQLStorage) -> None:
    assert (await store.get(1), await store.recent()) == (None, [])
    first, _ = await store.create(created_by=9, text_ru="a", text_kk="a")
    system, _ = await store.create(created_by=None, text_ru="b", text_kk="b")
    third, _ = await store.create(created_by=9, text_ru="c", text_kk="c")
    assert [b.id for b in await store.recent()] == [third, system, first]
    assert [b.id for b in await store.recent(2)] == [third, system]
    assert [b.id for b in await store.recent(include_system=False)] == [third, first]
    await storage.execute("UPDATE outbox SET state = 'sent' WHERE user_id = 1")
    assert await store.counts(first) == {
        "pending": 3, "sending": 0, "sent": 1, "blocked": 0, "failed": 0, "in_doubt": 0,
        "cancelled": 0,
    }  # fmt: skip
    assert set((await store.counts(999)).values()) == {0}


async def test_cancel_stops_what_is_not_sent_and_only_once(
    store: BroadcastStore, storage: SQLStorage
) -> None:
    broadcast_id, _ = await store.create(created_by=9, text_ru="a", text_kk="a")
    await storage.execute("UPDATE outbox SET state = 'sent' WHERE user_id = 1")
    assert await store.cancel(broadcast_id) is True
    assert [state for *_row, state in await outbox(storage, broadcast_id)] == [
        "sent", "cancelled", "cancelled", "cancelled"
    ]  # fmt: skip
    cancelled = await store.get(broadcast_id)
    assert cancelled is not None and (cancelled.state, cancelled.finished_at) == ("cancelled", T0)
    assert await store.cancel(broadcast_id) is False
    done, _ = await store.create(created_by=9, text_ru="a", text_kk="a")
    await storage.execute("UPDATE broadcasts SET state = 'done' WHERE id = ?", (done,))
    assert await store.cancel(done) is False
    assert await store.cancel(999) is False


async def test_hearing_notices_are_recorded_once(store: BroadcastStore) -> None:
    assert await store.hearing_notices() == []
    baseline = [HearingNotice("*", "baseline", ""), HearingNotice("h-april", "announced", APRIL)]
    await store.record_hearing_notices(baseline)
    await store.record_hearing_notices(baseline[1:])  # again: ignored
    assert sorted(await store.hearing_notices()) == sorted(baseline)


async def test_notices_are_recorded_with_their_broadcast_or_not_at_all(
    store: BroadcastStore, storage: SQLStorage
) -> None:
    reminder = HearingNotice("h-april", "reminded", APRIL)
    broadcast_id, _ = await store.create(
        created_by=None, text_ru="a", text_kk="a", audience_topic="hearings", notices=[reminder]
    )
    rows = await storage.fetchall("SELECT topic_id, broadcast_id, created_at FROM hearing_notices")
    assert rows == [("h-april", broadcast_id, "2026-03-01T09:00:00+00:00")]
    # One transaction: a notice that cannot be recorded leaves no broadcast and no outbox rows.
    unbindable = HearingNotice("h-april", "announced", object())  # type: ignore[arg-type]
    with pytest.raises((sqlite3.ProgrammingError, asyncpg.DataError)):  # cannot be bound
        await store.create(created_by=None, text_ru="a", text_kk="a", notices=[unbindable])
    assert [b.id for b in await store.recent()] == [broadcast_id]
    assert await storage.fetchall("SELECT COUNT(*) FROM outbox") == [(1,)]  # user 3, of 'all'


async def test_create_refuses_an_unknown_topic(store: BroadcastStore) -> None:
    with pytest.raises(ValueError, match="unknown audience"):
        await store.create(created_by=9, text_ru="a", text_kk="a", audience_topic="sport")
    assert await store.recent() == []
