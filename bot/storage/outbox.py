"""The outbox in the database: what each recipient of a broadcast was sent, one row per message.

Row life: ``pending`` → ``sending`` (claimed just before the send) → ``sent``, ``blocked``,
``failed``, back to ``pending`` (retry), or ``in_doubt`` (see ``bot.broadcasting.delivery``);
``cancelled`` when the broadcast is cancelled or the recipient unsubscribed from everything
meanwhile. Each step is one autocommitted statement or transaction.

Several workers may share a broadcast (PostgreSQL). A claim takes rows ``FOR UPDATE SKIP
LOCKED`` and holds them for its worker (``claimed_by``) until ``lease_until``, which the worker
renews while it lives; a row waiting for its retry stays held. Once a lease has run out, the
worker's rows ``sending`` become ``in_doubt`` (never sent again) and its rows ``pending`` are
anyone's. The last worker to finish a broadcast closes and reports it.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.storage.broadcasts import COLS, Broadcast, BroadcastStore, read_broadcast
from bot.storage.database import Transaction
from bot.storage.interface import utc_now
from bot.storage.migrations import to_iso

if TYPE_CHECKING:
    from bot.storage.sql import SQLStorage

ERROR_CHARS = 500
# Rows stay held this long after the last renewal (every third of it): ample for a busy event
# loop, short enough for the others to finish a dead worker's broadcast soon.
LEASE = timedelta(seconds=30)
# Rows another live worker does not hold (parameters: this worker, now).
FREE = "(claimed_by IS NULL OR claimed_by = ? OR lease_until < ?)"
# The recipient still wants announcements (the table outside is outbox).
WANTED = (
    "EXISTS (SELECT 1 FROM subscriptions s JOIN users u ON u.user_id = s.user_id"
    " WHERE s.user_id = outbox.user_id AND u.blocked = 0)"
)
ACTIVE = "SELECT 1 FROM outbox WHERE broadcast_id = ? AND state IN ('pending', 'sending')"


def worker_name() -> str:
    """Name this process's worker: host, process id and a random tail (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Row:
    broadcast_id: int
    user_id: int
    lang: str


