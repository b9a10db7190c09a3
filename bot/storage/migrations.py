"""Database schema as numbered migrations, and the registry other modules extend.

A migration is ``(version, name, sql)``. ``SQLiteStorage`` applies, at open, every migration
whose version is not yet recorded in ``schema_migrations``, each in its own transaction, in
version order. A module that owns extra tables installs its migration when it starts, on a
connection of its own (so the result does not depend on which modules were imported)::

    # bot/broadcasting/broadcasts.py (version 2), bot/telegram/persistence.py (version 3)
    MIGRATION = Migration(2, "broadcasts", SQL)
    await storage.install(MIGRATION)

``register_migration`` adds one to the registry instead, applied at every open; or pass the
list explicitly: ``SQLiteStorage(path, migrations=(*schema.migrations(), MY_MIGRATION))``.
Never edit a released migration: add a new version instead.

Column formats: times are ISO 8601 UTC text (``to_iso``), days are UTC ``YYYY-MM-DD``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import aiosqlite

__all__ = [
    "MIGRATIONS",
    "SCHEMA_V1",
    "Migration",
    "apply_migrations",
    "day_text",
    "migrations",
    "register_migration",
    "split_statements",
    "time_range",
    "to_iso",
]


class Migration(NamedTuple):
    """One schema step: applied once, recorded in ``schema_migrations``."""

    version: int
    name: str
    sql: str


MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""

# Times are ISO 8601 UTC text; days are YYYY-MM-DD (UTC).
SCHEMA_V1 = """
CREATE TABLE users (
    user_id    INTEGER PRIMARY KEY,
    lang       TEXT NULL CHECK (lang IN ('ru', 'kk')),
    hint_lang  TEXT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    blocked    INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
);
CREATE TABLE subscriptions (
    user_id    INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, topic)
);
CREATE INDEX subscriptions_topic ON subscriptions(topic);
-- Feedback and admins carry no foreign key: anonymous feedback (NULL user) is allowed and an
-- admin may be granted before ever talking to the bot; forget_user deletes them explicitly.
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NULL,
    topic_id   TEXT NOT NULL,
    lang       TEXT NOT NULL,
    helpful    INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE INDEX feedback_created ON feedback(created_at);
CREATE INDEX feedback_user ON feedback(user_id);
-- No user id on purpose: unanswered questions are kept only to improve content.
CREATE TABLE unanswered (
    id         INTEGER PRIMARY KEY,
    text       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX unanswered_created ON unanswered(created_at);
CREATE TABLE topic_stats (
    day      TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    lang     TEXT NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, topic_id, lang)
);
CREATE TABLE question_stats (
    day      TEXT NOT NULL,
    lang     TEXT NOT NULL,
    asked    INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, lang)
);
CREATE TABLE admins (
    user_id    INTEGER PRIMARY KEY,
    granted_by INTEGER NULL,
    granted_at TEXT NOT NULL
);
"""

MIGRATIONS: tuple[Migration, ...] = (Migration(1, "core", SCHEMA_V1),)


def migrations() -> tuple[Migration, ...]:
    """Return the registered migrations in version order."""
    return MIGRATIONS


def register_migration(version: int, name: str, sql: str) -> Migration:
    """Add a migration to the registry; re-registering the same one is a no-op."""
    global MIGRATIONS
    migration = Migration(version, name, sql)
    for existing in MIGRATIONS:
        if existing.version == version:
            if existing == migration:
                return existing  # a module imported twice (e.g. by tests) registers again
            raise ValueError(f"migration {version} is already registered as {existing.name!r}")
    if version < 1:
        raise ValueError("migration versions start at 1")
    split_statements(sql)  # fail at import, not at the first open in production
    MIGRATIONS = tuple(sorted((*MIGRATIONS, migration)))
    return migration


def split_statements(sql: str) -> list[str]:
    """Split an SQL script into complete statements (triggers with BEGIN...END stay whole)."""
    statements: list[str] = []
    current = ""
    for piece in sql.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \t\r\n;"):
                statements.append(current.strip())
            current = ""
    leftover = [line.strip() for line in current.rstrip(";").splitlines()]
    if any(line and not line.startswith("--") for line in leftover):
        raise ValueError(f"incomplete SQL statement: {current.strip()[:60]!r}")
    return statements


async def apply_migrations(
    db: aiosqlite.Connection, pending: Iterable[Migration], applied_at: datetime
) -> list[int]:
    """Apply the migrations not yet recorded, one transaction each; return their versions.

    The connection must be in autocommit mode (``isolation_level=None``).
    """
    ordered = sorted(pending)
    versions = [m.version for m in ordered]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {versions}")
    await db.execute(MIGRATIONS_TABLE)
    done = {row[0] for row in await db.execute_fetchall("SELECT version FROM schema_migrations")}
    applied: list[int] = []
    for migration in ordered:
        if migration.version in done:
            continue
        # IMMEDIATE takes the write lock first, so two processes opening the same file at
        # once cannot both apply a migration: the second re-checks and skips it.
        await db.execute("BEGIN IMMEDIATE")
        try:
            again = await db.execute_fetchall(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            )
            if not again:
                for statement in split_statements(migration.sql):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (migration.version, to_iso(applied_at)),
                )
                applied.append(migration.version)
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    return applied


def to_iso(moment: datetime) -> str:
    """Format a datetime as ISO 8601 UTC text; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def day_text(moment: date) -> str:
    """Format the UTC day of a date or datetime as YYYY-MM-DD."""
    if isinstance(moment, datetime):
        return to_iso(moment)[:10]
    return moment.isoformat()


def time_range(since: date, until: date) -> tuple[str, str]:
    """Turn report bounds into [start, end) ISO text.

    A ``date`` covers its whole UTC day (so ``until`` is inclusive); a ``datetime`` is exact
    (``until`` exclusive).
    """

    def bound(moment: date, *, end: bool) -> str:
        if isinstance(moment, datetime):
            return to_iso(moment)
        day = moment + timedelta(days=1) if end else moment
        return to_iso(datetime(day.year, day.month, day.day, tzinfo=UTC))

    return bound(since, end=False), bound(until, end=True)
