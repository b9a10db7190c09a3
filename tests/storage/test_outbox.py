"""Tests for bot.storage.outbox: the delivery steps of each message of a broadcast, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import Clock

from bot.storage.broadcasts import BroadcastStore
from bot.storage.outbox import ERROR_CHARS, Outbox, Row
from bot.storage.sql import SQLStorage

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
async def outbox(storage: SQLStorage, clock: Clock) -> Outbox:
    for user_id in (1, 2, 3):
        await storage.subscribe(user_id, "all")
    return Outbox(storage, now=clock)


async def create(outbox: Outbox, **fields: object) -> int:
    store = BroadcastStore(outbox.storage, now=outbox.now)
    broadcast_id, _count = await store.create(
        created_by=9,
        text_ru="ru",
        text_kk="kk",
        **fields,  # type: ignore[arg-type]
    )
    return broadcast_id


async def rows(storage: SQLStorage, broadcast_id: int) -> dict[int, tuple]:
    found = await storage.fetchall(
        "SELECT user_id, state, attempts, last_error, sent_at FROM outbox WHERE broadcast_id = ?",
        (broadcast_id,),
    )
    return {row[0]: tuple(row[1:]) for row in found}


async def test_claim_takes_pending_rows_of_subscribed_unblocked_users(
    outbox: Outbox, storage: SQLStorage
) -> None:
    broadcast_id = await create(outbox)
    pending = await outbox.pending(broadcast_id)
    assert pending == [Row(broadcast_id, 1, "ru"), Row(broadcast_id, 2, "ru"),
                       Row(broadcast_id, 3, "ru")]  # fmt: skip
    await storage.unsubscribe(2)
    await storage.set_blocked(3, True)
    assert await outbox.claim(pending) == pending[:1]
    assert await outbox.claim(pending) == []  # claimed already
    assert await outbox.claim([]) == []
    assert await outbox.pending(broadcast_id) == pending[1:]  # skipped rows stay pending
    await outbox.release(pending)
    assert [row.user_id for row in await outbox.pending(broadcast_id)] == [1, 2, 3]


async def test_outcomes_of_a_claimed_row(outbox: Outbox, storage: SQLStorage) -> None:
    broadcast_id = await create(outbox)
    one, two, three = await outbox.claim(await outbox.pending(broadcast_id))
    await outbox.sent(one)
    await outbox.failed(two, "chat not found")
    assert await outbox.retry(three, "timed out", max_attempts=2) == 1
    assert await outbox.claim([three]) == [three]
    assert await outbox.retry(three, "x" * 900, max_attempts=2) is None  # now failed
    assert await outbox.retry(three, "late", max_attempts=2) is None  # not being sent
    await outbox.sent(three)  # nor this: only a row being sent takes an outcome
    assert await rows(storage, broadcast_id) == {
        1: ("sent", 1, None, "2026-03-01T09:00:00+00:00"),
        2: ("failed", 1, "chat not found", None),
        3: ("failed", 2, "x" * ERROR_CHARS, None),
    }


async def test_a_block_closes_the_users_other_pending_rows_and_marks_them(
    outbox: Outbox, storage: SQLStorage
) -> None:
    first, second = await create(outbox), await create(outbox)
    [_one, two, _three] = await outbox.claim(await outbox.pending(first))
    await outbox.blocked(two, "Forbidden: bot was blocked by the user")
    assert (await rows(storage, first))[2][:2] == ("blocked", 1)
    assert (await rows(storage, second))[2][:2] == ("blocked", 0)
    assert (await rows(storage, second))[1][0] == "pending"
    user = await storage.get_user(2)
    assert user is not None and user.blocked


async def test_next_due_start_and_rows_a_kill_left_sending(
    outbox: Outbox, storage: SQLStorage, clock: Clock
) -> None:
    assert await outbox.next_due() is None
    later = await create(outbox, send_at=T0 + timedelta(hours=1))
    soon = await create(outbox, send_at=T0 + timedelta(minutes=5))
    clock.now = T0 + timedelta(minutes=5)
    due = await outbox.next_due()
    assert due is not None and due.id == soon
    clock.now = T0 + timedelta(hours=2)
    await outbox.start(later)
    running = await outbox.next_due()  # one already running goes first, due or not
    assert running is not None and (running.id, running.state) == (later, "sending")
    assert running.started_at == clock.now
    await outbox.claim(await outbox.pending(later))
    assert await outbox.mark_in_doubt() == 3
    assert {state for state, *_rest in (await rows(storage, later)).values()} == {"in_doubt"}


async def test_finish_closes_the_broadcast_and_its_rows(
    outbox: Outbox, storage: SQLStorage, clock: Clock
) -> None:
    broadcast_id = await create(outbox)
    await outbox.start(broadcast_id)
    one, two, _three = await outbox.pending(broadcast_id)
    await outbox.claim([one, two])
    await outbox.sent(one)  # two stays 'sending': its outcome was never recorded
    clock.now = T0 + timedelta(seconds=40)
    closed = await outbox.finish(broadcast_id)
    assert closed is not None
    assert (closed.state, closed.started_at, closed.finished_at) == ("done", T0, clock.now)
    found = await rows(storage, broadcast_id)
    assert [found[user][0] for user in (1, 2, 3)] == ["sent", "in_doubt", "cancelled"]
    assert (found[2][2], found[3][2]) == (
        "outcome not recorded", "not sent (cancelled or unsubscribed)"
    )  # fmt: skip
    cancelled = await create(outbox)
    await BroadcastStore(storage).cancel(cancelled)
    after = await outbox.finish(cancelled)
    assert after is not None and after.state == "cancelled"  # stays as it was
    assert await outbox.finish(999) is None


async def test_forget_deletes_only_the_users_rows(outbox: Outbox, storage: SQLStorage) -> None:
    broadcast_id = await create(outbox)
    async with storage.transaction() as db:
        await Outbox.forget(db, 2)
    assert sorted(await rows(storage, broadcast_id)) == [1, 3]
