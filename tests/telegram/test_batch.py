"""Batches of concurrent calls (bot/telegram/batch.py): who is served together, and what a
failure or a cancelled caller does to the others."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram.batch import Batch


class Doubler:
    """Double numbers, noting each batch it was given; 13 is refused."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def __call__(self, numbers: list[int]) -> list[int]:
        self.batches.append(numbers)
        await asyncio.sleep(0)  # a real batch (the database) awaits
        if 13 in numbers:
            raise ValueError("unlucky")
        return [2 * n for n in numbers]


async def test_calls_made_together_run_as_one_batch_in_order() -> None:
    doubler = Doubler()
    batch = Batch(doubler)
    assert await asyncio.gather(*(batch(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert await batch(7) == 14  # a call alone is a batch of its own
    assert doubler.batches == [[0, 1, 2, 3, 4], [7]]


async def test_a_call_in_a_later_turn_makes_the_next_batch() -> None:
    doubler = Doubler()
    batch = Batch(doubler)
    first = asyncio.gather(batch(1), batch(2))
    await asyncio.sleep(0)  # the first two have asked: a call in a later turn waits apart
    assert await asyncio.gather(first, batch(3)) == [[2, 4], 6]
    assert doubler.batches == [[1, 2], [3]]


async def test_a_failing_item_fails_alone() -> None:
    doubler = Doubler()
    batch = Batch(doubler)
    results = await asyncio.gather(batch(1), batch(13), batch(2), return_exceptions=True)
    assert results[0::2] == [2, 4]
    assert isinstance(results[1], ValueError)
    assert doubler.batches == [[1, 13, 2], [1], [13], [2]]  # then each alone


async def test_a_cancelled_caller_leaves_the_others_their_results() -> None:
    doubler = Doubler()
    batch = Batch(doubler)
    gone = asyncio.ensure_future(batch(1))
    staying = asyncio.ensure_future(batch(2))
    await asyncio.sleep(0)  # both have asked
    gone.cancel()
    assert await staying == 4
    with pytest.raises(asyncio.CancelledError):
        await gone
