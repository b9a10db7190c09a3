"""``reply_markup``: validation like Telegram's, and reading the inline keyboard back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import MAX_CALLBACK_DATA_BYTES, BadRequest

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
        for row in _rows(markup, "inline_keyboard", "InlineKeyboardMarkup"):
            for button in row:
                _validate_inline_button(button)
    elif "keyboard" in markup:
        for row in _rows(markup, "keyboard", "ReplyKeyboardMarkup"):
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text.strip():
                    raise BadRequest(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    return markup


def _rows(markup: dict[str, Any], field: str, kind: str) -> list[list[Any]]:
    """Return a keyboard's rows of buttons; Telegram's error unless they are an Array of Arrays."""
    rows = markup[field]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadRequest(f'field "{field}" of the {kind} should be an Array of Arrays')
    return rows


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
