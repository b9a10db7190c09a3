"""Sending: ``sendMessage``, ``sendDocument``, ``sendPhoto``, ``sendChatAction`` and
``getFile``, with the checks Telegram makes before it accepts a message (markup, reply,
blocked chat, flood control)."""

from __future__ import annotations

import copy
import io
import mimetypes
import time
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from .core import Core, api_method
from .errors import MAX_CAPTION_LENGTH, BadRequest, TooManyRequests
from .markup import validate_reply_markup
from .params import UploadedFile
from .state import StoredFile, _ChatState
from .text import parse_formatted_text

# Telegram's limits on a photo: width + height at most 10000, one side at most 20 times the other.
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip


class Messages(Core):
    """The send methods and the bot messages they store."""

    @api_method("sendMessage")
    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat_id = self._require_chat(params)
        text = self._parse_text(params)
        markup, reply_to = self._admit_send("sendMessage", chat_id, params)
        message = self._store_bot_message(
            "sendMessage",
            chat_id,
            params,
            **text,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self._message_json(message)

    def _admit_send(
        self, method: str, chat_id: int, params: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, int | None]:
        """Check a send as Telegram does, in its order: markup and reply (400), blocked chat
        (403), then flood control (429). Return the validated markup and the replied-to id."""
        markup = validate_reply_markup(params.get("reply_markup"))
        reply_to = self._check_reply_to(self._chat(chat_id), params)
        self._check_blocked(chat_id)
        self._check_rate_limit(method, chat_id)
        return markup, reply_to

    @api_method("sendDocument")
    async def _send_document(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat_id = self._require_chat(params)
        document = self._resolve_input_file(params.get("document"), files, "document")
        caption = self._parse_caption(params)
        markup, reply_to = self._admit_send("sendDocument", chat_id, params)
        message = self._store_bot_message(
            "sendDocument",
            chat_id,
            params,
            document={**document.info(), "content": document.content},
            **caption,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self._message_json(message)

    @api_method("sendPhoto")
    async def _send_photo(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """Keep the image as it came (Telegram would recompress it to JPEG sizes), as one
        ``PhotoSize`` of its own dimensions, so that a test can read it back."""
        chat_id = self._require_chat(params)
        upload = self._resolve_input_file(params.get("photo"), files, "photo")
        width, height = _image_size(upload.content)
        caption = self._parse_caption(params)
        markup, reply_to = self._admit_send("sendPhoto", chat_id, params)
        size = {k: v for k, v in upload.info().items() if k not in ("file_name", "mime_type")}
        message = self._store_bot_message(
            "sendPhoto",
            chat_id,
            params,
            photo={**size, "width": width, "height": height, "content": upload.content},
            **caption,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self._message_json(message)

    def _parse_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        """Parse the caption of a media message; return the message fields it sets."""
        if params.get("caption") is None:
            return {"caption": None, "caption_entities": [], "parse_mode": params.get("parse_mode")}
        caption = parse_formatted_text(
            params.get("caption"),
            params.get("parse_mode"),
            entities=params.get("caption_entities"),
            max_length=MAX_CAPTION_LENGTH,
            is_caption=True,
            strict_html=self.strict_html,
        )
        return {"caption": caption.text, "caption_entities": caption.entities,
                "parse_mode": params.get("parse_mode")}  # fmt: skip

    def _resolve_input_file(
        self, value: Any, files: dict[str, UploadedFile], field_name: str
    ) -> StoredFile:
        upload = files.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise BadRequest(f"wrong HTTP URL specified or file not found: {value}")
        if upload is not None:
            if not upload.content:
                raise BadRequest("file must be non-empty")
            name = upload.filename or field_name
            mime = mimetypes.guess_type(name)[0] or upload.content_type
            return self._store_file(upload.content, name, mime)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
            name = urlsplit(value).path.rsplit("/", 1)[-1] or "file"
            return self._store_file(b"", name, mimetypes.guess_type(name)[0])
        if not value:
            raise BadRequest(f"there is no {field_name} in the request")
        raise BadRequest("wrong file identifier/HTTP URL specified")

    @api_method("getFile")
    async def _get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise BadRequest("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    @api_method("sendChatAction")
    async def _send_chat_action(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        chat_id = self._require_chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise BadRequest("wrong parameter action in request")
        self._check_blocked(chat_id)
        self.chat_actions.append((chat_id, str(action)))
        return True

    # ---- internals: validation helpers ----------------------------------------------------

    def _check_rate_limit(self, method: str, chat_id: int) -> None:
        if method.lower() not in self._rate_limited:
            return
        now = self._clock()
        waits = []
        if self._global_limiter is not None:
            waits.append(self._global_limiter.retry_after(None, now))
        if self._chat_limiter is not None:
            waits.append(self._chat_limiter.retry_after(chat_id, now))
        retry_after = max((w for w in waits if w is not None), default=None)
        if retry_after is not None:
            raise TooManyRequests(retry_after)
        if self._global_limiter is not None:
            self._global_limiter.record(None, now)
        if self._chat_limiter is not None:
            self._chat_limiter.record(chat_id, now)

    def _check_reply_to(self, state: _ChatState, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        message_id = reply.get("message_id") if isinstance(reply, dict) else None
        allow_missing = params.get("allow_sending_without_reply")
        if message_id is None:
            message_id = params.get("reply_to_message_id")
        elif isinstance(reply, dict):
            allow_missing = reply.get("allow_sending_without_reply", allow_missing)
        if message_id is None:
            return None
        bot_message = state.bot_messages.get(int(message_id))
        exists = int(message_id) in state.user_messages or (
            bot_message is not None and not bot_message["deleted"]
        )
        if not exists and not allow_missing:
            raise BadRequest("message to be replied not found")
        return int(message_id) if exists else None

    def _store_bot_message(
        self, method: str, chat_id: int, params: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        state = self._chat(chat_id)
        message: dict[str, Any] = {
            "message_id": state.new_message_id(),
            "chat_id": chat_id,
            "date": int(time.time()),
            "method": method,
            "text": None,
            "raw_text": None,
            "parse_mode": None,
            "entities": [],
            "reply_markup": None,
            "document": None,
            "photo": None,
            "caption": None,
            "caption_entities": [],
            "reply_to_message_id": None,
            "edit_date": None,
            "edits": 0,
            "deleted": False,
            "params": params,
            **content,
        }
        state.bot_messages[message["message_id"]] = message
        state.outbox.append(copy.deepcopy(message))
        return message


def _image_size(content: bytes) -> tuple[int, int]:
    """Return an uploaded photo's (width, height), refusing what Telegram refuses."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()  # reads the whole file: a truncated or corrupt image fails here
            width, height = image.size
    except (OSError, SyntaxError, ValueError):  # Pillow's ways of saying "not an image"
        raise BadRequest("IMAGE_PROCESS_FAILED") from None
    long, short = max(width, height), min(width, height)
    if width + height > MAX_PHOTO_SIDES or long > MAX_PHOTO_RATIO * short:
        raise BadRequest("PHOTO_INVALID_DIMENSIONS")
    return width, height
