"""A fake Telegram Bot API server for end-to-end tests.

The unmodified bot (a python-telegram-bot ``Application``) talks real HTTP to this aiohttp
server on 127.0.0.1, exactly as it would talk to ``api.telegram.org``::

    async with FakeBotAPI() as api:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{api.url}/bot")
            .base_file_url(f"{api.url}/file/bot")
            .build()
        )
        ...  # start polling
        alice = api.user(42, first_name="Алия", language_code="kk")
        await api.send_command(alice, "/start")
        [reply] = await api.wait_for(alice.id)
        await api.press(alice, reply, "lang:ru")
        edited = await api.wait_for_edit(alice.id, reply["message_id"])
        assert api.errors == []

What the server does
--------------------
* ``/bot<token>/<method>`` accepts GET and POST with JSON, urlencoded and multipart bodies
  (python-telegram-bot sends form data with JSON-encoded non-string values). Method names are
  case-insensitive, as in Telegram. Unknown methods answer 404 ``Not Found``.
* ``getUpdates`` is real long polling over a queue of updates the test builds with the
  ``send_*``/``press``/``edit_text`` helpers. ``offset`` confirms updates, ``limit`` and
  ``timeout`` are honoured, a second concurrent poll terminates the first one with
  409 ``Conflict`` (as Telegram does), and the server answers ``[]`` to pending polls on shutdown.
* Sent messages are stored per chat (``api.messages(chat_id)``); message ids increase per chat
  and are shared with the user's messages, like in a real private chat.
* Requests are validated like Telegram does (see :func:`validate_telegram_html`,
  :func:`validate_reply_markup`), and every non-ok answer is recorded in ``api.errors`` so that
  a test can finish with ``assert api.errors == []``.
* Optional flood control (``global_rate``/``per_chat_rate``), blocked chats (``api.block``)
  and fault injection (``api.fail_next``, ``api.drop_connection_next``).

Stored bot messages (``api.messages``, ``api.wait_for``) are plain dicts::

    {"message_id": 3, "chat_id": 42, "date": 1700000000, "method": "sendMessage",
     "text": "Hello",               # what the user sees: tags removed, entities decoded
     "raw_text": "<b>Hello</b>",    # exactly what the bot sent
     "parse_mode": "HTML", "entities": [{"type": "bold", "offset": 0, "length": 5}],
     "reply_markup": {...} | None, "document": None | {"file_name", "mime_type", "content", ...},
     "caption": None, "caption_entities": [], "edit_date": None, "edits": 0, "deleted": False,
     "params": {...}}               # the request parameters of the last send/edit

Extending: add a coroutine method decorated with ``@api_method("methodName")`` taking the
parsed ``params`` dict and the uploaded ``files`` dict; return the ``result`` value or raise a
:class:`TelegramAPIError`.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import itertools
import json
import math
import mimetypes
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from aiohttp import web

__all__ = [
    "BadRequest",
    "Conflict",
    "FakeBotAPI",
    "FakeUser",
    "Forbidden",
    "ParsedText",
    "StoredFile",
    "TelegramAPIError",
    "TooManyRequests",
    "UploadedFile",
    "api_method",
    "parse_telegram_html",
    "utf16_len",
    "validate_reply_markup",
    "validate_telegram_html",
]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class TelegramAPIError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class BadRequest(TelegramAPIError):
    """400. ``message`` is the part after ``"Bad Request: "``."""

    def __init__(self, message: str) -> None:
        super().__init__(400, f"Bad Request: {message}")


class Forbidden(TelegramAPIError):
    """403. ``message`` is the part after ``"Forbidden: "``."""

    def __init__(self, message: str) -> None:
        super().__init__(403, f"Forbidden: {message}")


class Conflict(TelegramAPIError):
    """409. ``message`` is the part after ``"Conflict: "``."""

    def __init__(self, message: str) -> None:
        super().__init__(409, f"Conflict: {message}")


class TooManyRequests(TelegramAPIError):
    """429 with ``parameters.retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )
        self.retry_after = retry_after


