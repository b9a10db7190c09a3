"""Tests for `zanbot db backup` and `zanbot db check` (bot.cli.db) on real database files, and
`zanbot db check` on a real PostgreSQL database (`migrate-to`: tests/storage/test_transfer.py)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.storage.backup import LATEST_VERSION
from bot.storage.postgresql import PostgreSQLStorage
from bot.storage.sqlite import SQLiteStorage


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "zanbot.sqlite3"

    async def seed() -> None:
        async with SQLiteStorage(path) as storage:
            for user_id in range(200):
                await storage.subscribe(user_id, "fraud")

    asyncio.run(seed())
    return path


def test_backup_then_check_the_copy(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "backups" / "zanbot-2026-11-01.sqlite3"
    copy.parent.mkdir()
    assert main(["db", "backup", str(copy), "--database", str(database)]) == 0
    out = capsys.readouterr().out
    assert f"backed up to {copy}: integrity ok, schema version {LATEST_VERSION}" in out
    assert main(["db", "check", "--database", str(copy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{copy}: integrity ok, schema version {LATEST_VERSION} ")
    assert f"(this zanbot: {LATEST_VERSION})" in out


def test_backup_refuses_to_overwrite_without_force(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(b"an older backup")
    assert main(["db", "backup", str(copy), "--database", str(database)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert copy.read_bytes() == b"an older backup"
    assert main(["db", "backup", str(copy), "--database", str(database), "--force"]) == 0
    assert main(["db", "check", "--database", str(copy)]) == 0


def test_the_database_comes_from_the_configuration(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("ZANBOT_DATABASE", str(database))
    assert main(["db", "check"]) == 0
    assert main(["db", "backup", "copy.sqlite3"]) == 0
    assert (tmp_path / "copy.sqlite3").is_file()


def test_check_fails_on_a_corrupted_copy(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "backup", str(tmp_path / "good.sqlite3"), "--database", str(database)]) == 0
    damaged = tmp_path / "damaged.sqlite3"
    shutil.copyfile(tmp_path / "good.sqlite3", damaged)
    size = damaged.stat().st_size
    with damaged.open("r+b") as file:
        file.seek(size // 3)
        file.write(bytes((i * 91 + 7) % 256 for i in range(size // 3)))
    capsys.readouterr()
    assert main(["db", "check", "--database", str(damaged)]) == 1
    err = capsys.readouterr().err
    assert f"{damaged}: " in err and "problem(s)" in err


def test_check_fails_on_garbage_and_on_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"\x00garbage" * 1000)
    assert main(["db", "check", "--database", str(garbage)]) == 1
    assert "problem(s)" in capsys.readouterr().err
    missing = tmp_path / "missing.sqlite3"
    assert main(["db", "check", "--database", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()
    assert main(["db", "backup", str(tmp_path / "c.sqlite3"), "--database", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_db_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["db"])
    assert exited.value.code == 2
    assert "backup" in capsys.readouterr().err


def test_check_on_postgresql_reads_the_schema_version_and_never_migrates(
    postgresql: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # an empty database stays empty: check only reads
        assert main(["db", "check", "--database", postgresql]) == 1
        assert "no schema_migrations record" in capsys.readouterr().err

    async def open_once() -> None:
        async with PostgreSQLStorage(postgresql):
            pass

    asyncio.run(open_once())
    assert main(["db", "check", "--database", postgresql]) == 0
    out = capsys.readouterr().out
    assert f": answers, schema version {LATEST_VERSION} (this zanbot: {LATEST_VERSION})" in out
    assert main(["db", "backup", str(tmp_path / "copy"), "--database", postgresql]) == 1
    assert "back it up with its own tools (pg_dump)" in capsys.readouterr().err
    nowhere = f"postgresql://nobody:s3cret@/x?host={tmp_path}"  # no server's socket there
    assert main(["db", "check", "--database", nowhere]) == 1
    err = capsys.readouterr().err
    assert "cannot connect" in err and "s3cret" not in err