class Outbox:
    """Row-level steps of delivery for one worker, and the closing of a broadcast."""

    def __init__(
        self,
        storage: SQLStorage,
        *,
        now: Callable[[], datetime] = utc_now,
        worker: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.storage = storage
        self.now = now
        self.worker = worker or worker_name()
        self.lease = lease

    @staticmethod
    async def forget(db: Transaction, user_id: int) -> None:
        """Delete the user's messages, inside the caller's transaction (``forget_user``)."""
        await db.execute("DELETE FROM outbox WHERE user_id = ?", (user_id,))

    def _free(self) -> tuple[str, str]:
        return self.worker, to_iso(self.now())

    def _until(self) -> str:
        return to_iso(self.now() + self.lease)

    async def pending(self, broadcast_id: int) -> list[Row]:
        """Return the rows still to send that no other live worker holds, by user id."""
        rows = await self.storage.fetchall(
            "SELECT user_id, lang FROM outbox WHERE broadcast_id = ? AND state = 'pending'"
            f" AND {FREE} ORDER BY user_id",
            (broadcast_id, *self._free()),
        )
        return [Row(broadcast_id, row[0], row[1]) for row in rows]

    async def claim(self, rows: list[Row]) -> list[Row]:
        """Hold rows of one broadcast to send now; return those pending, wanted and not
        another worker's (held, or being claimed at the same moment)."""
        # A recipient who meanwhile unsubscribed from everything, blocked the bot or had their
        # data deleted is skipped: the row stays pending and finish() closes it.
        if not rows:
            return []
        marks = ", ".join("?" * len(rows))
        claimed = await self.storage.execute(
            "UPDATE outbox SET state = 'sending', claimed_by = ?, lease_until = ?"
            " WHERE broadcast_id = ? AND user_id IN (SELECT user_id FROM outbox"
            f" WHERE broadcast_id = ? AND user_id IN ({marks}) AND state = 'pending'"
            f" AND {FREE} AND {WANTED}{self.storage.skip_locked}) RETURNING user_id",
            (self.worker, self._until(), rows[0].broadcast_id, rows[0].broadcast_id,
             *(row.user_id for row in rows), *self._free()),
        )  # fmt: skip
        found = {row[0] for row in claimed}
        return [row for row in rows if row.user_id in found]

    async def release(self, rows: list[Row], *, hold: bool = False) -> None:
        """Put this worker's rows back, unsent: held with ``hold`` (a 429), else free."""
        if not rows:
            return
        marks = ", ".join("?" * len(rows))
        free = "" if hold else ", claimed_by = NULL, lease_until = NULL"
        await self.storage.execute(
            f"UPDATE outbox SET state = 'pending'{free} WHERE broadcast_id = ?"
            f" AND user_id IN ({marks}) AND state IN ('pending', 'sending') AND claimed_by = ?",
            (rows[0].broadcast_id, *(row.user_id for row in rows), self.worker),
        )

    async def renew(self) -> int:
        """Extend the lease of every row this worker holds; return how many."""
        renewed = await self.storage.execute(
            "UPDATE outbox SET lease_until = ? WHERE state IN ('pending', 'sending')"
            " AND claimed_by = ? RETURNING user_id",
            (self._until(), self.worker),
        )
        return len(renewed)

    async def sent(self, row: Row) -> None:
        await self._set(row, "sent", attempts=1, sent_at=to_iso(self.now()))

    async def failed(self, row: Row, error: str) -> None:
        await self._set(row, "failed", attempts=1, error=error)

    async def retry(self, row: Row, error: str, *, max_attempts: int) -> int | None:
        """Count a transient failure; return the attempts so far, or None when it now failed.

        A row to retry stays held by this worker until it is sent again.
        """
        result = await self.storage.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
            " state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END"
            " WHERE broadcast_id = ? AND user_id = ? AND state = 'sending' AND claimed_by = ?"
            " RETURNING attempts, state",
            (error[:ERROR_CHARS], max_attempts, row.broadcast_id, row.user_id, self.worker),
        )
        if not result or result[0][1] == "failed":
            return None
        return int(result[0][0])

    async def blocked(self, row: Row, error: str) -> None:
        """Record that the recipient blocked the bot; their other pending rows go too."""
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'blocked', attempts = attempts + 1, last_error = ?"
                " WHERE broadcast_id = ? AND user_id = ? AND state = 'sending'"
                " AND claimed_by = ?",
                (error[:ERROR_CHARS], row.broadcast_id, row.user_id, self.worker),
            )
            await db.execute(
                "UPDATE outbox SET state = 'blocked', last_error = ?"
                " WHERE user_id = ? AND state = 'pending'",
                (error[:ERROR_CHARS], row.user_id),
            )
        await self.storage.set_blocked(row.user_id, True)

    async def mark_in_doubt(self) -> int:
        """Put the rows a dead worker left 'sending' (lease run out, or none) in doubt."""
        rows = await self.storage.execute(
            "UPDATE outbox SET state = 'in_doubt', last_error = 'interrupted while sending'"
            " WHERE state = 'sending' AND (claimed_by IS NULL OR lease_until < ?)"
            " RETURNING user_id",
            (to_iso(self.now()),),
        )
        return len(rows)

    async def next_due(self, *, skip: Collection[int] = ()) -> Broadcast | None:
        """Return the broadcast to deliver now, except those in `skip`: one already running,
        else the earliest due."""
        rows = await self.storage.fetchall(
            f"SELECT {COLS} FROM broadcasts WHERE state = 'sending'"
            " OR (state = 'scheduled' AND send_at <= ?)"
            " ORDER BY state = 'scheduled', send_at, id",
            (to_iso(self.now()),),
        )
        due = (read_broadcast(row) for row in rows)
        return next((broadcast for broadcast in due if broadcast.id not in skip), None)

    async def start(self, broadcast_id: int) -> None:
        """Mark a due broadcast as being sent."""
        await self.storage.execute(
            "UPDATE broadcasts SET state = 'sending', started_at = ? WHERE id = ?"
            " AND state = 'scheduled'",
            (to_iso(self.now()), broadcast_id),
        )

    async def finish(self, broadcast_id: int) -> Broadcast | None:
        """Close a broadcast whose rows were all tried; return it if this call closed it.

        None: another live worker still holds rows (it closes it), wanted rows were put back
        (the next pass sends them), it was closed already, or it is gone. Rows left pending
        for nobody were skipped (cancelled, or no longer subscribed).
        """
        now = to_iso(self.now())
        async with self.storage.transaction() as db:
            await db.execute(
                "UPDATE outbox SET state = 'cancelled',"
                " last_error = 'not sent (cancelled or unsubscribed)'"
                f" WHERE broadcast_id = ? AND state = 'pending' AND {FREE} AND (NOT {WANTED}"
                " OR EXISTS (SELECT 1 FROM broadcasts b WHERE b.id = outbox.broadcast_id"
                " AND b.state = 'cancelled'))",
                (broadcast_id, self.worker, now),
            )
            # Every step of this worker has ended: a row of its own still 'sending' lost its
            # record (a database error); one of a dead worker's may have been sent.
            await db.execute(
                "UPDATE outbox SET state = 'in_doubt', last_error = CASE WHEN claimed_by = ?"
                " THEN 'outcome not recorded' ELSE 'interrupted while sending' END"
                f" WHERE broadcast_id = ? AND state = 'sending' AND {FREE}",
                (self.worker, broadcast_id, self.worker, now),
            )
            await db.execute(
                "UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ?"
                f" AND state = 'sending' AND NOT EXISTS ({ACTIVE})",
                (now, broadcast_id, broadcast_id),
            )
            # Two workers may end together: the one whose statement marks it reports it.
            closed = await db.execute(
                "UPDATE broadcasts SET reported = 1 WHERE id = ? AND reported = 0"
                f" AND state IN ('done', 'cancelled') AND NOT EXISTS ({ACTIVE}) RETURNING id",
                (broadcast_id, broadcast_id),
            )
        if not closed:
            return None
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
            " WHERE broadcast_id = ? AND user_id = ? AND state = 'sending' AND claimed_by = ?",
            (state, attempts, error[:ERROR_CHARS] if error else None, sent_at,
             row.broadcast_id, row.user_id, self.worker),
        )  # fmt: skip