# --------------------------------------------------------------------------------------------
# Telegram HTML
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class ParsedText:
    """Text as the user sees it, with Telegram-shaped entities (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "tg-spoiler", "span", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_HTML_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton", "tonsite", "mailto"})


def _is_space(c: int) -> bool:
    # TDLib's is_space(): the NUL sentinel at the end of the text counts as a space.
    return c in (0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x00)


def _decode_html_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode ``&lt; &gt; &amp; &quot; &#NN; &#xNN;`` at ``pos`` (the ``;`` is optional).

    Returns the character and the position after the entity, or ``None`` (TDLib's rules).
    """
    n = len(data)
    end = pos + 1
    if end < n and data[end] == 0x23:  # '#'
        end += 1
        value = 0
        if end < n and data[end] == 0x78:  # 'x'
            end += 1
            start = end
            while end < n and chr(data[end]) in "0123456789abcdefABCDEF":
                end += 1
            if end > start:
                value = int(data[start:end], 16)
        else:
            start = end
            while end < n and 0x30 <= data[end] <= 0x39:
                end += 1
            if end > start:
                value = int(data[start:end])
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        start = end
        while end < n and (0x41 <= data[end] <= 0x5A or 0x61 <= data[end] <= 0x7A):
            end += 1
        decoded = _NAMED_HTML_ENTITIES.get(data[start:end])
        if decoded is None:
            return None
        char = decoded
    if end < n and data[end] == 0x3B:  # ';'
        end += 1
    return char, end


