"""The delivery worker: sends due broadcasts from the outbox within Telegram's limits.

It runs as its own asyncio task beside the bot (every step awaits, so answers keep flowing),
polls the database for due broadcasts (the command line creates some) and can be woken early.
Limits: an overall rate, minus ``headroom`` for timing jitter, and a rate per chat.
``RetryLater`` pauses all sending for exactly ``retry_after``, then retries that message;
``Blocked`` marks the user blocked; ``TransientError`` is retried with exponential backoff up
to ``max_attempts``; ``PermanentError`` fails the message at once.

Crash safety, and the in-doubt trade-off
----------------------------------------
Rows are claimed (``pending`` → ``sending``, committed) a few milliseconds' worth at a time,
just before they are sent. Each message is then one *step*, a task of its own that cancelling
the worker does not cut: send, record the outcome. On cancellation or ``stop()`` the worker
finishes the steps in flight and puts claimed, unsent rows back (``shipment.settle``), so
no row is left ``sending`` and a restart sends every remaining message exactly once.

A hard kill (SIGKILL, power cut) leaves the rows claimed and not yet recorded ``sending``: their
message may or may not have reached Telegram, and the Bot API cannot tell. At the next start
such rows become ``in_doubt`` and are NOT sent again — a missed announcement is better than a
duplicate — and the report counts them. They are at most ``max_in_flight`` plus one claim
batch (about 10 ms of sending). (A timeout is the same doubt in small: the sender reports it as
transient, so it is retried.)

Several workers on one database (PostgreSQL)
--------------------------------------------
Every process runs a worker; they share the due broadcasts row by row (``bot.storage.outbox``:
claims skip the rows another worker holds). A worker holds its rows under a lease that it
renews every third of the lease, so a live worker's rows are never touched by the others. A
killed worker's rows wait for its lease to run out (``outbox.LEASE``, 30 seconds), then a live
worker marks those that were being sent ``in_doubt`` (the same rule as at a restart) and sends
the rest. The last worker to finish a broadcast closes it and sends the report, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from bot.broadcasting.broadcasts import DeliveryReport
from bot.broadcasting.limits import EPSILON, HEADROOM, Monotonic, SendBudget, Sleep
from bot.broadcasting.sender import (
    Blocked,
    DeliveryError,
    PermanentError,
    RetryLater,
    Sender,
    TransientError,
)
from bot.broadcasting.shipment import Shipment, Step, settle
from bot.metrics import Metrics
from bot.storage.broadcasts import Broadcast, BroadcastStore
from bot.storage.interface import utc_now
from bot.storage.outbox import LEASE, Outbox, Row
from bot.storage.sql import SQLStorage

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Deliver due broadcasts; `start()` runs it as a task, `stop()` ends it cleanly."""

    def __init__(
        self,
        storage: SQLStorage,
        sender: Sender,
        *,
        rate: float = 30.0,
        chat_rate: float = 1.0,
        headroom: float = HEADROOM,
        max_in_flight: int = 8,
        max_attempts: int = 5,
        backoff: float = 1.0,
        poll_interval: float = 2.0,
        now: Callable[[], datetime] = utc_now,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        metrics: Metrics | None = None,
        on_report: Callable[[DeliveryReport], Awaitable[object]] | None = None,
        producers: Iterable[Callable[[], Awaitable[object]]] = (),
        budget: SendBudget | None = None,
        worker: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.broadcasts = BroadcastStore(storage, now=now)
        self.outbox = Outbox(storage, now=now, worker=worker, lease=lease)
        self.sender = sender
        # The bot passes its one budget, shared with replies, which go first; `rate`,
        # `chat_rate` and `headroom` make one of the worker's own (tests, benchmarks).
        self.budget = budget or SendBudget(
            rate, chat_rate, headroom=headroom, clock=clock, sleep=sleep
        )
        self.limiter = self.budget.overall
        self.batch = self.budget.burst  # rows claimed at once: about one wake-up's worth
        self.chats = self.budget.chats
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.on_report = on_report
        self.producers = tuple(producers)
        self.metrics = metrics  # outcomes counted for /metrics
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._order = itertools.count()

    def start(self) -> asyncio.Task[None]:
        """Run the worker as a task of its own."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="zanbot-delivery")
        return self._task

    async def stop(self) -> None:
        """Stop after the messages in flight are recorded."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Look for due broadcasts now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver due broadcasts until cancelled, marking dead workers' rows in doubt."""
        renewing = asyncio.create_task(self._renew(), name="zanbot-delivery-lease")
        try:
            while True:
                self._wake.clear()  # a wake() from here on ends the wait below at once
                for produce in self.producers:
                    try:
                        await produce()
                    except Exception:
                        log.exception("a broadcast producer failed")
                try:
                    await self._mark_in_doubt()
                    await self.deliver_due()
                except Exception:
                    log.exception("delivery failed; trying again at the next poll")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def deliver_due(self) -> int:
        """Deliver every broadcast due now, one after another; return how many."""
        # A broadcast another worker is finishing stays due: it is tried again at the next poll.
        tried: set[int] = set()
        while (broadcast := await self.outbox.next_due(skip=tried)) is not None:
            await self.deliver(broadcast)
            tried.add(broadcast.id)
        return len(tried)

    async def deliver(self, broadcast: Broadcast) -> DeliveryReport | None:
        """Send a broadcast's pending rows, then close it and report."""
        await self.outbox.start(broadcast.id)
        run = Shipment(deque(await self.outbox.pending(broadcast.id)))
        try:
            while run.queue or run.later or run.ready or run.steps:
                run.collect(self.clock(), self._order)
                if len(run.steps) >= self.max_in_flight:
                    await asyncio.wait(run.steps, return_when=asyncio.FIRST_COMPLETED)
                elif run.ready:
                    await self.limiter.acquire(urgent=False)
                    row = run.ready.popleft()
                    self.chats.take(row.user_id)
                    run.steps.add(asyncio.create_task(self._step(row, broadcast.text(row.lang))))
                elif batch := self._batch(run):
                    # One statement claims the rows of the next few milliseconds.
                    claiming = asyncio.create_task(self.outbox.claim(batch))
                    run.claiming.add(claiming)
                    # Shielded: cancelling the worker must not cancel a claim whose UPDATE
                    # already ran in the database thread, or its rows would stay 'sending'
                    # and be taken for in doubt; settle() finishes it and puts them back.
                    claimed = await asyncio.shield(claiming)
                    run.claiming.discard(claiming)
                    run.ready.extend(claimed)
                    if len(claimed) < len(batch) and await self._cancelled(broadcast):
                        run.stop()
                elif run.steps:
                    await asyncio.wait(run.steps, return_when=asyncio.FIRST_COMPLETED)
                elif run.later:
                    await self.sleep(max(0.0, run.later[0][0] - self.clock()))
        finally:
            await settle(run, self.outbox)
        return await self._close(broadcast.id)

    async def notify(self, chat_id: int, html: str, *, attempts: int = 3) -> bool:
        """Send one message outside the outbox (a report), within the same limits."""
        for _ in range(attempts):
            await self.limiter.acquire(urgent=False)
            try:
                await self.sender.send(chat_id, html)
                return True
            except RetryLater as exc:
                self.limiter.pause(exc.retry_after)
            except DeliveryError as exc:
                log.warning("could not notify %s: %s", chat_id, exc)
                return False
        return False

    async def _step(self, row: Row, html: str) -> Step:
        """Send one claimed message and record the outcome; say what to do with it next."""
        try:
            await self.sender.send(row.user_id, html)
        except RetryLater as exc:
            self.limiter.pause(exc.retry_after)  # at once, before more sends go out
            await self.outbox.release([row], hold=True)
            return Step(row, "again")
        except Blocked as exc:
            await self.outbox.blocked(row, str(exc) or "blocked")
            self._count("blocked")
        except PermanentError as exc:
            await self.outbox.failed(row, str(exc) or type(exc).__name__)
            self._count("failed")
        except Exception as exc:  # TransientError, or anything unexpected from the sender
            if not isinstance(exc, TransientError):
                log.exception("unexpected error sending to %s", row.user_id)
            attempts = await self.outbox.retry(
                row, str(exc) or type(exc).__name__, max_attempts=self.max_attempts
            )
            if attempts is not None:
                return Step(row, "later", self.backoff * 2 ** (attempts - 1))
            self._count("failed")  # out of attempts
        else:
            await self.outbox.sent(row)
            self._count("sent")
        return Step(row, "done")

    async def _mark_in_doubt(self) -> None:
        doubtful = await self.outbox.mark_in_doubt()
        if doubtful:
            log.warning("%d message(s) were interrupted while sending: marked in doubt", doubtful)
            self._count("in_doubt", doubtful)

    async def _renew(self) -> None:
        """Renew this worker's leases every third of a lease while it runs."""
        while True:
            await asyncio.sleep(self.outbox.lease.total_seconds() / 3)
            try:
                await self.outbox.renew()
            except Exception:
                log.exception("could not renew the outbox leases; trying again")

    def _count(self, outcome: str, count: int = 1) -> None:
        if self.metrics is not None:
            self.metrics.broadcast(outcome, count)

    def _batch(self, run: Shipment) -> list[Row]:
        """Take the rows to claim next: due retries, then the queue, `self.batch` at most."""
        # A row whose chat must wait longer than everyone waits anyway is put off instead.
        batch: list[Row] = []
        now = self.clock()
        overall = max(0.0, self.limiter.ready_at() - now)
        while len(batch) < self.batch:
            if run.later and run.later[0][0] <= now + EPSILON:
                row = heapq.heappop(run.later)[2]
            elif run.queue:
                row = run.queue.popleft()
            else:
                break
            wait = self.chats.wait_time(row.user_id) - overall
            if wait > EPSILON:
                heapq.heappush(run.later, (now + wait, next(self._order), row))
            else:
                batch.append(row)
        return batch

    async def _cancelled(self, broadcast: Broadcast) -> bool:
        current = await self.broadcasts.get(broadcast.id)
        return current is None or current.state == "cancelled"

    async def _close(self, broadcast_id: int) -> DeliveryReport | None:
        closed = await self.outbox.finish(broadcast_id)
        if closed is None:
            return None
        report = DeliveryReport.of(closed, await self.broadcasts.counts(broadcast_id))
        if report.created_by is not None and self.on_report is not None:
            try:
                await self.on_report(report)
            except Exception:
                log.exception("could not deliver the report of broadcast %s", broadcast_id)
        return report
