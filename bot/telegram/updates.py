"""How updates come in: each chat's in order, a bounded number at a time, and no more taken
from Telegram than the bot has room for.

python-telegram-bot's updater puts every update it fetches into the Application's queue, and
the Application starts a task for each at once; a spike would pile up thousands of tasks
while the bot answers the oldest ones ever later. Here the bot holds at most
``concurrent + BATCH`` updates: it asks Telegram for more (``getUpdates``) only when a whole
batch fits, and a webhook's delivery waits until one does. The rest wait at Telegram, in
order, for as long as the spike lasts; none is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest, RequestData

from bot.telegram.transport import WrappedRequest

BATCH = 100  # updates one getUpdates answers at most: Telegram's default and largest limit


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process different chats concurrently, and each chat's updates in order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or awaiting each chat's lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = 0
        if isinstance(update, Update):
            chat, user = update.effective_chat, update.effective_user
            key = chat.id if chat else (user.id if user else 0)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            # Dropped only when no update awaits it: a released lock is briefly unlocked before
            # its next waiter runs, and a new lock then would let a third update overtake.
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class UpdateQueue(asyncio.Queue[object]):
    """The Application's update queue, holding at most `capacity` updates not yet handled.

    An update counts from when it is put until the Application marks it done (``task_done``),
    so those being handled count as well as those queued. ``put`` waits for room: a webhook's
    delivery is answered only then, and Telegram sends no more meanwhile.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.unfinished = 0
        self._finished = asyncio.Event()

    async def room(self, count: int = 1) -> None:
        """Wait until `count` more updates fit."""
        while self.unfinished + count > self.capacity:
            self._finished.clear()
            await self._finished.wait()

    async def put(self, item: object) -> None:
        await self.room()
        self.put_nowait(item)

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self.unfinished += 1

    def task_done(self) -> None:
        super().task_done()
        self.unfinished -= 1
        self._finished.set()


class PollWhenRoom(WrappedRequest):
    """The transport of long polls: ask Telegram for updates only when a whole batch fits.

    The updater confirms a batch to Telegram only once all of it is queued, so a batch cut
    short by a stop would be fetched, and partly answered, again at the next start.
    """

    def __init__(self, inner: BaseRequest, queue: UpdateQueue) -> None:
        super().__init__(inner)
        self.queue = queue

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        await self.queue.room(min(BATCH, self.queue.capacity))
        return await self.inner.do_request(url, method, request_data, *args, **kwargs)
