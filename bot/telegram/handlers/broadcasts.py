"""Broadcasts on Telegram: the delivery worker's start and stop, its reports to admins, and
/broadcasts (recent broadcasts with their counts, and a cancel button)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import escape
from telegram import Bot, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters
from telegram.request import BaseRequest

from bot.broadcasting.broadcasts import DeliveryReport
from bot.broadcasting.delivery import DeliveryWorker
from bot.broadcasting.notices import HearingNotices
from bot.config import Config
from bot.conversation.assistant import Button, Reply
from bot.conversation.callbacks import CancelBroadcast, decode, encode, pattern
from bot.conversation.subscriptions import TOPIC_LABELS
from bot.i18n import _, set_locale, use_locale
from bot.metrics import Metrics
from bot.storage.admins import Admins
from bot.storage.broadcasts import Broadcast, BroadcastStore
from bot.storage.interface import Storage, utc_now
from bot.storage.sql import SQLStorage
from bot.telegram.handlers.citizens import edit, send
from bot.telegram.metered import metered
from bot.telegram.sender import TelegramSender
from bot.telegram.transport import AiohttpRequest

RECENT = 8


async def user_lang(storage: Storage, update: Update) -> str:
    """Resolve the user's language (stored choice, else Telegram's hint) and use it."""
    user = update.effective_user
    lang = await storage.language(user.id, hint=user.language_code) if user else "ru"
    set_locale(lang)
    return lang


def local_time(moment: datetime, timezone: str) -> str:
    """Format a moment as YYYY-MM-DD HH:MM in the configured time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def describe_audience(topic: str | None, lang: str | None, single_lang: str | None) -> str:
    """Say in the current locale who gets a broadcast, and in which language."""
    who = str(TOPIC_LABELS[topic]) if topic else _("everyone subscribed")
    if lang:
        who += " · " + (_("Russian speakers") if lang == "ru" else _("Kazakh speakers"))
    if single_lang:
        text = (
            _("everyone gets the Russian text")
            if single_lang == "ru"
            else _("everyone gets the Kazakh text")
        )
    else:
        text = _("each in their language")
    return f"{who} · {text}"


def describe_state(state: str) -> str:
    names = {
        "draft": _("draft"),
        "scheduled": _("scheduled"),
        "sending": _("sending"),
        "done": _("done"),
        "cancelled": _("cancelled"),
    }
    return names.get(state, state)


def report_page(report: DeliveryReport, lang: str) -> Reply:
    """Tell the admin how their broadcast went."""
    with use_locale(lang):
        heading = (
            _("Announcement #{id} is sent.")
            if report.state == "done"
            else _("Announcement #{id} was cancelled.")
        ).format(id=report.broadcast_id)
        counts = _(
            "Delivered: {sent}. Blocked the bot: {blocked}. Failed: {failed}. In doubt (may or "
            "may not have arrived): {in_doubt}. Not sent: {skipped}. Time: {duration}."
        ).format(
            sent=report.sent, blocked=report.blocked, failed=report.failed,
            in_doubt=report.in_doubt, skipped=report.skipped,
            duration=str(timedelta(seconds=round(report.duration.total_seconds()))),
        )  # fmt: skip
    return Reply(f"<b>{escape(heading)}</b>\n{escape(counts)}", lang)


