"""Tests for bot.storage.transfer (`zanbot db migrate-to`): a real SQLite file into a real
PostgreSQL database (ZANBOT_TEST_POSTGRESQL; skipped without one, but not in CI)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import scratch_postgresql

from bot.cli.main import main
from bot.storage.broadcasts import BroadcastStore, HearingNotice
from bot.storage.conversations import ConversationStore
from bot.storage.outbox import Outbox
from bot.storage.postgresql import PostgreSQLStorage
from bot.storage.sql import SQLStorage
from bot.storage.sqlite import SQLiteStorage
from bot.storage.transfer import TransferError, migrate_to

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


async def seed(storage: SQLiteStorage) -> None:
    """Put rows in every table, with a gap in the ids (a deleted vote and broadcast)."""
    await storage.touch_user(7_000_000_001, hint_lang="kk")  # an id past 2^32
    await storage.set_language(2, "ru")
    for user_id, topic in [(7_000_000_001, "all"), (2, "fraud"), (3, "laws")]:
        await storage.subscribe(user_id, topic)
    await storage.set_blocked(3, True)
    for user_id, topic in [(2, "a"), (2, "b"), (None, "a"), (3, "c")]:
        await storage.add_feedback(user_id, topic, "ru", helpful=user_id != 3)
    await storage.execute("DELETE FROM feedback WHERE topic_id = 'b'")
    await storage.add_unanswered_many([("как сварить борщ", "ru"), ("салық", "kk")])
    await storage.add_counts({"ru": (3, 2)}, {("a", "ru"): 2})
    await storage.add_shares({("a", "kk"): 4})
    await storage.grant_admin(2, granted_by=None)
    broadcasts = BroadcastStore(storage, now=lambda: T0)
    gone, _ = await broadcasts.create(created_by=2, text_ru="x", text_kk="x")
    notice = HearingNotice("h-april", "announced", "2026-04-28T05:00:00+00:00")
    sent, _ = await broadcasts.create(created_by=None, text_ru="<b>ru</b>", text_kk="kk",
                                      notices=[notice])  # fmt: skip
    await storage.execute("DELETE FROM broadcasts WHERE id = ?", (gone,))  # its outbox too
    outbox = Outbox(storage, now=lambda: T0)
    [first, *_rest] = await outbox.claim(await outbox.pending(sent))
    await outbox.sent(first)
    await broadcasts.record_hearing_notices([HearingNotice("*", "baseline", "")])
    conversations = ConversationStore(storage)
    await conversations.save("broadcast", 2, '{"step": 3, "data": {"draft": {"$Draft": {}}}}')


async def everything(storage: SQLStorage, tables: list[str]) -> dict[str, list[tuple]]:
    return {table: sorted(await storage.fetchall(f"SELECT * FROM {table}"), key=repr)
            for table in tables}  # fmt: skip


@pytest.fixture
async def source(tmp_path: Path) -> Path:
    path = tmp_path / "zanbot.sqlite3"
    async with SQLiteStorage(path, clock=lambda: T0) as storage:
        await seed(storage)
    return path


async def test_every_table_and_row_moves_and_new_ids_follow_the_copied_ones(
    source: Path,
) -> None:
    async with SQLiteStorage(source) as sqlite:
        tables = [row[0] for row in await sqlite.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_migrations'"
        )]  # fmt: skip
        before = await everything(sqlite, tables)
    async with scratch_postgresql() as url:
        copied = await migrate_to(source, url)
        assert copied == {table: len(rows) for table, rows in before.items()}
        assert list(copied).index("broadcasts") < list(copied).index("outbox")  # parents first
        assert copied["feedback"] == 3 and copied["outbox"] == 2  # something was copied
        async with PostgreSQLStorage(url, clock=lambda: T0) as moved:
            assert await everything(moved, tables) == before
            # The sequences follow the copied ids: a new row never collides with an old one.
            await moved.add_feedback(9, "z", "kk", helpful=True)
            ids = [row[0] for row in await moved.fetchall("SELECT id FROM feedback ORDER BY id")]
            assert ids == [1, 3, 4, 5]
            created, _count = await BroadcastStore(moved).create(
                created_by=2, text_ru="y", text_kk="y"
            )
            assert created == 3  # 1 deleted, 2 copied
            assert [s.user_id for s in await moved.subscribers()] == [2, 7_000_000_001]


async def test_a_database_that_is_not_empty_is_left_as_it_is(source: Path) -> None:
    async with scratch_postgresql() as url:
        async with PostgreSQLStorage(url) as target:
            await target.grant_admin(5, granted_by=None)
        with pytest.raises(TransferError, match=r"not empty .*admins"):
            await migrate_to(source, url)
        async with PostgreSQLStorage(url) as target:
            assert await target.admin_ids() == {5}
            assert await target.fetchall("SELECT COUNT(*) FROM users") == [(0,)]


async def test_a_missing_file_or_server_is_an_error_to_report(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="does not exist"):
        await migrate_to(tmp_path / "none.sqlite3", "postgresql://nobody@/x")
    async with SQLiteStorage(tmp_path / "z.sqlite3"):
        pass
    unreachable = f"postgresql://nobody@/x?host={tmp_path}"  # no server's socket there
    with pytest.raises(TransferError, match=r"^PostgreSQL: "):
        await migrate_to(tmp_path / "z.sqlite3", unreachable)


def test_the_command_moves_the_database_and_says_what_it_copied(
    source: Path, postgresql: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgresql.replace("postgres@", "postgres:s3cret@")  # the test server trusts any password
    assert main(["db", "migrate-to", url, "--database", str(source)]) == 0
    out = capsys.readouterr().out
    assert "outbox: 2 rows" in out.splitlines()
    assert "s3cret" not in out and "postgres:***@" in out
    assert main(["db", "migrate-to", url, "--database", str(source)]) == 1  # not empty now
    assert "not empty" in capsys.readouterr().err
    assert main(["db", "migrate-to", "mysql://x", "--database", str(source)]) == 1
    assert "not a postgresql:// URL" in capsys.readouterr().err
    assert main(["db", "migrate-to", url, "--database", url]) == 1
    assert "must be a SQLite file" in capsys.readouterr().err
