"""`zanbot link TOPIC_ID [--qr FILE]`: the deep link that opens a topic in the bot, for a
poster, and its QR code (FILE.png, or FILE.svg for a vector image).

The link goes to stdout alone, so that a script can take it. The bot's username comes from
TELEGRAM_BOT_USERNAME, or else from Telegram itself (getMe) with TELEGRAM_BOT_TOKEN.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import Config
from bot.conversation.links import QR_KINDS, deep_link, qr_code, similar_ids
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.topics import ContentError

HOW_TO_FIND = (
    "a topic's id is its file name in content/ru and content/kk without .md; "
    "`zanbot kb dump` lists them"
)


def add_link_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    parents: list[argparse.ArgumentParser],
) -> None:
    """Add `zanbot link`; `parents` bring the options it shares (--content)."""
    p = sub.add_parser("link", parents=parents, help="a topic's deep link and QR code for posters")
    p.add_argument("topic", metavar="TOPIC_ID")
    help_ = "also write the link as a QR code: .png, or .svg for a vector image"
    p.add_argument("--qr", type=Path, metavar="FILE.png", help=help_)
    p.set_defaults(func=cmd_link)


def _ask_username(config: Config) -> str | None:
    """Ask Telegram for the bot's username (getMe); say why not and return None on failure."""
    from telegram.error import TelegramError

    from bot.telegram.profile import ask_username

    try:
        return asyncio.run(ask_username(config))
    except TelegramError as exc:
        print(f"zanbot link: could not ask Telegram for the bot's username: {exc}",
              file=sys.stderr)  # fmt: skip
        return None


def cmd_link(args: argparse.Namespace, config: Config) -> int:
    kind = args.qr.suffix.lower().removeprefix(".") if args.qr else None
    if kind is not None and kind not in QR_KINDS:
        print(f"zanbot link: --qr {args.qr}: expected a .png or .svg file", file=sys.stderr)
        return 2
    try:
        kb = load_knowledge_base(args.content or config.content_dir)
    except ContentError as exc:
        print("\n".join(str(p) for p in exc.problems), file=sys.stderr)
        print(f"content is invalid: {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    if args.topic not in kb.ids():
        close = similar_ids(args.topic, kb)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        print(f"zanbot link: unknown topic '{args.topic}'{hint}\n{HOW_TO_FIND}", file=sys.stderr)
        return 1
    if not (config.bot_username or config.token):
        print("zanbot link: set TELEGRAM_BOT_USERNAME, or TELEGRAM_BOT_TOKEN to ask Telegram",
              file=sys.stderr)  # fmt: skip
        return 2
    username = config.bot_username or _ask_username(config)
    if username is None:
        return 1
    link = deep_link(username, args.topic)
    print(link)
    if args.qr is not None:
        args.qr.write_bytes(qr_code(link, kind=kind or "png"))
        print(f"QR code of the link written to {args.qr}", file=sys.stderr)
    return 0