def _check_link(url: str) -> str | None:
    """A usable link target (schemeless hosts get ``http://``), or ``None``."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    if "://" not in url and not url.lower().startswith(("mailto:", "tg:")):
        url = f"http://{url}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _LINK_SCHEMES:
        return None
    if scheme in ("http", "https") and ("." not in parts.netloc and parts.netloc != "localhost"):
        return None
    if scheme == "mailto" and "@" not in parts.path:
        return None
    return url


def _link_entity(url: str, offset: int, length: int) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme.lower() == "tg" and parts.netloc.lower() == "user":
        ids = parse_qs(parts.query).get("id", [""])
        if ids[0].isdigit():
            user = {"id": int(ids[0]), "is_bot": False, "first_name": ""}
            return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    byte_offset: int
    utf16_offset: int


def parse_telegram_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram's HTML subset the way Telegram (TDLib ``parse_html``) does.

    Raises :class:`BadRequest` with Telegram's ``can't parse entities: ...`` descriptions;
    byte offsets are UTF-8 byte offsets into ``text``. Does not strip or length-check the
    result (see :func:`validate_telegram_html`).

    ``strict=True`` (the default) is stricter than Telegram in ways that catch real bot bugs
    which Telegram would silently render wrong:

    * a ``&`` that does not start ``&lt; &gt; &amp; &quot; &#NN; &#xNN;`` is an error
      (Telegram keeps it literally, so ``&nbsp;`` shows up as ``&nbsp;`` to the user);
    * ``<a>`` must have a non-empty, valid ``href`` (Telegram silently drops the link).
    """
    data = text.encode("utf-8")
    n = len(data)

    def at(i: int) -> int:
        return data[i] if i < n else 0

    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < n:
        c = data[i]
        if c == 0x26:  # '&'
            decoded = _decode_html_entity(data, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                utf16 += utf16_len(char)
                continue
            if strict:
                word = re.match(rb"&#?[0-9A-Za-z]*;?", data[i:])
                shown = word.group().decode() if word and len(word.group()) > 1 else "&"
                raise BadRequest(
                    f'can\'t parse entities: Unsupported HTML entity "{shown}" at byte offset '
                    f'{i}; escape a literal "&" as "&amp;"'
                )
        if c != 0x3C:  # not '<': copy a whole UTF-8 character
            size = 1 if c < 0x80 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4
            char = data[i : i + size].decode("utf-8")
            out.append(char)
            utf16 += utf16_len(char)
            i += size
            continue

        begin = i
        i += 1
        if at(i) != 0x2F:  # start tag
            while not _is_space(at(i)) and at(i) != 0x3E:
                i += 1
            if at(i) == 0:
                raise BadRequest(f"can't parse entities: Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].lower().decode("utf-8", "replace")
            if tag not in _SUPPORTED_TAGS:
                raise BadRequest(
                    f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {begin}'
                )
            argument = ""
            has_href = False
            expandable = False
            while at(i) != 0x3E:
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0x3E:
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in (0x3D, 0x3E):
                    i += 1
                attr_name = data[attr_begin:i]
                if not attr_name:
                    raise BadRequest(
                        f'can\'t parse entities: Empty attribute name in the tag "{tag}" at byte '
                        f"offset {begin}"
                    )
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) != 0x3D:  # '='
                    if tag == "blockquote" and attr_name == b"expandable":
                        expandable = True
                        continue
                    raise BadRequest(
                        "can't parse entities: Expected equal sign in declaration of an attribute "
                        f'of the tag "{tag}" at byte offset {begin}'
                    )
                i += 1
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0:
                    raise BadRequest(
                        f'can\'t parse entities: Unclosed start tag "{tag}" at byte offset {begin}'
                    )
                if at(i) not in (0x22, 0x27):  # unquoted name token
                    token_begin = i
                    while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in (0x2E, 0x2D)):
                        i += 1
                    value = data[token_begin:i].lower().decode()
                    if not _is_space(at(i)) and at(i) != 0x3E:
                        raise BadRequest(
                            "can't parse entities: Unexpected end of name token at byte offset "
                            f"{token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while at(i) != quote and at(i) != 0:
                        if at(i) == 0x26:
                            decoded = _decode_html_entity(data, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_end = i + 1
                        while value_end < n and data[value_end] & 0xC0 == 0x80:
                            value_end += 1
                        chars.append(data[i:value_end].decode("utf-8"))
                        i = value_end
                    if at(i) != quote:
                        raise BadRequest(
                            f"can't parse entities: Unclosed start tag at byte offset {begin}"
                        )
                    i += 1
                    value = "".join(chars)
                if tag == "a" and attr_name == b"href":
                    argument, has_href = value, True
                elif tag == "code" and attr_name == b"class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == b"class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == b"emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise BadRequest(
                    f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte '
                    f"offset {begin}"
                )
            if strict and tag == "a" and (not has_href or _check_link(argument) is None):
                problem = "a valid" if has_href else "an"
                raise BadRequest(
                    f'can\'t parse entities: Tag "a" must have {problem} "href" attribute at byte '
                    f"offset {begin}"
                )
            stack.append(_OpenTag(tag, argument, expandable, begin, utf16))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise BadRequest(f"can't parse entities: Unexpected end tag at byte offset {begin}")
        while not _is_space(at(i)) and at(i) != 0x3E:
            i += 1
        end_name = data[begin + 2 : i].lower().decode("utf-8", "replace")
        while at(i) != 0 and _is_space(at(i)):
            i += 1
        if at(i) != 0x3E:
            raise BadRequest(f"can't parse entities: Unclosed end tag at byte offset {begin}")
        i += 1
        open_tag = stack.pop()
        if end_name and end_name != open_tag.name:
            raise BadRequest(
                f"can't parse entities: Unmatched end tag at byte offset {begin}, expected "
                f'"</{open_tag.name}>", found "</{end_name}>"'
            )
        if open_tag.name == "tg-emoji" and not (
            open_tag.argument.isdigit() and int(open_tag.argument) > 0
        ):
            raise BadRequest("can't parse entities: Invalid custom emoji identifier specified")
        length = utf16 - open_tag.utf16_offset
        if length <= 0:
            continue
        offset = open_tag.utf16_offset
        name = open_tag.name
        if name in _SIMPLE_TAG_TYPES:
            entities.append({"type": _SIMPLE_TAG_TYPES[name], "offset": offset, "length": length})
        elif name == "a":
            url = open_tag.argument or "".join(out)[-length:]
            link = _check_link(url)
            if link is not None:
                entities.append(_link_entity(link, offset, length))
        elif name == "code":
            entities.append({"type": "code", "offset": offset, "length": length})
            if open_tag.argument:
                entities[-1]["language"] = open_tag.argument
        elif name == "pre":
            entity: dict[str, Any] = {"type": "pre", "offset": offset, "length": length}
            last = entities[-1] if entities else None
            same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
            if last is not None and same_span and last["type"] == "code":
                entities.pop()  # <pre><code class="language-x">: one pre entity
                if "language" in last:
                    entity["language"] = last["language"]
            entities.append(entity)
        elif name == "blockquote":
            kind = "expandable_blockquote" if open_tag.expandable else "blockquote"
            entities.append({"type": kind, "offset": offset, "length": length})
        elif name == "tg-emoji":
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": open_tag.argument,
                }
            )
    if stack:
        raise BadRequest(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].name}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


_STRIPPED_CHARS = " \t\r\n\v\f\u00a0\u200b\u200c\u200d\u2060\ufeff\u2800\u3164"


