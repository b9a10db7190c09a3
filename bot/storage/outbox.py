"""The outbox in the database: what each recipient of a broadcast was sent, one row per message.

Row life: ``pending`` → ``sending`` (claimed just before the send) → ``sent``, ``blocked``,
``failed``, back to ``pending`` (retry), or ``in_doubt`` (see ``bot.broadcasting.delivery``);
``cancelled`` when the broadcast is cancelled or the recipient unsubscribed from everything
meanwhile. Each step is one autocommitted statement or transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.storage.broadcasts import COLS, Broadcast, BroadcastStore, read_broadcast
from bot.storage.database import Transaction
from bot.storage.interface import utc_now
from bot.storage.migrations import to_iso

if TYPE_CHECKING:
    from bot.storage.sql import SQLStorage

ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Row:
    broadcast_id: int
    user_id: int
    lang: str


class Outbox:
    """Row-level steps of delivery, and the closing of a broadcast."""

    def __init__(self, storage: SQLStorage, *, now: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.now = now

    @staticmethod
    async def forget(db: Transaction, user_id: int) -> None:
        """Delete the user's messages, inside the caller's transaction (``forget_user``)."""
        await db.execute("DELETE FROM outbox WHERE user_id = ?", (user_id,))

    async def pending(self, broadcast_id: int) -> list[Row]:
        """Return the rows still to send, by user id."""
        rows = await self.storage.fetchall(
            "SELECT user_id, lang FROM outbox WHERE broadcast_id = ? AND state = 'pending'"
            " ORDER BY user_id",
            (broadcast_id,),
        )
        return [Row(broadcast_id, row[0], row[1]) for row in rows]

    async def claim(self, rows: list[Row]) -> list[Row]:
        """Mark rows of one broadcast as being sent; return those still pending and wanted."""
        # A recipient who meanwhile unsubscribed from everything, blocked the bot or had their
        # data deleted is skipped: the row stays pending and finish() closes it.
        if not rows:
            return []
        marks = ", ".join("?" * len(rows))
        claimed = await self.storage.execute(
            f"UPDATE outbox SET state = 'sending' WHERE broadcast_id = ? AND user_id IN ({marks})"
            " AND state = 'pending' AND EXISTS (SELECT 1 FROM subscriptions s JOIN users u"
            " ON u.user_id = s.user_id WHERE s.user_id = outbox.user_id AND u.blocked = 0)"
            " RETURNING user_id",
            (rows[0].broadcast_id, *(row.user_id for row in rows)),
        )
        found = {row[0] for row in claimed}
        return [row for row in rows if row.user_id in found]

    async def release(self, rows: list[Row]) -> None:
        """Put claimed rows back, unsent (flood control refused them, or the worker stops)."""
        if not rows:
            return
        marks = ", ".join("?" * len(rows))
        await self.storage.execute(
            f"UPDATE outbox SET state = 'pending' WHERE broadcast_id = ? AND user_id IN ({marks})"
            " AND state = 'sending'",
            (rows[0].broadcast_id, *(row.user_id for row in rows)),
        )

    async def sent(self, row: Row) -> None:
        await self._set(row, "sent", attempts=1, sent_at=to_iso(self.now()))

    async def failed(self, row: Row, error: str) -> None:
        await self._set(row, "failed", attempts=1, error=error)

    async def retry(self, row: Row, error: str, *, max_attempts: int) -> int | None:
        """Count a transient failure; return the attempts so far, or None when it now failed."""
        result = await self.storage.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
            " state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END"
            " WHERE broadcast_id = ? AND user_id = ? AND state = 'sending'"
            " RETURNING attempts, state",
            (error[:ERROR_CHARS], max_attempts, row.broadcast_id, row.user_id),
        )
        if not result or result[0][1] == "failed":
            return None
        return int(result[0][0])

    async def blocked(self, row: Row, error: str) -> None:
        """Record that the recipient blocked the bot; their other pending rows go too."""
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'blocked', attempts = attempts + 1, last_error = ?"
                " WHERE broadcast_id = ? AND user_id = ? AND state = 'sending'",
                (error[:ERROR_CHARS], row.broadcast_id, row.user_id),
            )
            await db.execute(
                "UPDATE outbox SET state = 'blocked', last_error = ?"
                " WHERE user_id = ? AND state = 'pending'",
                (error[:ERROR_CHARS], row.user_id),
            )
        await self.storage.set_blocked(row.user_id, True)

    async def mark_in_doubt(self) -> int:
        """Turn rows left 'sending' by a killed process into 'in_doubt'; return how many."""
        rows = await self.storage.execute(
            "UPDATE outbox SET state = 'in_doubt', last_error = 'interrupted while sending'"
            " WHERE state = 'sending' RETURNING user_id"
        )
        return len(rows)

    async def next_due(self) -> Broadcast | None:
        """Return the broadcast to deliver now: one already running, else the earliest due."""
        rows = await self.storage.fetchall(
            f"SELECT {COLS} FROM broadcasts WHERE state = 'sending'"
            " OR (state = 'scheduled' AND send_at <= ?)"
            " ORDER BY state = 'scheduled', send_at, id LIMIT 1",
            (to_iso(self.now()),),
        )
        return read_broadcast(rows[0]) if rows else None

    async def start(self, broadcast_id: int) -> None:
        """Mark a due broadcast as being sent."""
        await self.storage.execute(
            "UPDATE broadcasts SET state = 'sending', started_at = ? WHERE id = ?"
            " AND state = 'scheduled'",
            (to_iso(self.now()), broadcast_id),
        )

    async def finish(self, broadcast_id: int) -> Broadcast | None:
        """Close a broadcast whose rows were all tried; return it as closed (None: gone).

        Rows left pending were skipped (cancelled, or no longer subscribed).
        """
        now = to_iso(self.now())
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'cancelled',"
                " last_error = 'not sent (cancelled or unsubscribed)'"
                " WHERE broadcast_id = ? AND state = 'pending'",
                (broadcast_id,),
            )
            # Every step has ended: a row still 'sending' lost its record (a database error).
            await db.execute(
                "UPDATE outbox SET state = 'in_doubt', last_error = 'outcome not recorded'"
                " WHERE broadcast_id = ? AND state = 'sending'",
                (broadcast_id,),
            )
            await db.execute(
                "UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ?"
                " AND state = 'sending'",
                (now, broadcast_id),
            )
        return await BroadcastStore(self.storage, now=self.now).get(broadcast_id)

    async def _set(
        self,
        row: Row,
        state: str,
        *,
        attempts: int,
        error: str | None = None,
        sent_at: str | None = None,
    ) -> None:
        await self.storage.execute(
            "UPDATE outbox SET state = ?, attempts = attempts + ?,"
            " last_error = COALESCE(?, last_error), sent_at = COALESCE(?, sent_at)"
            " WHERE broadcast_id = ? AND user_id = ? AND state = 'sending'",
            (state, attempts, error[:ERROR_CHARS] if error else None, sent_at,
             row.broadcast_id, row.user_id),
        )  # fmt: skip
