"""Hand the requests that arrive together to one call, in one turn of the event loop.

Under load, updates come in bursts (getUpdates returns up to a hundred at once) and are
handled concurrently. The matcher scores a batch of questions with the same few numpy calls
as one question (bot.ranking), and matching them back to back keeps its index in the CPU's
caches instead of between other updates' parsing and sending (benchmarks/pipeline_bench.py).
A lone question waits for nothing: its batch runs in the next turn of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

MAX_BATCH = 64  # items run in one turn: 64 new questions hold the loop for about 10 ms

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Call `run_many` on the awaited items of one loop turn; each caller gets its result.

    `run_many` returns one result per item, in order. If it raises, the items are run one by
    one, so that a bad item fails only its own caller.
    """

    def __init__(self, run_many: Callable[[Sequence[T]], Sequence[R]]) -> None:
        self.run_many = run_many
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
        batch = [(future, item) for future, item in batch if not future.done()]  # cancelled
        if not batch:
            return
        try:
            results = self.run_many([item for _future, item in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][0].set_exception(exc)
            else:  # one bad item must not fail the others: find it by running them alone
                for future, item in batch:
                    self._run_alone(future, item)
            return
        if len(results) != len(batch):  # a bug in run_many: no caller may wait forever
            error = ValueError(f"run_many returned {len(results)} results for {len(batch)} items")
            for future, _item in batch:
                future.set_exception(error)
            return
        for (future, _item), result in zip(batch, results, strict=True):
            future.set_result(result)

    def _run_alone(self, future: asyncio.Future[R], item: T) -> None:
        try:
            (result,) = self.run_many([item])
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
