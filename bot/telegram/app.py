"""Build and run the python-telegram-bot Application around the core."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.broadcasting.limits import SendBudget
from bot.config import Config
from bot.conversation import callbacks
from bot.conversation.assistant import Assistant
from bot.conversation.buttons import Buttons
from bot.conversation.callbacks import CITIZEN_ACTIONS
from bot.i18n import _, use_locale
from bot.knowledge.library import Library
from bot.logs import bind_update_id, configure_logging
from bot.metrics import Metrics
from bot.storage.admins import Admins
from bot.storage.factory import pace_for, storage_for
from bot.storage.interface import Storage
from bot.telegram.budget import BudgetRateLimiter
from bot.telegram.flood import FloodGuard
from bot.telegram.handlers.admins import register_admin, start_admin, stop_admin
from bot.telegram.handlers.citizens import Handlers
from bot.telegram.handlers.inline import register_inline
from bot.telegram.handlers.staff import register_staff, start_watching
from bot.telegram.health import start_health, stop_health
from bot.telegram.metered import metered
from bot.telegram.profile import register_descriptions
from bot.telegram.transport import AiohttpRequest
from bot.telegram.updates import BATCH, PerChatUpdateProcessor, PollWhenRoom, UpdateQueue

log = logging.getLogger(__name__)
# Handler groups run in order: the log marker, the composer's flow (FLOW_GROUP, -1), then
# every other handler (group 0).
LOG_GROUP = -2
STATS_INTERVAL = 5.0  # seconds between writes of the question counters
PUBLIC_COMMANDS = (
    "start", "menu", "lang", "subscribe", "unsubscribe", "help", "about", "privacy", "forget"
)  # fmt: skip


def command_descriptions(lang: str) -> list[BotCommand]:
    """Return the public command menu in one language."""
    with use_locale(lang):
        described = {
            "start": _("Start over and choose the language"),
            "menu": _("Topics"),
            "lang": _("Change the language"),
            "subscribe": _("Announcements: choose topics"),
            "unsubscribe": _("Stop all announcements"),
            "help": _("How to use the bot"),
            "about": _("About the bot and emergency numbers"),
            "privacy": _("What we store about you"),
            "forget": _("Delete your data"),
        }
        return [BotCommand(name, described[name]) for name in PUBLIC_COMMANDS]


async def register_commands(app: Application) -> None:
    """Publish the command menu per language (ru, kk) and a default (ru)."""
    await app.bot.set_my_commands(command_descriptions("ru"))
    for lang in ("ru", "kk"):
        await app.bot.set_my_commands(command_descriptions(lang), language_code=lang)


def build_application(
    config: Config,
    library: Library,
    storage: Storage,
    *,
    clock: Callable[[], datetime] | None = None,
    request: BaseRequest | None = None,
    processor: Callable[[int], PerChatUpdateProcessor] = PerChatUpdateProcessor,
) -> Application:
    """Wire the core services into a python-telegram-bot Application (not started).

    `request` replaces the HTTP transport (benchmarks use an in-process one); `processor`
    makes the update processor from the number of updates handled at once (tests record
    there which updates are done).
    """
    api = config.api_url
    # One budget for everything the bot sends: its own requests (replies first) through
    # python-telegram-bot's rate limiter, announcements through the delivery worker.
    budget = SendBudget(config.broadcast_rate, config.chat_rate, shared=pace_for(storage))
    # Back-pressure: a bounded number of updates in the bot; the rest wait at Telegram.
    concurrent = config.concurrent_updates
    queue = UpdateQueue(capacity=concurrent + BATCH)
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .update_queue(queue)
        .concurrent_updates(processor(concurrent))
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .rate_limiter(BudgetRateLimiter(budget))
    )
    metrics = Metrics()  # /metrics: every request to Telegram is counted, by the wrapper
    # A connection per update handled at once; long polls have one of their own.
    request = request or AiohttpRequest(connections=concurrent)
    builder = builder.request(metered(metrics, request))
    polls = metered(metrics, AiohttpRequest(connections=1))
    builder = builder.get_updates_request(PollWhenRoom(polls, queue))
    app = builder.build()
    flood = FloodGuard(rate=config.flood_rate, burst=config.flood_burst)
    assistant = Assistant(library, clock=clock, subscriptions=True, operator=config.operator)
    buttons = Buttons(assistant, storage, clock=clock)
    handlers = Handlers(assistant, storage, flood, buttons, metrics=metrics)
    app.bot_data["metrics"] = metrics
    app.bot_data.update(
        config=config, library=library, storage=storage, handlers=handlers, budget=budget
    )
    admins = Admins(storage, config.admin_ids)
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE  # edited messages are ignored on purpose
    add = app.add_handler

    async def mark_logs(update: Update, context: object) -> None:
        bind_update_id(update.update_id)  # every log record of this update carries its id

    add(TypeHandler(Update, mark_logs), group=LOG_GROUP)  # of its own: all else still runs
    register_admin(app, admins, config, storage, library, clock=clock)  # type: ignore[arg-type]
    register_staff(app, admins)
    for names, callback in (
        ("start", handlers.start),
        (["lang", "language"], handlers.lang_command),
        (["menu", "topics"], handlers.menu),
        ("help", handlers.help),
        ("about", handlers.about),
        ("privacy", handlers.privacy),
        ("forget", handlers.forget),
        ("subscribe", handlers.subscribe),
        ("unsubscribe", handlers.unsubscribe),
    ):
        add(CommandHandler(names, callback, filters=private & new))
    add(CallbackQueryHandler(handlers.button, pattern=callbacks.pattern(*CITIZEN_ACTIONS)))
    # "Is this a scam?": a forwarded message is checked for signs of fraud, never answered.
    forwarded = private & new & filters.FORWARDED & (filters.TEXT | filters.CAPTION)
    add(MessageHandler(forwarded, handlers.forwarded))
    add(MessageHandler(private & new & filters.COMMAND, handlers.unknown_command))
    add(MessageHandler(private & new & filters.TEXT & ~filters.COMMAND, handlers.text))
    add(ChatMemberHandler(handlers.member_status, ChatMemberHandler.MY_CHAT_MEMBER))
    register_inline(app, handlers)  # "@bot question" in any chat: topic cards to send
    # Group chats are ignored on purpose: answers about someone's case belong in private.
    add(MessageHandler(private & new & ~filters.TEXT, handlers.not_text))
    app.add_error_handler(handlers.error)
    return app


async def on_startup(app: Application) -> None:
    """Open the database, publish the command menus and start the background tasks."""
    storage = app.bot_data["storage"]
    await storage.open()
    await register_commands(app)
    await register_descriptions(app)
    await start_admin(app)  # admin menus and the broadcast delivery worker
    stop = app.bot_data["stop"] = asyncio.Event()
    stats = app.bot_data["handlers"].stats
    tasks = app.bot_data["tasks"] = [
        asyncio.create_task(stats.run(storage, interval=STATS_INTERVAL, stop=stop)),
    ]
    interval = app.bot_data["config"].reload_interval
    if interval > 0:  # live reload of content/ edits, reported to the admins
        tasks.append(start_watching(app, interval=interval, stop=stop))
    await start_health(app)  # /healthz and /metrics, when configured (or with a webhook)


async def on_shutdown(app: Application) -> None:
    """Stop the background tasks (the statistics are flushed once more), close the database."""
    await stop_health(app)
    app.bot_data["stop"].set()
    await asyncio.gather(*app.bot_data["tasks"], return_exceptions=True)
    await stop_admin(app)  # the messages in flight are recorded before the database closes
    await app.bot_data["storage"].close()


def install_stop_signals(app: Application) -> None:
    """Stop on the first SIGINT/SIGTERM; ignore repeats while in-flight updates finish.

    python-telegram-bot's own handler raises SystemExit again on a second signal, which
    interrupts its shutdown half-way and hangs the process.
    """
    loop = asyncio.get_running_loop()
    stopping = False

    def stop(name: str) -> None:
        nonlocal stopping
        if stopping:
            log.warning("%s again: still finishing the updates in progress", name)
            return
        stopping = True
        log.info("%s: stopping after the updates in progress", name)
        app.stop_running()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)


async def _startup_with_signals(app: Application) -> None:
    await on_startup(app)
    install_stop_signals(app)


def run_bot(config: Config, library: Library, *, webhook_url: str | None = None) -> int:
    """Run until SIGINT/SIGTERM: long polling, or a webhook server when a URL is given."""
    configure_logging(config.log_level, fmt=config.log_format, secrets=(config.token,))
    app = build_application(config, library, storage_for(config.database))
    app.bot_data["webhook"] = bool(webhook_url)  # the health endpoint is on with a webhook
    app.post_init = _startup_with_signals
    # drop_pending_updates=False: updates sent while the bot was down are answered on start.
    if webhook_url:
        path = urlsplit(webhook_url).path.lstrip("/") or "telegram"
        app.run_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            url_path=path,
            webhook_url=webhook_url,
            secret_token=config.webhook_secret or None,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            stop_signals=None,
        )
    else:
        app.run_polling(
            allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, stop_signals=None
        )
    return 0
