"""Inline mode on Telegram: "@bot сталкинг" in any chat offers topic cards (the core's
`Sharing`), and a card a user sends is counted, without who sent it.

Telegram delivers inline queries only once inline mode is on (@BotFather: /setinline), and
the results users choose only with inline feedback on (/setinlinefeedback).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, ChosenInlineResultHandler, ContextTypes, InlineQueryHandler

from bot.conversation.sharing import (
    CACHE_SECONDS,
    OPEN_PARAMETER,
    Card,
    Offer,
    Sharing,
    chosen,
    most_asked,
)
from bot.i18n import set_locale
from bot.storage.interface import Storage
from bot.storage.stats import StatsBuffer
from bot.telegram.handlers.citizens import NO_PREVIEW, Handlers


def result(card: Card) -> InlineQueryResultArticle:
    """Return a card as an article: its short answer, with a button to the whole topic."""
    content = InputTextMessageContent(
        card.html, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
    )
    link = InlineKeyboardMarkup([[InlineKeyboardButton(card.open_label, url=card.link)]])
    return InlineQueryResultArticle(
        card.result_id, card.title, content, reply_markup=link, description=card.description
    )


def results_button(offer: Offer) -> InlineQueryResultsButton | None:
    """Return the button above the results that opens the bot, when no card fits."""
    if offer.open_label is None:
        return None
    return InlineQueryResultsButton(offer.open_label, start_parameter=OPEN_PARAMETER)


@dataclass
class Inline:
    """Inline queries and chosen results, over the core's `Sharing`."""

    sharing: Sharing
    storage: Storage
    stats: StatsBuffer

    async def query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer "@bot <query>" with cards in the user's language (never logged: user text)."""
        inline, user = update.inline_query, update.effective_user
        if inline is None or user is None:
            return
        # Read only: typing the bot's name in some chat creates no user row.
        known = await self.storage.get_user(user.id)
        stored = known.lang if known else None
        lang = self.sharing.language(inline.query, stored=stored, hint=user.language_code)
        set_locale(lang)
        popular: list[str] = []
        if not inline.query.strip():
            popular = await most_asked(self.storage, today=self.sharing.clock().date())
        username = context.bot.username
        offer = self.sharing.offer(inline.query, lang, username=username, popular=popular)
        await inline.answer(
            [result(card) for card in offer.cards],
            cache_time=CACHE_SECONDS,
            is_personal=False,
            button=results_button(offer),
        )

    async def chosen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Count a card sent to a chat, by topic and language only."""
        sent = update.chosen_inline_result
        found = chosen(sent.result_id) if sent else None
        if found is not None and self.sharing.library.kb.get(*found):
            self.stats.shared(*found)


def register_inline(app: Application, handlers: Handlers) -> None:
    """Add the inline-mode handlers, over the citizens' storage and statistics."""
    sharing = Sharing(handlers.assistant.library, clock=handlers.assistant.clock)
    inline = Inline(sharing, handlers.storage, handlers.stats)
    app.add_handler(InlineQueryHandler(inline.query))
    app.add_handler(ChosenInlineResultHandler(inline.chosen))
