"""Telegram's error answers as exceptions, and the limits and error texts the fake enforces.

A handler raises one of these; the server turns it into ``{"ok": false, "error_code": ...,
"description": ...}`` with the same HTTP status, as Telegram does.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


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
