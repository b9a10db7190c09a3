"""/broadcast: the steps of the guided flow in which an admin composes an announcement
(wired as a ``StoredFlow`` in ``bot.telegram.handlers.admins``: any worker takes the next step).

Russian text → Kazakh text (or one text for everyone) → audience → time → a preview exactly as
recipients will see it, with the recipient count → confirm. /cancel (or the Cancel button)
leaves at every step; no announcement exists before the confirmation. /forget at any step asks
first: "no" goes back to the same step with the draft, "yes" deletes both.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import escape
from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.broadcasting.broadcasts import AUDIENCES as TOPIC_AUDIENCES
from bot.broadcasting.broadcasts import (
    EVERYONE,
    Broadcasts,
    TextTooLong,
    parse_local_time,
    render_text,
)
from bot.config import Config
from bot.conversation.assistant import Button, Reply
from bot.conversation.callbacks import ChooseAudience, Compose, decode, encode
from bot.conversation.render import TELEGRAM_LIMIT
from bot.i18n import _, current_locale
from bot.storage.admins import Admins
from bot.storage.sql import SQLStorage
from bot.telegram.flow import END
from bot.telegram.handlers.broadcasts import describe_audience, local_time, user_lang
from bot.telegram.handlers.citizens import edit, send

RU, KK, AUDIENCE, WHEN, CONFIRM, FORGET = range(6)  # FORGET: /forget asked mid-flow
AUDIENCES = (*TOPIC_AUDIENCES, "ru", "kk")  # everyone, a topic or a language
Context = ContextTypes.DEFAULT_TYPE
Step = Callable[["Composer", Update, Context], Awaitable[int]]


@dataclass
class Draft:
    text_ru: str = ""
    text_kk: str = ""
    single_lang: str | None = None
    topic: str | None = None
    lang: str | None = None
    send_at: datetime | None = None  # None: now


def cancel_row() -> tuple[Button, ...]:
    return (Button(_("❌ Cancel"), encode(Compose("cancel"))),)


def when_rows() -> tuple[tuple[Button, ...], ...]:
    return (Button(_("Now"), encode(Compose("now"))),), cancel_row()


def in_admin_locale(step: Step) -> Step:
    """Translate a step's texts into the admin's language, and remember the step reached."""

    @functools.wraps(step)
    async def wrapped(self: Composer, update: Update, context: Context) -> int:
        await user_lang(self.storage, update)
        reached = await step(self, update, context)
        # An admin who answers "no" to /forget carries on from here (see admins.py).
        if reached == END:
            context.user_data.pop("step", None)  # type: ignore[union-attr]
        else:
            context.user_data["step"] = reached  # type: ignore[index]
        return reached

    return wrapped


async def stale_button(update: Update, context: Context) -> None:
    """A button of a step the flow has left, or of a flow that has ended: say so, remove it."""
    query = update.callback_query
    if query is None:
        return
    await user_lang(context.application.bot_data["storage"], update)
    await query.answer(_("That button is from an earlier step and no longer works."))
    if isinstance(query.message, Message) and query.message.reply_markup:
        await query.message.edit_reply_markup(None)


class Composer:
    """The steps of the flow; the draft is in the admin's user_data (stored between updates by
    the flow) until confirmed."""

    def __init__(
        self, admins: Admins, storage: SQLStorage, config: Config, clock: Callable[[], datetime]
    ) -> None:
        self.admins = admins
        self.storage = storage
        self.config = config
        self.clock = clock
        self.broadcasts = Broadcasts(storage, now=clock)

    @staticmethod
    async def _say(update: Update, text: str, *rows: tuple[Button, ...]) -> None:
        """Answer a button press by editing its message, or a message by replying."""
        reply = Reply(str(escape(text)), current_locale(), rows)
        query = update.callback_query
        if query is not None:
            await query.answer()
            if isinstance(query.message, Message):
                await edit(query.message, reply)
        elif update.effective_message is not None:
            await send(update.effective_message, reply)

    @staticmethod
    def _draft(context: Context) -> Draft:
        return context.user_data.setdefault("draft", Draft())  # type: ignore[union-attr]

    async def _text(self, update: Update) -> str | None:
        """Render the admin's Markdown; say so when it does not fit one message."""
        message = update.effective_message
        try:
            return render_text(message.text or "") if message else None
        except TextTooLong as exc:
            text = _(
                "This text is {length} characters long once formatted; one Telegram message "
                "holds {limit}. Please shorten it and send it again."
            ).format(length=exc.length, limit=TELEGRAM_LIMIT)
            await self._say(update, text, cancel_row())
            return None

    @in_admin_locale
    async def start(self, update: Update, context: Context) -> int:
        context.user_data["draft"] = Draft()  # type: ignore[index]
        text = _(
            "New announcement. Send the text in Russian. Formatting as in the knowledge base: "
            "**bold**, _italic_, [link](https://…)."
        )
        kk_only = Button(_("Write only in Kazakh"), encode(Compose("kk-only")))
        await self._say(update, text, (kk_only,), cancel_row())
        return RU

    @in_admin_locale
    async def russian(self, update: Update, context: Context) -> int:
        if (html := await self._text(update)) is None:
            return RU
        self._draft(context).text_ru = html
        single = Button(_("Send the Russian text to everyone"), encode(Compose("single")))
        await self._say(update, _("Now send the same text in Kazakh."), (single,), cancel_row())
        return KK

    @in_admin_locale
    async def kazakh_only(self, update: Update, context: Context) -> int:
        self._draft(context).single_lang = "kk"
        await self._say(update, _("Send the text in Kazakh: everyone will get it."), cancel_row())
        return KK

    @in_admin_locale
    async def kazakh(self, update: Update, context: Context) -> int:
        if (html := await self._text(update)) is None:
            return KK
        self._draft(context).text_kk = html
        return await self._ask_audience(update)

    @in_admin_locale
    async def single(self, update: Update, context: Context) -> int:
        self._draft(context).single_lang = "ru"
        return await self._ask_audience(update)

    async def _ask_audience(self, update: Update) -> int:
        labels = {
            EVERYONE: _("Everyone subscribed"),
            "fraud": _("Subscribers of fraud alerts"),
            "laws": _("Subscribers of new laws"),
            "hearings": _("Subscribers of public hearings"),
            "ru": _("Russian-speaking subscribers"),
            "kk": _("Kazakh-speaking subscribers"),
        }
        rows = [(Button(labels[key], encode(ChooseAudience(key))),) for key in AUDIENCES]
        await self._say(update, _("Who gets it?"), *rows, cancel_row())
        return AUDIENCE

    @in_admin_locale
    async def audience(self, update: Update, context: Context) -> int:
        draft = self._draft(context)
        action = decode(update.callback_query.data)  # type: ignore[union-attr]
        key = action.audience if isinstance(action, ChooseAudience) else EVERYONE
        draft.topic = key if key in ("fraud", "laws", "hearings") else None
        draft.lang = key if key in ("ru", "kk") else None
        text = _(
            "When? Tap “Now” or type the date and time as YYYY-MM-DD HH:MM ({zone} time)."
        ).format(zone=self.config.timezone)
        await self._say(update, text, *when_rows())
        return WHEN

    @in_admin_locale
    async def now(self, update: Update, context: Context) -> int:
        self._draft(context).send_at = None
        return await self._preview(update, context)

    @in_admin_locale
    async def typed_time(self, update: Update, context: Context) -> int:
        typed = update.effective_message.text if update.effective_message else ""
        try:
            moment = parse_local_time(typed or "", self.config.timezone)
        except ValueError:
            await self._say(update, _(
                "I could not read that. Type the date and time as YYYY-MM-DD HH:MM, for "
                "example 2026-04-27 10:00."
            ), *when_rows())  # fmt: skip
            return WHEN
        if moment <= self.clock():
            await self._say(update, _("That time has passed. Type a time in the future."),
                            *when_rows())  # fmt: skip
            return WHEN
        self._draft(context).send_at = moment
        return await self._preview(update, context)

    def _when(self, draft: Draft) -> str:
        return (
            _("now") if draft.send_at is None else local_time(draft.send_at, self.config.timezone)
        )

    async def _preview(self, update: Update, context: Context) -> int:
        """Show both texts exactly as they will be sent, then the summary and the buttons."""
        draft = self._draft(context)
        if update.callback_query is not None:
            await update.callback_query.answer()
        message = update.effective_message
        if message is None:
            return END
        found = await self.broadcasts.recipients(draft.topic, draft.lang)
        for code, html in (("ru", draft.text_ru), ("kk", draft.text_kk)):
            if draft.single_lang in (None, code):
                await send(message, Reply(html, code))  # as the worker sends it: HTML, no preview
        summary = _(
            "Above is exactly what subscribers will see.\nAudience: {audience}.\nWhen: {when}.\n"
            "Recipients now: {count} (Russian: {ru}, Kazakh: {kk})."
        ).format(audience=describe_audience(draft.topic, draft.lang, draft.single_lang),
                 when=self._when(draft), count=len(found),
                 ru=sum(1 for s in found if s.lang == "ru"),
                 kk=sum(1 for s in found if s.lang == "kk"))  # fmt: skip
        buttons = (Button(_("✅ Confirm"), encode(Compose("confirm"))), *cancel_row())
        await send(message, Reply(str(escape(summary)), current_locale(), (buttons,)))
        return CONFIRM

    @in_admin_locale
    async def confirm(self, update: Update, context: Context) -> int:
        user = update.effective_user
        draft: Draft = context.user_data.pop("draft", Draft())  # type: ignore[union-attr]
        if user is None or user.id not in self.admins:
            return END
        broadcast_id, count = await self.broadcasts.create(
            created_by=user.id, text_ru=draft.text_ru or draft.text_kk,
            text_kk=draft.text_kk or draft.text_ru, single_lang=draft.single_lang,
            audience_topic=draft.topic, audience_lang=draft.lang, send_at=draft.send_at,
        )  # fmt: skip
        worker = context.application.bot_data.get("delivery")
        if worker is not None:
            worker.wake()
        text = _(
            "Announcement #{id} is scheduled: {count} recipients, {when}. You will get a report "
            "when it is sent; /broadcasts shows its progress."
        ).format(id=broadcast_id, count=count, when=self._when(draft))
        await self._say(update, text)
        return END

    @in_admin_locale
    async def kept(self, update: Update, context: Context) -> int:
        """After "no" to /forget: the draft is kept, and the admin goes on from the same step."""
        text = _("Your announcement is still here: go on where you stopped, or /cancel.")
        if update.effective_message is not None:  # a new message: the answer was edited already
            await send(update.effective_message, Reply(str(escape(text)), current_locale()))
        return context.user_data.get("step", RU)  # type: ignore[union-attr]

    @in_admin_locale
    async def cancel(self, update: Update, context: Context) -> int:
        context.user_data.pop("draft", None)  # type: ignore[union-attr]
        await self._say(update, _("Cancelled: nothing was sent."))
        return END
