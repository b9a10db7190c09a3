"""Tests for bot.storage.backup: an online backup while the bot's storage keeps writing, and
the check of good, damaged and foreign files."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from bot.storage.backup import LATEST_VERSION, BackupError, backup, check
from bot.storage.sqlite import SQLiteStorage

INSERT = "INSERT INTO unanswered (text, lang, created_at) VALUES (?, 'ru', '')"
BATCH = 10  # rows per transaction: a consistent copy holds a multiple of it


@contextmanager
def connected(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection in autocommit mode, closed after."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        yield connection


def count(path: Path) -> int:
    with connected(path) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM unanswered").fetchone()[0])


def garble(path: Path, start: int, length: int) -> None:
    """Overwrite part of a file with bytes no page of SQLite's would hold."""
    with path.open("r+b") as file:
        file.seek(start)
        file.write(bytes((i * 37 + 11) % 256 for i in range(length)))


async def seeded(path: Path) -> None:
    async with SQLiteStorage(path) as storage:
        await storage.subscribe(1, "laws")


async def test_a_backup_taken_while_the_bot_writes_is_whole_and_consistent(
    tmp_path: Path,
) -> None:
    source = tmp_path / "zanbot.sqlite3"
    async with SQLiteStorage(source) as storage:
        stop = asyncio.Event()
        written = 0

        async def write() -> None:  # the bot: transactions of BATCH rows, without a pause
            nonlocal written
            while not stop.is_set():
                async with storage.transaction() as db:
                    for i in range(BATCH):
                        await db.execute(INSERT, (f"question {written + i}",))
                written += BATCH
                await asyncio.sleep(0)

        writer = asyncio.create_task(write())
        copies = []
        try:
            while written < 200 * BATCH:  # a few hundred kB: the copy takes a while
                await asyncio.sleep(0.01)
            for number in range(3):
                before = written
                target = tmp_path / f"backup-{number}.sqlite3"
                result = await asyncio.to_thread(backup, source, target)
                assert result.ok and result.version == LATEST_VERSION
                copies.append((target, before, written))
        finally:
            stop.set()
            await writer
        assert (await storage.fetchall("PRAGMA journal_mode"))[0][0] == "wal"  # untouched

    final = count(source)
    assert final == written
    assert any(after > before for _, before, after in copies)  # it wrote during a backup
    for target, before, after in copies:
        rows = count(target)
        assert before <= rows <= after  # every commit before the backup, nothing torn
        assert rows % BATCH == 0  # one snapshot: whole transactions only
        with connected(target) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert not target.with_name(target.name + "-wal").exists()
        assert check(target).ok
    assert list(tmp_path.glob("*.partial")) == []


async def test_the_backup_opens_as_the_bots_database(tmp_path: Path) -> None:
    source, target = tmp_path / "zanbot.sqlite3", tmp_path / "copy.sqlite3"
    await seeded(source)
    backup(source, target)
    async with SQLiteStorage(target) as storage:  # a restore: the bot starts on the copy
        assert await storage.subscriptions(1) == {"laws"}


async def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    source, target = tmp_path / "zanbot.sqlite3", tmp_path / "copy.sqlite3"
    await seeded(source)
    target.write_text("yesterday's backup")
    with pytest.raises(BackupError, match="already exists; pass --force"):
        backup(source, target)
    assert target.read_text() == "yesterday's backup"
    backup(source, target, force=True)
    assert check(target).ok
    with pytest.raises(BackupError, match="is the database itself"):
        backup(source, source, force=True)
    assert check(source).ok


def test_a_missing_database_or_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        backup(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "none.sqlite3").exists()  # not created by the attempt
    with pytest.raises(BackupError, match="does not exist"):
        check(tmp_path / "none.sqlite3")


async def test_a_missing_target_directory_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "zanbot.sqlite3"
    await seeded(source)
    with pytest.raises(BackupError, match=r"directory .* does not exist"):
        backup(source, tmp_path / "no" / "copy.sqlite3")


async def test_check_reports_the_schema_version(tmp_path: Path) -> None:
    source = tmp_path / "zanbot.sqlite3"
    await seeded(source)
    result = check(source)
    assert (result.ok, result.version, result.problems) == (True, LATEST_VERSION, ())
    assert result.size == source.stat().st_size


async def test_check_finds_a_damaged_copy(tmp_path: Path) -> None:
    source, damaged = tmp_path / "zanbot.sqlite3", tmp_path / "damaged.sqlite3"
    async with SQLiteStorage(source) as storage:
        for user_id in range(300):  # a few pages of rows and index entries
            await storage.subscribe(user_id, "laws")
    backup(source, damaged)
    size = damaged.stat().st_size
    garble(damaged, size // 2, size // 4)
    result = check(damaged)
    assert not result.ok and result.problems
    assert check(source).ok  # the original is untouched


def test_check_finds_garbage_and_foreign_databases(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all " * 500)
    assert not check(garbage).ok
    foreign = tmp_path / "foreign.sqlite3"
    with connected(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    result = check(foreign)
    assert not result.ok and result.version is None
    assert "schema_migrations" in result.problems[0]


async def test_check_refuses_a_database_from_a_newer_bot(tmp_path: Path) -> None:
    source = tmp_path / "zanbot.sqlite3"
    await seeded(source)
    with connected(source) as connection:
        connection.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, '')",
            (LATEST_VERSION + 1,),
        )
    result = check(source)
    assert not result.ok and result.version == LATEST_VERSION + 1
    assert "newer than this zanbot" in result.problems[0]


def test_a_copy_is_not_the_same_as_copying_the_file(tmp_path: Path) -> None:
    """The reason for the backup API: the WAL holds commits the main file does not yet."""
    source = tmp_path / "zanbot.sqlite3"
    with connected(source) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE schema_migrations (version INTEGER, applied_at TEXT)")
        writer.execute(f"INSERT INTO schema_migrations VALUES ({LATEST_VERSION}, '')")
        writer.execute("CREATE TABLE unanswered (text, lang, created_at)")
        writer.execute(INSERT, ("in the WAL only",))
        shutil.copyfile(source, tmp_path / "cp.sqlite3")
        backup(source, tmp_path / "backup.sqlite3")
    assert count(tmp_path / "backup.sqlite3") == 1
    with connected(tmp_path / "cp.sqlite3") as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert ("unanswered",) not in tables
