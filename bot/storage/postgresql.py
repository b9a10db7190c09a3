"""PostgreSQL under the storage, through asyncpg: a connection pool, migrations under a lock.

The stores' SQL is written once with ``?`` placeholders (``bot.storage.database``); here each
statement gets PostgreSQL's numbered ones (``$1``, ``$2``…) before asyncpg prepares it, once
per distinct statement. A plain ``execute`` commits at once; ``transaction()`` holds one pooled
connection for its block. The schema is ``bot.storage.postgresql_schema``, applied by
``open()``: several workers starting together take PostgreSQL's advisory lock in turn, so the
first applies the migrations and the others find them recorded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from bot.storage import migrations as schema
from bot.storage.backup import CheckResult, schema_problems
from bot.storage.database import Database, Rows
from bot.storage.interface import Clock, utc_now
from bot.storage.postgresql_schema import MIGRATIONS_TABLE, POSTGRESQL_MIGRATIONS
from bot.storage.sql import SQLStorage

URL_SCHEMES = ("postgresql://", "postgres://")
# pg_advisory_lock's key while migrating ("zanb" in ASCII). It is per database: zanbots on
# other databases of the same server do not wait for each other.
MIGRATION_LOCK = 0x7A616E62
POOL_SIZE = 10  # connections per process: the bot's handlers, the delivery worker, the stats

# A quoted string, a quoted name or a comment is copied as it is; a lone ? is a placeholder.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|\?")


def is_postgresql(location: object) -> bool:
    """Tell whether a ``ZANBOT_DATABASE`` value is a PostgreSQL URL (else a SQLite file)."""
    return str(location).startswith(URL_SCHEMES)


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """Turn the ``?`` placeholders of a statement into PostgreSQL's ``$1``, ``$2``…"""
    count = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f"${count}"

    return _TOKENS.sub(swap, sql)


class PostgreSQLTransaction:
    """The statements of one transaction (``bot.storage.database.Transaction``)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        rows = await self.connection.fetch(numbered(sql), *params)
        return [tuple(row) for row in rows]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.connection.executemany(numbered(sql), rows)


async def apply_migrations(connection: asyncpg.Connection, applied_at: datetime) -> list[int]:
    """Apply the migrations not yet recorded, one transaction each; return their versions.

    Under ``MIGRATION_LOCK``: a second worker waits, then finds every version recorded.
    """
    missing = {m.version for m in schema.MIGRATIONS} - set(POSTGRESQL_MIGRATIONS)
    if missing:
        raise RuntimeError(f"migrations {sorted(missing)} have no PostgreSQL dialect")
    applied: list[int] = []
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await connection.execute(MIGRATIONS_TABLE)
        done = {row[0] for row in await connection.fetch("SELECT version FROM schema_migrations")}
        for migration in sorted(schema.MIGRATIONS):
            if migration.version in done:
                continue
            async with connection.transaction():
                await connection.execute(POSTGRESQL_MIGRATIONS[migration.version])
                await connection.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    migration.version,
                    schema.to_iso(applied_at),
                )
            applied.append(migration.version)
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied


class PostgreSQLDatabase(Database):
    """A PostgreSQL database through an asyncpg connection pool."""

    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, clock: Clock = utc_now, pool_size: int = POOL_SIZE) -> None:
        super().__init__(clock=clock)
        if not is_postgresql(url):
            raise ValueError("a PostgreSQL URL starts with postgresql://")
        self.url = url
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self.applied: list[int] = []  # the migrations this process applied when it opened

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self._pool_size)
        try:
            async with pool.acquire() as connection:
                self.applied = await apply_migrations(connection, self._clock())
        except BaseException:
            pool.terminate()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        """Return the open pool; raise RuntimeError before ``open()``."""
        if self._pool is None:
            raise RuntimeError("storage is not open; call open() or use 'async with'")
        return self._pool

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        rows = await self.pool.fetch(numbered(sql), *params)
        return [tuple(row) for row in rows]

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        return await self.fetchall(sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgreSQLTransaction]:
        async with self.pool.acquire() as connection, connection.transaction():
            yield PostgreSQLTransaction(connection)


class PostgreSQLStorage(PostgreSQLDatabase, SQLStorage):
    """``Storage`` in a PostgreSQL database, shared by every worker that opens it."""


async def check(url: str, *, shown_as: str = "") -> CheckResult:
    """`zanbot db check` for PostgreSQL: the server answers, and the schema version recorded.

    Read-only: unlike opening the storage, it never applies a migration. The database's
    integrity is PostgreSQL's own business (checksums, ``pg_amcheck``).
    """
    try:
        connection = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        return CheckResult(shown_as or url, (f"cannot connect: {exc}",), None, 0)
    try:
        version = None
        if await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
            version = await connection.fetchval("SELECT MAX(version) FROM schema_migrations")
        size = await connection.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await connection.close()
    return CheckResult(shown_as or url, tuple(schema_problems(version)), version, int(size))
