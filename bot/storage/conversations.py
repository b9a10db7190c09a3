"""Conversations in progress: the step each one is at and the user_data its steps fill in.

``bot.telegram.persistence`` (python-telegram-bot's persistence) keeps them here, encoded as
JSON text; this store only reads and writes that text. The tables are migration 3 of
``bot.storage.migrations``.
"""

from __future__ import annotations

from bot.storage.database import Database, Transaction


class ConversationStore:
    """user_data and conversation steps as JSON text, by user and by conversation."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    async def forget(db: Transaction, user_id: int) -> None:
        """Delete the user's data and steps, inside the caller's transaction."""
        await db.execute("DELETE FROM user_state WHERE user_id = ?", (user_id,))
        await db.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))

    async def user_data(self) -> list[tuple[int, str]]:
        """Return (user id, data) for every user with data."""
        rows = await self.database.fetchall("SELECT user_id, data FROM user_state")
        return [(row[0], row[1]) for row in rows]

    async def has_user_data(self, user_id: int) -> bool:
        rows = await self.database.fetchall(
            "SELECT 1 FROM user_state WHERE user_id = ?", (user_id,)
        )
        return bool(rows)

    async def save_user_data(self, user_id: int, data: str) -> None:
        await self.database.execute(
            "INSERT INTO user_state (user_id, data, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_id, data, self.database.now_iso()),
        )

    async def drop_user(self, user_id: int) -> None:
        """Delete the user's data and steps (their data emptied, or PTB dropped it)."""
        async with self.database.transaction() as db:
            await self.forget(db, user_id)

    async def conversations(self, name: str) -> list[tuple[str, str]]:
        """Return (key, state) of every open conversation of the handler called `name`."""
        rows = await self.database.fetchall(
            "SELECT key, state FROM conversations WHERE name = ?", (name,)
        )
        return [(row[0], row[1]) for row in rows]

    async def save_conversation(self, name: str, key: str, user_id: int | None, state: str) -> None:
        """Record the step a conversation is at; `user_id` lets /forget find it."""
        await self.database.execute(
            "INSERT INTO conversations (name, key, user_id, state) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, key, user_id, state),
        )

    async def end_conversation(self, name: str, key: str) -> None:
        await self.database.execute(
            "DELETE FROM conversations WHERE name = ? AND key = ?", (name, key)
        )
