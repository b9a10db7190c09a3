"""Tests for bot.batching.Batcher: the items of concurrent callers go to one call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from bot.batching import MAX_BATCH, Batcher


def recording(calls: list[list[int]], each: Callable[[int], object]) -> Callable:
    """Return a run_many that records its batches and maps `each` over them."""

    def run_many(items: Sequence[int]) -> list[object]:
        calls.append(list(items))
        return [each(item) for item in items]

    return run_many


async def test_items_of_concurrent_callers_go_to_one_call_before_any_caller_resumes() -> None:
    events: list[str] = []

    def run_many(items: Sequence[str]) -> list[str]:
        events.append("run " + " ".join(items))
        return [item.upper() for item in items]

    batcher = Batcher(run_many)

    async def caller(item: str) -> str:
        result = await batcher(item)
        events.append(f"got {result}")
        return result

    results = await asyncio.gather(caller("a"), caller("b"), caller("c"))
    assert results == ["A", "B", "C"]
    assert events == ["run a b c", "got A", "got B", "got C"]


async def test_a_lone_item_and_later_items_each_get_their_own_batch() -> None:
    calls: list[list[int]] = []
    batcher = Batcher(recording(calls, lambda item: item * 2))
    assert await batcher(1) == 2
    assert await asyncio.gather(batcher(2), batcher(3)) == [4, 6]
    assert await batcher(4) == 8
    assert calls == [[1], [2, 3], [4]]


async def test_a_failing_item_fails_only_its_own_caller() -> None:
    calls: list[list[int]] = []
    batcher = Batcher(recording(calls, lambda item: 1 / item))
    results = await asyncio.gather(batcher(2), batcher(0), batcher(4), return_exceptions=True)
    assert results[0] == 0.5 and results[2] == 0.25
    assert isinstance(results[1], ZeroDivisionError)
    assert calls == [[2, 0, 4], [2], [0], [4]]  # the batch failed, then each alone


async def test_a_lone_failing_item_is_not_run_twice() -> None:
    calls: list[list[int]] = []
    batcher = Batcher(recording(calls, lambda item: 1 / item))
    with pytest.raises(ZeroDivisionError):
        await batcher(0)
    assert calls == [[0]]


async def test_a_cancelled_caller_is_skipped_and_the_others_still_get_results() -> None:
    calls: list[list[str]] = []
    batcher = Batcher(recording(calls, lambda item: item))  # type: ignore[arg-type]
    first = asyncio.ensure_future(batcher("first"))
    second = asyncio.ensure_future(batcher("second"))
    await asyncio.sleep(0)  # both are waiting; the batch is due in the next turn
    first.cancel()
    assert await second == "second"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert calls == [["second"]]


async def test_a_long_queue_is_run_in_batches_with_turns_in_between() -> None:
    events: list[str] = []

    def run_many(items: Sequence[int]) -> list[int]:
        events.append(f"run {len(items)}")
        return list(items)

    batcher = Batcher(run_many)

    async def bystander() -> None:
        await asyncio.sleep(0)  # ready in the turn after the first batch's was scheduled
        events.append("bystander")

    items = range(MAX_BATCH + 3)
    *results, _none = await asyncio.gather(*(batcher(i) for i in items), bystander())
    assert results == list(items)
    assert events == [f"run {MAX_BATCH}", "bystander", "run 3"]


async def test_a_result_list_of_the_wrong_length_is_an_error_for_every_caller() -> None:
    batcher = Batcher(lambda items: [1])
    results = await asyncio.gather(batcher(1), batcher(2), return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)
