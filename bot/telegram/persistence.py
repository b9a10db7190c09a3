"""Conversations survive a restart: python-telegram-bot's persistence, in the bot's database.

Only two things are kept, both small: the step each open conversation is at (an admin composing
an announcement) and the user_data those steps fill in (the draft). Everything else PTB could
persist (bot_data, chat_data, callback data) is off. A user whose user_data is empty has no row:
citizens, who never start a conversation, cost nothing here.

Several workers (``zanbot run --webhook`` processes on one database) may each get the next
update of an admin who is composing, so the users named by ``shared`` (the admins) do not rely on
what a worker read at start or wrote a few seconds ago: :func:`continue_anywhere` reads their step
from the database before the conversation handler looks at an update, PTB's per-update
``refresh_user_data`` reads their draft, and both are written when the update's handlers are
done. Everyone else keeps PTB's usual way (read at start, written every few seconds).

Values are stored as JSON (``bot.storage.conversations`` keeps the text). Dates and the
dataclasses named at construction are tagged, and nothing else is decoded into objects, so the
database never holds code (no pickle).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BasePersistence,
    ContextTypes,
    ConversationHandler,
    PersistenceInput,
    TypeHandler,
)

from bot.storage.conversations import ConversationStore
from bot.storage.database import Database

ConversationKey = tuple[int | str, ...]
UPDATE_INTERVAL = 5.0  # seconds between PTB's writes of steps and user_data; shutdown: the rest
# Handler groups of continue_anywhere: reading before every other group (the bot's first is -1),
# writing after all of them (tests watch for handled updates later still, at 1_000_000).
READ_GROUP = -1000
WRITE_GROUP = 100_000


def nobody(user_id: int) -> bool:
    return False


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
        # Users whose data another worker may change between two of their updates: re-read
        # for each update (continue_anywhere sets it to the admins).
        self.shared: Callable[[int], bool] = nobody
        # Shared users whose data is to be written by the write at the end of their update.
        # PTB's timed writes (every UPDATE_INTERVAL) skip the others: by then another worker
        # may have written newer data, which this worker's copy would overwrite.
        self.due: set[int] = set()
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
        if self.shared(user_id):
            if user_id not in self.due:
                return  # written at the end of their last update already (see `due`)
            self.due.discard(user_id)
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
        """Before each update of a shared user: their data as the database has it now (another
        worker may have handled their last update). PTB calls this once per update."""
        if not self.shared(user_id):
            return  # nobody else writes it: what this process holds is current
        await self._open()
        text = await self.store.user_data_of(user_id)
        user_data.clear()
        if text is None:
            self._stored.discard(user_id)
        else:
            user_data.update(self.loads(text))
            # Emptying it later must delete the row, though this worker did not write it.
            self._stored.add(user_id)

    # -- conversations -------------------------------------------------------------------

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        await self._open()
        rows = await self.store.conversations(name)
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows}

    async def get_conversation(self, name: str, key: ConversationKey) -> object | None:
        """The step one conversation is at now, or None when it is not open."""
        await self._open()
        state = await self.store.conversation(name, json.dumps(key))
        return None if state is None else json.loads(state)

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


def continue_anywhere(
    app: Application,  # type: ignore[type-arg]
    flow: ConversationHandler,  # type: ignore[type-arg]
    shared: Callable[[int], bool],
) -> None:
    """Let the `shared` users' conversations of `flow` go on from any worker.

    PTB reads a ConversationHandler's steps from the persistence only at start and keeps them
    in the handler, and writes them every few seconds; its per-update hook covers user_data
    alone. So for each update of a shared user, a handler before all others puts the step the
    database has into the flow, and one after all others writes the step and the data back at
    once: the next update may reach another worker within a second.
    """
    persistence = app.persistence
    if not isinstance(persistence, DatabasePersistence) or not flow.persistent or not flow.name:
        return  # no persistence: nothing outlives the process, nothing to share
    persistence.shared = shared
    name = flow.name

    def key_of(update: Update) -> ConversationKey | None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or not shared(user.id):
            return None
        return (chat.id, user.id)  # the flow's key: per chat and user, not per message

    async def read(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # PTB has already refreshed the user's data for this update (refresh_user_data).
        if not isinstance(update, Update) or (key := key_of(update)) is None:
            return
        state = await persistence.get_conversation(name, key)
        # PTB keeps the steps in the handler's own dict, a TrackingDict once persistent; neither
        # change is tracked, as both are what the database already holds.
        steps = flow._conversations  # no public way to set a step
        if state is None:
            steps.data.pop(key, None)  # type: ignore[attr-defined]
        else:
            steps.update_no_track({key: state})  # type: ignore[attr-defined]

    async def write(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update) or (key := key_of(update)) is None:
            return
        # PTB marks the user only after the last group; mark now so that this write has them.
        persistence.due.add(key[1])
        context.application.mark_data_for_update_persistence(user_ids=key[1])
        await context.application.update_persistence()

    app.add_handler(TypeHandler(object, read), group=READ_GROUP)
    app.add_handler(TypeHandler(object, write), group=WRITE_GROUP)