async def start_delivery(app: Application, *, clock: Callable[[], datetime] | None) -> None:
    """Start the delivery worker with a Bot of its own (its own connections and lifetime)."""
    config: Config = app.bot_data["config"]
    storage: SQLStorage = app.bot_data["storage"]
    # The worker's Bot outlives the Application's until the worker stopped, so that no send
    # in flight meets a closed connection pool at shutdown. Only its transport is started:
    # Bot.initialize() would call getMe, which sending does not need.
    metrics: Metrics = app.bot_data["metrics"]
    request = metered(metrics, AiohttpRequest(connections=16))  # counted for /metrics
    await request.initialize()
    bot = Bot(
        config.token,
        base_url=f"{config.api_url}/bot",
        base_file_url=f"{config.api_url}/file/bot",
        request=request,
        get_updates_request=request,
    )
    now = clock or utc_now
    notices = HearingNotices(storage, app.bot_data["library"], now=now)

    async def report(result: DeliveryReport) -> None:
        lang = await storage.language(result.created_by or 0)
        await worker.notify(result.created_by or 0, report_page(result, lang).html)

    worker = DeliveryWorker(
        storage, TelegramSender(bot), budget=app.bot_data["budget"], metrics=metrics, now=now,
        on_report=report, producers=[notices.check],
    )  # fmt: skip
    app.bot_data.update(delivery=worker, delivery_request=request)
    worker.start()


async def stop_delivery(app: Application) -> None:
    """Stop the worker (messages in flight are recorded), then close its connections."""
    worker: DeliveryWorker | None = app.bot_data.pop("delivery", None)
    request: BaseRequest | None = app.bot_data.pop("delivery_request", None)
    if worker is not None:
        await worker.stop()
    if request is not None:
        await request.shutdown()


class BroadcastList:
    """/broadcasts: recent broadcasts with states and counts; cancel buttons for live ones."""

    def __init__(self, admins: Admins, storage: SQLStorage, config: Config) -> None:
        self.admins = admins
        self.storage = storage
        self.config = config
        self.broadcasts = BroadcastStore(storage)

    async def page(self, lang: str) -> Reply:
        recent = await self.broadcasts.recent(RECENT)
        with use_locale(lang):
            if not recent:
                return Reply(str(escape(_("There are no announcements yet."))), lang)
            title = _("Recent announcements")
            blocks = [f"<b>{escape(title)}</b>"]
            rows = []
            for item in recent:
                blocks.append(await self._describe(item))
                if item.state in ("scheduled", "sending"):
                    label = _("❌ Cancel #{id}").format(id=item.id)
                    rows.append((Button(label, encode(CancelBroadcast(item.id))),))
        return Reply("\n\n".join(blocks), lang, tuple(rows))

    async def _describe(self, item: Broadcast) -> str:
        counts = await self.broadcasts.counts(item.id)
        origin = "🤖 " if item.created_by is None else ""
        head = f"{origin}#{item.id} · {describe_state(item.state)} · " + local_time(
            item.send_at, self.config.timezone
        )
        tally = _(
            "delivered {sent} · waiting {pending} · blocked {blocked} · failed {failed} · "
            "in doubt {in_doubt} · not sent {cancelled}"
        ).format(**counts)
        audience = describe_audience(item.audience_topic, item.audience_lang, item.single_lang)
        return f"<b>{escape(head)}</b>\n{escape(audience)}\n{escape(tally)}"

    async def show(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        await send(message, await self.page(await user_lang(self.storage, update)))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Cancel a scheduled or running broadcast from its button, then redraw the list."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or user.id not in self.admins:
            if query is not None:
                await query.answer()
            return
        lang = await user_lang(self.storage, update)
        action = decode(query.data)
        done = isinstance(action, CancelBroadcast) and await self.broadcasts.cancel(
            action.broadcast_id
        )
        with use_locale(lang):
            await query.answer(_("Cancelled: nothing more will be sent.") if done else
                               _("Too late: this announcement is no longer running."))  # fmt: skip
        if isinstance(query.message, Message):
            await edit(query.message, await self.page(lang))


def register(
    app: Application,
    admins: Admins,
    only_admins: filters.BaseFilter,
    storage: SQLStorage,
    config: Config,
) -> None:
    """Add /broadcasts and its cancel button."""
    listing = BroadcastList(admins, storage, config)
    app.add_handler(CommandHandler("broadcasts", listing.show, filters=only_admins))
    app.add_handler(CallbackQueryHandler(listing.cancel, pattern=pattern(CancelBroadcast)))
