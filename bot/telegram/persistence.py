"""Conversations survive a restart: python-telegram-bot's persistence, in the bot's database.

Only two things are kept, both small: the step each open conversation is at (an admin composing
an announcement) and the user_data those steps fill in (the draft). Everything else PTB could
persist (bot_data, chat_data, callback data) is off. A user whose user_data is empty has no row:
citizens, who never start a conversation, cost nothing here.

Values are stored as JSON (``bot.storage.conversations`` keeps the text). Dates and the
dataclasses named at construction are tagged, and nothing else is decoded into objects, so the
database never holds code (no pickle).
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage.conversations import ConversationStore
from bot.storage.database import Database

ConversationKey = tuple[int | str, ...]
UPDATE_INTERVAL = 5.0  # seconds between PTB's writes of steps and user_data; shutdown: the rest


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Keep conversation steps and user_data in the bot's database (either engine), as JSON."""

    def __init__(self, database: Database, *, types: tuple[type, ...] = ()) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=UPDATE_INTERVAL,
        )
        self.database = database
        self.store = ConversationStore(database)
        self._types = {t.__name__: t for t in types}
        self._stored: set[int] = set()  # users with a row
        self._ready = False

    async def _open(self) -> None:
        """Open the database (its tables come with it), once.

        PTB loads persistence in initialize(), before post_init opens the database.
        """
        if not self._ready:
            await self.database.open()
            self._ready = True

    # -- encoding ------------------------------------------------------------------------

    def _encode(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if is_dataclass(value) and type(value).__name__ in self._types:
            state = {f.name: getattr(value, f.name) for f in fields(value)}
            return {"$" + type(value).__name__: state}
        raise TypeError(f"cannot persist {type(value).__name__}")

    def _decode(self, obj: dict[str, Any]) -> Any:
        if len(obj) == 1:
            ((key, value),) = obj.items()
            if key == "$datetime":
                return datetime.fromisoformat(value)
            if key.startswith("$") and key[1:] in self._types:
                return self._types[key[1:]](**value)
        return obj

    def dumps(self, value: Any) -> str:
        return json.dumps(value, default=self._encode, ensure_ascii=False)

    def loads(self, text: str) -> Any:
        return json.loads(text, object_hook=self._decode)

    # -- user_data -----------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        await self._open()
        rows = await self.store.user_data()
        self._stored = {user_id for user_id, _ in rows}
        return {user_id: self.loads(data) for user_id, data in rows}

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._open()
        if not data:
            if user_id in self._stored:
                await self.drop_user_data(user_id)
            return
        await self.store.save_user_data(user_id, self.dumps(data))
        self._stored.add(user_id)

    async def drop_user_data(self, user_id: int) -> None:
        await self._open()
        await self.store.drop_user(user_id)
        self._stored.discard(user_id)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Nothing to refresh: this process is the only writer."""

    # -- conversations -------------------------------------------------------------------

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        await self._open()
        rows = await self.store.conversations(name)
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._open()
        if new_state is None:  # the conversation ended
            await self.store.end_conversation(name, json.dumps(key))
            return
        # Conversations are per user (PTB's default): the key ends with the user's id.
        user_id = key[-1] if key and isinstance(key[-1], int) else None
        await self.store.save_conversation(name, json.dumps(key), user_id, json.dumps(new_state))

    # -- what is not kept ----------------------------------------------------------------

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """bot_data is not kept."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """bot_data is not kept."""

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """chat_data is not kept."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """chat_data is not kept."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """chat_data is not kept."""

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        """Callback data is not kept (buttons carry plain strings)."""

    async def flush(self) -> None:
        """Nothing to flush: every update is written when PTB hands it over."""