def _strip_text(parsed: ParsedText) -> ParsedText:
    """Strip leading/trailing blank characters like Telegram, keeping entities aligned."""
    text = parsed.text
    stripped = text.strip(_STRIPPED_CHARS)
    if stripped == text:
        return parsed
    head = utf16_len(text[: len(text) - len(text.lstrip(_STRIPPED_CHARS))])
    total = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)


def parse_formatted_text(
    text: str | None,
    parse_mode: str | None,
    *,
    entities: list[dict[str, Any]] | None = None,
    max_length: int = MAX_MESSAGE_LENGTH,
    is_caption: bool = False,
    strict_html: bool = True,
) -> ParsedText:
    """Parse and validate a message text or caption as Telegram does for ``sendMessage``."""
    text = "" if text is None else str(text)
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        parsed = parse_telegram_html(text, strict=strict_html)
    elif mode in ("markdown", "markdownv2"):
        raise BadRequest(
            f"FakeBotAPI does not implement parse_mode {parse_mode!r} yet (the project uses HTML); "
            "extend tests/fakebotapi.py before relying on it"
        )
    elif mode:
        raise BadRequest("unsupported parse_mode")
    else:
        parsed = ParsedText(text, list(entities or []))
    parsed = _strip_text(parsed)
    if not is_caption and not parsed.text:
        raise BadRequest("message text is empty")
    if len(parsed.text) > max_length:
        raise BadRequest("message caption is too long" if is_caption else "message is too long")
    return parsed


def validate_telegram_html(
    text: str, *, max_length: int = MAX_MESSAGE_LENGTH, strict: bool = True
) -> str:
    """Validate an HTML message text like Telegram's ``sendMessage(parse_mode="HTML")``.

    Returns the plain text the user would see (tags removed, entities decoded, stripped) or
    raises :class:`BadRequest` whose ``description`` is Telegram's, e.g.
    ``Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 0``,
    ``Bad Request: message text is empty`` or ``Bad Request: message is too long``.
    The length limit counts the characters of the parsed text.
    """
    return parse_formatted_text(text, "HTML", max_length=max_length, strict_html=strict).text


# --------------------------------------------------------------------------------------------
# Reply markup
# --------------------------------------------------------------------------------------------

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_BUTTON_URL_SCHEMES = frozenset({"http", "https", "tg"})


def _button_error(message: str) -> BadRequest:
    return BadRequest(f"can't parse inline keyboard button: {message}")


