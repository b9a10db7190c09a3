"""The delivery worker's `Sender` over the Bot API: Telegram's errors mapped onto the core's."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.broadcasting.sender import Blocked, PermanentError, RetryLater, TransientError

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked to wait, whichever type PTB hands out."""
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Send one broadcast message as HTML, without link previews (as the preview shows it)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, html: str) -> None:
        try:
            await self.bot.send_message(
                chat_id, html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc)) from exc
        except Forbidden as exc:  # blocked, deactivated, or never started the bot
            raise Blocked(exc.message) from exc
        except (BadRequest, ChatMigrated) as exc:  # BadRequest is a NetworkError: check first
            raise PermanentError(exc.message) from exc
        except (NetworkError, TelegramError) as exc:  # TimedOut included; 5xx answers too
            raise TransientError(exc.message) from exc
