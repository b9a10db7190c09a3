"""The base of :class:`FakeBotAPI`: its state, the Bot API method registry, and the helpers
that more than one part of the server uses.

The parts (``server``, ``users``, ``inspection``, ``updates``, ``messages``, ``edits``,
``settings``) are mixins over :class:`Core`, combined in ``fakebotapi/__init__.py``.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import itertools
import mimetypes
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from .errors import BadRequest, Forbidden
from .markup import _inline_keyboard
from .params import UploadedFile
from .state import FakeUser, StoredFile, _ChatState, _Injection, _Poller, _RateLimiter, _Signal
from .text import parse_formatted_text

_Handler = Callable[[Any, dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]
_F = TypeVar("_F", bound=_Handler)
_API_METHODS: dict[str, tuple[str, str]] = {}  # lower-case name -> (canonical name, attribute)


def api_method(name: str) -> Callable[[_F], _F]:
    """Register a ``FakeBotAPI`` coroutine method as the handler of Bot API method ``name``.

    The registry keeps the method's attribute name, not the function: the server looks it up
    on the instance, so a handler may live in any mixin and a subclass may override it.
    """

    def register(func: _F) -> _F:
        _API_METHODS[name.lower()] = (name, func.__name__)
        return func

    return register


class _ClientGone(Exception):
    """The client closed the connection; there is nobody to answer."""


# The request being handled, set by the server's dispatch: getUpdates watches its client.
_CURRENT_REQUEST: contextvars.ContextVar[web.Request] = contextvars.ContextVar("request")


_DEFAULT_RATE_LIMITED = frozenset(
    {
        "sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendVoice",
        "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendMediaGroup",
        "copyMessage", "forwardMessage",
    }
)  # fmt: skip


class Core:
    """State shared by the parts of :class:`FakeBotAPI` (its arguments are described there)."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int | None = None,
        bot_username: str = "zanbot_test_bot",
        bot_first_name: str = "Zanbot",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        rate_limited_methods: Iterable[str] | None = None,
        strict_html: bool = True,
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.monotonic,
        round_trip: float = 0.0,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_html = strict_html
        self.host = host
        self._global_limiter = _RateLimiter(global_rate) if global_rate else None
        self._chat_limiter = _RateLimiter(per_chat_rate) if per_chat_rate else None
        methods = _DEFAULT_RATE_LIMITED if rate_limited_methods is None else rate_limited_methods
        self._rate_limited = frozenset(m.lower() for m in methods)
        self._clock = clock
        self.round_trip = round_trip

        # Public, inspectable state.
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[dict[str, Any]] = []
        self.too_many_requests = 0
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.bot_settings: dict[tuple[str, str], Any] = {}
        self.users: dict[int, FakeUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.server_exceptions: list[BaseException] = []
        self.polls: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.blocked: set[int] = set()
        self.inline_answers: list[dict[str, Any]] = []
        self.inline_placeholder: str | None = None  # None: inline mode off (BotFather)
        self.inline_feedback = False

        self._chats: dict[int, _ChatState] = {}
        self._known_chats: set[int] = set()
        self._pending: list[dict[str, Any]] = []
        self._updates: dict[int, dict[str, Any]] = {}
        self._allowed_updates: list[str] | None = None
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._open_queries: dict[str, dict[str, Any]] = {}
        self._inline_queries: dict[str, dict[str, Any]] = {}  # asked and not yet answered
        self._pollers: list[_Poller] = []
        self._injections: dict[str, deque[_Injection]] = defaultdict(deque)
        self._changed = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # ---- internals: state -----------------------------------------------------------------

    def _chat(self, chat_id: int) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = _ChatState(chat={"id": chat_id, "type": "private"})
        return state

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id or 123456789,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = mimetypes.guess_extension(mime_type or "") or ""
        stored = StoredFile(
            file_id=f"FAKE-FILE-{number:06d}",
            file_unique_id=f"U{number:06d}",
            file_path=f"files/file_{number}{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _message_json(self, message: dict[str, Any], *, nested: bool = False) -> dict[str, Any]:
        """A stored bot message as a Telegram ``Message`` object."""
        data: dict[str, Any] = {
            "message_id": message["message_id"],
            "from": self._bot_user(),
            "chat": dict(self._chat(message["chat_id"]).chat),
            "date": message["date"],
        }
        if message["edit_date"] is not None:
            data["edit_date"] = message["edit_date"]
        if message["text"] is not None:
            data["text"] = message["text"]
            if message["entities"]:
                data["entities"] = message["entities"]
        if message["document"] is not None:
            data["document"] = {k: v for k, v in message["document"].items() if k != "content"}
        if message.get("photo") is not None:
            data["photo"] = [{k: v for k, v in message["photo"].items() if k != "content"}]
        if message["caption"]:
            data["caption"] = message["caption"]
            if message["caption_entities"]:
                data["caption_entities"] = message["caption_entities"]
        if (keyboard := _inline_keyboard(message["reply_markup"])) is not None:
            data["reply_markup"] = keyboard
        if message["reply_to_message_id"] is not None and not nested:
            state = self._chat(message["chat_id"])
            replied = state.user_messages.get(message["reply_to_message_id"])
            if replied is not None:
                data["reply_to_message"] = copy.deepcopy(replied)
            elif (
                bot_message := state.bot_messages.get(message["reply_to_message_id"])
            ) is not None:
                data["reply_to_message"] = self._message_json(bot_message, nested=True)
        return data

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self._changed.wait(remaining)
        return True

    # ---- internals: validation helpers ----------------------------------------------------

    def _require_chat(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise BadRequest("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise BadRequest("chat not found") from None
        if chat_id not in self._known_chats:
            raise BadRequest("chat not found")
        return chat_id

    def _check_blocked(self, chat_id: int) -> None:
        if chat_id not in self.blocked:
            return
        if chat_id > 0:
            raise Forbidden("bot was blocked by the user")
        kind = self._chat(chat_id).chat.get("type", "group")
        raise Forbidden(f"bot was kicked from the {kind} chat")

    def _parse_text(self, params: dict[str, Any]) -> dict[str, Any]:
        """Parse the text of ``sendMessage`` or ``editMessageText``; return the message fields
        it sets."""
        parsed = parse_formatted_text(
            params.get("text"),
            params.get("parse_mode"),
            entities=params.get("entities"),
            strict_html=self.strict_html,
        )
        return {
            "text": parsed.text,
            "raw_text": str(params.get("text")),
            "parse_mode": params.get("parse_mode"),
            "entities": parsed.entities,
        }