def _valid_button_url(url: Any) -> bool:
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme.lower() not in _BUTTON_URL_SCHEMES:
        return False
    return parts.scheme.lower() == "tg" or bool(parts.netloc)


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton should be an Object")
    if "text" not in button:
        raise _button_error('Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise _button_error('Field "text" must be of type String')
    if not button["text"].strip():
        raise BadRequest("BUTTON_TEXT_INVALID")
    actions = [name for name in _INLINE_BUTTON_ACTIONS if name in button]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise BadRequest("BUTTON_TYPE_INVALID")
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str) or not 1 <= len(value.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise BadRequest("BUTTON_DATA_INVALID")
    elif action == "url":
        if not _valid_button_url(value):
            raise BadRequest("BUTTON_URL_INVALID")
    elif action in ("web_app", "login_url"):
        if not isinstance(value, dict) or not _valid_button_url(value.get("url")):
            raise BadRequest("BUTTON_URL_INVALID")
    elif action in ("switch_inline_query", "switch_inline_query_current_chat", "copy_text"):
        if action == "copy_text":
            value = value.get("text") if isinstance(value, dict) else None
        if not isinstance(value, str):
            raise _button_error(f'Field "{action}" must be of type String')


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate a ``reply_markup`` object like Telegram; returns it (``None`` if absent).

    Inline keyboards: every button needs a non-empty ``text`` and exactly one action;
    ``callback_data`` must be 1-64 *bytes* of UTF-8 and ``url`` http(s)/tg. Reply keyboards,
    ``remove_keyboard`` and ``force_reply`` are accepted.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BadRequest("object expected as reply markup")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise BadRequest(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise BadRequest(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text.strip():
                    raise BadRequest(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    return markup


def _inline_keyboard(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup and "inline_keyboard" in markup else None


def _callback_datas(markup: dict[str, Any] | None) -> list[str]:
    keyboard = _inline_keyboard(markup)
    if keyboard is None:
        return []
    return [
        button["callback_data"]
        for row in keyboard["inline_keyboard"]
        for button in row
        if "callback_data" in button
    ]


# --------------------------------------------------------------------------------------------
# Request parameters
# --------------------------------------------------------------------------------------------

# Values that are JSON-serialized objects in the Bot API (PTB sends them as JSON strings).
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
        "link_preview_options", "reply_parameters", "media", "results", "options", "permissions",
        "menu_button", "rights", "reaction", "message_ids",
    }
)  # fmt: skip
# Values that must stay strings even if they look like numbers or booleans.
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url",
        "secret_token", "ip_address", "action", "language_code", "name", "description",
        "short_description", "file_id", "emoji", "business_connection_id", "message_effect_id",
        "document", "photo", "audio", "video", "voice", "sticker", "animation", "thumbnail",
        "title", "query", "switch_pm_text", "address",
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


# --------------------------------------------------------------------------------------------
# Fake users, files, helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user talking to the bot. Their private chat id equals their user id."""

    id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def chat_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data


@dataclass
class _ChatState:
    chat: dict[str, Any]
    next_message_id: int = 1
    bot_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # snapshots, in send order
    cursor: int = 0  # how much of outbox wait_for() has handed out
    edits_seen: dict[int, int] = field(default_factory=dict)

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Injection:
    status: int | None  # None: drop the connection
    description: str | None
    retry_after: int | None
    remaining: int


@dataclass
class _Poller:
    request: web.Request
    terminated: bool = False

    def client_gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


class _Signal:
    """Wakes every waiter on each ``fire()``; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass


class _RateLimiter:
    """Sliding-window limit of ``rate`` events per second, per key.

    The window is ``max(1 s, 1/rate)`` and holds ``max(1, floor(rate * window))`` events, so
    ``rate=30`` allows 30 in any second and ``rate=1/3`` allows one every 3 seconds.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.window = max(1.0, 1.0 / rate)
        self.capacity = max(1, math.floor(rate * self.window))
        self._events: defaultdict[Any, deque[float]] = defaultdict(deque)

    def retry_after(self, key: Any, now: float) -> int | None:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) < self.capacity:
            return None
        return max(1, math.ceil(events[0] + self.window - now))

    def record(self, key: Any, now: float) -> None:
        self._events[key].append(now)


class _ClientGone(Exception):
    """The client closed the connection; there is nobody to answer."""


_CURRENT_REQUEST: contextvars.ContextVar[web.Request] = contextvars.ContextVar("request")


def _chat_id_of(chat: int | FakeUser) -> int:
    return chat.id if isinstance(chat, FakeUser) else int(chat)


_BOT_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def _detect_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram's server adds to a user's message."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _BOT_COMMAND_RE.finditer(text)
    ]


def _summary(message: dict[str, Any]) -> str:
    if message.get("document"):
        return f"#{message['message_id']} document {message['document'].get('file_name')!r}"
    text = message.get("text") or ""
    short = text if len(text) <= 80 else text[:77] + "..."
    return f"#{message['message_id']} {short!r}"


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_Handler = Callable[[Any, dict[str, Any], dict[str, UploadedFile]], Awaitable[Any]]
_F = TypeVar("_F", bound=_Handler)
_API_METHODS: dict[str, tuple[str, str]] = {}  # lower-case name -> (canonical name, attribute)


def api_method(name: str) -> Callable[[_F], _F]:
    """Register a ``FakeBotAPI`` coroutine method as the handler of Bot API method ``name``."""

    def register(func: _F) -> _F:
        _API_METHODS[name.lower()] = (name, func.__name__)
        return func

    return register


_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
_COMMAND_SCOPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
        "chat_administrators", "chat_member",
    }
)  # fmt: skip
_DEFAULT_RATE_LIMITED = frozenset(
    {
        "sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendVoice",
        "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendMediaGroup",
        "copyMessage", "forwardMessage",
    }
)  # fmt: skip
_DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


