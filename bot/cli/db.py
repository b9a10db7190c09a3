"""`zanbot db …`: back up the database while the bot runs, check a database file, and move a
SQLite database into PostgreSQL.

    zanbot db backup FILE [--database PATH] [--force]
    zanbot db check [--database PATH]
    zanbot db migrate-to URL [--database PATH]

Each exits 1 on a problem, with the reason on stderr (bot.storage.backup and
bot.storage.transfer do the work). Backups are SQLite's: a PostgreSQL database is backed up
with PostgreSQL's own tools (pg_dump); `check` on PostgreSQL says whether it answers and which
schema version it has.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.options import database_option
from bot.config import Config
from bot.storage.backup import LATEST_VERSION, BackupError, CheckResult, backup, check
from bot.storage.factory import is_postgresql, shown
from bot.storage.postgresql import check as check_postgresql
from bot.storage.transfer import TransferError, migrate_to

SHOWN = 20  # lines of integrity_check's report printed; a damaged file can have hundreds


def _summary(result: CheckResult) -> str:
    version = "unknown" if result.version is None else str(result.version)
    return f"schema version {version} (this zanbot: {LATEST_VERSION}), {result.size} bytes"


def cmd_db_backup(args: argparse.Namespace, config: Config) -> int:
    source = args.database or config.database
    if is_postgresql(source):
        print(f"zanbot db backup: {shown(source)} is PostgreSQL: back it up with its own tools "
              "(pg_dump)", file=sys.stderr)  # fmt: skip
        return 1
    try:
        result = backup(source, args.file, force=args.force)
    except BackupError as exc:
        print(f"zanbot db backup: {exc}", file=sys.stderr)
        return 1
    print(f"{source} backed up to {result.path}: integrity ok, {_summary(result)}")
    return 0


def cmd_db_check(args: argparse.Namespace, config: Config) -> int:
    database: str = args.database or config.database
    path, state = shown(database), "integrity ok"
    if is_postgresql(database):  # the server answers; its integrity is its own business
        result, state = asyncio.run(check_postgresql(database, shown_as=path)), "answers"
    else:
        try:
            result = check(database)
        except BackupError as exc:
            print(f"zanbot db check: {exc}", file=sys.stderr)
            return 1
    if not result.ok:
        lines = [line for problem in result.problems for line in problem.splitlines()]
        for line in lines[:SHOWN]:
            print(f"{path}: {line}", file=sys.stderr)
        if len(lines) > SHOWN:
            print(f"{path}: … {len(lines) - SHOWN} more line(s)", file=sys.stderr)
        print(f"{path}: {len(result.problems)} problem(s); {_summary(result)}", file=sys.stderr)
        return 1
    print(f"{path}: {state}, {_summary(result)}")
    return 0


def cmd_db_migrate_to(args: argparse.Namespace, config: Config) -> int:
    source = args.database or config.database
    if is_postgresql(source):
        print(f"zanbot db migrate-to: the database to move must be a SQLite file, not "
              f"{shown(source)} (see --database)", file=sys.stderr)  # fmt: skip
        return 1
    if not is_postgresql(args.url):
        print(f"zanbot db migrate-to: {args.url} is not a postgresql:// URL", file=sys.stderr)
        return 1
    try:
        copied = asyncio.run(migrate_to(source, args.url))
    except (TransferError, OSError) as exc:
        print(f"zanbot db migrate-to: {exc}", file=sys.stderr)
        return 1
    for table, rows in copied.items():
        print(f"{table}: {rows} rows")
    print(f"{source} copied to {shown(args.url)}: {sum(copied.values())} rows in "
          f"{len(copied)} tables; now set ZANBOT_DATABASE to the URL")  # fmt: skip
    return 0


def add_db_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `zanbot db backup`, `check` and `migrate-to` to the command line."""
    database = database_option()
    p = sub.add_parser("db", help="back up, check or move the database")
    db_sub = p.add_subparsers(dest="db_command", required=True)
    b = db_sub.add_parser(
        "backup",
        parents=[database],
        help="copy the database to FILE, safely while the bot runs",
        description="Copy the database to FILE with SQLite's online backup API: a consistent "
        "snapshot, safe while the bot is running; the copy is checked before it is kept.",
    )
    b.add_argument("file", type=Path, metavar="FILE")
    b.add_argument("--force", action="store_true", help="replace FILE if it exists")
    b.set_defaults(func=cmd_db_backup)
    c = db_sub.add_parser(
        "check",
        parents=[database],
        help="integrity check and schema version; exit 1 on a problem",
        description="Run PRAGMA integrity_check (read-only) and report the schema version "
        "recorded in schema_migrations; exit 1 on a problem.",
    )
    c.set_defaults(func=cmd_db_check)
    m = db_sub.add_parser(
        "migrate-to",
        parents=[database],
        help="copy the SQLite database into an empty PostgreSQL database",
        description="Copy every table of the SQLite database (--database, ZANBOT_DATABASE) into "
        "the empty PostgreSQL database at URL, ids included, in one transaction; then set "
        "ZANBOT_DATABASE=URL. Stop the bot first.",
    )
    m.add_argument("url", metavar="URL", help="postgresql://user:password@host:port/name")
    m.set_defaults(func=cmd_db_migrate_to)
