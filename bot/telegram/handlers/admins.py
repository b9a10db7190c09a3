"""Administrators on Telegram: who they are, /admins, their command menu, and the wiring of
the broadcast tools (``composer``, ``broadcasts``) into the Application.

To anyone else the admin commands do not exist: their handlers carry an admin filter, so a
non-admin's /broadcast falls through to the normal unknown-command reply, and the commands
are published only in each admin's own chat (BotCommandScopeChat).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from markupsafe import escape
from telegram import Bot, BotCommand, BotCommandScopeChat, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.conversation import callbacks
from bot.conversation.assistant import Reply
from bot.conversation.callbacks import ChooseAudience, Compose, Forget, decode
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.storage.admins import Admins, ConfiguredAdmin
from bot.storage.conversations import ConversationStore
from bot.storage.interface import Storage
from bot.storage.sql import SQLStorage
from bot.telegram.flow import END, StoredFlow
from bot.telegram.handlers import broadcasts, composer
from bot.telegram.handlers.broadcasts import user_lang
from bot.telegram.handlers.citizens import send

log = logging.getLogger(__name__)
FLOW_GROUP = -1  # the composer's handler group: before group 0, after the log marker's
ADMIN_COMMANDS = ("broadcast", "broadcasts", "admins", "reload", "report", "link")


class AdminFilter(filters.MessageFilter):
    """Let through messages from current admins only."""

    def __init__(self, admins: Admins) -> None:
        super().__init__(name="AdminFilter")
        self.admins = admins

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and message.from_user.id in self.admins


def admin_menu(lang: str) -> list[BotCommand]:
    """Return the command menu of an admin: the public commands, then the admin ones."""
    from bot.telegram.app import command_descriptions  # app imports this module

    with use_locale(lang):
        described = {
            "broadcast": _("New announcement to subscribers"),
            "broadcasts": _("Recent announcements, cancel"),
            "admins": _("Administrators"),
            "reload": _("Reload the content now"),
            "report": _("Report: questions, misses, feedback"),
            "link": _("A topic's link and QR code for posters"),
        }
        own = [BotCommand(name, described[name]) for name in ADMIN_COMMANDS]
    return command_descriptions(lang) + own


async def publish_menu(bot: Bot, user_id: int) -> None:
    """Show the admin commands in this admin's chat, in both languages and by default."""
    try:
        scope = BotCommandScopeChat(user_id)
        await bot.set_my_commands(admin_menu("ru"), scope=scope)
        for lang in ("ru", "kk"):
            await bot.set_my_commands(admin_menu(lang), scope=scope, language_code=lang)
    except TelegramError as exc:  # e.g. an admin who never opened the bot: "chat not found"
        log.warning("could not publish the admin commands for %s: %s", user_id, exc)


async def withdraw_menu(bot: Bot, user_id: int) -> None:
    """Drop the admin commands from this chat: the public menu shows again."""
    try:
        scope = BotCommandScopeChat(user_id)
        await bot.delete_my_commands(scope=scope)
        for lang in ("ru", "kk"):
            await bot.delete_my_commands(scope=scope, language_code=lang)
    except TelegramError as exc:
        log.warning("could not withdraw the admin commands for %s: %s", user_id, exc)


class AdminCommands:
    """/admins, /admins grant ID, /admins revoke ID."""

    def __init__(self, admins: Admins, storage: Storage) -> None:
        self.admins = admins
        self.storage = storage

    async def admins_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        lang = await user_lang(self.storage, update)
        args = context.args or []
        if len(args) == 2 and args[0] in ("grant", "revoke") and args[1].isdigit():
            text = await self._change(context.bot, args[0], int(args[1]), by=user.id)
        elif not args:
            text = self._list()
        else:
            text = _("Usage: /admins, /admins grant ID, /admins revoke ID (a numeric Telegram id).")
        await send(message, Reply(str(escape(text)), lang))

    def _list(self) -> str:
        lines = [_("Administrators:")]
        for admin_id in sorted(self.admins.ids):
            origin = (
                _("configuration")
                if admin_id in self.admins.configured
                else _("granted in the bot")
            )
            lines.append(f"• {admin_id} ({origin})")
        lines.append(_("/admins grant ID adds one, /admins revoke ID removes one."))
        return "\n".join(lines)

    async def _change(self, bot: Bot, action: str, target: int, *, by: int) -> str:
        if action == "grant":
            if not await self.admins.grant(target, by=by):
                return _("{id} is already an administrator.").format(id=target)
            await publish_menu(bot, target)
            return _("{id} is now an administrator.").format(id=target)
        try:
            revoked = await self.admins.revoke(target)
        except ConfiguredAdmin:
            return _(
                "{id} is an administrator by configuration: remove them from ZANBOT_ADMIN_IDS."
            ).format(id=target)
        if not revoked:
            return _("{id} is not an administrator.").format(id=target)
        await withdraw_menu(bot, target)
        return _("{id} is no longer an administrator.").format(id=target)


