"""Conversations in progress: the step a user's guided flow is at, with the data its steps
have filled in (an admin's announcement draft), as JSON text.

``bot.telegram.flow`` reads a user's row for each of their updates and writes it back when
the step is done, so that any worker can take the next update. The table is ``conversations``
(migration 3; migration 8 gave it this use).
"""

from __future__ import annotations

from bot.storage.database import Database, Transaction


class ConversationStore:
    """The state of each user's flow, by flow name, as JSON text."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    async def forget(db: Transaction, user_id: int) -> None:
        """Delete the user's flows, inside the caller's transaction."""
        await db.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))

    async def load(self, name: str, user_id: int) -> str | None:
        """Return the state of the user's flow called `name`, or None when none is open."""
        rows = await self.database.fetchall(
            "SELECT state FROM conversations WHERE name = ? AND key = ?", (name, str(user_id))
        )
        return rows[0][0] if rows else None

    async def save(self, name: str, user_id: int, state: str) -> None:
        await self.database.execute(
            "INSERT INTO conversations (name, key, user_id, state) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, str(user_id), user_id, state),
        )

    async def end(self, name: str, user_id: int) -> None:
        await self.database.execute(
            "DELETE FROM conversations WHERE name = ? AND key = ?", (name, str(user_id))
        )

    async def has_any(self, user_id: int) -> bool:
        """Tell whether the user has a flow open (for the privacy page)."""
        rows = await self.database.fetchall(
            "SELECT 1 FROM conversations WHERE user_id = ?", (user_id,)
        )
        return bool(rows)
