"""The send budget on python-telegram-bot's rate-limiter interface: every request of the bot's
own `Bot` (replies, menus, edits, callback answers, the composer's messages) is paced by the
one `SendBudget` the delivery worker also draws on, and a 429 is waited out and retried.

Replies are urgent: they take the next free slot, and announcements take what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.broadcasting.limits import SendBudget
from bot.telegram.sender import retry_seconds

log = logging.getLogger(__name__)

# Messages that appear in a chat: paced by the chat's limit and the overall one.
IN_CHAT = frozenset(
    {
        "sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendVoice",
        "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendMediaGroup",
        "copyMessage", "forwardMessage", "editMessageText", "editMessageReplyMarkup",
    }
)  # fmt: skip
# Requests that count towards the overall limit only.
OVERALL = frozenset({"answerCallbackQuery", "deleteMessage", "sendChatAction"})


def _chat_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None  # an inline message, or a channel's @username


class BudgetRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """Pace the bot's requests by the shared budget; retry a 429 up to `max_retries` times."""

    def __init__(self, budget: SendBudget, *, max_retries: int = 3) -> None:
        self.budget = budget
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the budget lives as long as the application."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[Any] | None]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[Any] | None:
        """Wait for the request's slot, send it, and wait out and retry a 429."""
        chat_id = _chat_id(data) if endpoint in IN_CHAT else None
        paced = endpoint in IN_CHAT or endpoint in OVERALL
        attempt = 0
        while True:
            if paced:
                await self.budget.acquire(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                self.budget.pause(seconds)  # nothing else goes out meanwhile
                attempt += 1
                if attempt > self.max_retries:
                    log.warning(
                        "%s to chat %s: still refused (429) after %d retries; given up",
                        endpoint, chat_id, self.max_retries,
                    )  # fmt: skip
                    raise
                log.info("%s: Telegram asked to wait %.1f s; retrying", endpoint, seconds)
                if not paced:
                    await self.budget.sleep(seconds)
