"""The send rates that every worker on one PostgreSQL database keeps together: overall, and
to each chat.

Telegram counts a bot's messages, not a process's: workers sharing a database take each
message's slot from one grid kept in the database (``send_pace``, migration 7), the generic cell
rate algorithm of ``bot.broadcasting.limits.RateLimiter`` in one row; and the slot of a message
to a chat from that chat's row of ``chat_pace`` (migration 9), so that two workers answering
one person in the same second space their messages as one would. A worker asks for the next
slot after its own pacing (its replies first) has let the message go; the update moves the grid
on by one interval and answers how long to wait for the slot taken. Row locking orders the
workers, so no two get one slot, and the database's clock is the one clock they share. A 429
moves the grid past the pause for every worker.

Two statements a message: a few hundred microseconds each on a local PostgreSQL, far below the
33 ms between messages at 30 a second. SQLite serves one process, which paces itself alone.
"""

from __future__ import annotations

import asyncio
import logging

from bot.storage.database import Database

log = logging.getLogger(__name__)

# The grid's row is made by the first message; the slot taken is `due` before the move.
TAKE = (
    "WITH clock AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS now)"
    " INSERT INTO send_pace AS pace (id, due) SELECT 1, now + ?::float8 FROM clock"
    " ON CONFLICT (id) DO UPDATE SET due = GREATEST(pace.due, (SELECT now FROM clock))"
    " + ?::float8 RETURNING pace.due - ?::float8, (SELECT now FROM clock)"
)
TAKE_CHAT = (
    "WITH clock AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS now)"
    " INSERT INTO chat_pace AS pace (chat_id, due) SELECT ?, now + ?::float8 FROM clock"
    " ON CONFLICT (chat_id) DO UPDATE SET due = GREATEST(pace.due, (SELECT now FROM clock))"
    " + ?::float8 RETURNING pace.due - ?::float8, (SELECT now FROM clock)"
)
# Rows of chats whose slot passed this long ago say nothing a new row would not.
FORGET_CHATS = (
    "DELETE FROM chat_pace WHERE due < EXTRACT(EPOCH FROM clock_timestamp())::float8 - ?::float8"
)
FORGET_AFTER = 60.0  # seconds
FORGET_EVERY = 1000  # messages to chats between clean-ups
PAUSE = (
    "WITH clock AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS now)"
    " INSERT INTO send_pace AS pace (id, due) SELECT 1, now + ?::float8 FROM clock"
    " ON CONFLICT (id) DO UPDATE SET due = GREATEST(pace.due, (SELECT now FROM clock) + ?::float8)"
)


class DatabasePace:
    """The send grid shared by the workers of one database (``limits.SharedPace``)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pausing: set[asyncio.Task[None]] = set()
        self._chat_takes = 0

    async def take(self, interval: float) -> tuple[float, float]:
        """Take the next slot of a grid of `interval` seconds; return (slot, now) as epoch
        seconds on the database's clock."""
        [(slot, now)] = await self.database.execute(TAKE, (interval, interval, interval))
        return float(slot), float(now)

    async def reserve(self, interval: float) -> float:
        """Take the next slot; return the seconds to wait for it (0: now, or no database)."""
        try:
            slot, now = await self.take(interval)
        except Exception as exc:  # the worker's own pacing still holds: send, do not fail
            log.warning("no shared send slot (%s); pacing this worker alone", exc)
            return 0.0
        return max(0.0, slot - now)

    async def take_chat(self, chat_id: int, interval: float) -> tuple[float, float]:
        """Take the next slot of the chat's grid of `interval` seconds; return (slot, now)."""
        self._chat_takes += 1
        if self._chat_takes % FORGET_EVERY == 0:
            await self.database.execute(FORGET_CHATS, (FORGET_AFTER,))
        [(slot, now)] = await self.database.execute(
            TAKE_CHAT, (chat_id, interval, interval, interval)
        )
        return float(slot), float(now)

    async def reserve_chat(self, chat_id: int, interval: float) -> float:
        """Take the chat's next slot; return the seconds to wait for it (0: now, or no
        database)."""
        try:
            slot, now = await self.take_chat(chat_id, interval)
        except Exception as exc:  # as in `reserve`
            log.warning("no shared slot for a chat (%s); pacing this worker alone", exc)
            return 0.0
        return max(0.0, slot - now)

    async def hold(self, seconds: float) -> None:
        """Give no slot to any worker for `seconds` from now (Telegram answered 429)."""
        await self.database.execute(PAUSE, (seconds, seconds))

    def pause(self, seconds: float) -> None:
        """`hold` in the background: a 429 is seen where nothing may wait for the database."""
        task = asyncio.get_running_loop().create_task(self._hold(seconds))
        self._pausing.add(task)
        task.add_done_callback(self._pausing.discard)

    async def _hold(self, seconds: float) -> None:
        try:
            await self.hold(seconds)
        except Exception:  # the worker's own pause still holds; the others get their 429
            log.exception("could not share a pause of %.1f s with the other workers", seconds)
