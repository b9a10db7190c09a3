"""Logging for `zanbot run`: one handler on the root logger, and nothing private in any record.

At DEBUG python-telegram-bot logs whole updates, with the text users typed; people in a panic
type card numbers, SMS codes, IINs and phone numbers. The filter redacts every record that
reaches the handler, whichever library wrote it, message and traceback alike, and the bot's
token, which httpx's request lines carry.
"""

from __future__ import annotations

import logging
from typing import TextIO

from bot.privacy import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def configure_logging(
    level: str, *, secrets: tuple[str, ...] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send every record at `level` and above to one redacting handler (stderr by default);
    `secrets` (the bot's token) never appear in it either."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs a line per request at INFO: noise, unless one is debugging.
    if root.level > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
