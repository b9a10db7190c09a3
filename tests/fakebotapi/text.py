"""Message texts and captions as Telegram takes them: the parse mode, the stripping of blank
characters and the length limits (``sendMessage``, ``editMessageText``, captions)."""

from __future__ import annotations

from typing import Any

from .errors import MAX_MESSAGE_LENGTH, BadRequest
from .html import ParsedText, parse_telegram_html, utf16_len

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
            "extend tests/fakebotapi/text.py before relying on it"
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
