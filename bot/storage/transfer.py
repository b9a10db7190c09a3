"""`zanbot db migrate-to URL`: move a SQLite database into an empty PostgreSQL database.

Both are opened as the bot opens them, so both have this version's schema (the SQLite file is
migrated first if it is older). Every table is then copied, rows as they are, ids included,
in one PostgreSQL transaction: the target has all of it or nothing. The tables come from the
SQLite file itself, parents before children (by their foreign keys), so a table a later
migration adds is copied without a change here. Last, each identity column's sequence is set
past the highest id copied, so the next broadcast or vote gets a new id.

The SQLite file is read inside one transaction (a consistent snapshot); stop the bot first
anyway, or what it writes meanwhile stays behind in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from bot.storage.connection import SQLiteTransaction
from bot.storage.postgresql import PostgreSQLStorage
from bot.storage.sqlite import SQLiteStorage

BATCH = 5000  # rows read and copied at a time: the outbox may hold millions
INTEGER_TYPES = ("bigint", "integer", "smallint")


class TransferError(Exception):
    """The database cannot be moved; the message says why, for the operator."""


async def migrate_to(source: str | Path, url: str) -> dict[str, int]:
    """Copy every table of the SQLite database ``source`` to PostgreSQL; return rows per table."""
    if not Path(source).is_file():
        raise TransferError(f"database {source} does not exist (see --database, ZANBOT_DATABASE)")
    try:
        return await _migrate(source, url)
    except (OSError, asyncpg.PostgresError) as exc:  # unreachable, refused, a constraint…
        raise TransferError(f"PostgreSQL: {exc}") from exc


async def _migrate(source: str | Path, url: str) -> dict[str, int]:
    async with SQLiteStorage(source) as sqlite, PostgreSQLStorage(url) as target:
        versions = [await _versions(sqlite.fetchall), await _versions(target.fetchall)]
        if versions[0] != versions[1]:
            raise TransferError(
                f"schema versions differ: {source} has {versions[0]}, PostgreSQL {versions[1]}"
            )
        async with sqlite.transaction() as snapshot:
            assert isinstance(snapshot, SQLiteTransaction)
            tables = await _tables(snapshot)
            copied: dict[str, int] = {}
            async with target.pool.acquire() as connection, connection.transaction():
                types = await _column_types(connection)
                if set(types) != set(tables):
                    raise TransferError(
                        f"tables differ: {source} has {sorted(tables)}, PostgreSQL {sorted(types)}"
                    )
                for table in tables:
                    (count,) = await connection.fetchrow(f'SELECT COUNT(*) FROM "{table}"')
                    if count:
                        raise TransferError(
                            f"the PostgreSQL database is not empty ({count} rows in {table}); "
                            "migrate-to only fills a new database"
                        )
                for table in tables:
                    copied[table] = await _copy(snapshot, connection, table, types[table])
                await _advance_identities(connection)
    return copied


async def _versions(fetchall: Any) -> list[int]:
    return [row[0] for row in await fetchall("SELECT version FROM schema_migrations ORDER BY 1")]


async def _tables(snapshot: SQLiteTransaction) -> list[str]:
    """Return the SQLite file's tables, every table after the tables it refers to."""
    rows = await snapshot.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'schema_migrations' ORDER BY name"
    )
    parents = {
        name: {row[2] for row in await snapshot.execute(f'PRAGMA foreign_key_list("{name}")')}
        for (name,) in rows
    }
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in ordered:
            for parent in sorted(parents[name] - {name}):
                visit(parent)
            ordered.append(name)

    for name in parents:
        visit(name)
    return ordered


async def _column_types(connection: Any) -> dict[str, dict[str, str]]:
    """Return {table: {column: data type}} of the PostgreSQL schema, in column order."""
    rows = await connection.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name != 'schema_migrations'"
        " ORDER BY table_name, ordinal_position"
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, {})[column] = data_type
    return found


async def _copy(
    snapshot: SQLiteTransaction, connection: Any, table: str, types: dict[str, str]
) -> int:
    """Copy one table with PostgreSQL's COPY, a batch at a time; return the rows copied."""
    columns = list(types)
    names = ", ".join(f'"{column}"' for column in columns)
    cursor = await snapshot.db.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid')
    total = 0
    while batch := await cursor.fetchmany(BATCH):
        records = list(_records(batch, [types[column] for column in columns]))
        await connection.copy_records_to_table(table, records=records, columns=columns)
        total += len(records)
    await cursor.close()
    return total


def _records(rows: Sequence[Sequence[Any]], types: list[str]) -> Iterator[tuple[Any, ...]]:
    # SQLite keeps whatever type a value came with; PostgreSQL's COPY takes exactly the
    # column's type.
    for row in rows:
        yield tuple(
            None if value is None else int(value) if kind in INTEGER_TYPES else str(value)
            for value, kind in zip(row, types, strict=True)
        )


async def _advance_identities(connection: Any) -> None:
    """Set every identity column's sequence past the highest id copied."""
    rows = await connection.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in rows:
        await connection.execute(
            f'SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX("{column}"), 0) + 1,'
            f' false) FROM "{table}"',
            f'"{table}"',
            column,
        )
