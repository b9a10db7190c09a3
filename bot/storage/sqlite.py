"""``SQLiteStorage``: the ``Storage`` interface in one SQLite file (WAL mode), over aiosqlite.

The default database: the statements are ``bot.storage.sql``'s, the connection, its lock and
the migrations ``bot.storage.connection``'s. ``bot.storage.factory`` picks it for a path.
"""

from __future__ import annotations

from bot.storage.connection import SQLiteDatabase
from bot.storage.sql import SQLStorage


class SQLiteStorage(SQLiteDatabase, SQLStorage):
    """``Storage`` in one SQLite file (WAL mode), through aiosqlite."""
