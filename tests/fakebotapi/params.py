"""Request parameters: query string, JSON, urlencoded and multipart bodies, decoded the way
python-telegram-bot encodes them (form data with JSON-encoded non-string values)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .errors import BadRequest

# Values that are JSON-serialized objects in the Bot API (PTB sends them as JSON strings).
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
        "link_preview_options", "reply_parameters", "media", "results", "options", "permissions",
        "menu_button", "rights", "reaction", "message_ids", "button",
    }
)  # fmt: skip
# Values that must stay strings even if they look like numbers or booleans.
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url",
        "secret_token", "ip_address", "action", "language_code", "name", "description",
        "short_description", "file_id", "emoji", "business_connection_id", "message_effect_id",
        "document", "photo", "audio", "video", "voice", "sticker", "animation", "thumbnail",
        "title", "query", "switch_pm_text", "address", "inline_query_id", "next_offset",
        "start_parameter",
    }
)  # fmt: skip


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.content)} bytes)"


def _decode_form_value(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise BadRequest("can't parse reply keyboard markup JSON object") from None
            raise BadRequest(f"can't parse {name.replace('_', ' ')} JSON object") from None
    if name in _STRING_FIELDS:
        return value
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?\d+\.\d*", value):
        return float(value)
    return value


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, UploadedFile], BadRequest | None]:
    """Parameters (decoded), uploaded files and the first decoding error, if any.

    A value that cannot be decoded is kept as the raw string so that the request log and
    ``api.errors`` still show it.
    """
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    typed = False
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return {}, files, BadRequest("can't parse JSON encoded request parameters")
            if not isinstance(body, dict):
                return {}, files, BadRequest("JSON object expected as request parameters")
            raw.update(body)
            typed = True
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = str(value)
    params: dict[str, Any] = {}
    error: BadRequest | None = None
    for key, value in raw.items():
        # JSON bodies carry typed values, but JSON-serialized fields may still come as strings.
        if isinstance(value, str) and (not typed or key in _JSON_FIELDS):
            try:
                value = _decode_form_value(key, value)
            except BadRequest as exc:
                error = error or exc
        params[key] = value
    return params, files, error
