"""The test side of a conversation: users, groups, and what users do (messages, commands,
media, edits, button presses), queued as updates for the bot to fetch."""

from __future__ import annotations

import copy
import mimetypes
import re
import time
from typing import Any

from .core import Core
from .html import utf16_len
from .markup import _callback_datas
from .state import FakeUser

_BOT_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def _detect_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram's server adds to a user's message."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _BOT_COMMAND_RE.finditer(text)
    ]


class UserActions(Core):
    """``api.user``, ``api.send_*``, ``api.press``…: the updates a test feeds to the bot."""

    # ---- test-side: users and updates -----------------------------------------------------

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> FakeUser:
        """Create (or replace) a user; their private chat becomes known to the server."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self._known_chats.add(user_id)
        self._chat(user_id).chat = user.chat_dict()
        return user

    def group(self, group_id: int, *, title: str = "Test group", kind: str = "supergroup") -> int:
        """Register a group chat (negative id) the bot is a member of."""
        if group_id >= 0:
            raise ValueError("group chat ids are negative")
        self._known_chats.add(group_id)
        self._chat(group_id).chat = {"id": group_id, "type": kind, "title": title}
        return group_id

    async def send_text(self, user: FakeUser, text: str) -> int:
        """The user sends a text message in the private chat. Returns the update_id."""
        content: dict[str, Any] = {"text": text}
        if entities := _detect_entities(text):
            content["entities"] = entities
        return self._user_message(user, user.id, content)

    async def send_forwarded(
        self, user: FakeUser, text: str, origin: str | dict[str, Any] = "Someone"
    ) -> int:
        """The user forwards a text message into the private chat. `origin` is the original
        sender: a name (a user who hides their account, "hidden_user") or a MessageOrigin
        dict as the Bot API sends it."""
        if isinstance(origin, str):
            origin = {"type": "hidden_user", "sender_user_name": origin}
        forward_origin = {"date": int(time.time()) - 3600, **origin}
        content: dict[str, Any] = {"text": text, "forward_origin": forward_origin}
        if entities := _detect_entities(text):
            content["entities"] = entities
        return self._user_message(user, user.id, content)

    async def send_command(self, user: FakeUser, command: str, payload: str | None = None) -> int:
        """The user sends ``/command [payload]`` (with a bot_command entity)."""
        command = command if command.startswith("/") else f"/{command}"
        text = command if payload is None else f"{command} {payload}"
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return self._user_message(user, user.id, {"text": text, "entities": [entity]})

    async def send_group_text(self, group_id: int, user: FakeUser, text: str) -> int:
        if group_id not in self._known_chats:
            self.group(group_id)
        self._register_user(user)
        content: dict[str, Any] = {"text": text}
        if entities := _detect_entities(text):
            content["entities"] = entities
        return self._user_message(user, group_id, content)

    async def send_sticker(self, user: FakeUser, emoji: str = "👍") -> int:
        stored = self._store_file(b"RIFF\x00\x00\x00\x00WEBP", "sticker.webp", "image/webp")
        sticker = {
            **stored.info(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        for key in ("file_name", "mime_type"):
            sticker.pop(key, None)
        return self._user_message(user, user.id, {"sticker": sticker})

    async def send_photo(self, user: FakeUser, caption: str | None = None) -> int:
        sizes = []
        for width in (90, 320, 800):
            stored = self._store_file(b"\xff\xd8\xff\xe0" + bytes(width), None, "image/jpeg")
            size = {k: v for k, v in stored.info().items() if k != "mime_type"}
            sizes.append({**size, "width": width, "height": width * 3 // 4})
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user, user.id, content)

    async def send_voice(self, user: FakeUser, duration: int = 3) -> int:
        stored = self._store_file(b"OggS" + bytes(64), None, "audio/ogg")
        voice = {**stored.info(), "duration": duration}
        return self._user_message(user, user.id, {"voice": voice})

    async def send_document(
        self,
        user: FakeUser,
        file_name: str = "file.pdf",
        content: bytes = b"%PDF-1.4\n",
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        mime_type = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self._store_file(content, file_name, mime_type)
        message: dict[str, Any] = {"document": stored.info()}
        if caption is not None:
            message["caption"] = caption
        return self._user_message(user, user.id, message)

    async def send_location(
        self, user: FakeUser, latitude: float = 43.2389, longitude: float = 76.8897
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user, user.id, {"location": location})

    async def edit_text(self, user: FakeUser, message_id: int, new_text: str) -> int:
        """The user edits one of their text messages: queues an ``edited_message`` update."""
        state = self._chat(user.id)
        message = state.user_messages.get(message_id)
        if message is None or "text" not in message:
            raise AssertionError(f"user {user.id} has no text message #{message_id} to edit")
        message["text"] = new_text
        message.pop("entities", None)
        if entities := _detect_entities(new_text):
            message["entities"] = entities
        message["edit_date"] = int(time.time())
        return self._enqueue("edited_message", copy.deepcopy(message))

    async def press(self, user: FakeUser, message: dict[str, Any] | int, callback_data: str) -> int:
        """The user presses the inline button with ``callback_data`` on a bot message.

        ``message`` is a dict from ``wait_for``/``messages`` or a message id in the user's
        private chat. The button must currently be on the message. Returns the update_id.
        """
        if isinstance(message, dict):
            chat_id = int(message.get("chat_id", user.id))
            message_id = int(message["message_id"])
        else:
            chat_id, message_id = user.id, int(message)
        stored = self._chat(chat_id).bot_messages.get(message_id)
        if stored is None or stored["deleted"]:
            raise AssertionError(f"no bot message #{message_id} in chat {chat_id} to press on")
        available = _callback_datas(stored["reply_markup"])
        if callback_data not in available:
            raise AssertionError(
                f"message #{message_id} in chat {chat_id} has no button with callback_data "
                f"{callback_data!r}; it has {available!r}"
            )
        self._register_user(user)
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self._message_json(stored),
            "chat_instance": str(chat_id * 7919),
            "data": callback_data,
        }
        self._open_queries[query_id] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "data": callback_data,
            "user_id": user.id,
        }
        update_id = self._enqueue("callback_query", query)
        self._open_queries[query_id]["update_id"] = update_id
        return update_id

    def update(self, update_id: int) -> dict[str, Any]:
        """The update (JSON) queued under ``update_id``."""
        return copy.deepcopy(self._updates[update_id])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by the bot (via ``offset``)."""
        return copy.deepcopy(self._pending)

    # ---- internals: state -----------------------------------------------------------------

    def _register_user(self, user: FakeUser) -> None:
        if self.users.get(user.id) != user:
            self.user(
                user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            )

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self._updates[update_id] = update
        self._pending.append(update)
        self._changed.fire()
        return update_id

    def _user_message(self, user: FakeUser, chat_id: int, content: dict[str, Any]) -> int:
        self._register_user(user)
        state = self._chat(chat_id)
        message = {
            "message_id": state.new_message_id(),
            "from": user.to_dict(),
            "chat": dict(state.chat),
            "date": int(time.time()),
            **content,
        }
        state.user_messages[message["message_id"]] = message
        return self._enqueue("message", copy.deepcopy(message))
