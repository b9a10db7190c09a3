"""Backups and checks of the database file, for `zanbot db backup` and `zanbot db check`.

A backup goes through SQLite's online backup API (``sqlite3.Connection.backup``), in one step:
it reads one consistent snapshot of the database inside a read transaction. In WAL mode the
running bot keeps writing meanwhile (readers never block the writer), and the copy holds every
transaction committed before the snapshot, none after it. Copying the file with ``cp`` instead
can tear a page or miss the ``-wal`` file's commits.

The copy is written next to FILE under a temporary name, switched to the rollback journal (one
self-contained file, no ``-wal`` beside it), checked with ``PRAGMA integrity_check``, synced
to disk and only then renamed to FILE: FILE is a complete, checked backup or is not there.

Plain ``sqlite3``, synchronous: these are command-line tools, not the bot's event loop.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.storage.migrations import MIGRATIONS

LATEST_VERSION = max(m.version for m in MIGRATIONS)
BUSY_TIMEOUT_S = 10.0  # wait this long for a writer's lock (a checkpoint) before giving up


class BackupError(Exception):
    """The backup or the check could not be done; the message says why, for the operator."""


@dataclass(frozen=True)
class CheckResult:
    """What `zanbot db check` found in a database file."""

    path: Path | str  # a SQLite file, or a PostgreSQL URL as it may be shown
    problems: tuple[str, ...]  # integrity_check's lines and schema problems; empty when ok
    version: int | None  # the highest applied migration, None when there is no record
    size: int  # bytes of the main file

    @property
    def ok(self) -> bool:
        return not self.problems


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """Open an existing database file (never create one); `readonly` opens it read-only."""
    if not path.is_file():
        raise BackupError(f"database {path} does not exist (see --database, ZANBOT_DATABASE)")
    mode = "ro" if readonly else "rw"
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    try:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {path}: {exc}") from None


def integrity(connection: sqlite3.Connection) -> list[str]:
    """Return PRAGMA integrity_check's complaints (empty when the file is sound)."""
    rows = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def schema_version(connection: sqlite3.Connection) -> int | None:
    """Return the highest migration recorded in schema_migrations (None: no such table)."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return None
    (version,) = connection.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return None if version is None else int(version)


def schema_problems(version: int | None) -> list[str]:
    """Say what is wrong with a recorded schema version for this zanbot (nothing: [])."""
    if version is None:
        return ["no schema_migrations record: not a zanbot database, or never opened by the bot"]
    if version > LATEST_VERSION:
        return [
            f"schema version {version} is newer than this zanbot's ({LATEST_VERSION}): "
            "written by a later version of the bot; upgrade zanbot before using it"
        ]
    return []


def check(path: str | Path) -> CheckResult:
    """Check a database file: PRAGMA integrity_check and the recorded schema version.

    Opened read-only, so it is safe on the running bot's file. A file SQLite cannot read at
    all (not a database, a mangled header) is a problem found, not an exception.
    """
    path = Path(path)
    connection = _connect(path, readonly=True)
    try:
        try:
            version = schema_version(connection)
        except sqlite3.DatabaseError as exc:
            version, problems = None, [str(exc)]
        else:
            problems = schema_problems(version)
        try:
            problems = integrity(connection) + problems
        except sqlite3.DatabaseError as exc:
            if str(exc) not in problems:
                problems.insert(0, str(exc))
    finally:
        connection.close()
    return CheckResult(path, tuple(problems), version, path.stat().st_size)


def backup(source: str | Path, target: str | Path, *, force: bool = False) -> CheckResult:
    """Copy the database `source` to the file `target` while the bot may be using it.

    Refuses to replace an existing `target` unless `force`. Returns the check of the copy; a
    copy that fails it is deleted and BackupError raised (the source needs `zanbot db check`).
    """
    source, target = Path(source), Path(target)
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; pass --force to replace it")
    if target.exists() and not target.is_file():
        raise BackupError(f"{target} is not a file")
    if not target.parent.is_dir():
        raise BackupError(f"directory {target.parent} does not exist")
    with contextlib.suppress(OSError):
        if target.exists() and target.samefile(source):
            raise BackupError(f"{target} is the database itself")
    origin = _connect(source, readonly=False)  # read-write: it may run a WAL recovery
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(descriptor)
    partial = Path(temporary)
    try:
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            origin.backup(copy)  # pages=-1: one step, one snapshot (see the module's doc)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problems = integrity(copy) + schema_problems(schema_version(copy))
            version = schema_version(copy)
        finally:
            copy.close()
        if problems:
            raise BackupError(f"the copy of {source} fails its check: " + "; ".join(problems))
        with partial.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
        _sync_directory(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        origin.close()
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return CheckResult(target, (), version, target.stat().st_size)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
