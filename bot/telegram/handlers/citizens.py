"""Citizens on Telegram: parse the update, call the core, send the reply. Nothing else."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ContextTypes

from bot.conversation import fraud, pages
from bot.conversation.assistant import Assistant, Button, Reply
from bot.conversation.buttons import Buttons
from bot.conversation.callbacks import Feedback, decode
from bot.conversation.subscriptions import subscriptions_page, unsubscribed_page
from bot.i18n import resolve_locale, set_locale
from bot.matching.matcher import Match
from bot.metrics import Metrics
from bot.storage.interface import Storage, User
from bot.storage.stats import StatsBuffer
from bot.telegram.batch import Batch
from bot.telegram.flood import FloodGuard, Verdict

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _inline_button(b: Button) -> InlineKeyboardButton:
    """Return one button: a share button opens inline mode in a chat the user picks."""
    if b.inline_query is not None:
        return InlineKeyboardButton(b.text, switch_inline_query=b.inline_query)
    return InlineKeyboardButton(b.text, callback_data=b.data)


def keyboard(reply: Reply | None) -> InlineKeyboardMarkup | None:
    """Return the reply's buttons as an inline keyboard (None when it has none)."""
    if reply is None or not reply.buttons:
        return None
    return InlineKeyboardMarkup([[_inline_button(b) for b in row] for row in reply.buttons])


async def send(message: Message, reply: Reply) -> None:
    """Send a reply as one or more HTML messages; the buttons go under the last one."""
    parts = reply.parts
    for i, part in enumerate(parts):
        markup = keyboard(reply) if i == len(parts) - 1 else None
        await message.get_bot().send_message(
            message.chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )  # fmt: skip


async def edit(message: Message, reply: Reply) -> None:
    """Replace a menu message in place (menus are short: one part)."""
    try:
        await message.edit_text(
            reply.parts[0], parse_mode=ParseMode.HTML, reply_markup=keyboard(reply),
            link_preview_options=NO_PREVIEW,
        )  # fmt: skip
    except BadRequest as exc:
        # Pressing the same menu button twice edits to identical content: nothing to do.
        if "not modified" not in str(exc):
            raise


USER_CACHE_SECONDS = 60.0  # how stale "last seen" may be; saves a write per message


