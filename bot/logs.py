"""Logging for `zanbot run`: one handler on the root logger, and nothing private in any record.

At DEBUG python-telegram-bot logs whole updates, with the text users typed; people in a panic
type card numbers, SMS codes, IINs and phone numbers. The filter redacts every record that
reaches the handler, whichever library wrote it, message and traceback alike, and the bot's
token, which httpx's request lines carry.

Two formats (``ZANBOT_LOG_FORMAT``): ``text``, one readable line per record, and ``json``, one
JSON object per line for a log collector (journald, Docker, Loki…)::

    {"time": "2026-11-01T09:30:00.123Z", "level": "INFO", "logger": "bot.telegram.app",
     "message": "...", "update_id": 123456}

``time`` is ISO 8601 UTC; ``update_id`` is there while one is bound (below); ``exception`` and
``stack`` carry a traceback when the record has one. The filter runs before either formatter,
so a JSON line is redacted exactly as a text line is.

The update being handled: python-telegram-bot's records do not say which update they belong
to. ``update_id`` is a context variable; the Telegram layer binds it for each update (a
``TypeHandler(Update, ...)`` in an early group calling ``bind_update_id(update.update_id)``),
and every record logged in that update's task, and in tasks it starts, carries it. asyncio
copies the context into each new task, so concurrent updates never see each other's id.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import TextIO

from bot.privacy import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")

update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "zanbot_update_id", default=None
)


def bind_update_id(value: int | None) -> contextvars.Token[int | None]:
    """Mark the records logged from here on, in this task, with the Telegram update's id.

    Returns the token for ``update_id.reset(token)``; a handler that runs first for every
    update may simply bind the next update's id over the last one.
    """
    return update_id.set(value)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return the text without users' private data and without the given secrets."""
    text = redact(text).text
    for secret in secrets:
        text = text.replace(secret, "<secret>")
    return text


class RedactingFilter(logging.Filter):
    """Replace sensitive data in a record's message and traceback before it is written."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = scrub(message, self.secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line (newlines inside are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # An explicit `extra={"update_id": ...}` wins over the bound one.
        bound = getattr(record, "update_id", None)
        if bound is None:
            bound = update_id.get()
        if bound is not None:
            entry["update_id"] = bound
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: str,
    *,
    fmt: str = "text",
    secrets: tuple[str, ...] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every record at `level` and above to one redacting handler (stderr by default),
    as text lines or JSON lines (`fmt`); `secrets` (the bot's token) never appear in it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs a line per request at INFO: noise, unless one is debugging.
    if root.level > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
