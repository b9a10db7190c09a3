"""The outbox: what each recipient of a broadcast was sent, one row per message, and its states.

Row life: ``pending`` → ``sending`` (claimed just before the send) → ``sent``, ``blocked``,
``failed``, back to ``pending`` (retry), or ``in_doubt`` (see ``delivery``); ``cancelled``
when the broadcast is cancelled or the recipient unsubscribed from everything meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.broadcasting.broadcasts import COLS, Broadcast, Broadcasts, duration, read_broadcast
from bot.storage import migrations as schema
from bot.storage.interface import utc_now
from bot.storage.sqlite import SQLiteStorage

ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Row:
    broadcast_id: int
    user_id: int
    lang: str


@dataclass(frozen=True)
class Report:
    """How a broadcast went, for the admin who created it."""

    broadcast_id: int
    created_by: int | None
    state: str  # done or cancelled
    sent: int
    blocked: int
    failed: int
    in_doubt: int
    skipped: int  # cancelled, or no longer subscribed
    duration: timedelta


class Outbox:
    """Row-level steps of delivery; each is one autocommitted statement or transaction."""

    def __init__(self, storage: SQLiteStorage, *, now: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.now = now

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
        await self._set(row, "sent", attempts=1, sent_at=schema.to_iso(self.now()))

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
            (schema.to_iso(self.now()),),
        )
        return read_broadcast(rows[0]) if rows else None

    async def start(self, broadcast_id: int) -> None:
        """Mark a due broadcast as being sent."""
        await self.storage.execute(
            "UPDATE broadcasts SET state = 'sending', started_at = ? WHERE id = ?"
            " AND state = 'scheduled'",
            (schema.to_iso(self.now()), broadcast_id),
        )

    async def finish(self, broadcast_id: int) -> Report | None:
        """Close a broadcast whose rows were all tried (rows left pending were skipped)."""
        now = schema.to_iso(self.now())
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
        rows = await self.storage.fetchall(
            f"SELECT {COLS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        if not rows:
            return None
        closed = read_broadcast(rows[0])
        counts = await Broadcasts(self.storage).counts(broadcast_id)
        return Report(
            broadcast_id=closed.id,
            created_by=closed.created_by,
            state=closed.state,
            sent=counts["sent"],
            blocked=counts["blocked"],
            failed=counts["failed"],
            in_doubt=counts["in_doubt"],
            skipped=counts["cancelled"],
            duration=duration(closed),
        )

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
