"""One broadcast being delivered: its rows waiting, claimed, in flight and to retry, and how to
stop it half-way without cutting anything short (see ``bot.broadcasting.delivery``)."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.storage.outbox import Outbox, Row

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one message: done, again (now) or later (after `delay` seconds)."""

    row: Row
    next: str
    delay: float = 0.0


@dataclass
class Shipment:
    """One broadcast being delivered: rows to send, claimed, in flight, and to retry."""

    queue: deque[Row]
    later: list[tuple[float, int, Row]] = field(default_factory=list)  # (when, order, row)
    ready: deque[Row] = field(default_factory=deque)  # claimed, waiting for the limiter
    unsent: list[Row] = field(default_factory=list)  # claimed, then the broadcast was cancelled
    steps: set[asyncio.Task[Step]] = field(default_factory=set)
    claiming: set[asyncio.Task[list[Row]]] = field(default_factory=set)

    def collect(self, now: float, order: Iterator[int]) -> None:
        """Take finished steps and requeue their retries."""
        for task in [t for t in self.steps if t.done()]:
            self.steps.discard(task)
            step = task.result()  # a failed record raises: the worker's poll loop logs it
            if step.next == "again":
                self.queue.appendleft(step.row)  # flood control: it goes first after the pause
            elif step.next == "later":
                heapq.heappush(self.later, (now + step.delay, next(order), step.row))

    def stop(self) -> None:
        """The broadcast was cancelled: send nothing more."""
        self.queue.clear()
        self.later.clear()
        self.unsent += self.ready
        self.ready.clear()


async def settle(shipment: Shipment, outbox: Outbox) -> None:
    """Finish the steps and claims in flight, then put claimed, unsent rows back."""
    # Even through repeated cancellation: nothing is cut short, nothing is left 'sending'.
    cancelled = False

    async def finish(tasks: Iterable[asyncio.Task[Any]]) -> None:
        nonlocal cancelled
        while pending := [task for task in tasks if not task.done()]:
            try:
                await asyncio.wait(pending)
            except asyncio.CancelledError:
                cancelled = True

    await finish(shipment.steps)
    await finish(shipment.claiming)
    # Rows waiting for a retry are held too: let them go, for any worker to send.
    unsent = [*shipment.ready, *shipment.unsent, *(row for _, _, row in shipment.later)]
    for claiming in shipment.claiming:
        if not claiming.cancelled() and claiming.exception() is None:
            unsent += claiming.result()
    if unsent:
        release = asyncio.create_task(outbox.release(unsent))
        await finish([release])
        release.result()
    for task in shipment.steps:
        if not task.cancelled() and task.exception() is not None:
            log.error("a delivery step failed", exc_info=task.exception())
    if cancelled:
        raise asyncio.CancelledError