@dataclass
class Handlers:
    """Citizens' commands, questions and buttons, over the core services."""

    assistant: Assistant
    storage: Storage
    flood: FloodGuard
    buttons: Buttons
    stats: StatsBuffer = field(default_factory=StatsBuffer)
    metrics: Metrics = field(default_factory=Metrics)
    # user id → (stored language choice, when the user row was last touched)
    _users: dict[int, tuple[str | None, float]] = field(default_factory=dict)
    # Users seen and questions matched together with the other handlers' at the same moment.
    touches: Batch[tuple[int, str | None], User] = field(init=False)
    questions: Batch[tuple[str, str], Match] = field(init=False)

    def __post_init__(self) -> None:
        self.touches = Batch(self.storage.touch_users)
        self.questions = Batch(self._match)

    async def _match(self, questions: list[tuple[str, str]]) -> list[Match]:
        return self.assistant.match(questions)

    async def use_user_language(self, update: Update) -> str:
        """Record the user as seen, make their language the current locale and return it."""
        user = update.effective_user
        if user is None:
            set_locale("ru")
            return "ru"
        cached = self._users.get(user.id)
        now = time.monotonic()
        if cached is None or now - cached[1] > USER_CACHE_SECONDS:
            stored = await self.touches((user.id, user.language_code))
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
        lang = await self.use_user_language(update)
        payload = context.args[0] if context.args else ""
        if payload and self.assistant.library.kb.get(payload, lang):
            await send(message, self.assistant.topic(payload, lang))
            return
        name, operator = update.effective_user.first_name, self.assistant.operator_name(lang)
        greeting = pages.greeting_page(lang, name, operator=operator)
        chooser = self.assistant.choose_language()
        # One message: a second one right after it would wait for the chat's limit (1/s).
        html = f"{greeting.html}\n\n{chooser.html}"
        await send(message, Reply(html, lang, chooser.buttons, kind="menu"))

    async def _page(self, update: Update, page: Callable[[str], Reply]) -> None:
        if update.effective_message:
            await send(update.effective_message, page(await self.use_user_language(update)))

    async def lang_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._page(update, lambda _lang: self.assistant.choose_language())

    async def menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._page(update, self.assistant.menu)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._page(update, pages.help_page)

    async def about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._page(
            update, lambda lang: pages.about_page(lang, operator=self.assistant.operator_name(lang))
        )

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._page(update, pages.forget_confirm_page)

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_user:
            lang = await self.use_user_language(update)
            data = await self.storage.export_user(update.effective_user.id)
            await send(update.effective_message, pages.privacy_page(lang, data))

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_user:
            lang = await self.use_user_language(update)
            topics = await self.storage.subscriptions(update.effective_user.id)
            await send(update.effective_message, subscriptions_page(lang, topics))

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_user:
            lang = await self.use_user_language(update)
            await self.storage.unsubscribe(update.effective_user.id)
            await send(update.effective_message, unsubscribed_page(lang))

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a free-text question."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        received = time.monotonic()
        lang = await self._admit(update, message, user.id)
        if lang is None:
            return
        if fraud.looks_pasted(message.text, self.assistant.library.snapshot.fraud):
            await self._check_fraud(message, message.text, lang)
            return
        match = await self.questions((message.text, lang))
        reply, match = self.assistant.answer(message.text, lang, match)
        self.metrics.question(match.decision, match.lang)
        if match.decision != "empty":
            self.stats.question(match.lang, topic_id=match.topic, answer_lang=reply.lang)
        if match.topic is None and match.decision != "empty":
            self.stats.not_answered(message.text, match.lang)  # redacted before it is held
        await send(message, reply)
        if match.decision != "empty":
            self.metrics.answered(time.monotonic() - received)

    async def forwarded(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A forwarded message: list the signs of fraud in it (never stored nor counted)."""
        message, user = update.effective_message, update.effective_user
        text = (message.text or message.caption) if message else None
        if message is None or user is None or not text:
            return
        lang = await self._admit(update, message, user.id)
        if lang is not None:
            await self._check_fraud(message, text, lang)

    async def _admit(self, update: Update, message: Message, user_id: int) -> str | None:
        """Apply the flood control to a message the bot would answer: return the user's
        language, or None when the message is dropped or a slow-down warning answers it."""
        # Check the flood first: a dropped message costs no database write.
        verdict = self.flood.check(user_id)
        if verdict is Verdict.DROP:
            return None
        lang = await self.use_user_language(update)
        if verdict is Verdict.WARN:
            await send(message, pages.slow_down_page(lang))
            return None
        return lang

    async def _check_fraud(self, message: Message, text: str, lang: str) -> None:
        reply = fraud.answer(self.assistant, text, lang)
        if reply is None:  # no content/fraud-signs.yaml: answer it as a question
            reply, _match = self.assistant.ask(text, lang)
        await send(message, reply)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or self.flood.check(user.id) is not Verdict.ALLOW:
            return
        await send(message, pages.unknown_command_page(await self.use_user_language(update)))

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, locations…: say that only text is understood."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if self.flood.check(user.id) is Verdict.ALLOW:
            await send(message, pages.not_text_page(await self.use_user_language(update)))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Act on a citizen's inline button through the core, then show what it gave."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        lang = await self.use_user_language(update)
        outcome = await self.buttons.press(user.id, lang, decode(query.data))
        if outcome.lang:
            self._users[user.id] = (outcome.lang, time.monotonic())
            set_locale(outcome.lang)
        if outcome.forgotten:
            context.application.drop_user_data(user.id)  # and an unfinished draft
            self._users.pop(user.id, None)
        await query.answer(outcome.notice)
        message = query.message if isinstance(query.message, Message) else None
        if message is None:
            return
        if outcome.drop_feedback and message.reply_markup:
            rows = [
                row
                for row in message.reply_markup.inline_keyboard
                if not any(isinstance(decode(str(b.callback_data)), Feedback) for b in row)
            ]
            await message.edit_reply_markup(InlineKeyboardMarkup(rows))
        if outcome.document:
            doc = outcome.document
            await message.reply_document(doc.data, filename=doc.name, caption=doc.caption)
        if outcome.reply and outcome.edit:
            await edit(message, outcome.reply)
        elif outcome.reply:
            await send(message, outcome.reply)

    async def member_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Note a user who blocked the bot (no more announcements) or unblocked it."""
        change, user = update.my_chat_member, update.effective_user
        if change is None or user is None or change.chat.type != ChatType.PRIVATE:
            return
        blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
        await self.storage.set_blocked(user.id, blocked)
        self._users.pop(user.id, None)

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the traceback and apologise to the user in their language; keep running."""
        user = update.effective_user if isinstance(update, Update) else None
        if isinstance(context.error, Forbidden):
            # The user blocked the bot: an apology would be refused too.
            log.info("user %s has blocked the bot; marked", user.id if user else "?")
            if user is not None:
                await self.storage.set_blocked(user.id, True)
            return
        if isinstance(context.error, RetryAfter):
            return  # the rate limiter has logged it; an apology now would be refused as well
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
