"""Tests for bot.storage.postgresql: placeholders, the pool, migrations under the advisory lock.

Against a real server (ZANBOT_TEST_POSTGRESQL); without one these are skipped (but not in CI).
What the stores do is tested on both databases by the other tests of tests/storage/.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from conftest import scratch_postgresql

from bot.storage.migrations import MIGRATIONS
from bot.storage.postgresql import PostgreSQLStorage, numbered
from bot.storage.postgresql_schema import POSTGRESQL_MIGRATIONS

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?", "SELECT $1"),
        ("UPDATE t SET a = ?, b = ? WHERE c IN (?, 'all')",
         "UPDATE t SET a = $1, b = $2 WHERE c IN ($3, 'all')"),
        ("SELECT '?', \"a?\" -- why?\n FROM t WHERE x = ?",
         "SELECT '?', \"a?\" -- why?\n FROM t WHERE x = $1"),
        ("SELECT 'it''s ?' WHERE y = ?", "SELECT 'it''s ?' WHERE y = $1"),
    ],
)  # fmt: skip
def test_placeholders_are_numbered_outside_quotes_and_comments(sql: str, expected: str) -> None:
    assert numbered(sql) == expected


def test_every_migration_has_a_postgresql_dialect() -> None:
    assert sorted(POSTGRESQL_MIGRATIONS) == [m.version for m in MIGRATIONS]


def test_a_url_is_required() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        PostgreSQLStorage("zanbot.sqlite3")


async def test_workers_starting_together_migrate_once() -> None:
    async with scratch_postgresql() as url:
        workers = [PostgreSQLStorage(url, clock=lambda: T0) for _ in range(4)]
        await asyncio.gather(*(worker.open() for worker in workers))
        try:
            applied = sorted(version for worker in workers for version in worker.applied)
            assert applied == [m.version for m in MIGRATIONS]  # each one, by one worker
            rows = await workers[0].fetchall("SELECT version, applied_at FROM schema_migrations")
            assert sorted(rows) == [(m.version, "2026-03-01T09:30:00+00:00") for m in MIGRATIONS]
            # Every worker sees the same tables: one writes, another reads it.
            await workers[1].subscribe(7, "fraud")
            assert await workers[3].subscriptions(7) == {"fraud"}
        finally:
            await asyncio.gather(*(worker.close() for worker in workers))


async def test_reopening_applies_nothing_and_the_lock_is_released() -> None:
    async with scratch_postgresql() as url:
        async with PostgreSQLStorage(url) as first:
            assert first.applied == [m.version for m in MIGRATIONS]
        async with PostgreSQLStorage(url) as again:
            assert again.applied == []
            held = await again.fetchall("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")
            assert held == [(0,)]


async def test_a_failed_transaction_leaves_nothing_and_use_needs_open() -> None:
    async with scratch_postgresql() as url:
        storage = PostgreSQLStorage(url)
        with pytest.raises(RuntimeError, match="not open"):
            await storage.admin_ids()
        async with storage:
            with pytest.raises(ValueError, match="half-way"):
                async with storage.transaction() as db:
                    await db.execute("INSERT INTO admins (user_id, granted_at) VALUES (1, '')")
                    raise ValueError("half-way")
            assert await storage.admin_ids() == set()
            await storage.close()  # twice: harmless
        with pytest.raises(RuntimeError, match="not open"):
            await storage.ping()


async def test_telegram_ids_beyond_32_bits_and_text_sorted_by_bytes() -> None:
    async with scratch_postgresql() as url, PostgreSQLStorage(url) as storage:
        big = 7_000_000_000  # Telegram ids pass 2^31
        await storage.subscribe(big, "all")
        assert [s.user_id for s in await storage.subscribers()] == [big]
        # ISO times and topic ids compare as bytes, as in SQLite, whatever the collation.
        columns = await storage.fetchall(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND data_type = 'text' AND table_name != 'schema_migrations'"
            " AND collation_name IS DISTINCT FROM 'C'"
        )
        assert columns == [(0,)]  # every text column of the schema sorts by bytes
