"""Run the work of requests that arrive together back to back, in one turn of the event loop.

Under load, updates come in bursts (getUpdates returns up to a hundred at once) and are
handled concurrently. Left alone, each question's matching runs between other updates' parsing
and sending, and the matcher's index and code have fallen out of the CPU's caches every time.
Gathering the questions that are ready in the same turn and matching them one after another
answered about a quarter more new questions per second (benchmarks/pipeline_bench.py; batches
of 8 gained two thirds of that, batches over 64 nothing more). A lone question waits for
nothing: its batch runs in the next turn of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

MAX_BATCH = 64  # items run in one turn: 64 new questions hold the loop for about 20 ms

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Call `run` on each awaited item, batching the items that arrive in the same loop turn."""

    def __init__(self, run: Callable[[T], R]) -> None:
        self.run = run
        self._pending: list[tuple[asyncio.Future[R], T]] = []

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((future, item))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        if self._pending:  # the rest in the next turn: other tasks get the loop in between
            asyncio.get_running_loop().call_soon(self._flush)
        for future, item in batch:
            if future.done():  # its caller was cancelled while waiting
                continue
            try:
                result = self.run(item)
            except Exception as exc:  # one bad item must not fail the others
                future.set_exception(exc)
            else:
                future.set_result(result)
