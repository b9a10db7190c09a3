"""Tests for connection: the connection under the storage, against a real SQLite file.

They write to ``unanswered``, a core table with nothing but text to fill in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.connection import SQLiteDatabase

INSERT = "INSERT INTO unanswered (text, lang, created_at) VALUES (?, 'ru', '')"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    db = SQLiteDatabase(tmp_path / "test.sqlite3", busy_timeout_ms=1234)
    await db.open()
    yield db
    await db.close()


async def names(db: SQLiteDatabase) -> list[str]:
    return [row[0] for row in await db.fetchall("SELECT text FROM unanswered ORDER BY id")]


async def test_pragmas_wal_foreign_keys_busy_timeout(database: SQLiteDatabase) -> None:
    assert (await database.fetchall("PRAGMA journal_mode"))[0][0] == "wal"
    assert (await database.fetchall("PRAGMA synchronous"))[0][0] == 1  # NORMAL
    assert (await database.fetchall("PRAGMA foreign_keys"))[0][0] == 1
    assert (await database.fetchall("PRAGMA busy_timeout"))[0][0] == 1234


async def test_execute_commits_and_returns_rows(database: SQLiteDatabase) -> None:
    rows = await database.execute(INSERT + " RETURNING id", ("a",))
    assert rows == [(1,)]
    assert await names(database) == ["a"]


async def test_a_failed_transaction_leaves_nothing_behind(database: SQLiteDatabase) -> None:
    with pytest.raises(ValueError, match="half-way"):
        async with database.transaction() as db:
            await db.execute(INSERT, ("a",))
            raise ValueError("half-way")
    assert await names(database) == []
    async with database.transaction() as db:  # the lock was released: usable again
        await db.execute(INSERT, ("b",))
    assert await names(database) == ["b"]


async def test_transactions_do_not_interleave(database: SQLiteDatabase) -> None:
    async def write(name: str) -> None:
        async with database.transaction() as db:
            await db.execute(INSERT, (name + "1",))
            await asyncio.sleep(0)  # let the other writer try to get in between
            await db.execute(INSERT, (name + "2",))

    await asyncio.gather(write("x"), write("y"))
    assert await names(database) in (["x1", "x2", "y1", "y2"], ["y1", "y2", "x1", "x2"])


async def test_open_and_close_are_idempotent(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "test.sqlite3")
    with pytest.raises(RuntimeError, match="not open"):
        await db.fetchall("SELECT 1")
    await db.open()
    connection = db.db
    await db.open()
    assert db.db is connection
    await db.close()
    await db.close()
    with pytest.raises(RuntimeError, match="not open"):
        db.db  # noqa: B018
