"""Tests for bot.storage.migrations: one list of migrations, applied at open, against real files."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import migrations as schema
from bot.storage.broadcasts import BroadcastStore
from bot.storage.conversations import ConversationStore
from bot.storage.migrations import MIGRATIONS, Migration, apply_migrations
from bot.storage.sqlite import SQLiteStorage

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NOTES = Migration(
    99,
    "notes",
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
    "INSERT INTO notes (body) VALUES ('seed');",
)
# Databases in use have these recorded as applied: their text must never change.
RELEASED = {
    1: "0a6b62f3f08ee34bf39a667674bc48087870bd50459d8b390d856b2810f84cfc",
    2: "5b0355d2b7ea3a01219c38a2a645bca863e0116c2f8da8ae0180342d22e92031",
    3: "e71b79f54d6a2a1d5fc28e4906ade68e53581f96d0aac4be28b4d061295cc75f",
}
TABLES = {
    "users", "subscriptions", "feedback", "unanswered", "topic_stats", "question_stats",
    "admins", "broadcasts", "outbox", "hearing_notices", "conversations",
    "share_stats", "send_pace", "chat_pace",
}  # fmt: skip


async def versions(storage: SQLiteStorage) -> list[tuple[int, str]]:
    rows = await storage.fetchall("SELECT version, applied_at FROM schema_migrations")
    return [(row[0], row[1]) for row in rows]


async def tables(storage: SQLiteStorage) -> set[str]:
    rows = await storage.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows} - {"schema_migrations"}


def test_released_migrations_are_unchanged_and_in_order() -> None:
    for migration in MIGRATIONS:
        if migration.version in RELEASED:
            digest = hashlib.sha256(migration.sql.encode()).hexdigest()
            assert digest == RELEASED[migration.version], (
                f"migration {migration.version} was released: add a new version instead"
            )
        assert schema.split_statements(migration.sql)  # each one is complete SQL
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


async def test_a_new_database_has_every_table_and_records_each_migration_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.sqlite3"
    async with SQLiteStorage(path, clock=lambda: T0) as storage:
        assert await tables(storage) == TABLES
        assert await versions(storage) == [
            (m.version, "2026-03-01T09:30:00+00:00") for m in MIGRATIONS
        ]
    later = T0 + timedelta(days=1)
    async with SQLiteStorage(path, clock=lambda: later) as storage:
        assert [at for _v, at in await versions(storage)] == ["2026-03-01T09:30:00+00:00"] * len(
            MIGRATIONS
        )


# Each tuple: the migrations an earlier version of the bot had applied, in the order it did.
# `zanbot report` or a bot before broadcasts: core only. The bot installed its conversation
# tables (3) before opening the database (1), then the broadcast tables (2) at start.
@pytest.mark.parametrize("earlier", [(1,), (1, 2), (3, 1), (3, 1, 2)])
async def test_a_database_of_an_earlier_version_opens_with_every_table(
    tmp_path: Path, earlier: tuple[int, ...]
) -> None:
    path = tmp_path / "old.sqlite3"
    by_version = {m.version: m for m in MIGRATIONS}
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for version in earlier:  # one at a time, so that they are recorded in this order
            await apply_migrations(db, [by_version[version]], T0)
        await db.execute(
            "INSERT INTO users (user_id, first_seen, last_seen) VALUES (7, ?, ?)",
            (schema.to_iso(T0), schema.to_iso(T0)),
        )
    async with SQLiteStorage(path, clock=lambda: T0 + timedelta(days=30)) as storage:
        assert await tables(storage) == TABLES
        recorded = dict(await versions(storage))
        assert sorted(recorded) == [m.version for m in MIGRATIONS]
        assert {recorded[v] for v in earlier} == {"2026-03-01T09:30:00+00:00"}  # kept as is
        # Every store works on it, /forget included (it deletes from every store's tables).
        await storage.subscribe(7, "all")
        _id, count = await BroadcastStore(storage).create(created_by=None, text_ru="a",
                                                           text_kk="b")  # fmt: skip
        await ConversationStore(storage).save("broadcast", 7, "{}")
        assert count == 1
        await storage.forget_user(7)
        assert await storage.export_user(7) == {}


async def test_a_failed_migration_rolls_back_and_leaves_the_storage_closed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "odd.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await apply_migrations(db, MIGRATIONS[:1], T0)
        await db.execute("CREATE TABLE outbox (x)")  # in the way of migration 2, half-way
    storage = SQLiteStorage(path)
    with pytest.raises(sqlite3.OperationalError, match="outbox already exists"):
        await storage.open()
    with pytest.raises(RuntimeError, match="not open"):
        storage.db  # noqa: B018
    async with aiosqlite.connect(path) as db:
        rows = await db.execute_fetchall("SELECT version FROM schema_migrations")
        assert list(rows) == [(1,)]
        # Its first statements were undone with the rest.
        assert list(await db.execute_fetchall("SELECT name FROM sqlite_master WHERE name = "
                                              "'broadcasts'")) == []  # fmt: skip


async def test_apply_migrations_applies_each_once(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "notes.sqlite3", isolation_level=None) as db:
        versions = [m.version for m in MIGRATIONS]
        assert await apply_migrations(db, [*MIGRATIONS, NOTES], T0) == [*versions, 99]
        assert await apply_migrations(db, [*MIGRATIONS, NOTES], T0) == []
        # The seed row would be doubled if the migration ran again.
        assert list(await db.execute_fetchall("SELECT body FROM notes")) == [("seed",)]
        with pytest.raises(ValueError, match="duplicate migration versions"):
            await apply_migrations(db, [NOTES, NOTES._replace(name="other")], T0)


def test_split_statements_keeps_triggers_whole() -> None:
    sql = (
        "CREATE TABLE a (x); -- note; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM a; SELECT 1; END;\n"
        "-- trailing comment"
    )
    assert schema.split_statements(sql) == [
        "CREATE TABLE a (x);",
        "-- note; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM a; SELECT 1; END;",
    ]
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        schema.split_statements("CREATE TRIGGER u AFTER INSERT ON a BEGIN SELECT 1;")


def test_time_range_dates_cover_whole_days_and_datetimes_are_exact() -> None:
    assert schema.time_range(date(2026, 3, 1), date(2026, 3, 2)) == (
        "2026-03-01T00:00:00+00:00",
        "2026-03-03T00:00:00+00:00",
    )
    assert schema.time_range(T0, T0 + timedelta(hours=1)) == (
        "2026-03-01T09:30:00+00:00",
        "2026-03-01T10:30:00+00:00",
    )


async def test_votes_given_twice_before_version_4_keep_the_latest(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await apply_migrations(db, [m for m in MIGRATIONS if m.version < 4], T0)
        await db.executemany(
            "INSERT INTO feedback (user_id, topic_id, lang, helpful, created_at)"
            " VALUES (?, ?, 'ru', ?, ?)",
            [(7, "a", 1, "t1"), (7, "a", 0, "t2"), (8, "a", 1, "t1"), (None, "a", 1, "t1"),
             (None, "a", 1, "t2")],
        )  # fmt: skip
    async with SQLiteStorage(path, clock=lambda: T0) as storage:
        rows = await storage.fetchall(
            "SELECT user_id, helpful FROM feedback ORDER BY user_id IS NULL, user_id, id"
        )
    assert rows == [(7, 0), (8, 1), (None, 1), (None, 1)]