def broadcast_flow(
    admins: Admins,
    only_admins: filters.BaseFilter,
    storage: SQLStorage,
    config: Config,
    *,
    clock: Callable[[], datetime] | None = None,
) -> StoredFlow:
    """Build the /broadcast flow: one per admin, with /cancel and /forget at every step.

    Its step and draft are in the database: they survive a restart, and any worker takes the
    admin's next update.
    """
    flow = composer.Composer(admins, storage, config, clock or (lambda: datetime.now(UTC)))
    text = only_admins & filters.TEXT & ~filters.COMMAND

    def button(callback: Callable, step: str) -> CallbackQueryHandler:  # type: ignore[type-arg]
        return CallbackQueryHandler(callback, pattern=callbacks.pattern(Compose(step)))

    async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/forget while composing: ask as usual, keeping the draft until the answer."""
        await context.application.bot_data["handlers"].forget(update, context)
        return composer.FORGET

    async def forget_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Yes: everything is deleted and the flow ends with it. No: back to composing."""
        await context.application.bot_data["handlers"].button(update, context)
        if update.callback_query and decode(update.callback_query.data) == Forget(confirmed=True):
            return END
        return await flow.kept(update, context)

    def accepts(update: Update) -> bool:
        chat, user = update.effective_chat, update.effective_user
        return (
            chat is not None
            and chat.type == ChatType.PRIVATE
            and user is not None
            and (user.id in admins)
        )

    audiences = callbacks.pattern(*(ChooseAudience(a) for a in composer.AUDIENCES))
    forget_answers = callbacks.pattern(Forget)
    return StoredFlow(
        "broadcast",
        ConversationStore(storage),
        accepts=accepts,
        entry_points=[CommandHandler("broadcast", flow.start, filters=only_admins)],
        states={
            composer.RU: [MessageHandler(text, flow.russian), button(flow.kazakh_only, "kk-only")],
            composer.KK: [MessageHandler(text, flow.kazakh), button(flow.single, "single")],
            composer.AUDIENCE: [CallbackQueryHandler(flow.audience, pattern=audiences)],
            composer.WHEN: [button(flow.now, "now"), MessageHandler(text, flow.typed_time)],
            composer.CONFIRM: [button(flow.confirm, "confirm")],
            composer.FORGET: [CallbackQueryHandler(forget_answer, pattern=forget_answers)],
        },
        fallbacks=[
            CommandHandler("cancel", flow.cancel, filters=only_admins),
            button(flow.cancel, "cancel"),
            CommandHandler("forget", forget, filters=only_admins),
        ],
        types=(composer.Draft,),
    )


def register_admin(
    app: Application,
    admins: Admins,
    config: Config,
    storage: SQLStorage,
    library: Library,
    *,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Add the admin handlers; call before the catch-all handlers so that these match first."""
    only_admins = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & AdminFilter(admins)
    commands = AdminCommands(admins, storage)
    app.add_handler(CommandHandler("admins", commands.admins_command, filters=only_admins))
    # Ahead of every other handler: while an admin is in the flow, it takes their text and
    # commands (/cancel, /forget) before the handlers of group 0 would.
    app.add_handler(broadcast_flow(admins, only_admins, storage, config, clock=clock), FLOW_GROUP)
    # Buttons of a step the flow has left (the flow took the current ones); not the citizens'.
    stale = callbacks.pattern(Compose, ChooseAudience)
    app.add_handler(CallbackQueryHandler(composer.stale_button, pattern=stale))
    broadcasts.register(app, admins, only_admins, storage, config)
    app.bot_data.update(admins=admins, admin_clock=clock)


async def start_admin(app: Application) -> None:
    """At start: the admins and their menus, then the delivery worker."""
    admins: Admins = app.bot_data["admins"]
    for admin_id in sorted(await admins.load()):
        await publish_menu(app.bot, admin_id)
    await broadcasts.start_delivery(app, clock=app.bot_data.get("admin_clock"))


async def stop_admin(app: Application) -> None:
    """At shutdown: stop the delivery worker after the messages in flight are recorded."""
    await broadcasts.stop_delivery(app)
