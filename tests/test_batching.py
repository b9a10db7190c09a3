"""Tests for bot.batching.Batcher: concurrent callers' items run back to back."""

from __future__ import annotations

import asyncio

import pytest

from bot.batching import MAX_BATCH, Batcher


async def test_items_of_concurrent_callers_run_before_any_caller_resumes() -> None:
    events: list[str] = []

    def run(item: str) -> str:
        events.append(f"run {item}")
        return item.upper()

    batcher = Batcher(run)

    async def caller(item: str) -> str:
        result = await batcher(item)
        events.append(f"got {result}")
        return result

    results = await asyncio.gather(caller("a"), caller("b"), caller("c"))
    assert results == ["A", "B", "C"]
    assert events == ["run a", "run b", "run c", "got A", "got B", "got C"]


async def test_a_lone_item_and_later_items_each_get_their_own_batch() -> None:
    batches: list[int] = []
    batcher = Batcher(lambda item: (batches.append(item), item * 2)[1])
    assert await batcher(1) == 2
    assert await asyncio.gather(batcher(2), batcher(3)) == [4, 6]
    assert await batcher(4) == 8
    assert batches == [1, 2, 3, 4]


async def test_a_failing_item_fails_only_its_own_caller() -> None:
    def run(item: int) -> float:
        return 1 / item

    batcher = Batcher(run)
    results = await asyncio.gather(batcher(2), batcher(0), batcher(4), return_exceptions=True)
    assert results[0] == 0.5 and results[2] == 0.25
    assert isinstance(results[1], ZeroDivisionError)


async def test_a_cancelled_caller_is_skipped_and_the_others_still_get_results() -> None:
    ran: list[str] = []
    batcher = Batcher(lambda item: (ran.append(item), item)[1])
    first = asyncio.ensure_future(batcher("first"))
    second = asyncio.ensure_future(batcher("second"))
    await asyncio.sleep(0)  # both are waiting; the batch is due in the next turn
    first.cancel()
    assert await second == "second"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert ran == ["second"]


async def test_a_long_queue_is_run_in_batches_with_turns_in_between() -> None:
    events: list[str] = []
    batcher = Batcher(lambda item: (events.append(f"run {item}"), item)[1])

    async def bystander() -> None:
        await asyncio.sleep(0)  # ready in the turn after the first batch's was scheduled
        events.append("bystander")

    items = range(MAX_BATCH + 3)
    *results, _none = await asyncio.gather(*(batcher(i) for i in items), bystander())
    assert results == list(items)
    assert events.index("bystander") == MAX_BATCH  # between the first batch and the rest
    assert events[MAX_BATCH + 1 :] == [f"run {i}" for i in range(MAX_BATCH, MAX_BATCH + 3)]
