"""Database schema as numbered migrations: every table of the bot, declared here in order.

A migration is ``(version, name, sql)``. ``SQLiteDatabase.open`` applies every migration of
``MIGRATIONS`` whose version is not yet recorded in ``schema_migrations``, each in its own
transaction, in version order; so once the database is open, all tables exist. Databases
written by earlier versions of the bot recorded 1, 2 and 3 in any order (each module used to
install its own); only the versions matter.

Never edit a released migration: databases in use have it recorded as applied. Add a new
version at the end of ``MIGRATIONS`` instead.

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
    "SCHEMA_V2",
    "SCHEMA_V3",
    "Migration",
    "apply_migrations",
    "day_text",
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

# Broadcasts (bot.storage.broadcasts), their outbox (bot.storage.outbox) and hearing notices.
SCHEMA_V2 = """
CREATE TABLE broadcasts (
    id             INTEGER PRIMARY KEY,
    created_by     INTEGER NULL,  -- NULL: a system broadcast (hearing notices)
    text_ru        TEXT NOT NULL,  -- Telegram HTML, as sent
    text_kk        TEXT NOT NULL,
    single_lang    TEXT NULL CHECK (single_lang IN ('ru', 'kk')),
    audience_topic TEXT NULL,  -- NULL: everyone subscribed to anything
    audience_lang  TEXT NULL CHECK (audience_lang IN ('ru', 'kk')),
    send_at        TEXT NOT NULL,
    state          TEXT NOT NULL
        CHECK (state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')),
    created_at     TEXT NOT NULL,
    started_at     TEXT NULL,
    finished_at    TEXT NULL
);
CREATE INDEX broadcasts_due ON broadcasts(state, send_at);
CREATE TABLE outbox (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    lang         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
        ('pending', 'sending', 'sent', 'blocked', 'failed', 'in_doubt', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NULL,
    sent_at      TEXT NULL,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX outbox_state ON outbox(state, broadcast_id);
CREATE INDEX outbox_user ON outbox(user_id);
-- notices.py: hearings announced or reminded of, so that a restart never repeats a notice.
CREATE TABLE hearing_notices (
    topic_id     TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('baseline', 'announced', 'reminded')),
    starts       TEXT NOT NULL,
    broadcast_id INTEGER NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (topic_id, kind, starts)
);
"""

# Conversation steps and user_data of python-telegram-bot (bot.storage.conversations).
SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS user_state (
    user_id INTEGER PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    user_id INTEGER,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user_id);
"""

# One vote per user and topic: a second press changes the vote instead of adding one. Of
# the votes already given twice, the latest is kept. Anonymous feedback (NULL) stays as is.
SCHEMA_V4 = """
DELETE FROM feedback WHERE user_id IS NOT NULL AND id NOT IN (
    SELECT MAX(id) FROM feedback WHERE user_id IS NOT NULL GROUP BY user_id, topic_id
);
CREATE UNIQUE INDEX feedback_vote ON feedback(user_id, topic_id) WHERE user_id IS NOT NULL;
"""

# Answers shared in other chats through inline mode: the results users chose to send, per day,
# topic and language of the card. No user id, as in the other statistics.
SCHEMA_V5 = """
CREATE TABLE share_stats (
    day      TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    lang     TEXT NOT NULL,
    shared   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, topic_id, lang)
);
"""

# Several workers on one database (PostgreSQL) share the outbox: a row being sent, or waiting
# to be retried, is held by the worker that claimed it until its lease runs out. A worker
# renews its leases while it lives; the rows of one that died are then handled by the others.
# A closed broadcast is reported to its creator once, by whichever worker closed it.
SCHEMA_V6 = """
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NULL;
ALTER TABLE outbox ADD COLUMN lease_until TEXT NULL;
ALTER TABLE broadcasts ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
UPDATE broadcasts SET reported = 1 WHERE state IN ('done', 'cancelled');
"""

# The overall send rate shared by the workers on one PostgreSQL database (bot.storage.pace):
# one row (made by the first send), the next free slot of the grid in seconds since the epoch
# on the database's clock. SQLite has the table too, unused: one process paces itself.
SCHEMA_V7 = """
CREATE TABLE send_pace (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    due REAL NOT NULL
);
"""

# An admin's composer keeps its step and draft in ``conversations``, one row per flow, read
# for each update so that any worker can take the next one (bot.telegram.flow); the copy of
# python-telegram-bot's persistence in user_state is gone. Drafts open at the upgrade are
# dropped: their old rows are in another format.
SCHEMA_V8 = """
DROP TABLE user_state;
DELETE FROM conversations;
"""

# The rate to each chat, shared by the workers on one PostgreSQL database as send_pace is
# (bot.storage.pace): the next free slot per chat. Unused by SQLite, as send_pace.
SCHEMA_V9 = """
CREATE TABLE chat_pace (
    chat_id INTEGER PRIMARY KEY,
    due     REAL NOT NULL
);
"""

# In version order; append new versions, never edit a released one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core", SCHEMA_V1),
    Migration(2, "broadcasts", SCHEMA_V2),
    Migration(3, "conversation state", SCHEMA_V3),
    Migration(4, "one feedback vote per user and topic", SCHEMA_V4),
    Migration(5, "shared answers", SCHEMA_V5),
    Migration(6, "outbox leases", SCHEMA_V6),
    Migration(7, "shared send pace", SCHEMA_V7),
    Migration(8, "flows in conversations", SCHEMA_V8),
    Migration(9, "shared pace per chat", SCHEMA_V9),
)


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
