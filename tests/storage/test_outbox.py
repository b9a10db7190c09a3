"""Tests for bot.storage.outbox: the delivery steps of each message of a broadcast, on both
databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Clock

from bot.storage.broadcasts import BroadcastStore
from bot.storage.factory import storage_for
from bot.storage.outbox import ERROR_CHARS, LEASE, Outbox, Row
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
    assert await outbox.mark_in_doubt() == 0  # its lease runs
    clock.now += LEASE + timedelta(seconds=1)  # the worker was killed: nobody renewed it
    assert await Outbox(storage, now=clock).mark_in_doubt() == 3
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
    assert await outbox.finish(broadcast_id) is None  # three still wants it: the next pass
    await storage.unsubscribe(3)
    closed = await outbox.finish(broadcast_id)
    assert closed is not None
    assert await outbox.finish(broadcast_id) is None  # closed (and reported) once
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


# Several workers on one database


async def test_two_workers_claiming_at_once_never_get_the_same_row(
    outbox: Outbox, storage: SQLStorage, database: str, clock: Clock
) -> None:
    for user_id in range(4, 121):
        await storage.subscribe(user_id, "all")
    broadcast_id = await create(outbox)
    async with storage_for(database) as other_storage:  # another process's connections
        workers = [Outbox(storage, now=clock, worker="a"),
                   Outbox(other_storage, now=clock, worker="b")]  # fmt: skip
        # Both walk the same rows in the same order, a few at a time, as delivery does.
        rows = await workers[0].pending(broadcast_id)

        async def walk(worker: Outbox) -> list[int]:
            got: list[int] = []
            for start in range(0, len(rows), 4):
                got += [row.user_id for row in await worker.claim(rows[start : start + 4])]
            return got

        got_a, got_b = await asyncio.gather(walk(workers[0]), walk(workers[1]))
    assert set(got_a).isdisjoint(got_b)
    assert sorted(got_a + got_b) == list(range(1, 121))
    holders = await storage.fetchall(
        "SELECT claimed_by, COUNT(*) FROM outbox WHERE state = 'sending' GROUP BY claimed_by"
    )
    held = {"a": len(got_a), "b": len(got_b)}
    assert dict(holders) == {worker: count for worker, count in held.items() if count}


async def test_a_live_workers_rows_are_untouched_by_another(
    outbox: Outbox, storage: SQLStorage, clock: Clock
) -> None:
    broadcast_id = await create(outbox)
    alive, other = Outbox(storage, now=clock, worker="a"), Outbox(storage, now=clock, worker="b")
    await alive.start(broadcast_id)
    one, two, three = await alive.pending(broadcast_id)
    assert await alive.claim([one, two]) == [one, two]
    assert await alive.retry(two, "timed out", max_attempts=5) == 1  # held for its retry
    for _ in range(3):  # well past the first lease, renewed in time
        clock.advance(seconds=LEASE.total_seconds() * 2 / 3)
        assert await alive.renew() == 2
    assert await other.mark_in_doubt() == 0
    assert await other.pending(broadcast_id) == [three]
    assert await other.claim([one, two]) == []
    await other.release([one, two])  # not its rows: nothing happens
    assert await other.claim([three]) == [three]
    await other.sent(three)
    assert await other.finish(broadcast_id) is None  # "a" is still on it
    assert await rows(storage, broadcast_id) == {
        1: ("sending", 0, None, None),
        2: ("pending", 1, "timed out", None),
        3: ("sent", 1, None, "2026-03-01T09:01:00+00:00"),
    }
    assert await alive.claim([two]) == [two]  # its own retry
    await alive.sent(one)
    await alive.sent(two)
    closed = await alive.finish(broadcast_id)
    assert closed is not None and closed.state == "done"


async def test_a_dead_workers_rows_go_to_another_in_doubt_or_to_send(
    outbox: Outbox, storage: SQLStorage, clock: Clock
) -> None:
    broadcast_id = await create(outbox)
    dead, other = Outbox(storage, now=clock, worker="a"), Outbox(storage, now=clock, worker="b")
    await dead.start(broadcast_id)
    one, two, three = await dead.pending(broadcast_id)
    await dead.claim([one, two])
    await dead.retry(two, "timed out", max_attempts=5)  # then killed while sending one
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert await other.mark_in_doubt() == 0
    clock.advance(seconds=2)  # nobody renewed the lease
    assert await other.mark_in_doubt() == 1
    assert await other.pending(broadcast_id) == [two, three]  # a retry is safe to send
    assert await other.claim([one, two, three]) == [two, three]
    await other.sent(two)
    await other.sent(three)
    await dead.sent(one)  # too late: its lease is gone, the row stays in doubt
    closed = await other.finish(broadcast_id)
    assert closed is not None and closed.state == "done"
    found = await rows(storage, broadcast_id)
    assert {user: found[user][0] for user in found} == {1: "in_doubt", 2: "sent", 3: "sent"}
    assert found[1][2] == "interrupted while sending"
