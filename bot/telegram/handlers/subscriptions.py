"""Telegram handlers for what citizens receive: subscriptions and hearing calendar files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.conversation.calendar import file_name, hearing_ics
from bot.conversation.subscriptions import OFF, subscriptions_page, unsubscribed_page
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.storage.interface import SUBSCRIPTION_TOPICS, Storage
from bot.telegram.handlers.citizens import edit, send

Clock = Callable[[], datetime]


class Subscriptions:
    """/subscribe, /unsubscribe, the toggle buttons, and the "Add to calendar" button."""

    def __init__(
        self,
        storage: Storage,
        library: Library,
        lang: Callable[[Update], Awaitable[str]],
        clock: Clock | None = None,
    ) -> None:
        self.storage = storage
        self.library = library
        self._lang = lang  # the bot's own resolution (Handlers.lang): one rule, one cache
        self.clock = clock or (lambda: datetime.now(UTC))

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        lang = await self._lang(update)
        topics = await self.storage.subscriptions(user.id)
        await send(message, subscriptions_page(lang, topics))

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        lang = await self._lang(update)
        await self.storage.unsubscribe(user.id)
        await send(message, unsubscribed_page(lang))

    async def subscribe_menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The menu's "Subscriptions" button: turn the menu message into the subscriptions."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        lang = await self._lang(update)
        await query.answer()
        if isinstance(query.message, Message):
            topics = await self.storage.subscriptions(user.id)
            await edit(query.message, subscriptions_page(lang, topics))

    async def toggle(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Switch one topic on or off (or all off) and redraw the same message."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        lang = await self._lang(update)
        _kind, _sep, topic = (query.data or "").partition(":")
        topics = await self.storage.subscriptions(user.id)
        if topic == OFF:
            await self.storage.unsubscribe(user.id)
        elif topic in topics:
            await self.storage.unsubscribe(user.id, topic)
        elif topic in SUBSCRIPTION_TOPICS:
            await self.storage.subscribe(user.id, topic)
        await query.answer()
        if isinstance(query.message, Message):
            reply = subscriptions_page(lang, await self.storage.subscriptions(user.id))
            await edit(query.message, reply)

    async def calendar(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send a hearing as an .ics file in the user's language."""
        query = update.callback_query
        if query is None:
            return
        lang = await self._lang(update)
        topic_id = (query.data or "").partition(":")[2]
        kb = self.library.kb
        topic = kb.get(topic_id, lang) or kb.get(topic_id, "kk" if lang == "ru" else "ru")
        if topic is None or topic.hearing is None or not isinstance(query.message, Message):
            with use_locale(lang):
                await query.answer(_("This hearing is no longer in the list."))
            return
        await query.answer()
        data = hearing_ics(topic, now=self.clock())
        await query.message.reply_document(data, filename=file_name(topic), caption=topic.title)


def register_subscriptions(
    app: Application,
    storage: Storage,
    library: Library,
    *,
    lang: Callable[[Update], Awaitable[str]],
    clock: Clock | None = None,
) -> Subscriptions:
    """Add the handlers; call before the catch-all handlers so that these match first."""
    handlers = Subscriptions(storage, library, lang, clock)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("subscribe", handlers.subscribe, filters=private))
    app.add_handler(CommandHandler("unsubscribe", handlers.unsubscribe, filters=private))
    app.add_handler(CallbackQueryHandler(handlers.toggle, pattern=r"^sub:[a-z]+$"))
    app.add_handler(CallbackQueryHandler(handlers.subscribe_menu, pattern=r"^subs$"))
    app.add_handler(CallbackQueryHandler(handlers.calendar, pattern=r"^ics:[a-z0-9-]+$"))
    return handlers
