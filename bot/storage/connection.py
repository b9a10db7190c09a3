"""The SQLite connection under the storage: WAL mode, migrations, and one writer at a time.

aiosqlite runs every statement on one background thread; writes share one connection, so a
lock keeps a transaction's statements together. The stores of ``bot.storage`` (core tables,
broadcasts, outbox, conversations) all read and write through it, as a ``Database``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage import migrations as schema
from bot.storage.database import Database, Rows
from bot.storage.interface import Clock, utc_now


class SQLiteTransaction:
    """The statements of one SQLite transaction (``bot.storage.database.Transaction``)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        return [tuple(row) for row in await self.db.execute_fetchall(sql, tuple(params))]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.db.executemany(sql, rows)


class SQLiteDatabase(Database):
    """One SQLite file (WAL mode) through aiosqlite: migrations, reads, writes, transactions."""

    def __init__(
        self, path: str | Path, *, clock: Clock = utc_now, busy_timeout_ms: int = 5000
    ) -> None:
        super().__init__(clock=clock)
        self.path = Path(path)
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()  # one transaction at a time on the shared connection

    async def open(self) -> None:
        """Connect, then bring the schema up to date (``migrations.MIGRATIONS``); idempotent."""
        if self._db is not None:
            return
        # Autocommit: each statement commits alone; multi-statement writes use transaction().
        db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the database; it skips an fsync per commit
            # (a power cut may lose the last counters, not the schema or users).
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            await schema.apply_migrations(db, schema.MIGRATIONS, self._clock())
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    @property
    def db(self) -> aiosqlite.Connection:
        """Return the open connection; raise RuntimeError before ``open()``."""
        if self._db is None:
            raise RuntimeError("storage is not open; call open() or use 'async with'")
        return self._db

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        return [tuple(row) for row in await self.db.execute_fetchall(sql, tuple(params))]

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        async with self._lock:
            return await self.fetchall(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLiteTransaction]:
        """Hold the write lock and run the block's statements as one transaction."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SQLiteTransaction(self.db)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")
