"""The test side of checking: what the bot sent, edited and answered, and waiting for it."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any, TypeVar

from .core import Core
from .state import FakeUser, _chat_id_of

_T = TypeVar("_T")


async def wait_until(
    predicate: Callable[[], _T],
    timeout: float = 10.0,
    *,
    message: str | Callable[[], str] | None = None,
    interval: float = 0.01,
) -> _T:
    """Wait until ``predicate()`` is true, checking every ``interval`` seconds; return its value.

    For conditions on anything, the server's state or not (the bot's database, its tasks): a
    test waits for the condition it then asserts, never for a fixed time. On timeout, raises
    AssertionError saying what was awaited: ``message``, or a callable that describes the state
    at that moment.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        if loop.time() >= deadline:
            what = message() if callable(message) else message
            raise AssertionError(
                f"timed out after {timeout}s waiting until {what or 'the condition held'}"
            )
        await asyncio.sleep(interval)
    return value


def _summary(message: dict[str, Any]) -> str:
    if message.get("document"):
        return f"#{message['message_id']} document {message['document'].get('file_name')!r}"
    if photo := message.get("photo"):
        return f"#{message['message_id']} photo {photo['width']}×{photo['height']}"
    text = message.get("text") or ""
    short = text if len(text) <= 80 else text[:77] + "..."
    return f"#{message['message_id']} {short!r}"


class Inspection(Core):
    """``api.messages``, ``api.wait_for``, ``api.wait_for_edit``…: assertions on the bot's
    side of the conversation."""

    # ---- test-side: inspecting what the bot did -------------------------------------------

    def messages(
        self, chat_id: int | FakeUser, *, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """The bot's messages in a chat, in their current (edited) state."""
        state = self._chat(_chat_id_of(chat_id))
        return [
            copy.deepcopy(message)
            for message in state.bot_messages.values()
            if include_deleted or not message["deleted"]
        ]

    async def wait_for(
        self, chat_id: int | FakeUser, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` new bot messages in the chat and return them (as sent).

        "New" means not returned by an earlier ``wait_for`` on this chat; extra messages
        stay for the next call. Raises AssertionError describing what arrived on timeout.
        """
        cid = _chat_id_of(chat_id)
        state = self._chat(cid)
        if not await self._wait_until(lambda: len(state.outbox) - state.cursor >= count, timeout):
            got = [_summary(m) for m in state.outbox[state.cursor :]]
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} new bot message(s) in chat "
                f"{cid}; got {len(got)}: {got}; errors for this chat: {self._errors_for(cid)}"
            )
        batch = state.outbox[state.cursor : state.cursor + count]
        state.cursor += count
        return copy.deepcopy(batch)

    async def expect_no_messages(self, chat_id: int | FakeUser, wait: float = 0.3) -> None:
        """Assert that no new bot message arrives in the chat within ``wait`` seconds."""
        cid = _chat_id_of(chat_id)
        state = self._chat(cid)
        await self._wait_until(lambda: len(state.outbox) > state.cursor, wait)
        if len(state.outbox) > state.cursor:
            got = [_summary(m) for m in state.outbox[state.cursor :]]
            raise AssertionError(f"expected no new bot messages in chat {cid}, got {got}")

    async def wait_for_edit(
        self, chat_id: int | FakeUser, message_id: int, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until the bot edits the message (again) and return its current state."""
        cid = _chat_id_of(chat_id)
        state = self._chat(cid)
        seen = state.edits_seen.get(message_id, 0)

        def edited() -> bool:
            message = state.bot_messages.get(message_id)
            return message is not None and message["edits"] > seen

        if not await self._wait_until(edited, timeout):
            raise AssertionError(
                f"timed out after {timeout}s waiting for an edit of message #{message_id} in "
                f"chat {cid}; errors for this chat: {self._errors_for(cid)}"
            )
        message = state.bot_messages[message_id]
        state.edits_seen[message_id] = message["edits"]
        return copy.deepcopy(message)

    async def wait_for_callback_answer(
        self, update_id: int, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until the callback query queued as ``update_id`` (by ``press``) is answered."""

        def answer() -> dict[str, Any] | None:
            return next((a for a in self.callback_answers if a["update_id"] == update_id), None)

        if not await self._wait_until(lambda: answer() is not None, timeout):
            raise AssertionError(
                f"timed out after {timeout}s waiting for answerCallbackQuery of update "
                f"{update_id}; errors: {self.errors}"
            )
        return copy.deepcopy(answer())  # type: ignore[arg-type]

    @property
    def waiting_polls(self) -> int:
        """How many ``getUpdates`` long polls the server holds open right now."""
        return len(self._pollers)

    def requests_for(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method`` (case-insensitive)."""
        return [params for name, params in self.requests if name.lower() == method.lower()]

    def _errors_for(self, chat_id: int) -> list[str]:
        return [
            f"{e['method']}: {e['description']}"
            for e in self.errors
            if str(e["params"].get("chat_id")) == str(chat_id)
        ]
