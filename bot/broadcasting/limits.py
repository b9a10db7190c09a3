"""Pacing of outgoing messages: an overall rate with pauses, a rate per chat, and the one
send budget of the bot that joins them.

Replies to citizens and announcements share Telegram's limits (about 30 messages a second in
all, one a second to a chat), so they draw on one `SendBudget`: replies are urgent and take
the next free slot; announcements take the slots no reply is waiting for. Everything runs on
an injectable monotonic clock and sleep function, so tests check the arithmetic without
waiting. Several workers on one database also take every message's slot from a grid they
share (a `SharedPace`, ``bot.storage.pace``), so that together they keep the overall rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]
EPSILON = 1e-6  # a sleep may end a rounding error early: that counts as on time
CHAT_HEADROOM = 0.9
# The overall pace is kept a twenty-fifth under Telegram's limit. A stall of the process or
# the network can hold one message back until the next one leaves, so the two arrive
# together: thirty messages then span one interval (plus the grid's grace) less than they
# left in. With this headroom thirty intervals are longer than a second by more than that,
# so no stall puts 31 messages into Telegram's one-second window; announcements still use
# 96% of the rate.
HEADROOM = 0.96
# Event loop timers are only good to about a millisecond: at high rates let a few
# milliseconds' worth through per wake-up (a tiny burst, within the headroom).
BURST_SECONDS = 0.01
LATE = 0.01  # seconds past its shared slot after which a message takes another slot
RESLOTS = 3  # ... at most this many times


class SharedPace(Protocol):
    """The overall rate kept with other workers: a slot per message, pauses for all."""

    async def reserve(self, interval: float) -> float:
        """Take the next slot of the shared grid; return the seconds to wait for it."""
        ...

    async def reserve_chat(self, chat_id: int, interval: float) -> float:
        """Take the chat's next slot of a grid of `interval` seconds; return the seconds to
        wait for it."""
        ...

    def pause(self, seconds: float) -> None:
        """Let no worker send for `seconds` (in the background)."""
        ...


class RateLimiter:
    """Let events through `rate` per second on an even grid, with optional bursts and pauses.

    This is the generic cell rate algorithm: ``_due`` is when the next event is due on the grid
    and ``burst`` events may run ahead of it. An event that arrives up to ``grace`` seconds late
    keeps the grid instead of restarting it, so timer lateness does not lower the rate; an event
    after a longer idle time restarts the grid, so idle time never builds up a burst.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        grace: float = 0.0,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        shared: SharedPace | None = None,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.grace = grace
        self.clock = clock
        self.sleep = sleep
        self.shared = shared
        self._due: float | None = None
        self._paused_until = float("-inf")
        self._urgent_waiting = 0

    def ready_at(self) -> float:
        """Return the earliest time the next event may go."""
        due = self.clock() if self._due is None else self._due - self.tolerance
        return max(due, self._paused_until)

    async def acquire(self, *, urgent: bool = True) -> None:
        """Wait until an event may go, and count it; events not urgent let urgent ones first."""
        if urgent:
            self._urgent_waiting += 1
        try:
            while True:
                now = self.clock()
                ready = self.ready_at()
                if now + EPSILON < ready:
                    await self.sleep(ready - now)
                elif not urgent and self._urgent_waiting:
                    await self.sleep(self.interval)  # the slot is an urgent event's
                else:
                    due = self._due
                    if due is not None and now - due <= self.grace:
                        self._due = max(due, self._paused_until) + self.interval  # the grid
                    else:
                        self._due = now + self.interval  # first event, or after idle time
                    break
        finally:
            if urgent:
                self._urgent_waiting -= 1
        if self.shared is not None:
            await self._take_shared_slot(self.shared)

    async def _take_shared_slot(self, shared: SharedPace) -> None:
        """Wait for this message's slot of the grid shared with the other workers.

        This worker's own order is kept (urgent first); the shared grid spaces it from the
        other workers' messages, within the same burst tolerance. A worker stalled past its
        slot would send together with the workers that were not, and with several of them two
        such late messages can tip Telegram's count: it takes another slot instead (the missed
        one goes unused), a few times at most, so that a busy machine still sends.
        """
        for _ in range(RESLOTS + 1):
            asked = self.clock()
            wait = await shared.reserve(self.interval) - self.tolerance
            if wait <= EPSILON:
                return
            await self.sleep(wait)
            if self.clock() - asked - wait <= LATE:
                return

    def pause(self, seconds: float) -> None:
        """Let nothing through for `seconds` from now (Telegram asked us to wait)."""
        until = self.clock() + max(0.0, seconds)
        self._paused_until = max(self._paused_until, until)
        if self._due is None or self._due < until:
            self._due = until
        if self.shared is not None:
            self.shared.pause(seconds)


class ChatLimiter:
    """Keep at most `rate` messages per second in any one chat."""

    def __init__(self, rate: float, *, clock: Monotonic = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.clock = clock
        self._next: dict[int, float] = {}

    def wait_time(self, chat_id: int) -> float:
        """Return how long to wait before the next message to `chat_id` (0: now)."""
        return max(0.0, self._next.get(chat_id, float("-inf")) - self.clock())

    def take(self, chat_id: int) -> None:
        """Count one message to `chat_id` now."""
        now = self.clock()
        if len(self._next) > 50_000:
            # Chats whose interval has passed hold nothing worth keeping: drop them.
            self._next = {chat: t for chat, t in self._next.items() if t > now}
        self._next[chat_id] = max(now, self._next.get(chat_id, now)) + self.interval


class SendBudget:
    """The bot's one budget for everything it sends: an overall rate and a rate per chat.

    `headroom` keeps the overall pace a little under Telegram's limit (see `HEADROOM`); at high
    rates a few events go through per wake-up (`BURST_SECONDS`).
    Two messages to one chat are spaced by a tenth more than Telegram asks: they are counted
    when they leave and Telegram counts them when they arrive, and one may travel slower.
    """

    def __init__(
        self,
        rate: float,
        chat_rate: float,
        *,
        headroom: float = HEADROOM,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        shared: SharedPace | None = None,
    ) -> None:
        self.rate = rate * headroom
        self.burst = max(1, int(self.rate * BURST_SECONDS))
        self.overall = RateLimiter(
            self.rate, burst=self.burst, grace=0.005, clock=clock, sleep=sleep, shared=shared
        )
        self.chats = ChatLimiter(chat_rate * CHAT_HEADROOM, clock=clock)
        self.sleep = sleep
        self.shared = shared

    async def acquire(self, chat_id: int | None = None, *, urgent: bool = True) -> None:
        """Wait for the chat's next slot (if any) and for the overall one, and take both."""
        spaced = self.shared is None or chat_id is None  # from the other workers' messages
        while True:
            if chat_id is not None and (wait := self.chats.wait_time(chat_id)) > EPSILON:
                await self.sleep(wait)
                continue
            if not spaced and self.shared is not None and chat_id is not None:
                # Before the overall slot, which would be lost while waiting for this one.
                spaced = True
                wait = await self.shared.reserve_chat(chat_id, self.chats.interval)
                if wait > EPSILON:
                    await self.sleep(wait)
            await self.overall.acquire(urgent=urgent)
            # The chat's slot is taken when the message leaves, not before the overall wait.
            if chat_id is None or self.chats.wait_time(chat_id) <= EPSILON:
                if chat_id is not None:
                    self.chats.take(chat_id)
                return

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (Telegram answered 429 with retry_after)."""
        self.overall.pause(seconds)
