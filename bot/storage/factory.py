"""The one place where the database engine is chosen, from ``ZANBOT_DATABASE``.

A ``postgresql://`` (or ``postgres://``) URL is PostgreSQL (``bot.storage.postgresql``);
anything else is the path of a SQLite file (``bot.storage.sqlite``), the default. Everything
outside ``bot.storage`` opens its storage here and sees only ``SQLStorage``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.storage.interface import Clock, utc_now
from bot.storage.pace import DatabasePace
from bot.storage.postgresql import PostgreSQLDatabase, PostgreSQLStorage, is_postgresql
from bot.storage.sql import SQLStorage
from bot.storage.sqlite import SQLiteStorage

__all__ = ["database_exists", "is_postgresql", "pace_for", "shown", "storage_for"]


def storage_for(location: str | Path, *, clock: Clock = utc_now) -> SQLStorage:
    """Return the storage (not yet open) of the database that ``location`` names."""
    if is_postgresql(location):
        return PostgreSQLStorage(str(location), clock=clock)
    return SQLiteStorage(location, clock=clock)


def pace_for(storage: object) -> DatabasePace | None:
    """Return the send grid the workers of a shared database keep together; None for SQLite,
    whose one process paces itself."""
    return DatabasePace(storage) if isinstance(storage, PostgreSQLDatabase) else None


def database_exists(location: str | Path) -> bool:
    """Tell whether there is a database to open: a SQLite file that exists, or any URL.

    The commands that only read (`zanbot report`, `zanbot broadcast`) refuse to create an empty
    SQLite file by mistake; a PostgreSQL database is created by its administrator, not by us.
    """
    return is_postgresql(location) or Path(location).is_file()


def shown(location: str | Path) -> str:
    """Return ``location`` as it may be printed or logged: a URL without its password."""
    text = str(location)
    if not is_postgresql(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
