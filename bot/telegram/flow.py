"""A guided flow whose step is kept in the database, so that any worker can take the next update.

python-telegram-bot's ConversationHandler keeps each conversation's step in its process's
memory and reads its persistence only at start (python-telegram-bot issues #4452 and #5225):
behind a load balancer, an admin's next message reaching another worker would find no flow.
``StoredFlow`` routes as a ConversationHandler does — the entry points, then the handlers of the
step the flow is at, then the fallbacks; the first whose check passes — through ordinary
python-telegram-bot handlers, but for each update it reads the step, and the data the steps
keep in ``context.user_data``, from ``ConversationStore``, and writes them back before the
update is done. Steps return the next step, or ``END``.

It sits in a handler group of its own ahead of the others: an update none of its handlers takes
goes on to them, one it takes goes no further (ApplicationHandlerStop).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, ConversationHandler

from bot.storage.conversations import ConversationStore

END = ConversationHandler.END
Context = ContextTypes.DEFAULT_TYPE
Handlers = Sequence[BaseHandler[Update, Context, Any]]


class StateCodec:
    """JSON for a flow's data: dates and the dataclasses named at construction are tagged, and
    nothing else is decoded into objects, so the database never holds code (no pickle)."""

    def __init__(self, types: Sequence[type] = ()) -> None:
        self._types = {t.__name__: t for t in types}

    def _encode(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if is_dataclass(value) and type(value).__name__ in self._types:
            state = {f.name: getattr(value, f.name) for f in fields(value)}
            return {"$" + type(value).__name__: state}
        raise TypeError(f"cannot store {type(value).__name__}")

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


class StoredFlow(BaseHandler[Update, Context, None]):
    """Route a user's updates through the handlers of their flow's stored step."""

    def __init__(
        self,
        name: str,
        store: ConversationStore,
        *,
        accepts: Callable[[Update], bool],
        entry_points: Handlers,
        states: Mapping[int, Handlers],
        fallbacks: Handlers,
        types: Sequence[type] = (),
    ) -> None:
        super().__init__(self._route)
        self.name = name
        self.store = store
        self.accepts = accepts  # cheap, synchronous: whose updates may belong to the flow
        self.entry_points = tuple(entry_points)
        self.states = {step: tuple(handlers) for step, handlers in states.items()}
        self.fallbacks = tuple(fallbacks)
        self.codec = StateCodec(types)

    def check_update(self, update: object) -> bool:
        return (
            isinstance(update, Update)
            and update.effective_user is not None
            and (self.accepts(update))
        )

    async def _route(self, update: Update, context: Context) -> None:
        user_id = update.effective_user.id  # type: ignore[union-attr]
        saved = await self.store.load(self.name, user_id)
        state = self.codec.loads(saved) if saved else None
        step = state["step"] if state else None
        # A flow can always be started again from the top (an entry point), as with
        # ConversationHandler's allow_reentry.
        handlers = self.entry_points
        if step is not None:
            handlers += self.states.get(step, ()) + self.fallbacks
        for handler in handlers:
            check = handler.check_update(update)
            if check is not None and check is not False:
                break
        else:
            return  # not the flow's: the groups after this one take it
        data = context.user_data
        assert data is not None  # an update with a user has user_data
        data.clear()
        data.update(state["data"] if state else {})
        try:
            reached = await handler.handle_update(update, context.application, check, context)
            if reached is None:  # the step stays
                reached = step
            if reached is None or reached == END:
                await self.store.end(self.name, user_id)
            else:
                state = {"step": reached, "data": dict(data)}
                await self.store.save(self.name, user_id, self.codec.dumps(state))
        finally:
            data.clear()  # the stored copy is the only one: the next update may be elsewhere
        raise ApplicationHandlerStop
