"""Command-line options that several `zanbot` commands share."""

from __future__ import annotations

import argparse


def database_option() -> argparse.ArgumentParser:
    """Return a parent parser with `--database`, for the commands that open the database."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--database",
        metavar="FILE|URL",
        help="SQLite file or postgresql:// URL (default: ZANBOT_DATABASE)",
    )
    return parent
