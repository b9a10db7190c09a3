"""Telegram handlers: parse the update, call the core, send the reply. Nothing else."""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.conversation import pages
from bot.conversation.assistant import Assistant, Button, Reply
from bot.i18n import resolve_locale, set_locale
from bot.matching.language import LANGS
from bot.storage.interface import Storage
from bot.storage.stats import StatsBuffer
from bot.telegram.flood import FloodGuard, Verdict

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NO_PREVIEW_JSON = json.dumps(NO_PREVIEW.to_dict())


@functools.lru_cache(maxsize=4096)
def markup_json(buttons: tuple[tuple[Button, ...], ...]) -> str | None:
    """Return the inline keyboard as the Bot API's JSON, built once per set of buttons.

    Answers repeat the same few keyboards, and building InlineKeyboardMarkup objects and
    serialising them through to_dict() cost python-telegram-bot more than the rest of a send.
    The Bot API takes reply_markup as a JSON string anyway.
    """
    if not buttons:
        return None
    rows = [[{"text": b.text, "callback_data": b.data} for b in row] for row in buttons]
    return json.dumps({"inline_keyboard": rows}, ensure_ascii=False)


def _extra(reply: Reply | None) -> dict[str, str]:
    """Return the reply's keyboard and "no link preview" as ready-made API parameters."""
    extra = {"link_preview_options": NO_PREVIEW_JSON}
    markup = markup_json(reply.buttons) if reply else None
    if markup:
        extra["reply_markup"] = markup
    return extra


async def send(message: Message, reply: Reply) -> None:
    """Send a reply as one or more HTML messages; the buttons go under the last one."""
    parts = reply.parts
    bot = message.get_bot()
    for i, part in enumerate(parts):
        extra = _extra(reply if i == len(parts) - 1 else None)
        await bot.send_message(message.chat_id, part, parse_mode=ParseMode.HTML, api_kwargs=extra)


async def edit(message: Message, reply: Reply) -> None:
    """Replace a menu message in place (menus are short: one part)."""
    try:
        await message.edit_text(reply.parts[0], parse_mode=ParseMode.HTML, api_kwargs=_extra(reply))
    except BadRequest as exc:
        # Pressing the same menu button twice edits to identical content: nothing to do.
        if "not modified" not in str(exc):
            raise


USER_CACHE_SECONDS = 60.0  # how stale "last seen" may be; saves a write per message


@dataclass
class Handlers:
    """The bot's handlers, sharing the core services."""

    assistant: Assistant
    storage: Storage
    flood: FloodGuard
    stats: StatsBuffer = field(default_factory=StatsBuffer)
    # user id → (stored language choice, when the user row was last touched)
    _users: dict[int, tuple[str | None, float]] = field(default_factory=dict)

    async def lang(self, update: Update) -> str:
        """Resolve the user's language once per update and make it the current locale."""
        user = update.effective_user
        if user is None:
            set_locale("ru")
            return "ru"
        cached = self._users.get(user.id)
        now = time.monotonic()
        if cached is None or now - cached[1] > USER_CACHE_SECONDS:
            stored = await self.storage.touch_user(user.id, hint_lang=user.language_code)
            if len(self._users) > 100_000:
                self._users.clear()
            cached = self._users[user.id] = (stored.lang, now)
        lang = resolve_locale(cached[0], user.language_code)
        set_locale(lang)
        return lang

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet, open a deep-linked topic, or ask for the language."""
        message = update.effective_message
        if message is None or update.effective_user is None:
            return
        lang = await self.lang(update)
        payload = context.args[0] if context.args else ""
        if payload and self.assistant.library.kb.get(payload, lang):
            await send(message, self.assistant.topic(payload, lang))
            return
        await send(message, pages.greeting_page(lang, update.effective_user.first_name))
        await send(message, self.assistant.choose_language())

    async def language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await self.lang(update)
            await send(update.effective_message, self.assistant.choose_language())

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await send(update.effective_message, self.assistant.menu(await self.lang(update)))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await send(update.effective_message, pages.help_page(await self.lang(update)))

    async def about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await send(update.effective_message, pages.about_page(await self.lang(update)))

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_user:
            lang = await self.lang(update)
            data = await self.storage.export_user(update.effective_user.id)
            await send(update.effective_message, pages.privacy_page(lang, data))

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            lang = await self.lang(update)
            await send(update.effective_message, pages.forget_confirm_page(lang))

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a free-text question."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        # Check the flood first: a dropped message costs no database write.
        verdict = self.flood.check(user.id)
        if verdict is Verdict.DROP:
            return
        lang = await self.lang(update)
        if verdict is Verdict.WARN:
            await send(message, pages.slow_down_page(lang))
            return
        reply, match = self.assistant.ask(message.text, lang)
        if match.decision != "empty":
            self.stats.question(match.lang, topic_id=match.topic, answer_lang=reply.lang)
        if match.topic is None and match.decision != "empty":
            self.stats.not_answered(message.text, match.lang)  # redacted before it is held
        await send(message, reply)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or self.flood.check(user.id) is not Verdict.ALLOW:
            return
        await send(message, pages.unknown_command_page(await self.lang(update)))

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, locations…: say that only text is understood."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if self.flood.check(user.id) is Verdict.ALLOW:
            await send(message, pages.not_text_page(await self.lang(update)))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Act on an inline button: menus edit the message in place, topics come as new ones."""
        query = update.callback_query
        if query is None or update.effective_user is None:
            return
        lang = await self.lang(update)
        message = query.message if isinstance(query.message, Message) else None
        kind, _sep, arg = (query.data or "").partition(":")
        user_id = update.effective_user.id
        if kind == "lang" and arg in LANGS:
            await self.storage.set_language(user_id, arg)
            self._users[user_id] = (arg, time.monotonic())
            set_locale(arg)
            await query.answer()
            if message:
                await send(message, self.assistant.menu(arg))
        elif kind == "fb" and ":" in arg:
            topic_id, _sep, value = arg.rpartition(":")
            await self.storage.add_feedback(user_id, topic_id, lang, helpful=value == "1")
            await query.answer(pages.feedback_thanks(lang))
            if message and message.reply_markup:
                # Drop the 👍/👎 row so feedback is given once per answer.
                rows = [
                    row
                    for row in message.reply_markup.inline_keyboard
                    if not any(str(b.callback_data).startswith("fb:") for b in row)
                ]
                await message.edit_reply_markup(InlineKeyboardMarkup(rows))
        elif kind == "forget":
            if arg == "yes":
                await self.storage.forget_user(user_id)
                context.application.drop_user_data(user_id)  # and an unfinished draft
                self._users.pop(user_id, None)
            await query.answer()
            if message:
                await edit(message, pages.forget_done_page(lang, deleted=arg == "yes"))
        else:
            await query.answer()
            if message is None:
                return
            if kind == "t":
                topic_id, _sep, topic_lang = arg.partition(":")
                topic_lang = topic_lang if topic_lang in LANGS else lang
                await send(message, self.assistant.topic(topic_id, topic_lang))
            elif kind == "cat":
                await edit(message, self.assistant.category(arg, lang))
            else:
                await edit(message, self.assistant.menu(lang))

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the traceback and apologise to the user in their language; keep running."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            user = update.effective_user
            lang = await self.storage.language(user.id, hint=user.language_code) if user else "ru"
            reply = pages.error_page(lang)
            try:
                await context.bot.send_message(update.effective_chat.id, reply.html,
                                               parse_mode=ParseMode.HTML)  # fmt: skip
            except Exception:  # the apology must never raise in turn
                log.exception("could not send the apology")
