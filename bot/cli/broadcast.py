"""`zanbot broadcast …`: staff create, list, inspect and cancel announcements from a shell.

The commands work on the database; the running bot's delivery worker polls it and sends
what is due, so the bot need not be restarted.

File format of `zanbot broadcast send FILE.md` (the knowledge base's Markdown subset)::

    Russian text: **bold**, _italic_, [link](https://adilet.zan.kz)…

    --- kk ---
    Kazakh text…

The line ``--- kk ---`` separates the Russian text (above) from the Kazakh one (below); a
``--- ru ---`` line may open the file. With only one of the two texts, every recipient gets
that one.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.broadcasting.broadcasts import (
    AUDIENCES,
    EVERYONE,
    Broadcasts,
    TextTooLong,
    parse_local_time,
    render_text,
)
from bot.cli.options import database_option
from bot.config import Config
from bot.storage.broadcasts import Broadcast
from bot.storage.factory import database_exists, shown, storage_for
from bot.storage.sql import SQLStorage

T = TypeVar("T")
_MARKER = re.compile(r"^---\s*(ru|kk)\s*---\s*$", re.MULTILINE)
FORMAT_HELP = (
    "FILE.md holds the Russian text, then a line '--- kk ---', then the Kazakh text "
    "(Markdown: **bold**, _italic_, [link](https://…)); with one text only, everyone gets it."
)


def read_texts(text: str) -> dict[str, str]:
    """Split a staff file into {'ru': …, 'kk': …} (missing or empty parts left out)."""
    parts: dict[str, str] = {}
    lang, start = "ru", 0
    for marker in _MARKER.finditer(text):
        parts[lang] = parts.get(lang, "") + text[start : marker.start()]
        lang, start = marker.group(1), marker.end()
    parts[lang] = parts.get(lang, "") + text[start:]
    return {code: body.strip() for code, body in parts.items() if body.strip()}


def _run(database: str, work: Callable[[SQLStorage], Awaitable[T]]) -> T:
    async def main() -> T:
        async with storage_for(database) as storage:
            return await work(storage)

    return asyncio.run(main())


def _database(args: argparse.Namespace, config: Config) -> str:
    database: str = args.database or config.database
    if not database_exists(database):  # an empty new database would have no subscribers anyway
        print(f"database {shown(database)} does not exist (see --database, ZANBOT_DATABASE)",
              file=sys.stderr)  # fmt: skip
        raise SystemExit(1)
    return database


def _line(item: Broadcast, counts: dict[str, int], timezone: str) -> str:
    when = item.send_at.astimezone(ZoneInfo(timezone))
    audience = item.audience_topic or EVERYONE
    if item.audience_lang:
        audience += f" ({item.audience_lang} speakers)"
    texts = f"{item.single_lang} text for everyone" if item.single_lang else "ru+kk texts"
    tally = ", ".join(f"{state} {n}" for state, n in counts.items() if n)
    by = "system" if item.created_by is None else f"by {item.created_by}"
    return (
        f"#{item.id}  {item.state:<9}  {when:%Y-%m-%d %H:%M}  {audience}, {texts}, {by}"
        f"  [{tally or 'no recipients'}]"
    )


def cmd_send(args: argparse.Namespace, config: Config) -> int:
    database = _database(args, config)
    texts = read_texts(args.file.read_text(encoding="utf-8"))
    if not texts:
        print(f"{args.file}: no text. {FORMAT_HELP}", file=sys.stderr)
        return 2
    try:
        html = {lang: render_text(body) for lang, body in texts.items()}
        send_at = parse_local_time(args.at, config.timezone) if args.at else None
    except TextTooLong as exc:
        print(f"{args.file}: {exc}; please shorten it", file=sys.stderr)
        return 2
    except ValueError:
        print(f"--at: expected 'YYYY-MM-DD HH:MM' ({config.timezone}), got {args.at!r}",
              file=sys.stderr)  # fmt: skip
        return 2
    if send_at is not None and send_at <= datetime.now(UTC):
        print(f"--at {args.at}: this time has passed", file=sys.stderr)
        return 2
    single = None if len(html) == 2 else next(iter(html))
    topic = None if args.audience == EVERYONE else args.audience

    async def create(storage: SQLStorage) -> tuple[int, int]:
        return await Broadcasts(storage).create(
            created_by=args.report_to, text_ru=html.get("ru") or html["kk"],
            text_kk=html.get("kk") or html["ru"], single_lang=single, audience_topic=topic,
            audience_lang=args.lang, send_at=send_at,
        )  # fmt: skip

    broadcast_id, count = _run(database, create)
    when = args.at or "now"
    print(f"broadcast #{broadcast_id} scheduled ({when}) for {count} recipient(s); "
          "the running bot sends it")  # fmt: skip
    return 0


def cmd_list(args: argparse.Namespace, config: Config) -> int:
    async def collect(storage: SQLStorage) -> list[str]:
        broadcasts = Broadcasts(storage)
        recent = await broadcasts.recent(args.limit)
        return [_line(b, await broadcasts.counts(b.id), config.timezone) for b in recent]

    lines = _run(_database(args, config), collect)
    print("\n".join(lines) if lines else "no broadcasts yet")
    return 0


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    async def collect(storage: SQLStorage) -> str | None:
        broadcasts = Broadcasts(storage)
        found = await broadcasts.get(args.id)
        if found is None:
            return None
        return _line(found, await broadcasts.counts(found.id), config.timezone)

    line = _run(_database(args, config), collect)
    if line is None:
        print(f"no broadcast #{args.id}", file=sys.stderr)
        return 1
    print(line)
    return 0


def cmd_cancel(args: argparse.Namespace, config: Config) -> int:
    async def cancel(storage: SQLStorage) -> bool:
        return await Broadcasts(storage).cancel(args.id)

    if not _run(_database(args, config), cancel):
        print(f"broadcast #{args.id} is not scheduled or running: nothing to cancel",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"broadcast #{args.id} cancelled: nothing more will be sent")
    return 0


def add_broadcast_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `zanbot broadcast send|list|status|cancel` to the command line."""
    db = database_option()
    p = sub.add_parser("broadcast", help="announcements to subscribers (send, list, status, "
                       "cancel)")  # fmt: skip
    b_sub = p.add_subparsers(dest="broadcast_command", required=True)
    s = b_sub.add_parser("send", parents=[db], help="schedule an announcement from a file",
                         description=FORMAT_HELP)  # fmt: skip
    s.add_argument("file", type=Path, metavar="FILE.md")
    s.add_argument("--audience", choices=AUDIENCES, required=True,
                   help=f"subscribers of a topic, or {EVERYONE}: everyone subscribed")  # fmt: skip
    s.add_argument("--lang", choices=("ru", "kk"), help="only subscribers in this language")
    s.add_argument("--at", metavar="YYYY-MM-DD HH:MM", help="send time (ZANBOT_TIMEZONE); "
                   "default: now")  # fmt: skip
    s.add_argument("--report-to", type=int, metavar="TELEGRAM_ID",
                   help="who gets the delivery report in Telegram")  # fmt: skip
    s.set_defaults(func=cmd_send)
    ls = b_sub.add_parser("list", parents=[db], help="recent broadcasts with delivery counts")
    ls.add_argument("--limit", type=int, default=20)
    ls.set_defaults(func=cmd_list)
    for name, func, text in (
        ("status", cmd_status, "one broadcast's state and counts"),
        ("cancel", cmd_cancel, "stop a scheduled or running broadcast"),
    ):
        c = b_sub.add_parser(name, parents=[db], help=text)
        c.add_argument("id", type=int, metavar="ID")
        c.set_defaults(func=func)  # fmt: skip
