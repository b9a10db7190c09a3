"""Tests for bot.storage.pace: the send grid the workers of one PostgreSQL database share."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from bot.storage.factory import pace_for, storage_for
from bot.storage.pace import FORGET_EVERY, DatabasePace

INTERVAL = 0.05


async def test_workers_taking_slots_at_once_never_share_one(postgresql: str) -> None:
    async with storage_for(postgresql) as one, storage_for(postgresql) as two:
        paces = [DatabasePace(one), DatabasePace(two)]  # two workers' own connections

        async def take(pace: DatabasePace) -> list[float]:
            return [(await pace.take(INTERVAL))[0] for _ in range(30)]

        taken = await asyncio.gather(*(take(pace) for pace in paces))
    slots = sorted(itertools.chain(*taken))
    assert len(slots) == 60
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert min(gaps) >= INTERVAL - 1e-6  # one slot each, a whole interval apart


async def test_a_pause_holds_every_worker(postgresql: str) -> None:
    async with storage_for(postgresql) as one, storage_for(postgresql) as two:
        await DatabasePace(one).hold(30)
        [(held,)] = await one.fetchall("SELECT due FROM send_pace")
        slot, now = await DatabasePace(two).take(INTERVAL)
        assert (slot, slot - now > 29) == (held, True)  # the other worker's first slot
        assert await DatabasePace(two).reserve(INTERVAL) > 29
        await DatabasePace(one).hold(1)  # a shorter pause never brings the grid back
        assert await one.fetchall("SELECT due FROM send_pace") == [(held + 2 * INTERVAL,)]


async def test_only_a_shared_database_has_a_shared_pace(postgresql: str, tmp_path: Path) -> None:
    assert pace_for(storage_for(tmp_path / "zanbot.sqlite3")) is None
    assert isinstance(pace_for(storage_for(postgresql)), DatabasePace)


async def test_a_chat_gets_one_slot_a_chat_interval_from_any_worker(postgresql: str) -> None:
    async with storage_for(postgresql) as one, storage_for(postgresql) as two:
        first, second = DatabasePace(one), DatabasePace(two)
        assert await first.reserve_chat(2**40, 1.0) == 0.0  # a new chat: now
        wait = await second.reserve_chat(2**40, 1.0)  # the same chat from the other worker
        assert 0.9 < wait <= 1.0
        assert await second.reserve_chat(77, 1.0) == 0.0  # another chat is not held
        taken = [(await first.take_chat(5, INTERVAL))[0] for _ in range(3)]
        gaps = [later - earlier for earlier, later in itertools.pairwise(taken)]
        assert min(gaps) >= INTERVAL - 1e-6


async def test_chats_long_past_their_slot_are_forgotten(postgresql: str) -> None:
    async with storage_for(postgresql) as db:
        await db.execute("INSERT INTO chat_pace (chat_id, due) VALUES (1, 0), (2, 1e12)")
        pace = DatabasePace(db)
        for chat in range(FORGET_EVERY):
            await pace.take_chat(1000 + chat, INTERVAL)
        rows = await db.fetchall("SELECT chat_id FROM chat_pace WHERE chat_id < 1000")
        assert rows == [(2,)]  # due in the future: kept
