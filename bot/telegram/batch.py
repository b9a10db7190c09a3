"""Work gathered from concurrent handlers and done at once: the calls made while the event
loop is busy run as one batch at its next turn.

Two things cost per call rather than per item. The matcher's classifier (scikit-learn) spends
most of a single question's time checking its input and walking the pipeline, about as long
for fifty questions as for one. And each statement the database thread runs has to win the
interpreter lock back from the busy event loop, so under load a statement waits far longer
than it works. A bot under load has many handlers asking at the same moment, so they ask
together: the busier it is, the less each answer costs. A call alone runs at once, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batch(Generic[T, R]):
    """Call `function` once with all the items given in one turn of the event loop; it
    returns a result per item, in order."""

    def __init__(self, function: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self.function = function
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._running: set[asyncio.Task[None]] = set()  # referenced until done

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._start)  # after the handlers that are ready now have asked
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        return await future

    def _start(self) -> None:
        waiting, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._run(waiting))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, waiting: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results: Sequence[R] | None = await self.function([item for item, _ in waiting])
        except Exception:
            results = None  # one bad item must not fail the others: each is tried alone
        for n, (item, future) in enumerate(waiting):
            try:
                result = results[n] if results is not None else (await self.function([item]))[0]
            except Exception as exc:
                if not future.done():  # not when its handler was cancelled meanwhile
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
