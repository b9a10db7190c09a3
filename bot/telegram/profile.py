"""The bot's profile in Telegram: its description (in an empty chat, before Start) and short
description (its profile page, links to it), in Russian, in Kazakh and by default (Russian,
like the command menu), set at every start from the translations; and its username."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application

from bot.config import Config
from bot.conversation.pages import bot_description, bot_short_description
from bot.i18n import DEFAULT_LANG, LANGS

log = logging.getLogger(__name__)


async def register_descriptions(app: Application) -> None:
    """Set the description and short description per language (ru, kk) and a default.

    A refusal is logged, not raised: the bot answers without a description too.
    """
    config: Config = app.bot_data["config"]
    for code in (None, *LANGS):
        lang = code or DEFAULT_LANG
        try:
            await app.bot.set_my_description(
                bot_description(lang, operator=config.operator[lang]), language_code=code
            )
            await app.bot.set_my_short_description(bot_short_description(lang), language_code=code)
        except TelegramError as exc:
            log.warning("could not set the bot's description (%s): %s", code or "default", exc)


async def ask_username(config: Config) -> str:
    """Ask Telegram for the bot's @username (getMe), for tools that run without the bot."""
    async with Bot(
        config.token, base_url=f"{config.api_url}/bot", base_file_url=f"{config.api_url}/file/bot"
    ) as bot:  # entering initializes the Bot, which calls getMe
        return bot.username
