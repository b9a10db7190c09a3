"""What the server keeps: users, stored files, chats, pollers, injected faults, rate windows,
and the signal that wakes whoever waits for a change."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user talking to the bot. Their private chat id equals their user id."""

    id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def chat_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data


@dataclass
class _ChatState:
    chat: dict[str, Any]
    next_message_id: int = 1
    bot_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # snapshots, in send order
    cursor: int = 0  # how much of outbox wait_for() has handed out
    edits_seen: dict[int, int] = field(default_factory=dict)

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Injection:
    status: int | None  # None: drop the connection
    description: str | None
    retry_after: int | None
    remaining: int


@dataclass
class _Poller:
    request: web.Request
    terminated: bool = False

    def client_gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


class _Signal:
    """Wakes every waiter on each ``fire()``; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass


class _RateLimiter:
    """Sliding-window limit of ``rate`` events per second, per key.

    The window is ``max(1 s, 1/rate)`` and holds ``max(1, floor(rate * window))`` events, so
    ``rate=30`` allows 30 in any second and ``rate=1/3`` allows one every 3 seconds.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.window = max(1.0, 1.0 / rate)
        self.capacity = max(1, math.floor(rate * self.window))
        self._events: defaultdict[Any, deque[float]] = defaultdict(deque)

    def retry_after(self, key: Any, now: float) -> int | None:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) < self.capacity:
            return None
        return max(1, math.ceil(events[0] + self.window - now))

    def record(self, key: Any, now: float) -> None:
        self._events[key].append(now)


def _chat_id_of(chat: int | FakeUser) -> int:
    return chat.id if isinstance(chat, FakeUser) else int(chat)
