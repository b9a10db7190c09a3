"""`zanbot db …`: back up the database while the bot runs, and check a database file.

    zanbot db backup FILE [--database PATH] [--force]
    zanbot db check [--database PATH]

Both exit 1 on a problem, with the reason on stderr (bot.storage.backup does the work).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.options import database_option
from bot.config import Config
from bot.storage.backup import LATEST_VERSION, BackupError, CheckResult, backup, check

SHOWN = 20  # lines of integrity_check's report printed; a damaged file can have hundreds


def _summary(result: CheckResult) -> str:
    version = "unknown" if result.version is None else str(result.version)
    return f"schema version {version} (this zanbot: {LATEST_VERSION}), {result.size} bytes"


def cmd_db_backup(args: argparse.Namespace, config: Config) -> int:
    source = args.database or config.database
    try:
        result = backup(source, args.file, force=args.force)
    except BackupError as exc:
        print(f"zanbot db backup: {exc}", file=sys.stderr)
        return 1
    print(f"{source} backed up to {result.path}: integrity ok, {_summary(result)}")
    return 0


def cmd_db_check(args: argparse.Namespace, config: Config) -> int:
    path = args.database or config.database
    try:
        result = check(path)
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
    print(f"{path}: integrity ok, {_summary(result)}")
    return 0


def add_db_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `zanbot db backup` and `zanbot db check` to the command line."""
    database = database_option()
    p = sub.add_parser("db", help="back up or check the database")
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
