"""What the delivery worker needs from a channel: a `Sender`, and the errors it may raise.

The Telegram adapter (``bot.telegram.sender``) maps the Bot API's errors onto these, so the
core decides about retries, pauses and blocked users without knowing Telegram.
"""

from __future__ import annotations

from typing import Protocol


class Sender(Protocol):
    async def send(self, chat_id: int, html: str) -> None:
        """Send one HTML message, or raise one of the delivery errors below."""


class DeliveryError(Exception):
    """Why a message was not delivered."""


class RetryLater(DeliveryError):
    """Flood control: nothing may be sent for `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = float(retry_after)


class Blocked(DeliveryError):
    """The user blocked the bot (or deleted their account)."""


class TransientError(DeliveryError):
    """A network problem or server error: the same message may succeed later."""


class PermanentError(DeliveryError):
    """Telegram rejected the message itself: sending it again cannot help."""