class FakeBotAPI:
    """Fake Telegram Bot API server. Use as ``async with FakeBotAPI() as api: ...``.

    Args:
        token: if given, requests with another token get 401 ``Unauthorized``.
        bot_id: the bot's user id; by default the numeric prefix of the token.
        global_rate / per_chat_rate: flood control in messages per second (off when ``None``).
        rate_limited_methods: which methods count as messages (default: the send methods).
        strict_html: see :func:`parse_telegram_html`.
    """

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
        self.webhook_url = ""
        self.blocked: set[int] = set()

        self._chats: dict[int, _ChatState] = {}
        self._known_chats: set[int] = set()
        self._pending: list[dict[str, Any]] = []
        self._updates: dict[int, dict[str, Any]] = {}
        self._allowed_updates: list[str] | None = None
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._open_queries: dict[str, dict[str, Any]] = {}
        self._pollers: list[_Poller] = []
        self._injections: dict[str, deque[_Injection]] = defaultdict(deque)
        self._changed = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        if self._url is None:
            raise RuntimeError("FakeBotAPI is not running; use `async with FakeBotAPI() as api`")
        return self._url

    async def start(self) -> None:
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file_request)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        # handler_cancellation: a long poll whose client went away is cancelled at once.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        self._changed.fire()  # pending getUpdates answer [] right away
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._url = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- configuration hooks --------------------------------------------------------------

    def block(self, chat_id: int | FakeUser) -> None:
        """The user blocks the bot (or the bot is kicked from a group): sends answer 403."""
        self.blocked.add(_chat_id_of(chat_id))

    def unblock(self, chat_id: int | FakeUser) -> None:
        self.blocked.discard(_chat_id_of(chat_id))

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead of handling them.

        Defaults: 429 ``Too Many Requests: retry after N`` when ``retry_after`` is given,
        otherwise 502 with an nginx-like HTML body (what Telegram answers when it is down).
        Injected answers are recorded in ``api.errors`` (and 429s in ``too_many_requests``).
        """
        if status is None:
            status = 429 if retry_after is not None else 502
        self._injections[method.lower()].append(_Injection(status, description, retry_after, times))

    def drop_connection_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``.

        The client sees a network error; ``api.errors`` records it with ``error_code`` 0.
        """
        self._injections[method.lower()].append(_Injection(None, None, None, times))

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

    def requests_for(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method`` (case-insensitive)."""
        return [params for name, params in self.requests if name.lower() == method.lower()]

    # ---- internals: state -----------------------------------------------------------------

    def _chat(self, chat_id: int) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = _ChatState(chat={"id": chat_id, "type": "private"})
        return state

    def _register_user(self, user: FakeUser) -> None:
        if self.users.get(user.id) != user:
            self.user(
                user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            )

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id or 123456789,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

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

    def _errors_for(self, chat_id: int) -> list[str]:
        return [
            f"{e['method']}: {e['description']}"
            for e in self.errors
            if str(e["params"].get("chat_id")) == str(chat_id)
        ]

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self._changed.wait(remaining)
        return True

    # ---- internals: HTTP ------------------------------------------------------------------

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _handle_file_request(self, request: web.Request) -> web.StreamResponse:
        path = unquote(request.match_info["path"])
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.content, content_type=stored.mime_type or "application/octet-stream"
                )
        return await self._handle_not_found(request)

    async def _handle_bot_request(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        canonical, attribute = _API_METHODS.get(raw_method.lower(), (raw_method, None))
        params: dict[str, Any] = {}
        _CURRENT_REQUEST.set(request)
        try:
            params, files, decode_error = await _read_params(request)
            self.requests.append((canonical, {**params, **files}))
            if decode_error is not None:
                raise decode_error
            if self.token is not None and token != self.token:
                raise TelegramAPIError(401, "Unauthorized")
            if self.bot_id is None and (prefix := token.split(":", 1)[0]).isdigit():
                self.bot_id = int(prefix)
            if (injected := self._take_injection(canonical)) is not None:
                if injected.status is None:
                    return await self._drop_connection(request, canonical, params)
                return self._injected_response(injected, canonical, params)
            if attribute is None:
                raise TelegramAPIError(404, "Not Found")
            handler: Callable[..., Awaitable[Any]] = getattr(self, attribute)
            result = await handler(params, files)
        except TelegramAPIError as exc:
            return self._error_response(exc, canonical, params)
        except _ClientGone:
            return web.Response(status=499)
        except Exception as exc:  # a bug in the fake itself: make it loud
            self.server_exceptions.append(exc)
            error = TelegramAPIError(500, f"Internal Server Error: FakeBotAPI crashed: {exc!r}")
            return self._error_response(error, canonical, params)
        finally:
            self._changed.fire()
        return web.json_response({"ok": True, "result": result})

    def _error_response(
        self, error: TelegramAPIError, method: str, params: dict[str, Any]
    ) -> web.Response:
        self._record_error(method, params, error.error_code, error.description)
        return web.json_response(error.to_json(), status=error.error_code)

    def _record_error(
        self, method: str, params: dict[str, Any], error_code: int, description: str
    ) -> None:
        if error_code == 429:
            self.too_many_requests += 1
        self.errors.append(
            {
                "method": method,
                "error_code": error_code,
                "description": description,
                "params": params,
            }
        )

    def _take_injection(self, method: str) -> _Injection | None:
        queue = self._injections.get(method.lower())
        if not queue:
            return None
        injection = queue[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            queue.popleft()
        return injection

    def _injected_response(
        self, injection: _Injection, method: str, params: dict[str, Any]
    ) -> web.Response:
        status = injection.status or 502
        if injection.retry_after is not None:
            error = TooManyRequests(injection.retry_after)
            if injection.description:
                error.description = injection.description
            error.error_code = status
            return self._error_response(error, method, params)
        if status >= 500 and injection.description is None:
            text = f"{status} Bad Gateway" if status == 502 else f"{status} Server Error"
            self._record_error(method, params, status, text)
            return web.Response(
                status=status,
                text=f"<html><head><title>{text}</title></head><body>{text}</body></html>",
                content_type="text/html",
            )
        description = injection.description or {
            400: "Bad Request: injected error",
            401: "Unauthorized",
            403: "Forbidden: injected error",
            404: "Not Found",
            409: "Conflict: injected error",
        }.get(status, f"Error {status}")
        return self._error_response(TelegramAPIError(status, description), method, params)

    async def _drop_connection(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> web.StreamResponse:
        self._record_error(
            method, params, 0, "connection dropped by FakeBotAPI.drop_connection_next"
        )
        if request.transport is not None:
            request.transport.abort()
        # Nothing can be sent any more; aiohttp discards this response.
        return web.Response(status=499)

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

    def _check_rate_limit(self, method: str, chat_id: int) -> None:
        if method.lower() not in self._rate_limited:
            return
        now = time.monotonic()
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

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise BadRequest("MESSAGE_ID_INVALID")
        chat_id = self._require_chat(params)
        self._check_blocked(chat_id)
        state = self._chat(chat_id)
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise BadRequest("message identifier is not specified") from None
        message = state.bot_messages.get(message_id)
        if message is None or message["deleted"]:
            if message_id in state.user_messages:
                raise BadRequest("message can't be edited")
            raise BadRequest("message to edit not found")
        return message

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

    # ---- Bot API methods ------------------------------------------------------------------

    @api_method("getMe")
    async def _get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @api_method("logOut")
    async def _log_out(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return True

    @api_method("close")
    async def _close(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return True

    @api_method("setWebhook")
    async def _set_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        # Updates are not delivered to webhooks (yet); this only mimics the getUpdates conflict.
        url = str(params.get("url", ""))
        if url and urlsplit(url).scheme != "https":
            raise BadRequest("bad webhook: HTTPS url must be provided for webhook")
        self.webhook_url = url
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    @api_method("deleteWebhook")
    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    @api_method("getWebhookInfo")
    async def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    @api_method("getUpdates")
    async def _get_updates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if self.webhook_url:
            raise Conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None

        # Confirm updates (offset > 0) or keep only the last -offset ones (offset < 0).
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

        # A new poll terminates a pending one, as in Telegram. A poll whose client has already
        # gone (PTB cancels its poll on shutdown) is just dropped.
        request = _CURRENT_REQUEST.get()
        for other in self._pollers:
            other.terminated = True
        self._changed.fire()
        poller = _Poller(request)
        self._pollers.append(poller)
        try:
            await self._wait_until(
                lambda: bool(self._select_updates(limit)) or self._closing or poller.terminated,
                timeout,
            )
        finally:
            self._pollers.remove(poller)
        if poller.terminated and not self._closing:
            if poller.client_gone():
                raise _ClientGone  # nobody to answer; not an error worth recording
            raise Conflict(
                "terminated by other getUpdates request; make sure that only one bot instance "
                "is running"
            )
        return copy.deepcopy(self._select_updates(limit))

    def _select_updates(self, limit: int) -> list[dict[str, Any]]:
        selected = []
        for update in self._pending:
            kind = next(key for key in update if key != "update_id")
            if self._allowed_updates is None:
                allowed = kind not in _DEFAULT_ALLOWED_UPDATES_EXCLUDED
            else:
                allowed = kind in self._allowed_updates
            if allowed:
                selected.append(update)
                if len(selected) >= limit:
                    break
        return selected

    @api_method("sendMessage")
    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat_id = self._require_chat(params)
        parsed = parse_formatted_text(
            params.get("text"),
            params.get("parse_mode"),
            entities=params.get("entities"),
            strict_html=self.strict_html,
        )
        markup, reply_to = self._admit_send("sendMessage", chat_id, params)
        message = self._store_bot_message(
            "sendMessage",
            chat_id,
            params,
            text=parsed.text,
            raw_text=str(params.get("text")),
            parse_mode=params.get("parse_mode"),
            entities=parsed.entities,
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
        caption = None
        if params.get("caption") is not None:
            caption = parse_formatted_text(
                params.get("caption"),
                params.get("parse_mode"),
                entities=params.get("caption_entities"),
                max_length=MAX_CAPTION_LENGTH,
                is_caption=True,
                strict_html=self.strict_html,
            )
        markup, reply_to = self._admit_send("sendDocument", chat_id, params)
        message = self._store_bot_message(
            "sendDocument",
            chat_id,
            params,
            document={**document.info(), "content": document.content},
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self._message_json(message)

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

    @api_method("editMessageText")
    async def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        message = self._edit_target(params)
        if message["text"] is None:
            raise BadRequest("there is no text in the message to edit")
        parsed = parse_formatted_text(
            params.get("text"),
            params.get("parse_mode"),
            entities=params.get("entities"),
            strict_html=self.strict_html,
        )
        # Telegram removes the inline keyboard when an edit does not repeat it.
        markup = validate_reply_markup(params.get("reply_markup"))
        if (parsed.text, parsed.entities, markup) == (
            message["text"],
            message["entities"],
            _inline_keyboard(message["reply_markup"]),
        ):
            raise BadRequest(NOT_MODIFIED)
        message.update(
            text=parsed.text,
            raw_text=str(params.get("text")),
            parse_mode=params.get("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            params=params,
        )
        return self._mark_edited(message)

    @api_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        message = self._edit_target(params)
        markup = validate_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise BadRequest("inline keyboard expected")
        if markup == _inline_keyboard(message["reply_markup"]):
            raise BadRequest(NOT_MODIFIED)
        message.update(reply_markup=markup, params=params)
        return self._mark_edited(message)

    def _mark_edited(self, message: dict[str, Any]) -> dict[str, Any]:
        message["edit_date"] = int(time.time())
        message["edits"] += 1
        return self._message_json(message)

    @api_method("deleteMessage")
    async def _delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        chat_id = self._require_chat(params)
        state = self._chat(chat_id)
        message_id = int(params.get("message_id") or 0)
        bot_message = state.bot_messages.get(message_id)
        if bot_message is not None and not bot_message["deleted"]:
            bot_message["deleted"] = True
        elif message_id in state.user_messages:
            del state.user_messages[message_id]
        else:
            raise BadRequest("message to delete not found")
        return True

    @api_method("answerCallbackQuery")
    async def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        query = self._open_queries.pop(query_id, None)
        if query is None:
            raise BadRequest(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            self._open_queries[query_id] = query
            raise BadRequest("MESSAGE_TOO_LONG")
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": bool(params.get("show_alert", False)),
                "url": params.get("url"),
                "cache_time": params.get("cache_time"),
                **query,
            }
        )
        return True

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

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise BadRequest("can't parse BotCommandScope JSON object")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise BadRequest("invalid language code specified")
        return str(scope["type"]), language

    @api_method("setMyCommands")
    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BadRequest("can't parse commands JSON object")
        if len(commands) > 100:
            raise BadRequest("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise BadRequest("can't parse BotCommand JSON object")
            name = command.get("command")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise BadRequest("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    @api_method("getMyCommands")
    async def _get_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    @api_method("deleteMyCommands")
    async def _delete_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    @api_method("setMyDescription")
    async def _set_my_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return self._set_bot_setting("description", params, 512)

    @api_method("setMyShortDescription")
    async def _set_my_short_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> Any:
        return self._set_bot_setting("short_description", params, 120)

    def _set_bot_setting(self, name: str, params: dict[str, Any], max_length: int) -> bool:
        value = str(params.get(name) or "")
        if len(value) > max_length:
            raise BadRequest(f"{name.replace('_', ' ')} is too long")
        self.bot_settings[(name, str(params.get("language_code") or ""))] = value
        return True

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
