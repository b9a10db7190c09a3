"""Staff tools in Telegram, for admins: live reload of the content (with /reload), /report
with its chart, and /link, a topic's deep link and QR code for posters."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from markupsafe import escape
from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.conversation.links import (
    deep_link,
    link_caption_html,
    qr_code,
    topic_list_html,
    unknown_topic_html,
)
from bot.conversation.render import split_message
from bot.i18n import _, use_locale
from bot.knowledge.chart import draw_chart
from bot.knowledge.library import Library
from bot.knowledge.report import build_report, format_report_text, period
from bot.knowledge.topics import Problem
from bot.knowledge.watch import watch_content
from bot.storage.admins import Admins
from bot.storage.interface import Storage
from bot.telegram.handlers.admins import AdminFilter

log = logging.getLogger(__name__)
MAX_PROBLEMS = 15  # listed in a message; the rest are counted


def describe_reload(problems: list[Problem], library: Library) -> str:
    """Say, as HTML in the current locale, whether the new content is live or was rejected."""
    if not problems:
        text = _("Content updated: {count} topics are live.").format(count=len(library.kb.ids()))
        return str(escape(text))
    head = _("Content edit rejected; the bot keeps serving the previous version. Problems:")
    lines = [f"<b>{escape(head)}</b>"]
    lines += [f"<code>{escape(str(p))}</code>" for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        more = _("…and {count} more.").format(count=len(problems) - MAX_PROBLEMS)
        lines.append(str(escape(more)))
    return "\n".join(lines)


def count_reload(app: Application, problems: list[Problem]) -> None:
    """Count a reload for /metrics: accepted (live) or rejected."""
    if (metrics := app.bot_data.get("metrics")) is not None:
        metrics.content_reload(accepted=not problems)


async def tell_admins(app: Application, problems: list[Problem]) -> None:
    """Send the outcome of a content reload to every admin, each in their language."""
    admins: Admins = app.bot_data["admins"]
    storage: Storage = app.bot_data["storage"]
    library: Library = app.bot_data["library"]
    for admin_id in sorted(admins.ids):
        with use_locale(await storage.language(admin_id)):
            html = describe_reload(problems, library)
        for part in split_message(html):
            try:
                await app.bot.send_message(admin_id, part, parse_mode=ParseMode.HTML)
            except TelegramError as exc:  # an admin who never opened the bot, or blocked it
                log.warning("could not tell admin %s about the reload: %s", admin_id, exc)


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reload the content now and say whether the new version is live."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    library: Library = context.bot_data["library"]
    problems = await asyncio.to_thread(library.reload)
    count_reload(context.application, problems)
    with use_locale(await context.bot_data["storage"].language(user.id)):
        html = describe_reload(problems, library)
    for part in split_message(html):
        await message.reply_html(part)


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the report of the last N days (default 7): /report [days]."""
    message = update.effective_message
    if message is None:
        return
    days = int(context.args[0]) if context.args and context.args[0].isdigit() else 7
    since, until = period(today=datetime.now(UTC).date(), days=min(days, 366))
    storage = context.bot_data["storage"]
    await context.bot_data["handlers"].stats.flush(storage)  # include the last few seconds
    report = await build_report(storage, context.bot_data["library"], since=since, until=until)
    user = update.effective_user
    with use_locale(await context.bot_data["storage"].language(user.id if user else 0)):
        text = format_report_text(report)
        for part in split_message(f"<pre>{escape(text)}</pre>", limit=4000):
            # A part cut inside the <pre> block loses its tags: wrap each part on its own.
            body = part.removeprefix("<pre>").removesuffix("</pre>")
            await message.reply_html(f"<pre>{body}</pre>")
        # Drawing takes about a second: in a thread (which keeps the locale), not in the loop.
        chart = await asyncio.to_thread(draw_chart, report)
    name = f"zanbot-report-{report.since}-{report.until}.png"
    await message.reply_photo(InputFile(chart, filename=name))


async def link_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a topic's deep link with its QR code, for a poster: /link TOPIC_ID; with no id,
    list the topics' ids."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    kb = context.bot_data["library"].kb
    lang = await context.bot_data["storage"].language(user.id)
    with use_locale(lang):
        if not context.args:
            for part in split_message(topic_list_html(kb, lang)):
                await message.reply_html(part)
            return
        topic = kb.get(context.args[0], lang)
        if topic is None:
            await message.reply_html(unknown_topic_html(context.args[0], kb))
            return
        link = deep_link(context.bot.username, topic.id)
        caption = link_caption_html(topic.title, link)
    # A document, not a photo: Telegram would recompress a photo, and a poster needs every
    # pixel of the code sharp.
    qr = InputFile(qr_code(link), filename=f"{topic.id}-qr.png")
    await message.reply_document(qr, caption=caption, parse_mode=ParseMode.HTML)


def register_staff(app: Application, admins: Admins) -> None:
    """Add /reload, /report and /link for admins (before the catch-all handlers)."""
    only_admins = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & AdminFilter(admins)
    app.add_handler(CommandHandler("reload", reload_command, filters=only_admins))
    app.add_handler(CommandHandler("report", report_command, filters=only_admins))
    app.add_handler(CommandHandler("link", link_command, filters=only_admins))


def start_watching(app: Application, *, interval: float, stop: asyncio.Event) -> asyncio.Task:
    """Watch the content directory; tell admins about every reload, good or rejected."""
    library: Library = app.bot_data["library"]

    async def on_change(problems: list[Problem]) -> None:
        count_reload(app, problems)
        await tell_admins(app, problems)

    return asyncio.create_task(
        watch_content(library, interval=interval, on_change=on_change, stop=stop)
    )
